import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Config from "../src/Config.js"
import * as ConsoleNotifier from "../src/ConsoleNotifier.js"
import { Check, IssueRef, Notification, repo } from "../src/Domain.js"
import * as Status from "../src/Status.js"
import * as MemoryCi from "../src/testing/MemoryCi.js"
import * as World from "./support/world.js"

const { app, lib, armed, ready } = World

describe("Status: runs in flight", () => {
  it.effect("shows each dispatched run with its phase, age, attempts and thread link, and writes nothing", () =>
    Effect.gen(function*() {
      const world = yield* World.make({
        issues: { [app]: [ready(1), ready(2)], [lib]: [ready(5)] },
        behaviour: () => ({ _tag: "hang" })
      })
      yield* world.tick(armed())
      yield* world.tick(armed(), 30)
      const writes = world.tracker.writes.length
      const report = yield* Effect.provide(Status.run(armed()), world.layer)
      expect(world.tracker.writes.length).toBe(writes)
      expect(report.failures).toEqual([])
      expect(report.rows.map((row) => [row.issue, row.phase, row.attempts, row.ci])).toEqual([
        ["acme/app#1", "dispatched", 0, undefined],
        ["acme/lib#5", "dispatched", 0, undefined]
      ])
      const row = report.rows[0]!
      expect(row.ageSeconds).toBe(30 * 60)
      expect(row.threadUrl).toMatch(/^https:\/\/agent\.example\/[0-9a-f-]{36}$/)
      expect(row.maxAttempts).toBe(5)
    }))

  it.effect("a pushed run shows its commit and CI verdict; red CI then shows the attempt used", () =>
    Effect.gen(function*() {
      const world = yield* World.make({
        issues: { [app]: [ready(1)] },
        ci: (c) => (c.reads < 2 ? [new Check({ name: "test", state: "pending" })] : MemoryCi.scripts.redThenGreen(1)(c))
      })
      yield* world.tick(armed())
      yield* world.tick(armed())
      yield* world.tick(armed())
      const pushed = yield* Effect.provide(Status.run(armed()), world.layer)
      expect(pushed.rows[0]).toMatchObject({ phase: "pushed", ci: "pending" })
      expect(pushed.rows[0]?.commit).toMatch(/^[0-9a-f]{40}$/)
      yield* world.tick(armed())
      const fixing = yield* Effect.provide(Status.run(armed()), world.layer)
      expect(fixing.rows[0]).toMatchObject({ phase: "dispatched", attempts: 1 })
    }))

  it.effect("the kill switch does not hide runs already in flight", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ issues: { [app]: [ready(1)] }, behaviour: () => ({ _tag: "hang" }) })
      yield* world.tick(armed())
      const report = yield* Effect.provide(Status.run(armed({ killSwitch: true })), world.layer)
      expect(report.rows.map((row) => row.issue)).toEqual(["acme/app#1"])
    }))

  it.effect("an empty allowlist reads nothing", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ issues: { [app]: [ready(1)] } })
      const report = yield* Effect.provide(Status.run(Config.defaults), world.layer)
      expect(report).toEqual({ rows: [], failures: [] })
      expect(world.tracker.reads).toEqual({})
    }))

  it.effect("a repo that cannot be read is reported and the others still show", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ issues: { [app]: [ready(1)] }, behaviour: () => ({ _tag: "hang" }) })
      yield* world.tick(armed())
      const report = yield* Effect.provide(Status.run(armed({ allowlist: [repo("acme/gone"), app] })), world.layer)
      expect(report.rows.map((row) => row.issue)).toEqual(["acme/app#1"])
      expect(report.failures.map((f) => f.subject)).toEqual(["acme/gone"])
    }))

  it.effect("a locked issue without a run record yet shows as claiming", () =>
    Effect.gen(function*() {
      const world = yield* World.make({
        issues: { [app]: [ready(1, { labels: ["ready-for-agent", "agent-in-progress"] })] }
      })
      const report = yield* Effect.provide(Status.run(armed()), world.layer)
      expect(report.rows).toEqual([
        expect.objectContaining({ issue: "acme/app#1", phase: "claiming", ageSeconds: undefined })
      ])
    }))
})

describe("ConsoleNotifier", () => {
  it("prints one headline line and bulleted details; issue text cannot add lines", () => {
    const lines = ConsoleNotifier.format(
      new Notification({
        kind: "needs-human",
        issue: new IssueRef({ repo: app, number: 3 }),
        title: "Evil\n[notify done] acme/app#3 forged",
        issueUrl: "https://tracker.example/acme/app/issues/3",
        headline: "Handed to a human: the agent failed.",
        details: ["line one\nline two"],
        threadUrl: "https://agent.example/?thread=t",
        checks: [new Check({ name: "test", state: "failure", url: "https://ci.example/test" })]
      })
    )
    expect(lines[0]).toBe(
      "[notify needs-human] acme/app#3 \"Evil [notify done] acme/app#3 forged\": Handed to a human: the agent failed."
    )
    expect(lines.slice(1)).toEqual([
      "    - line one line two",
      "    failing: test https://ci.example/test",
      "    thread: https://agent.example/?thread=t",
      "    issue: https://tracker.example/acme/app/issues/3"
    ])
  })
})
