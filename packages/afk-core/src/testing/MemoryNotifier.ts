/**
 * An in-memory `Notifier` that records every notification and can be taken down, so tests can assert
 * who was told what, and that an escalation sent while it was down is delivered once it is back.
 */
import * as Effect from "effect/Effect"
import type { Notification } from "../Domain.js"
import { NotifierError, type Service } from "../Notifier.js"

export interface MemoryNotifier {
  readonly service: Service
  readonly sent: ReadonlyArray<Notification>
  /** While true every send fails (transient), like a chat service that is down. */
  down: boolean
  hook: (op: string, isWrite: boolean) => Effect.Effect<void, NotifierError>
  afterWrite: (op: string) => Effect.Effect<void>
}

export const make = Effect.sync(() => {
  const sent: Array<Notification> = []
  const notifier: MemoryNotifier = {
    sent,
    down: false,
    hook: () => Effect.void,
    afterWrite: () => Effect.void,
    service: {
      notify: (notification) =>
        Effect.suspend(() => notifier.hook("notify", true)).pipe(
          Effect.zipRight(
            Effect.suspend(() => {
              if (notifier.down) {
                return Effect.fail(
                  new NotifierError({ operation: "notify", detail: "notifier is down", transient: true })
                )
              }
              sent.push(notification)
              return Effect.succeed({ thread: notification.thread ?? `thread-${notification.issue}` })
            })
          ),
          Effect.tap(() => notifier.afterWrite("notify"))
        )
    }
  }
  return notifier
})
