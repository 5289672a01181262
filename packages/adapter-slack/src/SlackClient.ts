/**
 * The Slack transport: one `HttpKit.client` per destination — an incoming webhook, or the Web API's
 * `chat.postMessage` with a bot token — with a per-attempt timeout and Slack's retry policy (429 waits
 * `Retry-After`, bounded). A message is a non-idempotent write: after a 5xx, a reset or a timeout it is not
 * sent again, since Slack may have posted it. What is Slack's own: a webhook's plain-text error codes, the
 * Web API's `{ error }` bodies and its `ok: false` on a 200. Every failure becomes a `NotifierError` whose
 * hint says what to do; none is swallowed (prior-art §8.7). The webhook URL and the token stay `Redacted`
 * and are redacted from every error.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpFailure from "afk-core/HttpFailure"
import * as HttpKit from "afk-core/HttpKit"
import * as Notifier from "afk-core/Notifier"
import type * as PortError from "afk-core/PortError"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
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

const PostMessageAnswer = Schema.Struct({
  ok: Schema.Boolean,
  ts: Schema.optional(Schema.String),
  error: Schema.optional(Schema.String),
  needed: Schema.optional(Schema.String),
  errors: Schema.optional(Schema.Array(Schema.String))
})

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

/** A message is a non-idempotent write: sent again only after a refusal (`HttpKit.nonIdempotent`). */
const post = (operation: string): HttpKit.Call => ({ operation, idempotent: false })

const invalidUrl = (fields: HttpKit.ErrorFields, failure: HttpKit.Failure, hint: string): HttpKit.ErrorFields =>
  failure._tag === "Unreachable" && failure.error._tag === "RequestError" && failure.error.reason === "InvalidUrl"
    ? { ...fields, hint }
    : fields

/** The Slack client: a per-attempt timeout, Slack's retry policy, errors whose unsettled writes say so. */
const slackClient = (
  vendor: HttpFailure.Vendor,
  options: TransportOptions,
  rest: Pick<
    HttpKit.ClientOptions<Notifier.NotifierError, HttpKit.Call>,
    "authorize" | "secrets" | "refine" | "transform"
  >
) =>
  HttpKit.client<Notifier.NotifierError, HttpKit.Call>({
    vendor,
    retry: options.retry ?? defaultRetry,
    timeout: options.timeout ?? "30 seconds",
    next: resentNextPass,
    error: (fields) => new Notifier.NotifierError(fields),
    ...rest
  })

/** An answer that leaves unknown whether Slack posted the message (5xx, 408) says so. */
const settled = (vendor: HttpFailure.Vendor, fields: PortError.Fields): PortError.Fields =>
  fields.status !== undefined && HttpFailure.isUnsettledStatus(fields.status)
    ? HttpFailure.mayHaveApplied(vendor, fields, resentNextPass)
    : fields

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
    const call = post("incoming webhook")
    const vendor: HttpFailure.Vendor = { name: "Slack", credential: "incoming webhook URL" }
    const secrets = webhookSecrets(Redacted.value(options.webhookUrl))
    const client = yield* slackClient(vendor, options, {
      secrets,
      transform: HttpClient.withTracerDisabledWhen(() => true),
      refine: (_call, failure, fields) =>
        failure._tag === "Answer"
          ? Effect.map(failure.response.text.pipe(Effect.orElseSucceed(() => "")), (body) =>
            settled(
              vendor,
              SlackErrors.webhookFailure(
                vendor,
                call.operation,
                fields.status ?? 0,
                HttpFailure.redact(secrets)(body.trim())
              )
            ))
          : Effect.succeed(invalidUrl(fields, failure, invalidWebhookUrl))
    })
    return {
      send: (message) =>
        client.execute(call, jsonRequest(Redacted.value(options.webhookUrl), common(message))).pipe(
          Effect.as({}),
          Effect.withSpan("SlackClient.webhook")
        )
    }
  })

/** A transport posting with `chat.postMessage` as a bot; it returns each message's `ts`. */
export const makeBot = (options: BotOptions): Effect.Effect<Service, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const call = post("chat.postMessage")
    const vendor: HttpFailure.Vendor = { name: "Slack", credential: "bot token" }
    const url = `${(options.apiUrl ?? defaultApiUrl).replace(/\/+$/, "")}/chat.postMessage`
    const context = { channel: options.channel }
    const client = yield* slackClient(vendor, options, {
      authorize: HttpKit.authorization("Bearer", options.token),
      secrets: [options.token],
      refine: (_call, failure, fields) =>
        failure._tag === "Answer"
          ? Effect.map(failure.response.text.pipe(Effect.orElseSucceed(() => "")), (body) =>
            Option.match(Schema.decodeUnknownOption(SlackErrorBody)(body), {
              onNone: () =>
                fields,
              onSome: ({ error }) =>
                settled(vendor, SlackErrors.apiFailure(call.operation, { ...context, error }, failure.response.status))
            }))
          : Effect.succeed(invalidUrl(fields, failure, invalidApiUrl))
    })
    return {
      send: (message, threadTs) => {
        const request = jsonRequest(url, {
          channel: options.channel,
          ...common(message),
          ...(threadTs === undefined ? {} : { thread_ts: threadTs })
        })
        return client.json(PostMessageAnswer)(call, request).pipe(
          Effect.flatMap((answer) =>
            answer.ok
              ? Effect.succeed({ ts: answer.ts })
              : Effect.fail(
                client.fail(request, SlackErrors.apiFailure(call.operation, { ...context, ...answer }, 200))
              )
          ),
          Effect.withSpan("SlackClient.postMessage")
        )
      }
    }
  })
