/**
 * The retry policy every vendor client runs under (`HttpKit.client` wraps it around each request): transport
 * failures and transient answers are retried, waiting what `Retry-After` (or the vendor's own hint) says or an
 * exponential backoff, and a non-idempotent write is sent again only when the server certainly did not act
 * on it. `HttpKit` re-exports all of it.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import { globalValue } from "effect/GlobalValue"
import * as Option from "effect/Option"
import * as HttpFailure from "./HttpFailure.js"

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
 * timeout it returns the failure at once; the caller reports it with `HttpFailure.mayHaveApplied`.
 */
export const nonIdempotent = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.locally(effect, idempotentRequests, false)

const isRetried = (options: RetryOptions, response: HttpClientResponse.HttpClientResponse, idempotent: boolean) => {
  if (HttpFailure.neverRetried.has(response.status) || options.isFinal?.(response) === true) return false
  const vendor = options.isTransient?.(response) ?? false
  return idempotent
    ? HttpFailure.isTransientStatus(response.status) || vendor
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
    HttpClient.transform(client, retrying(options))

/** `withRetries` for one request's attempt, an effect run again for each retry (`HttpKit.client` composes it so). */
export const retrying =
  (options: RetryOptions = defaultRetry) =>
  <E, R>(execute: Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>) =>
    Effect.withFiberRuntime<HttpClientResponse.HttpClientResponse, E, R>((fiber) => {
      const idempotent = fiber.getFiberRef(idempotentRequests)
      const attempt = (n: number): Effect.Effect<HttpClientResponse.HttpClientResponse, E, R> =>
        Effect.matchEffect(execute, {
          onFailure: (error) =>
            n < options.times && HttpFailure.isTransportError(error) && (idempotent || HttpFailure.isUnsent(error))
              ? Effect.sleep(backoff(options, n)).pipe(Effect.zipRight(Effect.suspend(() => attempt(n + 1))))
              : Effect.fail(error),
          onSuccess: (response) => {
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
          }
        })
      return attempt(0)
    })
