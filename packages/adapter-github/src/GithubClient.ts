/**
 * The GitHub REST client the adapter's ports stand on: base URL (api.github.com or a GitHub Enterprise
 * `https://host/api/v3`), token or GitHub App auth, GitHub's media type and API version headers, `Link`
 * pagination at `per_page=100`, rate limits (waits GitHub asks for, within a bound), conditional GETs
 * (`ETag` → `If-None-Match`, a 304 served from the cache for free), bounded concurrency, and the mapping
 * of every failure into a `GithubError` with a hint. Bodies are decoded with Schema, unknown fields ignored.
 * GraphQL queries (`POST /graphql`, or `/api/graphql` beside a GitHub Enterprise `/api/v3`) go through the
 * same pipeline: they are reads, retried like GETs, and an answer's `errors` fail like an HTTP error does.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpKit from "afk-core/HttpKit"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as GithubApp from "./GithubApp.js"
import type * as GithubAuth from "./GithubAuth.js"
import * as GithubCache from "./GithubCache.js"
import * as GithubCodec from "./GithubCodec.js"
import * as GithubError from "./GithubError.js"
import * as GithubRateLimit from "./GithubRateLimit.js"

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

export class GithubClient extends Context.Tag("afk-adapter-github/GithubClient")<GithubClient, Service>() {}

/** `/repos/{owner}/{name}/…`, each segment URL-encoded. */
export const repoPath = HttpKit.repoPath

/** GitHub's GraphQL endpoint beside a REST base: `…/graphql`, or `https://HOST/api/graphql` for `https://HOST/api/v3`. */
export const graphqlUrl = (baseUrl: string): string => {
  const base = baseUrl.replace(/\/+$/, "")
  return /\/api\/v3$/.test(base) ? base.replace(/\/api\/v3$/, "/api/graphql") : `${base}/graphql`
}

/** The most memos one client keeps; the oldest are forgotten first. */
const maxMemos = 10_000

/**
 * This client's memos, a store of their own: decoded values under a key, each valid while its tag (an ETag,
 * an `updated_at`) holds. In memory only, never beside the HTTP answers of the conditional-request cache.
 */
const memoStore = () => {
  const memos = new Map<string, { readonly tag: string; readonly value: unknown }>()
  return {
    recall: (key: string, tag: string): Option.Option<unknown> => {
      const memo = memos.get(key)
      return memo !== undefined && memo.tag === tag ? Option.some(memo.value) : Option.none()
    },
    remember: (key: string, tag: string, value: unknown): void => {
      memos.delete(key)
      memos.set(key, { tag, value })
      if (memos.size > maxMemos) {
        const oldest = memos.keys().next()
        if (oldest.done !== true) memos.delete(oldest.value)
      }
    }
  }
}

const UserBody = Schema.Struct({ login: Schema.String })

/** Builds a client over the ambient `HttpClient`; its cache file (if any) is written when `scope` closes. */
export const make = (options: Options): Effect.Effect<Service, never, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function*() {
    const baseUrl = (options.baseUrl ?? "https://api.github.com").replace(/\/+$/, "")
    const perPage = options.perPage ?? 100
    const maxWait = options.maxWait ?? "60 seconds"
    const cache = yield* GithubCache.make({ directory: options.cacheDirectory })
    const inMemory = yield* GithubCache.make()
    const counters: { requests: number; notModified: number; rateLimit: Option.Option<GithubRateLimit.RateLimit> } = {
      requests: 0,
      notModified: 0,
      rateLimit: Option.none()
    }
    let clockOffset = 0
    const headers = {
      accept: options.accept ?? "application/vnd.github+json",
      "x-github-api-version": "2022-11-28",
      "user-agent": options.userAgent ?? "afk-adapter-github"
    }
    /** What every answer tells: the rate limit, and GitHub's clock (never ahead of the local one). */
    const noteAnswer = (response: HttpClientResponse.HttpClientResponse, now: number) => {
      counters.rateLimit = Option.orElse(GithubRateLimit.read(response), () => counters.rateLimit)
      const date = Date.parse(response.headers.date ?? "")
      if (!Number.isNaN(date)) clockOffset = Math.min(0, date - now)
    }

    const kit = yield* HttpKit.client<GithubError.GithubError, GithubError.KitCall>({
      vendor: GithubError.vendor,
      baseUrl,
      retry: {
        times: options.retries ?? 4,
        base: "500 millis",
        maxWait,
        isTransient: GithubRateLimit.isRateLimited,
        waitHint: GithubRateLimit.waitForReset
      },
      authorize: options.auth._tag === "Token" ? HttpKit.authorization("Bearer", options.auth.token) : undefined,
      concurrency: options.concurrency ?? 8,
      secrets: [options.auth._tag === "Token" ? options.auth.token : options.auth.privateKey],
      transform: (client) =>
        client.pipe(
          HttpClient.mapRequest(HttpClientRequest.setHeaders(headers)),
          HttpClient.transform((execute) =>
            Effect.zipRight(Effect.sync(() => counters.requests++), execute).pipe(
              Effect.tap((response) =>
                Effect.clockWith((clock) => Effect.sync(() => noteAnswer(response, clock.unsafeCurrentTimeMillis())))
              )
            )
          )
        ),
      refine: GithubError.refine(maxWait),
      error: (fields) => new GithubError.GithubError(fields)
    })

    const send = (call: Call, request: HttpClientRequest.HttpClientRequest, refusals: ReadonlyArray<number> = []) =>
      kit.execute({ ...GithubError.kitCall(call), accept: [304, ...refusals] }, request)

    const decodeAnswer =
      <A, I>(call: Call, schema: Schema.Schema<A, I>) => (response: HttpClientResponse.HttpClientResponse) =>
        kit.decode(schema)(GithubError.kitCall(call), response)

    const json: GithubApp.Json = (call, request, schema) =>
      Effect.flatMap(send(call, request), (response) => decodeAnswer(call, schema)(response))
    const app = options.auth._tag === "App" ? yield* GithubApp.make(options.auth, baseUrl, json) : undefined

    const bearer = (request: HttpClientRequest.HttpClientRequest, token: Redacted.Redacted) =>
      HttpClientRequest.setHeader(request, "authorization", `Bearer ${Redacted.value(token)}`)

    const asInstallation = (
      installation: GithubApp.Tokens,
      call: Call,
      request: HttpClientRequest.HttpClientRequest,
      refusals: ReadonlyArray<number>
    ) =>
      Effect.gen(function*() {
        const scope = call.repo === undefined ? request.url : `${baseUrl}/repos/${call.repo}`
        const token = yield* installation.token(scope)
        const answer = yield* Effect.either(send(call, bearer(request, token), refusals))
        if (Either.isLeft(answer) && answer.left.status === 401) {
          yield* installation.invalidate(scope, token)
          return yield* send(call, bearer(request, yield* installation.token(scope)), refusals)
        }
        return yield* answer
      })

    const execute = (call: Call, request: HttpClientRequest.HttpClientRequest, refusals: ReadonlyArray<number> = []) =>
      app === undefined ? send(call, request, refusals) : asInstallation(app, call, request, refusals)

    const urlOf = (path: string, params: Params = {}): string => {
      const url = new URL(`${baseUrl}${path}`)
      for (const [key, value] of Object.entries(params)) {
        if (value !== undefined) {
          url.searchParams.set(key, String(value))
        }
      }
      return url.toString()
    }

    const getPage = <A, I>(call: Call, url: string, schema: Schema.Schema<A, I>) =>
      Effect.gen(function*() {
        const store = call.decidesTrust === true ? inMemory : cache
        const cached = yield* store.get(url, schema)
        const plain = HttpClientRequest.get(url)
        const request = Option.match(cached, {
          onNone: () => plain,
          onSome: (entry) => HttpClientRequest.setHeader(plain, "if-none-match", entry.etag)
        })
        const response = yield* execute(call, request)
        if (response.status === 304 && Option.isSome(cached)) {
          counters.notModified++
          return { value: cached.value.value, link: cached.value.link, etag: Option.some(cached.value.etag) }
        }
        const value = yield* decodeAnswer(call, schema)(response)
        const etag = response.headers.etag
        const link = response.headers.link
        if (etag !== undefined && response.status === 200) {
          yield* store.set(url, schema, { etag, value, link })
        }
        return { value, link, etag: Option.fromNullable(etag) }
      })

    const paginate = <P, I, A>(
      call: Call,
      path: string,
      params: Params,
      page: Schema.Schema<P, I>,
      items: (page: P) => ReadonlyArray<A>
    ) =>
      kit.pages(
        GithubError.kitCall(call),
        urlOf(path, { ...params, per_page: perPage }),
        (url) => Effect.map(getPage(call, url, page), ({ link, value }) => ({ items: items(value), link }))
      )

    const writeRequest = (method: WriteMethod, path: string, body: unknown) => {
      const request = HttpClientRequest.make(method)(`${baseUrl}${path}`)
      return body === undefined ? request : HttpClientRequest.bodyUnsafeJson(request, body)
    }

    /** A GraphQL query sent and its answer decoded (`data` and `errors` as GitHub gave them), with its request. */
    const ask = <A, I>(
      call: Call,
      query: string,
      variables: Readonly<Record<string, string | number>>,
      schema: Schema.Schema<A, I>
    ) => {
      const request = HttpClientRequest.bodyUnsafeJson(HttpClientRequest.post(graphqlUrl(baseUrl)), {
        query,
        variables
      })
      return Effect.flatMap(
        execute(call, request),
        (response) =>
          Effect.map(decodeAnswer(call, GithubCodec.graphqlAnswer(schema))(response), (answer) => ({
            request: response.request,
            data: Option.fromNullable(answer.data),
            errors: answer.errors ?? []
          }))
      )
    }

    const graphql: Service["graphql"] = (call, query, variables, schema) =>
      Effect.flatMap(
        ask(call, query, variables, schema),
        ({ data, errors, request }) =>
          errors.length > 0 || Option.isNone(data)
            ? Effect.fail(kit.fail(request, GithubError.fromGraphql(call, request, errors)))
            : Effect.succeed(data.value)
      )

    const graphqlPartial: Service["graphqlPartial"] = (call, query, variables, schema) =>
      Effect.map(ask(call, query, variables, schema), ({ data, errors }) => ({ data, errors }))

    const attempt = <A, I>(
      call: Call,
      method: WriteMethod,
      path: string,
      body: unknown,
      schema: Schema.Schema<A, I>,
      refusals: ReadonlyArray<number>
    ): Effect.Effect<Attempt<A>, GithubError.GithubError> =>
      Effect.flatMap(
        execute(call, writeRequest(method, path, body), refusals),
        (response): Effect.Effect<Attempt<A>, GithubError.GithubError> =>
          refusals.includes(response.status)
            ? Effect.map(decodeAnswer(call, GithubCodec.Refusal)(response), (refusal) => ({
              _tag: "Refused" as const,
              status: response.status,
              message: refusal.message ?? "",
              errors: refusal.errors ?? []
            }))
            : response.status === 204
            ? Effect.succeed({ _tag: "Done" as const, status: 204, value: Option.none<A>() })
            : Effect.map(
              decodeAnswer(call, schema)(response),
              (value) => ({ _tag: "Done" as const, status: response.status, value: Option.some(value) })
            )
      )

    const memos = memoStore()
    const recall: Service["recall"] = (key, tag, schema, memo) =>
      memo?.durable === true
        ? cache.recall(key, tag, schema)
        : Effect.sync(() => memos.recall(key, tag) as Option.Option<never>)
    const remember: Service["remember"] = (key, tag, schema, value, memo) =>
      memo?.durable === true
        ? cache.remember(key, tag, schema, value)
        : Effect.sync(() => memos.remember(key, tag, value))
    const login = yield* Ref.make(Option.none<string>())
    const whoamiCall = { operation: "whoami", permission: "Metadata: read", decidesTrust: true }
    const fetchLogin = app === undefined
      ? getPage(whoamiCall, `${baseUrl}/user`, UserBody).pipe(Effect.map(({ value }) => value.login))
      : Effect.map(app.info, (info) => `${info.slug}[bot]`)

    return GithubClient.of({
      baseUrl,
      get: (call, path, schema, params) =>
        getPage(call, urlOf(path, params), schema).pipe(Effect.map(({ value }) => value)),
      getTagged: (call, path, schema, params) =>
        getPage(call, urlOf(path, params), schema).pipe(Effect.map(({ etag, value }) => ({ value, etag }))),
      list: (call, path, item, params = {}) => paginate(call, path, params, GithubCodec.arrayOf(item), (page) => page),
      listIn: (call, path, key, item, params = {}) =>
        paginate(call, path, params, GithubCodec.pageOf(key, item), (page) => page[key] ?? []),
      send: (call, method, path, body, schema) => {
        const request = writeRequest(method, path, body)
        return Effect.flatMap(execute(call, request), (response) => decodeAnswer(call, schema)(response))
      },
      sendAnswer: (call, method, path, body, schema) => {
        const request = writeRequest(method, path, body)
        return Effect.flatMap(
          execute(call, request),
          (response) =>
            Effect.map(decodeAnswer(call, schema)(response), (value) => ({ status: response.status, value }))
        )
      },
      attempt,
      graphql,
      graphqlPartial,
      sendVoid: (call, method, path, body) => Effect.asVoid(execute(call, writeRequest(method, path, body))),
      whoami: Effect.flatMap(Ref.get(login), (known) =>
        Option.match(known, {
          onSome: Effect.succeed,
          onNone: () => Effect.tap(fetchLogin, (value) => Ref.set(login, Option.some(value)))
        })),
      app: app === undefined ? Option.none() : Option.some({ info: app.info, installation: app.installation }),
      stats: Effect.sync((): Stats => ({ ...counters })),
      serverTime: Effect.clockWith((clock) => Effect.sync(() => clock.unsafeCurrentTimeMillis() + clockOffset)),
      listed: (path, params = {}) => cache.held(urlOf(path, { ...params, per_page: perPage })),
      recall,
      remember
    })
  })

export const layer = (options: Options): Layer.Layer<GithubClient, never, HttpClient.HttpClient> =>
  Layer.scoped(GithubClient, make(options))

/** The client from configuration, e.g. `{ auth: Config.map(Config.redacted("GITHUB_TOKEN"), GithubAuth.token) }`. */
export const layerConfig = (
  config: Config.Config.Wrap<Options>
): Layer.Layer<GithubClient, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.scoped(GithubClient, Config.unwrap(config).pipe(Effect.flatMap(make)))
