/**
 * HTTP plumbing shared by every adapter (GitHub, Forgejo, Slack, T3): one retry policy that honours
 * `Retry-After`, `Link` pagination, bounded concurrency per client, and the mapping of HTTP failures into
 * the fields of a port error with a hint that says what to do. Adapters compose these; none copies them.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
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
  /** Extra statuses to treat as transient for this vendor (e.g. GitHub's 403 with `retry-after`). */
  readonly isTransient?: (response: HttpClientResponse.HttpClientResponse) => boolean
  /** A wait the vendor asks for beyond `Retry-After` (e.g. `x-ratelimit-reset`). */
  readonly waitHint?: (
    response: HttpClientResponse.HttpClientResponse,
    nowMillis: number
  ) => Option.Option<Duration.Duration>
}

export const defaultRetry: RetryOptions = { times: 4, base: "250 millis", maxWait: "60 seconds" }

const backoff = (options: RetryOptions, attempt: number): Duration.Duration =>
  Duration.times(Duration.decode(options.base), 2 ** attempt)

/**
 * Retries transport failures and transient answers (408, 429, 5xx, plus the vendor's own), waiting what
 * `Retry-After` says (bounded by `maxWait`) or an exponential backoff. Returns the last response, so the
 * caller maps a final 429 or 5xx into its own error. 400/401/404/410/422/451 are returned at once.
 */
export const withRetries =
  (options: RetryOptions = defaultRetry) =>
  <E, R>(client: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E, R> =>
    HttpClient.transform(client, (execute) => {
      const attempt = (n: number): Effect.Effect<HttpClientResponse.HttpClientResponse, E, R> =>
        execute.pipe(
          Effect.catchIf(
            (error): error is E => n < options.times && isTransportError(error),
            () => Effect.sleep(backoff(options, n)).pipe(Effect.zipRight(Effect.suspend(() => attempt(n + 1))))
          ),
          Effect.flatMap((response) => {
            const transient = !neverRetried.has(response.status) &&
              (isTransientStatus(response.status) || (options.isTransient?.(response) ?? false))
            if (!transient || n >= options.times) return Effect.succeed(response)
            return Effect.clockWith((clock) => {
              const now = clock.unsafeCurrentTimeMillis()
              const asked = Option.orElse(retryAfter(response.headers, now), () =>
                options.waitHint === undefined ? Option.none() : options.waitHint(response, now))
              const wait = Option.getOrElse(asked, () =>
                backoff(options, n))
              if (Duration.greaterThan(wait, Duration.decode(options.maxWait))) return Effect.succeed(response)
              return Effect.sleep(wait).pipe(Effect.zipRight(Effect.suspend(() => attempt(n + 1))))
            })
          })
        )
      return attempt(0)
    })

const isTransportError = (error: unknown): boolean =>
  typeof error === "object" &&
  error !== null &&
  "_tag" in error &&
  error._tag === "RequestError" &&
  "reason" in error &&
  error.reason === "Transport"

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

const snippet = (text: string): string => {
  const flat = text.replace(/\s+/g, " ").trim()
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat
}

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

/** The port-error fields for a non-success response (the body is quoted short; headers never). */
export const fromResponse = (
  vendor: Vendor,
  operation: string,
  response: HttpClientResponse.HttpClientResponse
): Effect.Effect<PortError.Fields & { readonly status: number }> =>
  response.text.pipe(
    Effect.orElseSucceed(() => ""),
    Effect.map((body) => ({
      operation,
      status: response.status,
      detail: `HTTP ${response.status}${body === "" ? "" : ` ${snippet(body)}`}`,
      transient: isTransientStatus(response.status),
      hint: hintFor(vendor, response.status)
    }))
  )

/** The port-error fields for a request that got no usable answer (refused, reset, timed out, bad JSON). */
export const fromClientError = (
  vendor: Vendor,
  operation: string,
  error: HttpClientError.HttpClientError
): PortError.Fields & { readonly cause: unknown } => {
  if (error._tag === "RequestError") {
    return {
      operation,
      detail: `${vendor.name} could not be reached (${error.reason})`,
      transient: error.reason === "Transport",
      hint: error.reason === "Transport" ? `check that ${vendor.name} is up and reachable from here` : undefined,
      cause: error.cause
    }
  }
  return {
    operation,
    status: error.response.status,
    detail:
      `${vendor.name} answered HTTP ${error.response.status} with a body that could not be read (${error.reason})`,
    transient: true,
    hint: `${vendor.name} sent a malformed answer; it will be retried on the next pass`,
    cause: error.cause
  }
}
