/**
 * AFK's `Notifier` over Slack. Two transports, chosen by the options: an incoming webhook URL, or a bot
 * token and a channel through `chat.postMessage`. With the bot, every message about one run goes into one
 * Slack thread: the first message's `ts` comes back as the receipt's `thread`, and a `Notification.thread`
 * handed back later is sent as `thread_ts`, so a channel shows one line per run. The webhook returns no
 * thread. Requires `HttpClient.HttpClient`; runs nothing on import.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Domain from "afk-core/Domain"
import * as Notifier from "afk-core/Notifier"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as SlackClient from "./SlackClient.js"
import * as SlackMessage from "./SlackMessage.js"

interface MessageOptions {
  /**
   * Who to ping on escalations (`needs-human`, `frozen`), in Slack syntax: `<!subteam^S123>` for a user
   * group, `<@U123>` for a person, `<!here>`. Operator config, inserted verbatim.
   */
  readonly mention?: string | undefined
}

/** Post through an incoming webhook (no threads). */
export interface WebhookOptions extends SlackClient.WebhookOptions, MessageOptions {}

/** Post as a bot with `chat.postMessage`, one thread per run. */
export interface BotOptions extends SlackClient.BotOptions, MessageOptions {}

export type Options = WebhookOptions | BotOptions

const isWebhook = (options: Options): options is WebhookOptions => "webhookUrl" in options

/** The Slack notifier, built on the transport the options choose. */
export const make = (options: Options): Effect.Effect<Notifier.Service, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const threaded = !isWebhook(options)
    const client = isWebhook(options) ? yield* SlackClient.makeWebhook(options) : yield* SlackClient.makeBot(options)
    const notify = (notification: Domain.Notification): Effect.Effect<Domain.NotifyReceipt, Notifier.NotifierError> =>
      client.send(SlackMessage.render(notification, { mention: options.mention }), notification.thread).pipe(
        Effect.map((sent): Domain.NotifyReceipt => {
          const thread = threaded ? (notification.thread ?? sent.ts) : undefined
          return thread === undefined ? {} : { thread }
        }),
        Effect.withSpan("SlackNotifier.notify", {
          attributes: { kind: notification.kind, issue: `${notification.issue.repo}#${notification.issue.number}` }
        })
      )
    return Notifier.Notifier.of({ notify })
  })

/** `Notifier` over Slack, from plain options. */
export const layer = (options: Options): Layer.Layer<Notifier.Notifier, never, HttpClient.HttpClient> =>
  Layer.effect(Notifier.Notifier, make(options))

/**
 * `Notifier` over Slack, from `Config` values; the application names the variables, e.g.
 * `layerConfig({ token: Config.redacted("SLACK_BOT_TOKEN"), channel: Config.string("AFK_SLACK_CHANNEL") })`.
 */
export const layerConfig = (
  config: Config.Config.Wrap<Options>
): Layer.Layer<Notifier.Notifier, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.effect(Notifier.Notifier, Effect.flatMap(Config.unwrap(config), make))
