/**
 * A loopback Slack for tests and the simulated world: a small `node:http` server on 127.0.0.1 (port 0)
 * that speaks an incoming webhook and the Web API's `chat.postMessage` with Slack's real answer shapes —
 * `{ ok: true, channel, ts, message }`, `ok: false` codes (`not_authed`, `invalid_auth`, `missing_scope`
 * with `needed`, `channel_not_found`, `not_in_channel`, `is_archived`, `no_text`, `invalid_blocks`), the
 * webhook's bare-word HTTP errors (`invalid_payload`, `no_service`, `channel_not_found`,
 * `channel_is_archived`), and `missing_charset` warnings. Faults are scripted per request (429 with
 * `Retry-After`, any Slack error, any status, a reset connection, a message posted whose answer is lost).
 * Every accepted message is recorded.
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as BlockKitRules from "./BlockKitRules.js"

export type Endpoint = "api" | "webhook"

/** How a channel treats the bot: it posts into `member` channels only. */
export type ChannelState = "member" | "not-in-channel" | "archived"

export interface Options {
  /** The bot token the Web API accepts (default `xoxb-afk-fake-token`). */
  readonly token?: string
  /** The token's scopes; without `chat:write`, posting fails with `missing_scope` (default `["chat:write"]`). */
  readonly scopes?: ReadonlyArray<string>
  /** The workspace's channels (default `{ C0AFKTEST: "member" }`). */
  readonly channels?: Readonly<Record<string, ChannelState>>
  /** The channel the incoming webhook posts into (default: the first channel). */
  readonly webhookChannel?: string
}

/** A scripted answer for one upcoming request, instead of the normal one. */
export type Fault = Data.TaggedEnum<{
  /** HTTP 429 with `Retry-After` (seconds); `{"ok":false,"error":"ratelimited"}` or `rate_limited`. */
  RateLimited: { readonly retryAfter: number }
  /** A Slack error code: `ok: false` JSON for the Web API (status 200), a bare word for a webhook (400). */
  SlackError: { readonly error: string; readonly needed?: string; readonly status?: number }
  /** Any status with a raw body (e.g. 500 `rollup_error`, a proxy's 502 page). */
  HttpStatus: { readonly status: number; readonly body: string }
  /** The connection is destroyed without an answer. */
  Reset: {}
  /** The message is posted, then its answer is lost: the connection is destroyed, or `status` replaces it. */
  Lost: { readonly status?: number }
}>

export const Fault = Data.taggedEnum<Fault>()

/** One message Slack accepted. */
export interface Posted {
  readonly via: Endpoint
  readonly channel: string
  readonly ts: string
  readonly threadTs?: string | undefined
  readonly text?: string | undefined
  readonly blocks?: ReadonlyArray<unknown> | undefined
  /** The decoded request body, as sent. */
  readonly payload: Readonly<Record<string, unknown>>
  readonly contentType: string
  /** Warnings Slack would attach to the answer (e.g. `missing_charset`). */
  readonly warnings: ReadonlyArray<string>
}

/** One request as it arrived, with the status it got (a reset connection reads as status 0). */
export interface Received {
  readonly via: Endpoint | "other"
  readonly status: number
}

export interface Service {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  /** The Web API base URL to configure (`<url>/api`). */
  readonly apiUrl: string
  /** The incoming webhook URL to configure. */
  readonly webhookUrl: string
  readonly token: string
  /** The first channel of the workspace. */
  readonly channel: string
  readonly posted: Effect.Effect<ReadonlyArray<Posted>>
  readonly received: Effect.Effect<ReadonlyArray<Received>>
  /** Scripts the answer to the next request (to `endpoint`, or to either). Faults queue up in order. */
  readonly failNext: (fault: Fault, endpoint?: Endpoint) => Effect.Effect<void>
  /** Creates, changes or (with `undefined`) deletes a channel. */
  readonly setChannel: (channel: string, state: ChannelState | undefined) => Effect.Effect<void>
}

export class SlackFake extends Context.Tag("afk-adapter-slack/testing/SlackFake")<SlackFake, Service>() {}

const webhookPath = "/services/T0AFKTEST/B0AFKTEST/afkFakeWebhookSecret0000"

interface Answer {
  readonly status: number
  readonly body: string
  readonly headers?: Readonly<Record<string, string>>
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => ({
  status,
  body: JSON.stringify(body),
  headers: { "content-type": "application/json; charset=utf-8", ...headers }
})

const word = (status: number, body: string, headers: Record<string, string> = {}): Answer => ({
  status,
  body,
  headers: { "content-type": "text/html", ...headers }
})

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const parseBody = (contentType: string, body: string): Record<string, unknown> | "invalid" => {
  try {
    if (contentType.startsWith("application/json")) {
      const parsed: unknown = JSON.parse(body)
      return isRecord(parsed) ? parsed : "invalid"
    }
    if (contentType.startsWith("application/x-www-form-urlencoded")) {
      const form = Object.fromEntries(new URLSearchParams(body))
      const embedded = form.payload === undefined ? form : JSON.parse(form.payload)
      if (!isRecord(embedded)) return "invalid"
      return typeof embedded.blocks === "string" ? { ...embedded, blocks: JSON.parse(embedded.blocks) } : embedded
    }
  } catch {
    return "invalid"
  }
  return "invalid"
}

const faultAnswer = (fault: Fault, via: Endpoint): Answer | "reset" =>
  Fault.$match(fault, {
    RateLimited: ({ retryAfter }) =>
      via === "api"
        ? json(429, { ok: false, error: "ratelimited" }, { "retry-after": String(retryAfter) })
        : word(429, "rate_limited", { "retry-after": String(retryAfter) }),
    SlackError: ({ error, needed, status }) =>
      via === "api"
        ? json(status ?? 200, { ok: false, error, ...(needed === undefined ? {} : { needed, provided: "" }) })
        : word(status ?? 400, error),
    HttpStatus: ({ status, body }) => word(status, body),
    Reset: () => "reset" as const,
    Lost: () => "reset" as const
  })

const makeState = (options: Options) => {
  const channels = new Map<string, ChannelState>(Object.entries(options.channels ?? { C0AFKTEST: "member" }))
  const firstChannel = channels.keys().next().value ?? "C0AFKTEST"
  const token = options.token ?? "xoxb-afk-fake-token"
  const scopes = options.scopes ?? ["chat:write"]
  const webhookChannel = options.webhookChannel ?? firstChannel
  const posted: Array<Posted> = []
  const received: Array<Received> = []
  const faults: Array<{ readonly fault: Fault; readonly endpoint: Endpoint | undefined }> = []
  let counter = 0
  const nextTs = () => {
    counter++
    return `${1_700_000_000 + counter}.${String(counter * 100).padStart(6, "0")}`
  }

  const takeFault = (via: Endpoint): Fault | undefined => {
    const index = faults.findIndex((entry) => entry.endpoint === undefined || entry.endpoint === via)
    return index === -1 ? undefined : faults.splice(index, 1)[0]?.fault
  }

  const content = (payload: Record<string, unknown>) => ({
    text: typeof payload.text === "string" && payload.text !== "" ? payload.text : undefined,
    blocks: Array.isArray(payload.blocks) ? (payload.blocks as ReadonlyArray<unknown>) : undefined
  })

  const postMessage = (headers: Http.IncomingHttpHeaders, body: string): Answer => {
    const refuse = (error: string, extra: Record<string, unknown> = {}) => json(200, { ok: false, error, ...extra })
    const bearer = /^Bearer\s+(\S+)$/.exec(headers.authorization ?? "")?.[1]
    if (bearer === undefined) return refuse("not_authed")
    if (bearer !== token) return refuse("invalid_auth")
    const contentType = headers["content-type"] ?? ""
    const payload = parseBody(contentType, body)
    if (payload === "invalid") {
      return refuse(contentType.startsWith("application/json") ? "invalid_json" : "invalid_form_data")
    }
    if (!scopes.includes("chat:write")) {
      return refuse("missing_scope", { needed: "chat:write", provided: scopes.join(",") })
    }
    const channel = typeof payload.channel === "string" ? payload.channel : ""
    const state = channels.get(channel)
    if (state === undefined) return refuse("channel_not_found")
    if (state === "not-in-channel") return refuse("not_in_channel")
    if (state === "archived") return refuse("is_archived")
    const { text, blocks } = content(payload)
    if (text === undefined && blocks === undefined) return refuse("no_text")
    const blockErrors = blocks === undefined ? [] : BlockKitRules.validate(payload.blocks)
    if (blockErrors.length > 0) {
      return refuse("invalid_blocks", {
        errors: blockErrors,
        response_metadata: { messages: blockErrors.map((error) => `[ERROR] ${error}`) }
      })
    }
    if ((text?.length ?? 0) > 40_000) return refuse("msg_too_long")
    const warnings = contentType.startsWith("application/json") && !/charset=utf-8/i.test(contentType)
    const ts = nextTs()
    const threadTs = typeof payload.thread_ts === "string" ? payload.thread_ts : undefined
    posted.push({
      via: "api",
      channel,
      ts,
      threadTs,
      text,
      blocks,
      payload,
      contentType,
      warnings: warnings ? ["missing_charset"] : []
    })
    return json(200, {
      ok: true,
      channel,
      ts,
      message: {
        type: "message",
        subtype: "bot_message",
        user: "U0AFKBOT",
        bot_id: "B0AFKBOT",
        app_id: "A0AFKAPP",
        team: "T0AFKTEST",
        ts,
        text: text ?? "",
        ...(blocks === undefined ? {} : { blocks }),
        ...(threadTs === undefined ? {} : { thread_ts: threadTs, parent_user_id: "U0AFKBOT" })
      },
      ...(warnings ? { warning: "missing_charset", response_metadata: { warnings: ["missing_charset"] } } : {})
    })
  }

  const webhook = (headers: Http.IncomingHttpHeaders, body: string): Answer => {
    const state = channels.get(webhookChannel)
    if (state === undefined) return word(404, "channel_not_found")
    if (state === "archived") return word(410, "channel_is_archived")
    const contentType = headers["content-type"] ?? ""
    const payload = parseBody(contentType, body)
    if (payload === "invalid") return word(400, "invalid_payload")
    const { text, blocks } = content(payload)
    if (text === undefined && blocks === undefined) return word(400, "no_text")
    if (blocks !== undefined && BlockKitRules.validate(payload.blocks).length > 0) return word(400, "invalid_blocks")
    const threadTs = typeof payload.thread_ts === "string" ? payload.thread_ts : undefined
    posted.push({
      via: "webhook",
      channel: webhookChannel,
      ts: nextTs(),
      threadTs,
      text,
      blocks,
      payload,
      contentType,
      warnings: []
    })
    return word(200, "ok")
  }

  const answer = (request: Http.IncomingMessage, body: string): [Endpoint | "other", Answer | "reset"] => {
    const path = (request.url ?? "/").split("?")[0] ?? "/"
    const via: Endpoint | "other" = path === "/api/chat.postMessage"
      ? "api"
      : path === webhookPath
      ? "webhook"
      : "other"
    if (request.method !== "POST") return [via, word(405, "method_not_allowed")]
    if (via === "other") {
      return [
        via,
        path.startsWith("/api/")
          ? json(404, { ok: false, error: "unknown_method", req_method: path.slice(5) })
          : word(404, "no_service")
      ]
    }
    const fault = takeFault(via)
    const normal = () => via === "api" ? postMessage(request.headers, body) : webhook(request.headers, body)
    if (fault?._tag === "Lost") {
      normal()
      return [via, fault.status === undefined ? "reset" : word(fault.status, "upstream connect error")]
    }
    if (fault !== undefined) return [via, faultAnswer(fault, via)]
    return [via, normal()]
  }

  return { channels, firstChannel, token, posted, received, faults, answer }
}

const listen = (server: Http.Server): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port))
  })

const close = (server: Http.Server): Promise<void> =>
  new Promise((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })

/** Starts the fake; it stops when the scope closes. */
export const make = (options: Options = {}): Effect.Effect<Service, never, Scope.Scope> =>
  Effect.gen(function*() {
    const state = makeState(options)
    const server = Http.createServer((request, response) => {
      const chunks: Array<Buffer> = []
      request.on("data", (chunk: Buffer) => chunks.push(chunk))
      request.on("end", () => {
        const [via, answer] = state.answer(request, Buffer.concat(chunks).toString("utf8"))
        state.received.push({ via, status: answer === "reset" ? 0 : answer.status })
        if (answer === "reset") {
          request.socket.destroy()
          return
        }
        response.writeHead(answer.status, answer.headers ?? {})
        response.end(answer.body)
      })
    })
    const port = yield* Effect.acquireRelease(
      Effect.promise(() => listen(server)),
      () => Effect.promise(() => close(server))
    )
    const url = `http://127.0.0.1:${port}`
    return {
      url,
      apiUrl: `${url}/api`,
      webhookUrl: `${url}${webhookPath}`,
      token: state.token,
      channel: state.firstChannel,
      posted: Effect.sync(() => [...state.posted]),
      received: Effect.sync(() => [...state.received]),
      failNext: (fault, endpoint) => Effect.sync(() => void state.faults.push({ fault, endpoint })),
      setChannel: (channel, channelState) =>
        Effect.sync(() => {
          if (channelState === undefined) state.channels.delete(channel)
          else state.channels.set(channel, channelState)
        })
    }
  })

/** The fake as a layer (started when the layer is built, stopped when it is released). */
export const layer = (options: Options = {}): Layer.Layer<SlackFake> => Layer.scoped(SlackFake, make(options))
