/**
 * afk-adapter-slack: the `Notifier` over Slack, by bot token (one thread per run) or incoming webhook.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { SlackNotifier } from "afk-adapter-slack"
import type { Notifier } from "afk-core"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"

/** `chat.postMessage` as a bot: `SLACK_BOT_TOKEN` (scope `chat:write`) into the channel `AFK_SLACK_CHANNEL`. */
export const SlackBot: Layer.Layer<Notifier.Notifier, ConfigError.ConfigError> = SlackNotifier.layerConfig({
  token: Config.redacted("SLACK_BOT_TOKEN"),
  channel: Config.string("AFK_SLACK_CHANNEL"), // a channel ID, C…
  mention: Config.option(Config.string("AFK_SLACK_MENTION")).pipe(Config.map(Option.getOrUndefined))
}).pipe(Layer.provide(NodeHttpClient.layerUndici))

/** An incoming webhook: `SLACK_WEBHOOK_URL` (the URL is the credential; no threads). */
export const SlackWebhook: Layer.Layer<Notifier.Notifier, ConfigError.ConfigError> = SlackNotifier.layerConfig({
  webhookUrl: Config.redacted("SLACK_WEBHOOK_URL")
}).pipe(Layer.provide(NodeHttpClient.layerUndici))
