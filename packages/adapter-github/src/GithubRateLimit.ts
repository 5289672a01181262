/**
 * GitHub's rate limits as the client reads them: the `x-ratelimit-*` headers of every answer, the 403 or
 * 429 that is a primary limit (`x-ratelimit-remaining: 0`) or a secondary one (`retry-after`) rather than
 * a missing permission, how long GitHub asks to wait, and the hint given when the wait is too long.
 */
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"

/** The rate-limit headers of one answer. */
export interface RateLimit {
  readonly limit: number
  readonly remaining: number
  readonly resetEpochSeconds: number
  readonly resource: string
}

const header = (response: HttpClientResponse.HttpClientResponse, name: string): string | undefined =>
  response.headers[name]

/** A 403 or 429 that is GitHub's primary or secondary rate limit rather than a missing permission. */
export const isRateLimited = (response: HttpClientResponse.HttpClientResponse): boolean =>
  (response.status === 403 || response.status === 429) &&
  (header(response, "retry-after") !== undefined || header(response, "x-ratelimit-remaining") === "0")

/** With the budget spent, the wait until `x-ratelimit-reset` (plus a second of slack). */
export const waitForReset = (
  response: HttpClientResponse.HttpClientResponse,
  nowMillis: number
): Option.Option<Duration.Duration> => {
  const reset = Number(header(response, "x-ratelimit-reset"))
  if (header(response, "x-ratelimit-remaining") !== "0" || !Number.isFinite(reset)) return Option.none()
  return Option.some(Duration.millis(Math.max(0, reset * 1000 - nowMillis) + 1000))
}

/** The rate-limit headers, when the answer carries them. */
export const read = (response: HttpClientResponse.HttpClientResponse): Option.Option<RateLimit> => {
  const { headers } = response
  const rawLimit = headers["x-ratelimit-limit"]
  const rawRemaining = headers["x-ratelimit-remaining"]
  const rawReset = headers["x-ratelimit-reset"]
  if (rawLimit === undefined || rawRemaining === undefined || rawReset === undefined) return Option.none()
  const limit = Number(rawLimit)
  const remaining = Number(rawRemaining)
  const reset = Number(rawReset)
  if (!Number.isFinite(limit) || !Number.isFinite(remaining) || !Number.isFinite(reset)) return Option.none()
  return Option.some({
    limit,
    remaining,
    resetEpochSeconds: reset,
    resource: header(response, "x-ratelimit-resource") ?? "core"
  })
}

/** What to tell the operator when GitHub's limit outlasted the wait the client allows itself. */
export const hint = (response: HttpClientResponse.HttpClientResponse, maxWait: Duration.DurationInput): string => {
  const reset = Number(header(response, "x-ratelimit-reset"))
  const when = Number.isFinite(reset) ? `it resets at ${new Date(reset * 1000).toISOString()}` : "try again later"
  return `GitHub rate limit reached and not lifted within ${Duration.format(Duration.decode(maxWait))}; ${when}`
}
