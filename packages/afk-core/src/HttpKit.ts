/**
 * HTTP plumbing shared by every adapter (GitHub, Forgejo, Slack, T3): one retry policy that honours
 * `Retry-After` and never sends a non-idempotent write twice, `Link` pagination, bounded concurrency per
 * client, the mapping of HTTP failures into the fields of a port error with a hint that says what to do,
 * and the scrubbing of known secrets from whatever a server echoes; and `client`, the one vendor client every
 * adapter builds on. Adapters compose these; none copies them.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import { identity } from "effect/Function"
import { globalValue } from "effect/GlobalValue"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as PortError from "./PortError.js"

/** Statuses that are never retried: the request itself is wrong, or not allowed. */
export const neverRetried: ReadonlySet<number> = new Set([400, 401, 404, 410, 422, 451])

export const isTransientStatus = (status: number): boolean =>
  status === 408 || status === 429 || (status >= 500 && status <= 599)

/** `Retry-After` as seconds or an HTTP date, relative to `nowMillis`. */
export const retryAfter = (
  headers: Readonly<Record<string, string | undefined>>,
  nowMillis: number
): Option.Option<Duration.Duration> => {
  const raw = headers["retry-after"]?.trim()
  if (raw === undefined || raw === "") return Option.none()
  if (/^\d+(\.\d+)?$/.test(raw)) return Option.some(Duration.seconds(Number(raw)))
  const at = Date.parse(raw)
  return Number.isNaN(at) ? Option.none() : Option.some(Duration.millis(Math.max(0, at - nowMillis)))
}

export interface RetryOptions {
  /** Retries after the first attempt. */
  readonly times: number
  /** First backoff when the server names no wait; doubles each retry. */
  readonly base: Duration.DurationInput
  /** The longest wait honoured; a server asking for longer gets its answer returned, not a sleep. */
  readonly maxWait: Duration.DurationInput
  /**
   * Extra answers to treat as transient for this vendor (e.g. GitHub's rate-limited 403). Those below 500
   * are read as refusals the server did not act on, so a non-idempotent write is sent again after them too.
   */
  readonly isTransient?: (response: HttpClientResponse.HttpClientResponse) => boolean
  /** A wait the vendor asks for beyond `Retry-After` (e.g. `x-ratelimit-reset`). */
  readonly waitHint?: (
    response: HttpClientResponse.HttpClientResponse,
    nowMillis: number
  ) => Option.Option<Duration.Duration>
  /** Answers never retried for this vendor, whatever their status (e.g. T3's ambiguous 500 on a command). */
  readonly isFinal?: (response: HttpClientResponse.HttpClientResponse) => boolean
}

export const defaultRetry: RetryOptions = { times: 4, base: "250 millis", maxWait: "60 seconds" }

const backoff = (options: RetryOptions, attempt: number): Duration.Duration =>
  Duration.times(Duration.decode(options.base), 2 ** attempt)

const idempotentRequests = globalValue(
  Symbol.for("afk-core/HttpKit/idempotentRequests"),
  () => FiberRef.unsafeMake(true)
)

/**
 * Marks the requests `effect` sends as non-idempotent writes (a new comment, a chat message): `withRetries`
 * sends one again only when the server certainly did not act on it (a 429, a vendor's rate-limit refusal,
 * a connection refused or a host name unresolved before anything was sent). After a 5xx, a reset or a
 * timeout it returns the failure at once; the caller reports it with `mayHaveApplied`.
 */
export const nonIdempotent = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.locally(effect, idempotentRequests, false)

const isRetried = (options: RetryOptions, response: HttpClientResponse.HttpClientResponse, idempotent: boolean) => {
  if (neverRetried.has(response.status) || options.isFinal?.(response) === true) return false
  const vendor = options.isTransient?.(response) ?? false
  return idempotent
    ? isTransientStatus(response.status) || vendor
    : response.status === 429 || (vendor && response.status < 500)
}

/**
 * Retries transport failures and transient answers (408, 429, 5xx, plus the vendor's own), waiting what
 * `Retry-After` says (bounded by `maxWait`) or an exponential backoff. Returns the last response, so the
 * caller maps a final 429 or 5xx into its own error. 400/401/404/410/422/451 are returned at once. Requests
 * made under `nonIdempotent` are retried only after a refusal or a failure before sending.
 */
export const withRetries =
  (options: RetryOptions = defaultRetry) =>
  <E, R>(client: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E, R> =>
    HttpClient.transform(client, (execute) =>
      Effect.flatMap(FiberRef.get(idempotentRequests), (idempotent) => {
        const attempt = (n: number): Effect.Effect<HttpClientResponse.HttpClientResponse, E, R> =>
          execute.pipe(
            Effect.catchIf(
              (error): error is E => n < options.times && isTransportError(error) && (idempotent || isUnsent(error)),
              () => Effect.sleep(backoff(options, n)).pipe(Effect.zipRight(Effect.suspend(() => attempt(n + 1))))
            ),
            Effect.flatMap((response) => {
              if (!isRetried(options, response, idempotent) || n >= options.times) return Effect.succeed(response)
              return Effect.clockWith((clock) => {
                const now = clock.unsafeCurrentTimeMillis()
                const asked = Option.orElse(
                  retryAfter(response.headers, now),
                  () => options.waitHint === undefined ? Option.none() : options.waitHint(response, now)
                )
                const wait = Option.getOrElse(asked, () => backoff(options, n))
                if (Duration.greaterThan(wait, Duration.decode(options.maxWait))) return Effect.succeed(response)
                return Effect.sleep(wait).pipe(Effect.zipRight(Effect.suspend(() => attempt(n + 1))))
              })
            })
          )
        return attempt(0)
      }))

const isTransportError = (error: unknown): boolean =>
  typeof error === "object" &&
  error !== null &&
  "_tag" in error &&
  error._tag === "RequestError" &&
  "reason" in error &&
  error.reason === "Transport"

/** Errors that mean no connection was made: refused, unreachable, a name that did not resolve. */
const unsentCodes: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_CONNECT_TIMEOUT"
])

const errorCodes = (cause: unknown, depth = 0): ReadonlyArray<string> => {
  if (typeof cause !== "object" || cause === null || depth > 4) return []
  const own = "code" in cause && typeof cause.code === "string" ? [cause.code] : []
  const nested = "errors" in cause && Array.isArray(cause.errors) ? cause.errors : []
  return [
    ...own,
    ...("cause" in cause ? errorCodes(cause.cause, depth + 1) : []),
    ...nested.flatMap((inner: unknown) => errorCodes(inner, depth + 1))
  ]
}

/**
 * Whether a failed request certainly never reached the server: an invalid URL or body, a connection
 * refused, a host unreachable or unresolved. A reset, a timeout or any answer may come after the server
 * acted on the request.
 */
export const isUnsent = (error: unknown): boolean =>
  typeof error === "object" &&
  error !== null &&
  "_tag" in error &&
  error._tag === "RequestError" &&
  (!isTransportError(error) || ("cause" in error && errorCodes(error.cause).some((code) => unsentCodes.has(code))))

/** Whether an answer with this status leaves a non-idempotent write's outcome unknown (5xx, 408). */
export const isUnsettledStatus = (status: number): boolean => status === 408 || status >= 500

/** Bounds one attempt: no answer within `timeout` is a transport failure (so `withRetries` retries it). */
export const withTimeout =
  (timeout: Duration.DurationInput) =>
  <E, R>(client: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E | HttpClientError.RequestError, R> =>
    HttpClient.transform(client, (effect, request) =>
      Effect.timeoutFail(effect, {
        duration: timeout,
        onTimeout: () =>
          new HttpClientError.RequestError({
            request,
            reason: "Transport",
            description: `no answer within ${Duration.format(timeout)}`
          })
      }))

/** Limits how many requests one client has in flight at once (per host, since a client has one base URL). */
export const withConcurrency =
  (permits: number) =>
  <E, R>(client: HttpClient.HttpClient.With<E, R>): Effect.Effect<HttpClient.HttpClient.With<E, R>> =>
    Effect.map(
      Effect.makeSemaphore(permits),
      (semaphore) => HttpClient.transform(client, (execute) => semaphore.withPermits(1)(execute))
    )

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

/** Who the adapter talks to, for the wording of hints ("GitHub", "Forgejo", "Slack", "T3 Code"). */
export interface Vendor {
  readonly name: string
  /** Where the operator mints or fixes the credential, in a few words. */
  readonly credential: string
}

/** What replaces a secret value in anything an error shows. */
export const redactedMark = "[redacted]"

/** The few characters V8 quotes from text it could not parse as JSON, which may be a piece of a secret. */
const parsedExcerpt = /(\.\.\.)?"[^\n]{0,64}?"(\.\.\.)? is not valid JSON/g

/**
 * Replaces every occurrence of the given secret values in `text` (values under 4 characters are left, as
 * they would redact ordinary words), and elides the excerpt a JSON parse error quotes (a secret cut short
 * there would not match). For quoting what a server sent back, which may echo a credential.
 */
export const redact = (secrets: ReadonlyArray<Redacted.Redacted<string>>) => (text: string): string => {
  const known = secrets.reduce((out, secret) => {
    const value = Redacted.value(secret)
    return value.length < 4 ? out : out.split(value).join(redactedMark)
  }, text)
  return known.includes(" is not valid JSON") ? known.replace(parsedExcerpt, "(text elided) is not valid JSON") : known
}

/** The credential an `Authorization` header carries (`Bearer …`, `token …`), to redact from what echoes it. */
export const credentialOf = (
  request: HttpClientRequest.HttpClientRequest
): ReadonlyArray<Redacted.Redacted<string>> => {
  const value = /^\S+\s+(\S.*)$/.exec(request.headers.authorization ?? "")?.[1]?.trim()
  return value === undefined ? [] : [Redacted.make(value)]
}

/** A cause in words, nested causes included, for an error that must not hold the raw object. */
export const describeCause = (cause: unknown, depth = 0): string => {
  if (cause instanceof Error) {
    const inner = cause.cause === undefined || depth >= 3 ? "" : ` (${describeCause(cause.cause, depth + 1)})`
    return `${cause.name}: ${cause.message}${inner}`
  }
  return typeof cause === "string" ? cause : String(cause)
}

/** Port-error fields with every secret value redacted from the detail, the hint and the cause (kept in words). */
export const redactFields =
  (secrets: ReadonlyArray<Redacted.Redacted<string>>) =>
  <F extends PortError.Fields & { readonly cause?: unknown }>(fields: F): F => {
    const scrub = redact(secrets)
    return {
      ...fields,
      detail: scrub(fields.detail),
      hint: fields.hint === undefined ? undefined : scrub(fields.hint),
      cause: fields.cause === undefined ? undefined : scrub(describeCause(fields.cause))
    }
  }

/**
 * The fields for a non-idempotent write that failed after the server may have acted on it (a 5xx, a reset,
 * a timeout, an unreadable answer): transient, and saying it was not sent again. `next` says what the next
 * pass does about it.
 */
export const mayHaveApplied = <F extends PortError.Fields>(
  vendor: Vendor,
  fields: F,
  next = "the next pass reconciles it (adopts it if it landed, sends it once if not)"
): F => ({
  ...fields,
  detail: `${fields.detail}; ${vendor.name} may have applied the write`,
  transient: true,
  hint: `not sent again, since that could apply it twice: ${next}`
})

/** How an answer is quoted into an error. */
export interface Quoting {
  /** Secret values never to quote (the credentials the client holds); the request's own is always added. */
  readonly secrets?: ReadonlyArray<Redacted.Redacted<string>> | undefined
  /** `false` for a non-idempotent write: an unsettled failure then says it may have been applied. */
  readonly idempotent?: boolean | undefined
  /** What the next pass does about such a write, when not the default of `mayHaveApplied`. */
  readonly next?: string | undefined
}

/** `text` cut to 300 characters (with `…`), for an error that quotes what a server said. */
export const short = (text: string): string => (text.length > 300 ? `${text.slice(0, 300)}…` : text)

const snippet = (text: string): string => short(text.replace(/\s+/g, " ").trim())

/** `/repos/{owner}/{name}/…`, each segment URL-encoded (GitHub's and Forgejo's repository routes). */
export const repoPath = (repo: string, ...segments: ReadonlyArray<string | number>): string =>
  [
    "/repos",
    ...repo.split("/").map(encodeURIComponent),
    ...segments.map((segment) => encodeURIComponent(String(segment)))
  ].join("/")

/** The hint for an HTTP status, naming what to do. */
export const hintFor = (vendor: Vendor, status: number): string | undefined => {
  if (status === 401) {
    return `${vendor.name} rejected the credential as invalid or expired: issue a new ${vendor.credential}`
  }
  if (status === 403) {
    return `${vendor.name} refused the request: the ${vendor.credential} lacks a permission or scope for it (or a rate limit applies)`
  }
  if (status === 404) return `not found on ${vendor.name}, or not visible to this ${vendor.credential}`
  if (status === 422) return `${vendor.name} rejected the request as invalid`
  if (status === 429) return `${vendor.name} rate limit: wait and try again`
  if (status >= 500) return `${vendor.name} had a server error: it will be retried on the next pass`
  return undefined
}

/** The port-error fields for a non-success response (the body is quoted short and redacted; headers never). */
export const fromResponse = (
  vendor: Vendor,
  operation: string,
  response: HttpClientResponse.HttpClientResponse,
  quoting: Quoting = {}
): Effect.Effect<PortError.Fields & { readonly status: number }> =>
  response.text.pipe(
    Effect.orElseSucceed(() => ""),
    Effect.map((text) => {
      const body = redact([...(quoting.secrets ?? []), ...credentialOf(response.request)])(text)
      const fields = {
        operation,
        status: response.status,
        detail: `HTTP ${response.status}${body === "" ? "" : ` ${snippet(body)}`}`,
        transient: isTransientStatus(response.status),
        hint: hintFor(vendor, response.status)
      }
      return quoting.idempotent === false && isUnsettledStatus(response.status)
        ? mayHaveApplied(vendor, fields, quoting.next)
        : fields
    })
  )

/**
 * The port-error fields for a request that got no usable answer (refused, reset, timed out, bad JSON). The
 * cause is kept in words, redacted: a body that failed to parse may be quoted in it.
 */
export const fromClientError = (
  vendor: Vendor,
  operation: string,
  error: HttpClientError.HttpClientError,
  quoting: Quoting = {}
): PortError.Fields & { readonly cause: unknown } => {
  const secrets = [...(quoting.secrets ?? []), ...credentialOf(error.request)]
  const cause = error.cause === undefined ? undefined : redact(secrets)(describeCause(error.cause))
  const fields = error._tag === "RequestError"
    ? {
      operation,
      detail: `${vendor.name} could not be reached (${error.reason})`,
      transient: error.reason === "Transport",
      hint: error.reason === "Transport" ? `check that ${vendor.name} is up and reachable from here` : undefined,
      cause
    }
    : {
      operation,
      status: error.response.status,
      detail:
        `${vendor.name} answered HTTP ${error.response.status} with a body that could not be read (${error.reason})`,
      transient: true,
      hint: `${vendor.name} sent a malformed answer; it will be retried on the next pass`,
      cause
    }
  const unsettled = error._tag === "RequestError"
    ? !isUnsent(error)
    : error.reason !== "StatusCode" || isUnsettledStatus(error.response.status)
  return quoting.idempotent === false && unsettled ? mayHaveApplied(vendor, fields, quoting.next) : fields
}

/** What one request is for: its operation, the permission it needs, and whether it may be sent twice. */
export interface Call {
  readonly operation: string
  /** The permission or scope the credential needs for it, named when the vendor refuses it (403). */
  readonly permission?: string | undefined
  /**
   * `false` for a write that must not be applied twice (a new comment, a chat message): it is sent again only
   * after a refusal, and a failure after the vendor may have acted says so (`nonIdempotent`, `mayHaveApplied`).
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
  readonly vendor: Vendor
  /** Prepended to every request URL that is not absolute (an API root kept whole: `https://host/git/api/v1`). */
  readonly baseUrl?: string | undefined
  /** Adds the credential to a request, once per call (e.g. `authorization("token", secret)`). */
  readonly authorize?:
    | ((request: HttpClientRequest.HttpClientRequest) => Effect.Effect<HttpClientRequest.HttpClientRequest>)
    | undefined
  readonly retry?: RetryOptions | undefined
  /** Requests in flight at once against the client's host; 8 by default. */
  readonly concurrency?: number | undefined
  /** How long one attempt may take before it counts as a dropped connection; unbounded if absent. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Secret values never quoted (the credential a request carries is always added). */
  readonly secrets?: ReadonlyArray<Redacted.Redacted<string>> | undefined
  /** What the next pass does about a write that may have applied, when not the default of `mayHaveApplied`. */
  readonly next?: string | undefined
  /** Pages followed by `list` before a list is declared runaway (an error, never a truncation); 1000 by default. */
  readonly maxPages?: number | undefined
  /** Wraps each attempt (headers every request carries, metering); innermost, so it sees every retry. */
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

/** `authorize` for a `scheme secret` header (`Bearer …`, `token …`); an effect is read again for every call. */
export const authorization = (
  scheme: string,
  secret: Redacted.Redacted<string> | Effect.Effect<Redacted.Redacted<string>>
) =>
(request: HttpClientRequest.HttpClientRequest): Effect.Effect<HttpClientRequest.HttpClientRequest> =>
  Effect.map(
    Redacted.isRedacted(secret) ? Effect.succeed(secret) : secret,
    (value) => HttpClientRequest.setHeader(request, "authorization", `${scheme} ${Redacted.value(value)}`)
  )

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
    const { vendor } = options
    const baseUrl = (options.baseUrl ?? "").replace(/\/+$/, "")
    const transformed = (options.transform ?? identity)((yield* HttpClient.HttpClient).pipe(
      HttpClient.mapRequest((request) =>
        isAbsolute(request.url) ? request : HttpClientRequest.prependUrl(request, baseUrl)
      )
    ))
    const timed = options.timeout === undefined ? transformed : withTimeout(options.timeout)(transformed)
    const http = yield* withConcurrency(options.concurrency ?? 8)(withRetries(options.retry ?? defaultRetry)(timed))

    const quoting = (call: C): Quoting => ({
      secrets: options.secrets,
      idempotent: call.idempotent,
      next: options.next
    })
    const fail: Client<E, C>["fail"] = (request, fields) =>
      options.error(redactFields([...(options.secrets ?? []), ...credentialOf(request)])(fields))
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
          fromClientError(vendor, call.operation, error, quoting(call))
        ),
        Effect.fail
      )

    const refuse: Client<E, C>["refuse"] = (call, response) =>
      Effect.flatMap(fromResponse(vendor, call.operation, response, quoting(call)), (fields) =>
        Effect.flatMap(
          toError(call, response.request, { _tag: "Answer", response }, {
            ...fields,
            hint: fields.status === 403 && call.permission !== undefined
              ? `${vendor.name} refused ${call.operation}: the ${vendor.credential} lacks the "${call.permission}" permission`
              : fields.hint
          }),
          Effect.fail
        ))

    const execute: Client<E, C>["execute"] = (call, request) =>
      Effect.flatMap(
        options.authorize === undefined ? Effect.succeed(request) : options.authorize(request),
        (authorized) =>
          http.execute(authorized).pipe(
            call.idempotent ? identity : nonIdempotent,
            Effect.catchAll(unreachable(call)),
            Effect.flatMap((response) =>
              (response.status >= 200 && response.status < 300) || call.accept?.includes(response.status) === true
                ? Effect.succeed(response)
                : refuse(call, response)
            )
          )
      )

    const decode: Client<E, C>["decode"] = (schema) => (call, response, held) =>
      (held === undefined ? response.text : Effect.succeed(held)).pipe(
        Effect.catchAll(unreachable(call)),
        Effect.flatMap((text) =>
          Effect.catchAll(jsonDecoder(schema)(text), (error) => {
            const shape = redact(options.secrets ?? [])(
              ParseResult.TreeFormatter.formatErrorSync(error).replace(/\s+/g, " ")
            )
            const fields: ErrorFields = {
              operation: call.operation,
              status: response.status,
              detail:
                `${vendor.name} answered HTTP ${response.status} with a malformed or unexpected body (unexpected shape: ${
                  short(shape)
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
                call.idempotent ? fields : mayHaveApplied(vendor, fields, options.next)
              ),
              Effect.fail
            )
          })
        )
      )

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

const jsonDecoders = new WeakMap<object, (text: string) => Effect.Effect<unknown, ParseResult.ParseError>>()

/** The JSON decoder of `schema`, built once per schema (a list decodes many pages with the same one). */
const jsonDecoder = <A, I>(schema: Schema.Schema<A, I>) => {
  const known = jsonDecoders.get(schema) ?? Schema.decodeUnknown(Schema.parseJson(schema))
  jsonDecoders.set(schema, known)
  return known as (text: string) => Effect.Effect<A, ParseResult.ParseError>
}
