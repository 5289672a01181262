/**
 * The `Notifier` port: telling a person what happened (Slack, or the console in the demo). A failed send
 * is an error, never swallowed — an escalation that reaches no one is a silent failure (prior-art §8.7).
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { Notification, NotifyReceipt } from "./Domain.js"
import * as PortError from "./PortError.js"

export class NotifierError extends Schema.TaggedError<NotifierError>()("NotifierError", PortError.fields) {
  override get message(): string {
    return PortError.message("Notifier", this)
  }
}

export interface Service {
  /** Sends one notification; returns the thread key under which later messages about the run go. */
  readonly notify: (notification: Notification) => Effect.Effect<NotifyReceipt, NotifierError>
}

export class Notifier extends Context.Tag("afk-core/Notifier")<Notifier, Service>() {}
