/** Rate limits, retries, and every Slack refusal mapped to a `NotifierError` with a hint (prior-art §8.7). */
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { SlackFake } from "../src/testing/index.js"
import { botNotifier, noRetry, notification, webhookNotifier } from "./fixtures.js"

const { Fault } = SlackFake

const untilSleepingUntil = (millis: number) =>
  Effect.gen(function*() {
    for (let poll = 0; poll < 1000; poll++) {
      if (Chunk.some(yield* TestClock.sleeps(), (end) => end === millis)) return
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 2)))
    }
    return yield* Effect.dieMessage(`nothing ever slept until ${millis} ms`)
  })

describe("rate limits and transient answers", () => {
  it.scoped("a 429 is retried after Retry-After (0 s) on both transports", () =>
    Effect.gen(function*() {
      const fake = yield* SlackFake.make()
      yield* fake.failNext(Fault.RateLimited({ retryAfter: 0 }), "api")
      yield* fake.failNext(Fault.RateLimited({ retryAfter: 0 }), "webhook")
      yield* (yield* botNotifier(fake)).notify(notification())
      yield* (yield* webhookNotifier(fake)).notify(notification())
      expect((yield* fake.received).map((r) => [r.via, r.status])).toEqual([
        ["api", 429],
        ["api", 200],
        ["webhook", 429],
        ["webhook", 200]
      ])
      expect((yield* fake.posted).length).toBe(2)
    }))

  it.scoped("a 429 waits the Retry-After on the clock before the retry", () =>
    Effect.gen(function*() {
      const fake = yield* SlackFake.make()
      yield* fake.failNext(Fault.RateLimited({ retryAfter: 5 }))
      const notifier = yield* botNotifier(fake)
      const sending = yield* Effect.fork(notifier.notify(notification()))
      yield* untilSleepingUntil(5_000)
      expect((yield* fake.received).length).toBe(1)
      yield* TestClock.adjust("5 seconds")
      const receipt = yield* Fiber.join(sending)
      expect((yield* fake.received).map((r) => r.status)).toEqual([429, 200])
      expect(receipt.thread).toBe((yield* fake.posted)[0]?.ts)
    }))

  it.scoped("a Retry-After beyond the bound is not slept on: a transient error with the rate-limit hint", () =>
    Effect.gen(function*() {
      const fake = yield* SlackFake.make()
      yield* fake.failNext(Fault.RateLimited({ retryAfter: 3600 }))
      const error = yield* (yield* botNotifier(fake)).notify(notification()).pipe(Effect.flip)
      expect(error).toMatchObject({ _tag: "NotifierError", status: 429, transient: true })
      expect(error.message).toContain("ratelimited")
      expect(error.hint).toContain("rate limit")
      expect((yield* fake.received).length).toBe(1)
    }))

  const retrying = { retry: { times: 3, base: "0 millis", maxWait: "1 second" } } as const

  for (
    const [name, fault] of [
      ["a 502", Fault.Lost({ status: 502 })],
      ["a reset connection", Fault.Lost({})]
    ] as const
  ) {
    it.scoped(`§8.7 a message Slack posted whose answer is lost to ${name} is sent once, never twice`, () =>
      Effect.gen(function*() {
        const fake = yield* SlackFake.make()
        yield* fake.failNext(fault, "api")
        yield* fake.failNext(fault, "webhook")
        const viaBot = yield* (yield* botNotifier(fake, retrying)).notify(notification()).pipe(Effect.flip)
        const viaHook = yield* (yield* webhookNotifier(fake, retrying)).notify(notification()).pipe(Effect.flip)
        expect((yield* fake.received).map((r) => r.via)).toEqual(["api", "webhook"])
        expect((yield* fake.posted).length).toBe(2)
        for (const error of [viaBot, viaHook]) {
          expect(error).toMatchObject({ _tag: "NotifierError", transient: true })
          expect(error.detail).toContain("Slack may have applied the write")
          expect(error.hint).toContain("not sent again")
        }
      }))
  }

  it.scoped("a 503 with Retry-After is not sent again either: Slack may have posted the message", () =>
    Effect.gen(function*() {
      const fake = yield* SlackFake.make()
      yield* fake.failNext(Fault.HttpStatus({ status: 503, body: "upstream connect error" }))
      const error = yield* (yield* webhookNotifier(fake, retrying)).notify(notification()).pipe(Effect.flip)
      expect(error).toMatchObject({ status: 503, transient: true })
      expect((yield* fake.received).length).toBe(1)
    }))
})

interface Case {
  readonly name: string
  readonly options?: SlackFake.Options
  readonly arrange?: (fake: SlackFake.Service) => Effect.Effect<void>
  readonly token?: string
  readonly channel?: string
  readonly code: string
  readonly hint: string
  readonly transient?: boolean
}

const apiCases: ReadonlyArray<Case> = [
  { name: "an unknown token", token: "xoxb-not-the-token", code: "invalid_auth", hint: "Bot User OAuth Token" },
  {
    name: "a revoked token",
    arrange: (fake) => fake.failNext(Fault.SlackError({ error: "token_revoked" })),
    code: "token_revoked",
    hint: "reinstall the Slack app"
  },
  {
    name: "a deactivated account",
    arrange: (fake) => fake.failNext(Fault.SlackError({ error: "account_inactive" })),
    code: "account_inactive",
    hint: "reinstall the Slack app"
  },
  {
    name: "a token without chat:write",
    options: { scopes: ["channels:read"] },
    code: "missing_scope (needed: chat:write)",
    hint: "lacks the chat:write scope"
  },
  { name: "an unknown channel", channel: "C0NOWHERE", code: "channel_not_found", hint: "no channel C0NOWHERE" },
  {
    name: "a channel without the bot",
    options: { channels: { C0AFKTEST: "not-in-channel" } },
    code: "not_in_channel",
    hint: "invite it"
  },
  {
    name: "an archived channel",
    options: { channels: { C0AFKTEST: "archived" } },
    code: "is_archived",
    hint: "unarchive it"
  },
  {
    name: "a rate limit answered as ok:false",
    arrange: (fake) => fake.failNext(Fault.SlackError({ error: "ratelimited" })),
    code: "ratelimited",
    hint: "rate limit",
    transient: true
  },
  {
    name: "a Slack-side failure",
    arrange: (fake) => fake.failNext(Fault.SlackError({ error: "internal_error" })),
    code: "internal_error",
    hint: "server error",
    transient: true
  },
  {
    name: "a message Slack cannot take",
    arrange: (fake) => fake.failNext(Fault.SlackError({ error: "invalid_blocks" })),
    code: "invalid_blocks",
    hint: "a bug in afk-adapter-slack"
  },
  {
    name: "a code AFK does not know",
    arrange: (fake) => fake.failNext(Fault.SlackError({ error: "brand_new_error" })),
    code: "brand_new_error",
    hint: "api.slack.com/methods/chat.postMessage#errors"
  }
]

const webhookCases: ReadonlyArray<Case> = [
  {
    name: "a payload Slack cannot read",
    arrange: (fake) => fake.failNext(Fault.SlackError({ error: "invalid_payload", status: 400 })),
    code: "HTTP 400 invalid_payload",
    hint: "a bug in afk-adapter-slack"
  },
  {
    name: "a revoked webhook",
    arrange: (fake) => fake.failNext(Fault.SlackError({ error: "no_service", status: 404 })),
    code: "HTTP 404 no_service",
    hint: "create a new webhook"
  },
  {
    name: "an archived channel",
    arrange: (fake) => fake.setChannel(fake.channel, "archived"),
    code: "HTTP 410 channel_is_archived",
    hint: "unarchive it"
  },
  {
    name: "a deleted channel",
    arrange: (fake) => fake.setChannel(fake.channel, undefined),
    code: "HTTP 404 channel_not_found",
    hint: "for an existing channel"
  },
  {
    name: "a workspace restriction",
    arrange: (fake) => fake.failNext(Fault.SlackError({ error: "action_prohibited", status: 403 })),
    code: "HTTP 403 action_prohibited",
    hint: "ask a Slack admin"
  },
  {
    name: "a Slack-side failure",
    arrange: (fake) => fake.failNext(Fault.HttpStatus({ status: 500, body: "rollup_error" })),
    code: "HTTP 500 rollup_error",
    hint: "not sent again",
    transient: true
  }
]

describe("§8.7 a refused message is an error with a hint, never swallowed", () => {
  for (const c of apiCases) {
    it.scoped(`chat.postMessage: ${c.name} → ${c.code}`, () =>
      Effect.gen(function*() {
        const fake = yield* SlackFake.make(c.options)
        yield* c.arrange?.(fake) ?? Effect.void
        const notifier = yield* botNotifier(fake, {
          retry: noRetry,
          ...(c.token === undefined ? {} : { token: Redacted.make(c.token) }),
          ...(c.channel === undefined ? {} : { channel: c.channel })
        })
        const error = yield* notifier.notify(notification()).pipe(Effect.flip)
        expect(error._tag).toBe("NotifierError")
        expect(error.operation).toBe("chat.postMessage")
        expect(error.detail).toContain(c.code)
        expect(error.hint).toContain(c.hint)
        expect(error.transient).toBe(c.transient ?? false)
        expect(error.message).toContain(c.hint)
        expect(yield* fake.posted).toEqual([])
      }))
  }

  for (const c of webhookCases) {
    it.scoped(`incoming webhook: ${c.name} → ${c.code}`, () =>
      Effect.gen(function*() {
        const fake = yield* SlackFake.make(c.options)
        yield* c.arrange?.(fake) ?? Effect.void
        const error = yield* (yield* webhookNotifier(fake, { retry: noRetry })).notify(notification()).pipe(Effect.flip)
        expect(error.operation).toBe("incoming webhook")
        expect(error.detail).toContain(c.code)
        expect(error.hint).toContain(c.hint)
        expect(error.transient).toBe(c.transient ?? false)
        expect(yield* fake.posted).toEqual([])
      }))
  }

  it.scoped("a dropped connection is a transient error that says the message may have gone out", () =>
    Effect.gen(function*() {
      const fake = yield* SlackFake.make()
      yield* fake.failNext(Fault.Reset(), "api")
      yield* fake.failNext(Fault.Reset(), "webhook")
      const viaBot = yield* (yield* botNotifier(fake, { retry: noRetry })).notify(notification()).pipe(Effect.flip)
      const viaHook = yield* (yield* webhookNotifier(fake, { retry: noRetry })).notify(notification()).pipe(Effect.flip)
      for (const error of [viaBot, viaHook]) {
        expect(error).toMatchObject({ _tag: "NotifierError", transient: true })
        expect(error.detail).toContain("Slack may have applied the write")
        expect(error.hint).toContain("the next pass sends it again")
      }
    }))

  it.scoped("a 200 that is not a chat.postMessage answer is a transient error, not a success", () =>
    Effect.gen(function*() {
      const fake = yield* SlackFake.make()
      yield* fake.failNext(Fault.HttpStatus({ status: 200, body: "<html>captive portal</html>" }))
      const error = yield* (yield* botNotifier(fake, { retry: noRetry })).notify(notification()).pipe(Effect.flip)
      expect(error).toMatchObject({ transient: true, status: 200 })
      expect(error.detail).toContain("malformed")
      expect(error.hint).toContain("not sent again")
    }))
})
