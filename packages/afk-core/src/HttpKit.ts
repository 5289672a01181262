/**
 * HTTP plumbing shared by every adapter (GitHub, Forgejo, Slack, T3): one retry policy that honours
 * `Retry-After` and never sends a non-idempotent write twice (`HttpRetry`, re-exported here), `Link`
 * pagination, bounded concurrency per client, and `client`, the one vendor client every adapter builds on
 * (`HttpFailure` says what a failure means and words it). Adapters compose these; none copies them.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { identity } from "effect/Function"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as HttpFailure from "./HttpFailure.js"
import type * as HttpRetry from "./HttpRetry.js"
import { defaultRetry, nonIdempotent, retrying } from "./HttpRetry.js"
import * as Lanes from "./Lanes.js"
import type * as PortError from "./PortError.js"

export { defaultRetry, nonIdempotent, retryAfter, retrying, withRetries } from "./HttpRetry.js"
/** How `withRetries` retries (see `HttpRetry`). */
export type RetryOptions = HttpRetry.RetryOptions

/** One attempt bounded by `timeout`: no answer by then is a transport failure (so it is retried). */
const timedOut = <A, E, R>(
  timeout: Duration.DurationInput,
  effect: Effect.Effect<A, E, R>,
  request: HttpClientRequest.HttpClientRequest
) =>
  Effect.timeoutFail(effect, {
    duration: timeout,
    onTimeout: () =>
      new HttpClientError.RequestError({
        request,
        reason: "Transport",
        description: `no answer within ${Duration.format(timeout)}`
      })
  })

/** Bounds one attempt: no answer within `timeout` is a transport failure (so `withRetries` retries it). */
export const withTimeout =
  (timeout: Duration.DurationInput) =>
  <E, R>(client: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E | HttpClientError.RequestError, R> =>
    HttpClient.transform(client, (effect, request) => timedOut(timeout, effect, request))

/**
 * Limits how many requests one client has in flight at once (per host, since a client has one base URL); the
 * others wait in line and are served in the order they asked (`Lanes`).
 */
export const withConcurrency =
  (permits: number) =>
  <E, R>(client: HttpClient.HttpClient.With<E, R>): Effect.Effect<HttpClient.HttpClient.With<E, R>> =>
    Effect.map(Lanes.make(permits), (lanes) => HttpClient.transform(client, lanes.withLane))

/** The `rel="next"` target of an RFC 8288 `Link` header. */
export const nextLink = (header: string | undefined): Option.Option<string> => {
  if (header === undefined) return Option.none()
  for (const part of header.split(",")) {
    const match = /<([^>]+)>\s*;(.*)$/.exec(part.trim())
    if (match !== null && /\brel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?/.test(match[2] ?? "")) {
      return Option.some(match[1] as string)
    }
  }
  return Option.none()
}

/**
 * Follows pages until there is no next one, collecting every item. `maxPages` bounds a runaway server;
 * exceeding it is an error, never a silent truncation.
 */
export const collectPages = <A, E, R>(
  first: string,
  page: (url: string) => Effect.Effect<readonly [ReadonlyArray<A>, Option.Option<string>], E, R>,
  onTooMany: (pages: number) => E,
  maxPages = 1000
): Effect.Effect<ReadonlyArray<A>, E, R> =>
  Effect.gen(function*() {
    const items: Array<A> = []
    let next: Option.Option<string> = Option.some(first)
    let pages = 0
    while (Option.isSome(next)) {
      if (pages >= maxPages) return yield* Effect.fail(onTooMany(pages))
      const [batch, following] = yield* page(next.value)
      items.push(...batch)
      next = following
      pages++
    }
    return items
  })

/** Text `encodeURIComponent` leaves as it is (and an `owner/name` of such text), so it is not run. */
const unencoded = /^[\w.~-]*$/
const unencodedRepo = /^[\w.~-]+\/[\w.~-]+$/

const segment = (text: string): string => (unencoded.test(text) ? text : encodeURIComponent(text))

/** `/repos/{owner}/{name}/…`, each segment URL-encoded (GitHub's and Forgejo's repository routes). */
export const repoPath = (repo: string, ...segments: ReadonlyArray<string | number>): string => {
  let path = unencodedRepo.test(repo) ? `/repos/${repo}` : `/repos/${repo.split("/").map(segment).join("/")}`
  for (const each of segments) path += `/${segment(String(each))}`
  return path
}

/** What one request is for: its operation, the permission it needs, and whether it may be sent twice. */
export interface Call {
  readonly operation: string
  /** The permission or scope the credential needs for it, named when the vendor refuses it (403). */
  readonly permission?: string | undefined
  /**
   * `false` for a write that must not be applied twice (a new comment, a chat message): it is sent again only
   * after a refusal, and a failure after the vendor may have acted says so (`nonIdempotent`, `HttpFailure.mayHaveApplied`).
   */
  readonly idempotent: boolean
  /** Statuses besides 2xx handed back to the caller instead of failing (GitHub's 304, a 404 read as absent). */
  readonly accept?: ReadonlyArray<number> | undefined
}

/** Why a call failed, for a vendor's `refine`: an answer outside 2xx, no usable answer, or a malformed body. */
export type Failure =
  | { readonly _tag: "Answer"; readonly response: HttpClientResponse.HttpClientResponse }
  | { readonly _tag: "Unreachable"; readonly error: HttpClientError.HttpClientError }
  | { readonly _tag: "Malformed"; readonly response: HttpClientResponse.HttpClientResponse }

/** Port-error fields, with the cause when there is one. */
export type ErrorFields = PortError.Fields & { readonly cause?: unknown }

export interface ClientOptions<E, C extends Call> {
  readonly vendor: HttpFailure.Vendor
  /** Prepended to every request URL that is not absolute (an API root kept whole: `https://host/git/api/v1`). */
  readonly baseUrl?: string | undefined
  /**
   * Adds the credential to a request, once per call (e.g. `authorization("token", secret)`): the request at once
   * when the credential is at hand, or an effect that reads it.
   */
  readonly authorize?:
    | ((
      request: HttpClientRequest.HttpClientRequest
    ) => HttpClientRequest.HttpClientRequest | Effect.Effect<HttpClientRequest.HttpClientRequest>)
    | undefined
  readonly retry?: RetryOptions | undefined
  /** Requests in flight at once against the client's host; 8 by default. */
  readonly concurrency?: number | undefined
  /** How long one attempt may take before it counts as a dropped connection; unbounded if absent. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Secret values never quoted (the credential a request carries is always added). */
  readonly secrets?: ReadonlyArray<Redacted.Redacted<string>> | undefined
  /** What the next pass does about a write that may have applied, when not the default of `HttpFailure.mayHaveApplied`. */
  readonly next?: string | undefined
  /** Pages followed by `list` before a list is declared runaway (an error, never a truncation); 1000 by default. */
  readonly maxPages?: number | undefined
  /** Headers every request carries (an API version, a media type), set before the request is sent. */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /**
   * Told of every attempt, retries included, as it is sent (`sent`) and as its answer arrives (`answered`):
   * metering, a vendor's rate-limit headers. Called in line, so they must be quick and must not throw.
   */
  readonly observe?:
    | {
      readonly sent?: ((request: HttpClientRequest.HttpClientRequest) => void) | undefined
      readonly answered?: ((response: HttpClientResponse.HttpClientResponse) => void) | undefined
    }
    | undefined
  /** Wraps each attempt (metering, a tracer setting); innermost, so it sees every retry. */
  readonly transform?:
    | (<E2, R>(client: HttpClient.HttpClient.With<E2, R>) => HttpClient.HttpClient.With<E2, R>)
    | undefined
  /** The vendor's own reading of a failure (hints from its error bodies, its rate limits), before redaction. */
  readonly refine?: ((call: C, failure: Failure, fields: ErrorFields) => Effect.Effect<ErrorFields>) | undefined
  /** The port error made from the (redacted) fields. */
  readonly error: (fields: ErrorFields) => E
}

export interface Client<E, C extends Call> {
  /** One request: an answer outside 2xx (and the call's `accept`) fails with the port error. */
  readonly execute: (
    call: C,
    request: HttpClientRequest.HttpClientRequest
  ) => Effect.Effect<HttpClientResponse.HttpClientResponse, E>
  /**
   * An answer's JSON body decoded with `schema` (unknown fields ignored); anything else is malformed. `text`
   * stands in for the body when the answer refers to one held elsewhere (GitHub's 304 and its cached body).
   * The schema is run synchronously: one whose transformation needs an effect fails here as malformed.
   */
  readonly decode: <A, I>(
    schema: Schema.Schema<A, I>
  ) => (call: C, response: HttpClientResponse.HttpClientResponse, text?: string) => Effect.Effect<A, E>
  /** One request whose answer is decoded with `schema`. */
  readonly json: <A, I>(
    schema: Schema.Schema<A, I>
  ) => (call: C, request: HttpClientRequest.HttpClientRequest) => Effect.Effect<A, E>
  /**
   * Every item of a paginated endpoint from `url` on: `read` answers one page (its items and its `Link`
   * header, e.g. from a cache), and `rel="next"` is followed on the client's origin only, up to `maxPages`.
   */
  readonly pages: <A>(
    call: C,
    url: string,
    read: (url: string) => Effect.Effect<{ readonly items: ReadonlyArray<A>; readonly link: string | undefined }, E>
  ) => Effect.Effect<ReadonlyArray<A>, E>
  /** Every item of a JSON-array endpoint, following `Link: rel="next"` (on the client's origin only) to the end. */
  readonly list: <A, I>(
    item: Schema.Schema<A, I>
  ) => (call: C, url: string) => Effect.Effect<ReadonlyArray<A>, E>
  /** The port error for an answer the caller accepted (`Call.accept`) but cannot use. */
  readonly refuse: (call: C, response: HttpClientResponse.HttpClientResponse) => Effect.Effect<never, E>
  /** The port error for a failure the vendor reports in its own way (an `ok: false`, GraphQL `errors`). */
  readonly fail: (request: HttpClientRequest.HttpClientRequest, fields: ErrorFields) => E
}

/**
 * `authorize` for a `scheme secret` header (`Bearer …`, `token …`): a fixed secret is set in line, an effect is
 * read again for every call.
 */
export const authorization = (
  scheme: string,
  secret: Redacted.Redacted<string> | Effect.Effect<Redacted.Redacted<string>>
): (
  request: HttpClientRequest.HttpClientRequest
) => HttpClientRequest.HttpClientRequest | Effect.Effect<HttpClientRequest.HttpClientRequest> => {
  const set = (value: Redacted.Redacted<string>) => (request: HttpClientRequest.HttpClientRequest) =>
    HttpClientRequest.setHeader(request, "authorization", `${scheme} ${Redacted.value(value)}`)
  return Redacted.isRedacted(secret) ? set(secret) : (request) => Effect.map(secret, (value) => set(value)(request))
}

const isAbsolute = (url: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(url)

/**
 * A vendor's HTTP client: base URL, credential, per-attempt timeout, `withRetries` (kept over the
 * platform's `retryTransient`: it honours `Retry-After` and never resends a write that may have applied)
 * and bounded concurrency around it (a request waiting out a `Retry-After` keeps its permit, so the others
 * do not hammer a host that asked to wait), with one mapping of every failure into port-error fields,
 * secrets redacted.
 */
export const client = <E, C extends Call>(
  options: ClientOptions<E, C>
): Effect.Effect<Client<E, C>, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const { vendor, observe } = options
    const baseUrl = (options.baseUrl ?? "").replace(/\/+$/, "")
    const base = yield* HttpClient.HttpClient
    const observing = <R>(
      request: HttpClientRequest.HttpClientRequest,
      effect: Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError, R>
    ) =>
      observe === undefined ? effect : Effect.suspend(() => {
        observe.sent?.(request)
        const answered = observe.answered
        return answered === undefined ? effect : Effect.map(effect, (response) => {
          answered(response)
          return response
        })
      })
    // Observe, the vendor's transform, the timeout, the retries and a lane, innermost first, composed around each
    // request's effect: as layers of `HttpClient.transform` they cost each request some six further runtime
    // operations. A vendor's own transform still wraps the client, inside the rest.
    const transformed = options.transform === undefined
      ? undefined
      : options.transform(
        observe === undefined ? base : HttpClient.transform(base, (effect, request) => observing(request, effect))
      )
    const attempt = (request: HttpClientRequest.HttpClientRequest) => {
      const sent = transformed === undefined ? observing(request, base.execute(request)) : transformed.execute(request)
      return options.timeout === undefined ? sent : timedOut(options.timeout, sent, request)
    }
    const retry = retrying(options.retry ?? defaultRetry)
    const lanes = yield* Lanes.make(options.concurrency ?? 8)
    const http = {
      execute: (request: HttpClientRequest.HttpClientRequest) => lanes.withLane(retry(attempt(request)))
    }

    const quoting = (call: C): HttpFailure.Quoting => ({
      secrets: options.secrets,
      idempotent: call.idempotent,
      next: options.next
    })
    const fail: Client<E, C>["fail"] = (request, fields) =>
      options.error(
        HttpFailure.redactFields([...(options.secrets ?? []), ...HttpFailure.credentialOf(request)])(fields)
      )
    const toError = (call: C, request: HttpClientRequest.HttpClientRequest, failure: Failure, fields: ErrorFields) =>
      Effect.map(
        options.refine === undefined ? Effect.succeed(fields) : options.refine(call, failure, fields),
        (refined) => fail(request, refined)
      )

    const unreachable = (call: C) => (error: HttpClientError.HttpClientError) =>
      Effect.flatMap(
        toError(
          call,
          error.request,
          { _tag: "Unreachable", error },
          HttpFailure.fromClientError(vendor, call.operation, error, quoting(call))
        ),
        Effect.fail
      )

    const refuse: Client<E, C>["refuse"] = (call, response) =>
      Effect.flatMap(HttpFailure.fromResponse(vendor, call.operation, response, quoting(call)), (fields) =>
        Effect.flatMap(
          toError(call, response.request, { _tag: "Answer", response }, {
            ...fields,
            hint: fields.status === 403 && call.permission !== undefined
              ? `${vendor.name} refused ${call.operation}: the ${vendor.credential} lacks the "${call.permission}" permission`
              : fields.hint
          }),
          Effect.fail
        ))

    // The request made whole in line (base URL, headers, a credential at hand): each step as an effect of its
    // own cost a GitHub list some 10 % of the runtime's work per request (bench/RESULTS.md, thirteenth part).
    const { authorize, headers } = options
    const prepare = (request: HttpClientRequest.HttpClientRequest): HttpClientRequest.HttpClientRequest => {
      const located = isAbsolute(request.url) ? request : HttpClientRequest.prependUrl(request, baseUrl)
      return headers === undefined ? located : HttpClientRequest.setHeaders(located, headers)
    }
    const send = (call: C, request: HttpClientRequest.HttpClientRequest) =>
      Effect.matchEffect((call.idempotent ? identity : nonIdempotent)(http.execute(request)), {
        onFailure: unreachable(call),
        onSuccess: (response) =>
          (response.status >= 200 && response.status < 300) || call.accept?.includes(response.status) === true
            ? Effect.succeed(response)
            : refuse(call, response)
      })
    const execute: Client<E, C>["execute"] = (call, request) => {
      const prepared = prepare(request)
      if (authorize === undefined) {
        return send(call, prepared)
      }
      const authorized = authorize(prepared)
      return Effect.isEffect(authorized)
        ? Effect.flatMap(authorized, (ready) =>
          send(call, ready))
        : send(call, authorized)
    }

    const malformed = (call: C, response: HttpClientResponse.HttpClientResponse, error: ParseResult.ParseError) => {
      const shape = HttpFailure.redact(options.secrets ?? [])(
        ParseResult.TreeFormatter.formatErrorSync(error).replace(/\s+/g, " ")
      )
      const fields: ErrorFields = {
        operation: call.operation,
        status: response.status,
        detail:
          `${vendor.name} answered HTTP ${response.status} with a malformed or unexpected body (unexpected shape: ${
            HttpFailure.short(shape)
          })`,
        transient: true,
        hint: `${vendor.name} sent a malformed answer; it will be retried on the next pass`,
        cause: error
      }
      return Effect.flatMap(
        toError(
          call,
          response.request,
          { _tag: "Malformed", response },
          call.idempotent ? fields : HttpFailure.mayHaveApplied(vendor, fields, options.next)
        ),
        Effect.fail
      )
    }

    // Decoded in line once the text is read (the schemas are synchronous), not as a further effect per answer.
    const decode: Client<E, C>["decode"] = (schema) => {
      const parse = jsonDecoder(schema)
      return (call, response, held) => {
        const decodeText = (text: string) => {
          const decoded = parse(text)
          return Either.isRight(decoded) ? Effect.succeed(decoded.right) : malformed(call, response, decoded.left)
        }
        return held === undefined
          ? Effect.matchEffect(response.text, { onFailure: unreachable(call), onSuccess: decodeText })
          : decodeText(held)
      }
    }

    const json: Client<E, C>["json"] = (schema) => (call, request) =>
      Effect.flatMap(execute(call, request), (response) => decode(schema)(call, response))

    const origin = (url: string) => new URL(url, baseUrl === "" ? undefined : baseUrl).origin
    const pages: Client<E, C>["pages"] = (call, url, read) => {
      const first = isAbsolute(url) ? url : `${baseUrl}${url}`
      const request = HttpClientRequest.get(first)
      return collectPages(
        first,
        (page) =>
          Effect.flatMap(read(page), ({ items, link }) => {
            const next = Option.map(nextLink(link), (target) => new URL(target, page).toString())
            return Option.isSome(next) && origin(next.value) !== origin(first)
              ? Effect.fail(fail(request, {
                operation: call.operation,
                detail: `${vendor.name}'s next-page link points at ${origin(next.value)}, not ${
                  origin(first)
                }; the credential is not sent there`,
                transient: false,
                hint: `check the configured ${vendor.name} base URL`
              }))
              : Effect.succeed([items, next] as const)
          }),
        (count) =>
          fail(request, {
            operation: call.operation,
            detail: `${vendor.name} still had more pages after ${count}; refusing to return a partial list`,
            transient: false,
            hint: `${vendor.name} kept returning next-page links; raise maxPages if the list is really this long`
          }),
        options.maxPages ?? 1000
      )
    }

    const list: Client<E, C>["list"] = (item) => {
      const page = Schema.Array(item)
      return (call, url) =>
        pages(call, url, (next) =>
          Effect.flatMap(execute(call, HttpClientRequest.get(next)), (response) =>
            Effect.map(decode(page)(call, response), (items) => ({ items, link: response.headers.link }))))
    }

    return { execute, refuse, decode, json, pages, list, fail }
  })

const jsonDecoders = new WeakMap<object, (text: string) => Either.Either<unknown, ParseResult.ParseError>>()

/** The JSON decoder of `schema`, built once per schema (a list decodes many pages with the same one). */
const jsonDecoder = <A, I>(schema: Schema.Schema<A, I>) => {
  const known = jsonDecoders.get(schema) ?? Schema.decodeUnknownEither(Schema.parseJson(schema))
  jsonDecoders.set(schema, known)
  return known as (text: string) => Either.Either<A, ParseResult.ParseError>
}
