/**
 * The HTTP routes of `afk-cli serve`: `POST /webhooks/github` and `POST /webhooks/forgejo` take deliveries,
 * `GET /healthz`, `/readyz` and `/metrics` answer probes and scrapers. A delivery is answered as soon as it
 * is verified and read (202), and only hints the loop; nothing of it is echoed back, logged or used as a label.
 * 503 without a secret, 413 over the size limit, 401 on a bad or missing signature (nothing else is done), 400
 * on a missing delivery id or a body that is not a JSON object, 202 for a repeated delivery (taken once) or
 * an event AFK does not act on.
 */
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as http from "node:http"
import * as Metrics from "./Metrics.js"
import type * as Reconcile from "./Reconcile.js"
import * as Webhook from "./Webhook.js"

/** GitHub caps a delivery's payload at 25 MB; anything larger is refused unread. */
export const maxBodyBytes = 25 * 1024 * 1024

export interface Options {
  readonly secret: Option.Option<Redacted.Redacted>
  readonly allowlist: ReadonlyArray<string>
  readonly loop: Reconcile.Loop
  readonly seen: Webhook.Seen
  readonly maxBodyBytes?: number
}

const readBody = (message: http.IncomingMessage, limit: number): Effect.Effect<Uint8Array | "too large" | "aborted"> =>
  Effect.async((resume) => {
    const declared = Number(message.headers["content-length"])
    if (Number.isFinite(declared) && declared > limit) {
      message.resume()
      return resume(Effect.succeed("too large" as const))
    }
    const chunks: Array<Buffer> = []
    let size = 0
    const stop = () => {
      message.off("data", onData)
      message.off("end", onEnd)
      message.off("error", onError)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= limit) return void chunks.push(chunk)
      stop()
      message.resume()
      resume(Effect.succeed("too large" as const))
    }
    const onEnd = () => {
      stop()
      resume(Effect.succeed(Buffer.concat(chunks)))
    }
    const onError = () => {
      stop()
      resume(Effect.succeed("aborted" as const))
    }
    message.on("data", onData)
    message.on("end", onEnd)
    message.on("error", onError)
    return Effect.sync(stop)
  })

type Result = "accepted" | "duplicate" | "ignored" | "malformed" | "too_large" | "unauthorized" | "unavailable"

const answer = (forge: Webhook.Forge, status: number, result: Result, reason?: string) =>
  Metric.increment(Metric.tagged(Metric.tagged(Metrics.deliveries, "forge", forge), "result", result)).pipe(
    Effect.as(HttpServerResponse.unsafeJson(reason === undefined ? { result } : { result, reason }, { status }))
  )

const webhook = (options: Options, forge: Webhook.Forge, request: HttpServerRequest.HttpServerRequest) =>
  Effect.gen(function*() {
    if (Option.isNone(options.secret)) {
      return yield* answer(
        forge,
        503,
        "unavailable",
        "AFK_WEBHOOK_SECRET is not set, so no delivery can be verified and none is taken; set it to the webhook's secret"
      )
    }
    const message = NodeHttpServerRequest.toIncomingMessage(request)
    const limit = options.maxBodyBytes ?? maxBodyBytes
    const body = yield* readBody(message, limit)
    if (body === "aborted") return yield* answer(forge, 400, "malformed", "the body was cut short")
    if (body === "too large") {
      return yield* answer(forge, 413, "too_large", `the body is over ${Math.round(limit / 1024 / 1024)} MB`)
    }
    const refused = Webhook.refuseSignature(forge, message.headers, body, Redacted.value(options.secret.value))
    if (refused !== undefined) {
      yield* Effect.logWarning(`webhook ${forge}: refused (401): ${refused}`)
      return yield* answer(forge, 401, "unauthorized", refused)
    }
    const identity = Webhook.identify(forge, message.headers)
    if (typeof identity === "string") return yield* answer(forge, 400, "malformed", identity)
    const subject = `webhook ${forge} ${identity.event} ${identity.id}`
    if (!options.seen.first(identity.id)) {
      yield* Effect.logInfo(`${subject}: a repeated delivery, already taken`)
      return yield* answer(forge, 202, "duplicate", "this delivery was already taken")
    }
    const meaning = Webhook.meaning(forge, identity.event, body, options.allowlist)
    if (meaning._tag === "Malformed") return yield* answer(forge, 400, "malformed", meaning.reason)
    if (meaning._tag === "Ignored") {
      yield* Effect.logDebug(`${subject}: ignored (${meaning.reason})`)
      return yield* answer(forge, 202, "ignored", meaning.reason)
    }
    yield* options.loop.hint(meaning.hint, meaning.repo)
    yield* Effect.logInfo(`${subject}: a ${meaning.hint === "tick" ? "tick" : "watch pass"} is due`)
    return yield* answer(forge, 202, "accepted")
  })

const routes: Record<string, "GET" | "POST"> = {
  "/healthz": "GET",
  "/readyz": "GET",
  "/metrics": "GET",
  "/webhooks/github": "POST",
  "/webhooks/forgejo": "POST"
}

/** The server's one handler. */
export const app = (options: Options) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const path = new URL(request.url, "http://afk.invalid").pathname
    const method = routes[path]
    if (method === undefined) return HttpServerResponse.text("not found\n", { status: 404 })
    if (request.method !== method) {
      return HttpServerResponse.text(`use ${method}\n`, { status: 405, headers: { allow: method } })
    }
    switch (path) {
      case "/healthz":
        return HttpServerResponse.text("ok\n")
      case "/readyz": {
        const readiness = yield* options.loop.readiness
        return HttpServerResponse.text(`${readiness.reason}\n`, { status: readiness.ready ? 200 : 503 })
      }
      case "/metrics":
        return HttpServerResponse.text(yield* Metrics.render, { contentType: "text/plain; version=0.0.4" })
      default:
        return yield* webhook(options, path === "/webhooks/github" ? "github" : "forgejo", request)
    }
  })
