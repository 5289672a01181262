/**
 * The contract of the GitHub REST client (`GithubClient`, which builds it and re-exports all of this): the
 * `Service` the adapter's ports call (reads, lists, writes, GraphQL, the login, memos), the client's
 * `Options`, and the shapes of what it answers (`Tagged`, `Attempt`, `Stats`).
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type * as Schema from "effect/Schema"
import type * as GithubApp from "./GithubApp.js"
import type * as GithubAuth from "./GithubAuth.js"
import type * as GithubCodec from "./GithubCodec.js"
import type * as GithubError from "./GithubError.js"
import type * as GithubRateLimit from "./GithubRateLimit.js"

export type Call = GithubError.Call

export interface Options {
  readonly auth: GithubAuth.Auth
  /** `https://api.github.com` (default) or GitHub Enterprise Server's `https://HOST/api/v3`. */
  readonly baseUrl?: string | undefined
  /** Defaults to `application/vnd.github+json`; contract tests against Prism send `application/json`. */
  readonly accept?: string | undefined
  readonly userAgent?: string | undefined
  /** Page size for lists; GitHub's maximum, 100, by default. */
  readonly perPage?: number | undefined
  /** Requests in flight at once (the client has one host); 8 by default. */
  readonly concurrency?: number | undefined
  /** Retries of transient answers (5xx, 429, rate-limited 403); 4 by default. */
  readonly retries?: number | undefined
  /** The longest wait honoured when GitHub says when to retry; longer asks fail at once. 60 s by default. */
  readonly maxWait?: Duration.DurationInput | undefined
  /**
   * A cache directory for conditional requests, shared by short-lived CLI ticks (one file in its `github`
   * folder, written when the client's scope closes); memory only if absent. Private (0700) and refused unless
   * only this user can write to it (`GithubCache`); answers that decide trust or identity and every memo not
   * marked durable stay in memory regardless.
   */
  readonly cacheDirectory?: string | undefined
  /** Pages followed before a list is declared runaway (an error, never a truncation); 1000 by default. */
  readonly maxPages?: number | undefined
}

export interface Stats {
  /** Requests put on the wire, retries included. */
  readonly requests: number
  /** GETs answered `304 Not Modified` and served from the cache. */
  readonly notModified: number
  readonly rateLimit: Option.Option<GithubRateLimit.RateLimit>
}

export type Params = Readonly<Record<string, string | number | undefined>>

export type WriteMethod = "POST" | "PATCH" | "PUT" | "DELETE"

export interface Service {
  readonly baseUrl: string
  /** One GET, decoded (served from the cache when GitHub answers 304). */
  readonly get: <A, I>(
    call: Call,
    path: string,
    schema: Schema.Schema<A, I>,
    params?: Params
  ) => Effect.Effect<A, GithubError.GithubError>
  /** One GET like `get`, with the `ETag` of what it returns (absent when GitHub sent none). */
  readonly getTagged: <A, I>(
    call: Call,
    path: string,
    schema: Schema.Schema<A, I>,
    params?: Params
  ) => Effect.Effect<Tagged<A>, GithubError.GithubError>
  /**
   * One GET sent with `If-None-Match: etag` past every cache: none when GitHub answers 304 (the resource is
   * still the one that had `etag`; no point spent), else the answer with its new `ETag`. Nothing is replayed
   * from a cache, so a caller learns only that what it saw before still stands.
   */
  readonly getUnlessChanged: <A, I>(
    call: Call,
    path: string,
    schema: Schema.Schema<A, I>,
    etag: string
  ) => Effect.Effect<Option.Option<Tagged<A>>, GithubError.GithubError>
  /** Every item of a paginated array endpoint, following `Link: rel="next"` to the end. */
  readonly list: <A, I>(
    call: Call,
    path: string,
    item: Schema.Schema<A, I>,
    params?: Params
  ) => Effect.Effect<ReadonlyArray<A>, GithubError.GithubError>
  /** Every item of a paginated endpoint whose pages are objects holding the items under `key`. */
  readonly listIn: <A, I>(
    call: Call,
    path: string,
    key: string,
    item: Schema.Schema<A, I>,
    params?: Params
  ) => Effect.Effect<ReadonlyArray<A>, GithubError.GithubError>
  /** A write with an optional JSON body, its answer decoded with `schema`. */
  readonly send: <A, I>(
    call: Call,
    method: WriteMethod,
    path: string,
    body: unknown,
    schema: Schema.Schema<A, I>
  ) => Effect.Effect<A, GithubError.GithubError>
  /** A write like `send`, with the answer's status (e.g. 201 created against 200 already there). */
  readonly sendAnswer: <A, I>(
    call: Call,
    method: WriteMethod,
    path: string,
    body: unknown,
    schema: Schema.Schema<A, I>
  ) => Effect.Effect<{ readonly status: number; readonly value: A }, GithubError.GithubError>
  /** A GraphQL query (a read, retried like a GET); its `data` decoded with `schema`, its `errors` a failure. */
  readonly graphql: <A, I>(
    call: Call,
    query: string,
    variables: Readonly<Record<string, string | number>>,
    schema: Schema.Schema<A, I>
  ) => Effect.Effect<A, GithubError.GithubError>
  /**
   * A GraphQL query whose `errors` are answers beside its `data` (GitHub answers the fields it could and names
   * the others in `errors`, each with its `path`): `data` none when GitHub sent none. Fails only as a request.
   */
  readonly graphqlPartial: <A, I>(
    call: Call,
    query: string,
    variables: Readonly<Record<string, string | number>>,
    schema: Schema.Schema<A, I>
  ) => Effect.Effect<
    { readonly data: Option.Option<A>; readonly errors: ReadonlyArray<GithubCodec.GraphqlError> },
    GithubError.GithubError
  >
  /**
   * A write whose refusals with a status in `refusals` are answers, not failures: a 2xx is `Done` (its body
   * decoded with `schema`; none for a 204), a listed refusal is `Refused` with GitHub's `message` and
   * `errors` (a merge's 405 and 409, a validation 422), for a port that acts on what GitHub said.
   */
  readonly attempt: <A, I>(
    call: Call,
    method: WriteMethod,
    path: string,
    body: unknown,
    schema: Schema.Schema<A, I>,
    refusals: ReadonlyArray<number>
  ) => Effect.Effect<Attempt<A>, GithubError.GithubError>
  /** A write whose answer body is not needed. */
  readonly sendVoid: (
    call: Call,
    method: WriteMethod,
    path: string,
    body?: unknown
  ) => Effect.Effect<void, GithubError.GithubError>
  /**
   * The login this client acts as (`GET /user`; for a GitHub App, `<slug>[bot]` from `GET /app`), asked once per
   * client and never read from the cache directory.
   */
  readonly whoami: Effect.Effect<string, GithubError.GithubError>
  /**
   * The login a GraphQL answer gave as its `viewer` for this client's credentials: `whoami` answers it from then
   * on without `GET /user` (a token's login only; a GitHub App's stays `<slug>[bot]`, and a login already known
   * is kept). It lives in this client's memory only, like `whoami`'s own answer.
   */
  readonly viewer: (login: string) => Effect.Effect<void>
  /** The GitHub App the client authenticates as (none with a token): the app and its installations. */
  readonly app: Option.Option<GithubApp.Service>
  readonly stats: Effect.Effect<Stats>
  /** GitHub's clock (epoch ms) as the `Date` of its latest answer puts it, never ahead; the local clock before any. */
  readonly serverTime: Effect.Effect<number>
  /**
   * Whether this client has read the first page of this list, or its cache file held it (a memo could then
   * answer for it).
   */
  readonly listed: (path: string, params?: Params) => Effect.Effect<boolean>
  /**
   * A value this client remembered under `key` while `tag` (an ETag, an `updated_at`) still holds; none
   * otherwise. `schema` names the value's type: a memo holds the decoded value, never re-validated. A durable
   * memo is looked for only among durable memos (which another process may have left in the cache file), any
   * other only in this client's memory.
   */
  readonly recall: <A, I>(
    key: string,
    tag: string,
    schema: Schema.Schema<A, I>,
    options?: MemoOptions
  ) => Effect.Effect<Option.Option<A>>
  /**
   * Remembers `value` under `key` for `tag`, in this client's own memo store (memory only, the newest 10,000):
   * a memo is a decision (a label history), and no file in the cache directory may make one. A durable memo
   * goes with the conditional-request cache (and its file) instead: only for a value that can grant no trust
   * and name no identity (a repository's list of labelled issues; a refusal, which can only refuse).
   */
  readonly remember: <A, I>(
    key: string,
    tag: string,
    schema: Schema.Schema<A, I>,
    value: A,
    options?: MemoOptions
  ) => Effect.Effect<void>
}

export interface MemoOptions {
  /** Kept with the cache (its file included) and read by other processes: never what grants trust or names anyone. */
  readonly durable?: boolean | undefined
}

/** How a write `attempt` ended: done (with its decoded body, none for a 204), or refused as GitHub words it. */
export type Attempt<A> =
  | { readonly _tag: "Done"; readonly status: number; readonly value: Option.Option<A> }
  | {
    readonly _tag: "Refused"
    readonly status: number
    readonly message: string
    readonly errors: ReadonlyArray<GithubCodec.ValidationError>
  }

export interface Tagged<A> {
  readonly value: A
  readonly etag: Option.Option<string>
}
