/**
 * Traces, metrics and logs of `afk-cli serve` to an OpenTelemetry collector, through Effect's own OTLP
 * exporter (`@effect/opentelemetry/Otlp`, JSON over the CLI's HTTP client), only when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` is set: the standard variables of the OpenTelemetry SDKs are read
 * (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_SERVICE_NAME`). The exporter is loaded
 * only then, so no other start pays for it.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/** `k1=v1,k2=v2` as the OpenTelemetry SDKs read `OTEL_EXPORTER_OTLP_HEADERS` (values URL-encoded). */
export const headers = (text: string | undefined): Record<string, string> =>
  Object.fromEntries(
    (text ?? "").split(",").flatMap((pair) => {
      const at = pair.indexOf("=")
      if (at <= 0) return []
      const decode = (part: string) => {
        try {
          return decodeURIComponent(part.trim())
        } catch {
          return part.trim()
        }
      }
      return [[decode(pair.slice(0, at)), decode(pair.slice(at + 1))]]
    })
  )

const endpointIn = (env: Record<string, string | undefined>) => env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() ?? ""

/**
 * Whether `env` names a collector. Only then are spans made: `afk-cli` runs its commands with Effect's tracer
 * off (each HTTP request would make a span, record its attributes and send trace headers, for nobody).
 */
export const enabled = (env: Record<string, string | undefined>): boolean => endpointIn(env) !== ""

/** The exporter for `env` over `http`, or nothing when `OTEL_EXPORTER_OTLP_ENDPOINT` is unset or blank. */
export const layer = (
  env: Record<string, string | undefined>,
  http: Layer.Layer<HttpClient.HttpClient>,
  version: string
): Layer.Layer<never> => {
  const endpoint = endpointIn(env)
  if (endpoint === "") return Layer.empty
  return Layer.unwrapEffect(
    Effect.map(Effect.promise(() => import("@effect/opentelemetry/Otlp")), (Otlp) =>
      Otlp.layerJson({
        baseUrl: endpoint,
        resource: { serviceName: env.OTEL_SERVICE_NAME?.trim() || "afk-cli", serviceVersion: version },
        headers: headers(env.OTEL_EXPORTER_OTLP_HEADERS)
      }).pipe(Layer.provide(http)))
  )
}
