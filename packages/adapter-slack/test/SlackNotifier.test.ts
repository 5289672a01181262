/** The notifier against the loopback Slack fake: every kind on both transports, threading, and the layers. */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { describe, expect, it } from "@effect/vitest"
import { Notifier } from "afk-core"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { SlackNotifier } from "../src/index.js"
import { BlockKitRules, SlackFake } from "../src/testing/index.js"
import { allKinds, botNotifier, notification, webhookNotifier } from "./fixtures.js"

describe("SlackNotifier over chat.postMessage", () => {
  it.scoped("posts each kind as one Block Kit message with a text fallback, as JSON with a charset", () =>
    Effect.gen(function*() {
      const fake = yield* SlackFake.make()
      const notifier = yield* botNotifier(fake)
      for (const n of allKinds) yield* notifier.notify(n)
      const posted = yield* fake.posted
      expect(posted.map((p) => [p.via, p.channel, p.text?.split(" ").find((w) => w.startsWith("["))])).toEqual([
        ["api", fake.channel, "[DONE]"],
        ["api", fake.channel, "[NEEDS-HUMAN]"],
        ["api", fake.channel, "[FROZEN]"],
        ["api", fake.channel, "[DISPATCHED]"]
      ])
      for (const p of posted) {
        expect(p.contentType).toBe("application/json; charset=utf-8")
        expect(p.warnings).toEqual([])
        expect(BlockKitRules.validate(p.blocks)).toEqual([])
        expect(p.payload).toMatchObject({ unfurl_links: false, unfurl_media: false })
      }
    }))

  it.scoped("puts two notifications about one run into one thread, and returns the thread's ts", () =>
    Effect.gen(function*() {
      const fake = yield* SlackFake.make()
      const notifier = yield* botNotifier(fake)
      const first = yield* notifier.notify(notification({ kind: "dispatched", details: [] }))
      const second = yield* notifier.notify(notification({ thread: first.thread }))
      const otherRun = yield* notifier.notify(notification({ kind: "dispatched", details: [] }))
      const [root, reply, otherRoot] = yield* fake.posted
      expect(first.thread).toBe(root?.ts)
      expect(reply?.threadTs).toBe(root?.ts)
      expect(second.thread).toBe(root?.ts)
      expect(root?.threadTs).toBeUndefined()
      expect(otherRoot?.threadTs).toBeUndefined()
      expect(otherRun.thread).toBe(otherRoot?.ts)
      expect(otherRun.thread).not.toBe(first.thread)
    }))

  it.scoped("mentions the configured group on escalations only", () =>
    Effect.gen(function*() {
      const fake = yield* SlackFake.make()
      const notifier = yield* botNotifier(fake, { mention: "<@U0ONCALL>" })
      for (const n of allKinds) yield* notifier.notify(n)
      const mentioned = (yield* fake.posted).map((p) => JSON.stringify(p.blocks).includes("<@U0ONCALL>"))
      expect(mentioned).toEqual([false, true, true, false])
    }))
})

describe("SlackNotifier over an incoming webhook", () => {
  it.scoped("posts each kind, and returns no thread even when one is given", () =>
    Effect.gen(function*() {
      const fake = yield* SlackFake.make()
      const notifier = yield* webhookNotifier(fake)
      const receipts = []
      for (const n of allKinds) receipts.push(yield* notifier.notify(n))
      receipts.push(yield* notifier.notify(notification({ thread: "1700000001.000100" })))
      expect(receipts).toEqual([{}, {}, {}, {}, {}])
      const posted = yield* fake.posted
      expect(posted.map((p) => [p.via, p.text?.split(" ").find((w) => w.startsWith("["))])).toEqual([
        ["webhook", "[DONE]"],
        ["webhook", "[NEEDS-HUMAN]"],
        ["webhook", "[FROZEN]"],
        ["webhook", "[DISPATCHED]"],
        ["webhook", "[NEEDS-HUMAN]"]
      ])
      for (const p of posted) {
        expect(p.contentType).toBe("application/json; charset=utf-8")
        expect(p.payload).not.toHaveProperty("thread_ts")
        expect(p.payload).not.toHaveProperty("channel")
        expect(BlockKitRules.validate(p.blocks)).toEqual([])
      }
    }))
})

describe("SlackNotifier layers", () => {
  const notifyOnce = Notifier.Notifier.pipe(Effect.flatMap((notifier) => notifier.notify(notification())))

  it.scoped("layerConfig builds the bot transport from Config values", () =>
    Effect.gen(function*() {
      const fake = yield* SlackFake.make()
      const live = SlackNotifier.layerConfig({
        token: Config.redacted("SLACK_BOT_TOKEN"),
        channel: Config.string("AFK_SLACK_CHANNEL"),
        apiUrl: Config.string("AFK_SLACK_API")
      }).pipe(Layer.provide(FetchHttpClient.layer))
      const provider = ConfigProvider.fromMap(
        new Map([
          ["SLACK_BOT_TOKEN", fake.token],
          ["AFK_SLACK_CHANNEL", fake.channel],
          ["AFK_SLACK_API", fake.apiUrl]
        ])
      )
      const receipt = yield* notifyOnce.pipe(Effect.provide(live), Effect.withConfigProvider(provider))
      const posted = yield* fake.posted
      expect(posted.map((p) => p.via)).toEqual(["api"])
      expect(receipt.thread).toBe(posted[0]?.ts)
    }))

  it.scoped("layerConfig builds the webhook transport, and a missing value is a ConfigError", () =>
    Effect.gen(function*() {
      const fake = yield* SlackFake.make()
      const live = SlackNotifier.layerConfig({ webhookUrl: Config.redacted("SLACK_WEBHOOK_URL") }).pipe(
        Layer.provide(FetchHttpClient.layer)
      )
      const withUrl = ConfigProvider.fromMap(new Map([["SLACK_WEBHOOK_URL", fake.webhookUrl]]))
      yield* notifyOnce.pipe(Effect.provide(live), Effect.withConfigProvider(withUrl))
      expect((yield* fake.posted).map((p) => p.via)).toEqual(["webhook"])
      const missing = yield* notifyOnce.pipe(
        Effect.provide(live),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map())),
        Effect.flip
      )
      expect(missing._tag).toBe("ConfigError")
    }))

  it.scoped("layer provides afk-core's Notifier", () =>
    Effect.gen(function*() {
      const fake = yield* SlackFake.make()
      yield* notifyOnce.pipe(
        Effect.provide(
          SlackNotifier.layer({ webhookUrl: Redacted.make(fake.webhookUrl) }).pipe(Layer.provide(FetchHttpClient.layer))
        )
      )
      expect((yield* fake.posted).length).toBe(1)
    }))
})
