/** Known token and webhook values, driven through every failure path, never surface (quality R5). */
import { describe, expect, it } from "@effect/vitest"
import { type Domain, Notifier } from "afk-core"
import { Renderings } from "afk-core/testing"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { inspect } from "node:util"
import { SlackFake } from "../src/testing/index.js"
import { botNotifier, noRetry, notification, recordingSpans, webhookNotifier } from "./fixtures.js"

const { Fault } = SlackFake

const token = "xoxb-1111-2222-KnownSecretTokenValue"
const wrongToken = "xoxb-9999-8888-AnotherSecretTokenValue"
const webhookSecret = "afkFakeWebhookSecret0000"

const everyRendering = (error: Notifier.NotifierError): string =>
  [Renderings.everyRendering(error), JSON.stringify(Schema.encodeSync(Notifier.NotifierError)(error))].join("\n")

type Send = (fake: SlackFake.Service) => Effect.Effect<Notifier.Service, never, Scope.Scope>

interface Path {
  readonly name: string
  readonly arrange: (fake: SlackFake.Service) => Effect.Effect<void>
}

const closedFake = Effect.scoped(SlackFake.make({ token }))

const bot: Send = (fake) => botNotifier(fake, { token: Redacted.make(token), retry: noRetry })
const hook: Send = (fake) => webhookNotifier(fake, { retry: noRetry })

const failures: ReadonlyArray<readonly [string, Send, Path["arrange"]]> = [
  [
    "bot: wrong token",
    (fake) => botNotifier(fake, { token: Redacted.make(wrongToken), retry: noRetry }),
    () => Effect.void
  ],
  ["bot: ok:false", bot, (fake) => fake.failNext(Fault.SlackError({ error: "token_revoked" }))],
  ["bot: 429 past the bound", bot, (fake) => fake.failNext(Fault.RateLimited({ retryAfter: 3600 }))],
  [
    "bot: a 502 echoing the token",
    bot,
    (fake) => fake.failNext(Fault.HttpStatus({ status: 502, body: `Bearer ${token}` }))
  ],
  [
    "bot: a 200 echoing the token",
    bot,
    (fake) => fake.failNext(Fault.HttpStatus({ status: 200, body: `{"t":"${token}"` }))
  ],
  ["bot: reset", bot, (fake) => fake.failNext(Fault.Reset())],
  ["webhook: no_service", hook, (fake) => fake.failNext(Fault.SlackError({ error: "no_service", status: 404 }))],
  ["webhook: archived", hook, (fake) => fake.setChannel(fake.channel, "archived")],
  ["webhook: 429 past the bound", hook, (fake) => fake.failNext(Fault.RateLimited({ retryAfter: 3600 }))],
  [
    "webhook: a 500 echoing the URL",
    hook,
    (fake) => fake.failNext(Fault.HttpStatus({ status: 500, body: `failed POST ${fake.webhookUrl}` }))
  ],
  ["webhook: reset", hook, (fake) => fake.failNext(Fault.Reset())]
]

describe("secrets never leave the adapter (quality R5)", () => {
  it.scoped("neither the token nor the webhook URL appears in any error, over every failure path", () =>
    Effect.gen(function*() {
      const errors: Array<readonly [string, Notifier.NotifierError]> = []
      for (const [name, send, arrange] of failures) {
        const fake = yield* SlackFake.make({ token })
        yield* arrange(fake)
        const error = yield* (yield* send(fake)).notify(notification()).pipe(Effect.flip)
        errors.push([name, error])
      }
      const gone = yield* closedFake
      errors.push(["bot: refused connection", yield* (yield* bot(gone)).notify(notification()).pipe(Effect.flip)])
      errors.push(["webhook: refused connection", yield* (yield* hook(gone)).notify(notification()).pipe(Effect.flip)])
      const invalid = { ...gone, webhookUrl: `http://127.0.0.1:99999/services/T0/B0/${webhookSecret}` }
      errors.push(["webhook: invalid URL", yield* (yield* hook(invalid)).notify(notification()).pipe(Effect.flip)])

      expect(errors.length).toBe(failures.length + 3)
      for (const [name, error] of errors) {
        const shown = everyRendering(error)
        expect(error._tag, name).toBe("NotifierError")
        expect(error.hint, name).toBeTruthy()
        expect(shown, name).not.toContain(token)
        expect(shown, name).not.toContain(wrongToken)
        expect(shown, name).not.toContain(webhookSecret)
      }
      expect(errors.find(([name]) => name === "webhook: invalid URL")?.[1].hint).toContain("not a valid URL")
    }))

  it.scoped("neither reaches a span attribute or a log line", () =>
    Effect.gen(function*() {
      const fake = yield* SlackFake.make({ token })
      const logs: Array<string> = []
      const capture = Logger.replace(
        Logger.defaultLogger,
        Logger.make(({ message }) => logs.push(inspect(message, { depth: 10 })))
      )
      const run = (send: Send, n: Domain.Notification) =>
        Effect.flatMap(send(fake), (notifier) => notifier.notify(n)).pipe(
          recordingSpans,
          Effect.provide(capture),
          Logger.withMinimumLogLevel(LogLevel.All)
        )
      yield* fake.failNext(Fault.SlackError({ error: "no_service", status: 404 }), "webhook")
      const [hookExit, hookSpans] = yield* run(hook, notification())
      const [botExit, botSpans] = yield* run(bot, notification())
      expect(Exit.isFailure(hookExit)).toBe(true)
      expect(Exit.isSuccess(botExit)).toBe(true)
      const spans = [...hookSpans, ...botSpans]
      expect(spans.map((span) => span.name)).toEqual(
        expect.arrayContaining([
          "SlackNotifier.notify",
          "SlackClient.webhook",
          "SlackClient.postMessage",
          "http.client POST"
        ])
      )
      const seen = [
        ...spans.flatMap((span) => [span.name, ...[...span.attributes.values()].map((value) => String(value))]),
        ...logs
      ].join("\n")
      expect(seen).toContain(fake.apiUrl)
      expect(seen).not.toContain(token)
      expect(seen).not.toContain(webhookSecret)
    }))
})
