/**
 * The Slack transport: one HTTP pipeline per destination — an incoming webhook, or the Web API's
 * `chat.postMessage` with a bot token — with a per-attempt timeout and `HttpKit.withRetries` (429 waits
 * `Retry-After`, bounded). Every failure becomes a `NotifierError` whose hint says what to do; none is
 * swallowed (prior-art §8.7). The webhook URL and the token stay `Redacted` and are scrubbed from errors.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { HttpKit, Notifier, type PortError } from "afk-core"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as SlackErrors from "./SlackErrors.js"
import type * as SlackMessage from "./SlackMessage.js"

/** What Slack handed back for a sent message: its `ts` (the Web API only). */
export interface Sent {
  readonly ts?: string | undefined
}

export interface Service {
  /** Posts one message; `threadTs` makes it a reply in that thread (ignored by incoming webhooks). */
  readonly send: (message: SlackMessage.Message, threadTs?: string) => Effect.Effect<Sent, Notifier.NotifierError>
}

export interface TransportOptions {
  /** The retry policy; Slack's default waits at most 30 s for a `Retry-After`. */
  readonly retry?: HttpKit.RetryOptions | undefined
  /** How long one attempt may take before it counts as a dropped connection (default 30 s). */
  readonly timeout?: Duration.DurationInput | undefined
}

export interface WebhookOptions extends TransportOptions {
  /** The incoming webhook URL; it is the credential. */
  readonly webhookUrl: Redacted.Redacted<string>
}

export interface BotOptions extends TransportOptions {
  /** A bot token (`xoxb-…`) with the `chat:write` scope. */
  readonly token: Redacted.Redacted<string>
  /** The channel ID (`C…`) the bot posts into. */
  readonly channel: string
  /** The Web API base URL (default `https://slack.com/api`); tests point it at a fake. */
  readonly apiUrl?: string | undefined
}

export const defaultRetry: HttpKit.RetryOptions = { times: 3, base: "1 second", maxWait: "30 seconds" }

export const defaultApiUrl = "https://slack.com/api"

const PostMessageAnswer = Schema.parseJson(
  Schema.Struct({
    ok: Schema.Boolean,
    ts: Schema.optional(Schema.String),
    error: Schema.optional(Schema.String),
    needed: Schema.optional(Schema.String),
    errors: Schema.optional(Schema.Array(Schema.String))
  })
)

const SlackErrorBody = Schema.parseJson(Schema.Struct({ error: Schema.String }))

const redactedMark = "<redacted>"

const invalidWebhookUrl =
  "the incoming webhook URL is not a valid URL: copy it again from the Slack app's Incoming Webhooks page"

const invalidApiUrl = "the Slack API base URL is not a valid URL: leave it unset for https://slack.com/api"

const scrubber = (secrets: ReadonlyArray<string>) => (text: string): string =>
  secrets.reduce((out, secret) => (secret.length < 4 ? out : out.split(secret).join(redactedMark)), text)

const describeCause = (cause: unknown, depth = 0): string => {
  if (cause instanceof Error) {
    const inner = cause.cause === undefined || depth >= 3 ? "" : ` (${describeCause(cause.cause, depth + 1)})`
    return `${cause.name}: ${cause.message}${inner}`
  }
  return String(cause)
}

const webhookSecrets = (url: string): ReadonlyArray<string> => {
  if (!URL.canParse(url)) return [url]
  const parsed = new URL(url)
  const secret = parsed.pathname
    .split("/")
    .filter((segment) => segment !== "")
    .at(-1) ?? ""
  return [url, parsed.href, `${parsed.pathname}${parsed.search}`, secret]
}

const makeErrors = (secrets: ReadonlyArray<string>) => {
  const scrub = scrubber(secrets)
  return (fields: PortError.Fields & { readonly cause?: unknown }): Notifier.NotifierError =>
    new Notifier.NotifierError({
      operation: fields.operation,
      detail: scrub(fields.detail),
      transient: fields.transient,
      hint: fields.hint === undefined ? undefined : scrub(fields.hint),
      status: fields.status,
      cause: fields.cause === undefined ? undefined : scrub(describeCause(fields.cause))
    })
}

const clientFailure = (
  vendor: HttpKit.Vendor,
  operation: string,
  error: HttpClientError.HttpClientError,
  invalidUrlHint: string
): PortError.Fields & { readonly cause: unknown } => {
  const fields = HttpKit.fromClientError(vendor, operation, error)
  return error._tag === "RequestError" && error.reason === "InvalidUrl" ? { ...fields, hint: invalidUrlHint } : fields
}

const pipeline = <E, R>(
  client: HttpClient.HttpClient.With<E, R>,
  options: TransportOptions
): HttpClient.HttpClient.With<E | HttpClientError.RequestError, R> => {
  const timed = HttpKit.withTimeout(options.timeout ?? "30 seconds")(client)
  return HttpKit.withRetries(options.retry ?? defaultRetry)(timed)
}

const jsonRequest = (url: string, payload: unknown): HttpClientRequest.HttpClientRequest =>
  HttpClientRequest.post(url).pipe(
    HttpClientRequest.acceptJson,
    HttpClientRequest.bodyText(JSON.stringify(payload), "application/json; charset=utf-8")
  )

const common = (message: SlackMessage.Message) => ({
  text: message.text,
  blocks: message.blocks,
  unfurl_links: false,
  unfurl_media: false
})

/** A transport posting through an incoming webhook; it never learns a thread. */
export const makeWebhook = (options: WebhookOptions): Effect.Effect<Service, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const operation = "incoming webhook"
    const vendor: HttpKit.Vendor = { name: "Slack", credential: "incoming webhook URL" }
    const toError = makeErrors(webhookSecrets(Redacted.value(options.webhookUrl)))
    const client = pipeline((yield* HttpClient.HttpClient).pipe(HttpClient.withTracerDisabledWhen(() => true)), options)
    const refused = (response: HttpClientResponse.HttpClientResponse) =>
      Effect.flatMap(
        response.text.pipe(Effect.orElseSucceed(() => "")),
        (body) => Effect.fail(toError(SlackErrors.webhookFailure(vendor, operation, response.status, body.trim())))
      )
    return {
      send: (message) =>
        client.execute(jsonRequest(Redacted.value(options.webhookUrl), common(message))).pipe(
          Effect.catchAll((error) => Effect.fail(toError(clientFailure(vendor, operation, error, invalidWebhookUrl)))),
          Effect.flatMap((response) => (response.status === 200 ? Effect.succeed({}) : refused(response))),
          Effect.withSpan("SlackClient.webhook")
        )
    }
  })

/** A transport posting with `chat.postMessage` as a bot; it returns each message's `ts`. */
export const makeBot = (options: BotOptions): Effect.Effect<Service, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const operation = "chat.postMessage"
    const vendor: HttpKit.Vendor = { name: "Slack", credential: "bot token" }
    const toError = makeErrors([Redacted.value(options.token)])
    const url = `${(options.apiUrl ?? defaultApiUrl).replace(/\/+$/, "")}/chat.postMessage`
    const client = pipeline(
      (yield* HttpClient.HttpClient).pipe(HttpClient.mapRequest(HttpClientRequest.bearerToken(options.token))),
      options
    )
    const context = { channel: options.channel }
    const answered = (response: HttpClientResponse.HttpClientResponse) =>
      Effect.gen(function*() {
        const body = yield* response.text
        if (response.status !== 200) {
          const slack = Schema.decodeUnknownOption(SlackErrorBody)(body)
          if (slack._tag === "Some") {
            return yield* Effect.fail(
              toError(SlackErrors.apiFailure(operation, { ...context, error: slack.value.error }, response.status))
            )
          }
          return yield* Effect.fail(
            toError({
              operation,
              status: response.status,
              detail: `HTTP ${response.status} ${body.replace(/\s+/g, " ").slice(0, 300)}`.trim(),
              transient: HttpKit.isTransientStatus(response.status),
              hint: HttpKit.hintFor(vendor, response.status)
            })
          )
        }
        const answer = yield* Schema.decodeUnknown(PostMessageAnswer)(body).pipe(
          Effect.mapError((cause) =>
            toError({
              operation,
              status: 200,
              detail: "Slack answered with a body that is not a chat.postMessage result",
              transient: true,
              hint: "Slack sent a malformed answer; it will be retried on the next pass",
              cause
            })
          )
        )
        if (!answer.ok) {
          return yield* Effect.fail(toError(SlackErrors.apiFailure(operation, { ...context, ...answer }, 200)))
        }
        return { ts: answer.ts }
      })
    return {
      send: (message, threadTs) =>
        client
          .execute(
            jsonRequest(url, {
              channel: options.channel,
              ...common(message),
              ...(threadTs === undefined ? {} : { thread_ts: threadTs })
            })
          )
          .pipe(
            Effect.flatMap(answered),
            Effect.catchIf(HttpClientError.isHttpClientError, (error) =>
              Effect.fail(toError(clientFailure(vendor, operation, error, invalidApiUrl)))),
            Effect.withSpan("SlackClient.postMessage")
          )
    }
  })
