/**
 * The outgoing requests of `afk-cli serve`, counted: the HTTP client every port is built on, wrapped so each
 * attempt (retries included) is counted by service and outcome, and the rate limit the forge last reported is
 * kept as a gauge. The service is one of AFK's words, chosen by comparing the request's origin with the
 * configured ones; no URL, path or header value ever becomes a label (a Slack webhook URL is a secret).
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import type * as Config from "afk-core/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"

/** Which of AFK's peers a request went to. */
export type Service = "github" | "forgejo" | "t3" | "slack" | "other"

/** What became of one attempt. */
export type Result =
  | "ok"
  | "not_modified"
  | "rate_limited"
  | "client_error"
  | "server_error"
  | "unreachable"

/** Requests sent, by service and result. */
export const requests = Metric.counter("afk_http_requests_total", {
  description: "HTTP requests AFK sent (each attempt), by service and result"
})

/** `x-ratelimit-remaining` as the service last reported it. */
export const rateLimitRemaining = Metric.gauge("afk_rate_limit_remaining", {
  description: "requests left in the current rate-limit window, as the service last reported"
})

const origin = (url: string): string | undefined => {
  try {
    return new URL(url).origin
  } catch {
    return undefined
  }
}

/** Maps a request URL to its service, from the configured base URLs (Slack's API host is always Slack's). */
export const classify = (config: Config.AfkConfig): (url: string) => Service => {
  const known = new Map<string, Service>()
  const add = (url: string | undefined, service: Service) => {
    const key = url === undefined ? undefined : origin(url)
    if (key !== undefined && !known.has(key)) known.set(key, service)
  }
  add(config.t3.url, "t3")
  if (config.tracker.kind === "github") add(config.tracker.githubApi, "github")
  else add(Option.getOrUndefined(config.tracker.forgejoApi), "forgejo")
  add(Option.getOrUndefined(Option.map(config.slack.webhookUrl, Redacted.value)), "slack")
  add("https://slack.com", "slack")
  add("https://hooks.slack.com", "slack")
  return (url) => known.get(origin(url) ?? "") ?? "other"
}

/** The result of an answered request. */
export const resultOf = (response: HttpClientResponse.HttpClientResponse): Result => {
  const status = response.status
  if (status === 304) return "not_modified"
  if (status === 429 || (status === 403 && response.headers["x-ratelimit-remaining"] === "0")) return "rate_limited"
  if (status >= 500) return "server_error"
  if (status >= 400) return "client_error"
  return "ok"
}

const count = (service: Service, result: Result) =>
  Metric.increment(Metric.tagged(Metric.tagged(requests, "service", service), "result", result))

const remaining = (service: Service, response: HttpClientResponse.HttpClientResponse) => {
  const left = Number(response.headers["x-ratelimit-remaining"] ?? Number.NaN)
  return Number.isFinite(left)
    ? Metric.set(Metric.tagged(rateLimitRemaining, "service", service), left)
    : Effect.void
}

/** `http` with every request counted (`afk_http_requests_total`) and rate limits observed. */
export const counted = (
  config: Config.AfkConfig,
  http: Layer.Layer<HttpClient.HttpClient>
): Layer.Layer<HttpClient.HttpClient> => {
  const serviceOf = classify(config)
  return Layer.effect(
    HttpClient.HttpClient,
    Effect.map(HttpClient.HttpClient, (client) =>
      HttpClient.transform(client, (effect, request) => {
        const service = serviceOf(request.url)
        return effect.pipe(
          Effect.tap((response) => Effect.zipRight(count(service, resultOf(response)), remaining(service, response))),
          Effect.tapError(() => count(service, "unreachable"))
        )
      }))
  ).pipe(Layer.provide(http))
}
