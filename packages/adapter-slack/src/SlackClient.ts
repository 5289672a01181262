/**
 * The Slack transport: one HTTP pipeline per destination — an incoming webhook, or the Web API's
 * `chat.postMessage` with a bot token — with a per-attempt timeout and `HttpKit.withRetries` (429 waits
 * `Retry-After`, bounded). A message is a non-idempotent write: after a 5xx, a reset or a timeout it is not
 * sent again, since Slack may have posted it. Every failure becomes a `NotifierError` whose hint says what
 * to do; none is swallowed (prior-art §8.7). The webhook URL and the token stay `Redacted` and are redacted
 * from errors with `HttpKit.redactFields`.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpKit from "afk-core/HttpKit"
import * as Notifier from "afk-core/Notifier"
import type * as PortError from "afk-core/PortError"
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

const invalidWebhookUrl =
  "the incoming webhook URL is not a valid URL: copy it again from the Slack app's Incoming Webhooks page"

const invalidApiUrl = "the Slack API base URL is not a valid URL: leave it unset for https://slack.com/api"

/** What the next pass does about a message Slack may have posted: Slack offers no way to check. */
const resentNextPass = "the next pass sends it again if the step is still pending (so it may show twice)"

const webhookSecrets = (url: string): ReadonlyArray<Redacted.Redacted<string>> => {
  if (!URL.canParse(url)) return [Redacted.make(url)]
  const parsed = new URL(url)
  const secret = parsed.pathname
    .split("/")
    .filter((segment) => segment !== "")
    .at(-1) ?? ""
  return [url, parsed.href, `${parsed.pathname}${parsed.search}`, secret].map((value) => Redacted.make(value))
}

/** Builds the `NotifierError` of a send, every secret value redacted. */
const makeErrors = (secrets: ReadonlyArray<Redacted.Redacted<string>>) => {
  const redact = HttpKit.redactFields(secrets)
  return (fields: PortError.Fields & { readonly cause?: unknown }): Notifier.NotifierError =>
    new Notifier.NotifierError(redact(fields))
}

/** An answer that leaves unknown whether Slack posted the message (5xx, 408) says so. */
const settled = (vendor: HttpKit.Vendor, fields: PortError.Fields): PortError.Fields =>
  fields.status !== undefined && HttpKit.isUnsettledStatus(fields.status)
    ? HttpKit.mayHaveApplied(vendor, fields, resentNextPass)
    : fields

const clientFailure = (
  vendor: HttpKit.Vendor,
  operation: string,
  error: HttpClientError.HttpClientError,
  invalidUrlHint: string
): PortError.Fields & { readonly cause: unknown } => {
  const fields = HttpKit.fromClientError(vendor, operation, error, { idempotent: false, next: resentNextPass })
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
    const secrets = webhookSecrets(Redacted.value(options.webhookUrl))
    const toError = makeErrors(secrets)
    const client = pipeline((yield* HttpClient.HttpClient).pipe(HttpClient.withTracerDisabledWhen(() => true)), options)
    const refused = (response: HttpClientResponse.HttpClientResponse) =>
      Effect.flatMap(
        response.text.pipe(Effect.orElseSucceed(() => "")),
        (body) =>
          Effect.fail(
            toError(
              settled(
                vendor,
                SlackErrors.webhookFailure(vendor, operation, response.status, HttpKit.redact(secrets)(body.trim()))
              )
            )
          )
      )
    return {
      send: (message) =>
        client.execute(jsonRequest(Redacted.value(options.webhookUrl), common(message))).pipe(
          HttpKit.nonIdempotent,
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
    const secrets = [options.token]
    const toError = makeErrors(secrets)
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
              toError(
                settled(
                  vendor,
                  SlackErrors.apiFailure(operation, { ...context, error: slack.value.error }, response.status)
                )
              )
            )
          }
          return yield* Effect.fail(
            toError(
              settled(vendor, {
                operation,
                status: response.status,
                detail: `HTTP ${response.status} ${HttpKit.redact(secrets)(body).replace(/\s+/g, " ").slice(0, 300)}`
                  .trim(),
                transient: HttpKit.isTransientStatus(response.status),
                hint: HttpKit.hintFor(vendor, response.status)
              })
            )
          )
        }
        const answer = yield* Schema.decodeUnknown(PostMessageAnswer)(body).pipe(
          Effect.mapError((cause) =>
            toError(
              HttpKit.mayHaveApplied(
                vendor,
                {
                  operation,
                  status: 200,
                  detail: "Slack answered with a body that is not a chat.postMessage result (a malformed answer)",
                  transient: true,
                  cause
                },
                resentNextPass
              )
            )
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
            HttpKit.nonIdempotent,
            Effect.flatMap(answered),
            Effect.catchIf(HttpClientError.isHttpClientError, (error) =>
              Effect.fail(toError(clientFailure(vendor, operation, error, invalidApiUrl)))),
            Effect.withSpan("SlackClient.postMessage")
          )
    }
  })
