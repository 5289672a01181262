/**
 * Who the bot is (`Tracker.whoami`) is read only when a pass has work that needs it: a locked issue to
 * watch, a ready candidate to decide or claim, run records to count for the daily budget. An idle tick
 * never asks, so a tick in a fresh process (a CronJob, a GitHub Actions run) costs no rate-limit point for
 * it; a tracker that cannot say who we are fails the work that needed it, and only that.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Poll from "../src/Poll.js"
import { TrackerError } from "../src/Tracker.js"
import * as World from "./support/world.js"

const { app, armed, lib, ready } = World

const whoamiReads = (world: World.World) => world.tracker.reads.whoami ?? 0

/** Makes every `whoami` fail, as a tracker that cannot say who we are. */
const unknownBot = (world: World.World) => {
  world.tracker.hook = (op) =>
    op === "whoami"
      ? Effect.fail(new TrackerError({ operation: op, detail: "401 Bad credentials", transient: false }))
      : Effect.void
}

describe("who the bot is, read only for work that needs it", () => {
  it.effect("an idle armed tick never asks who the bot is", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ issues: { [app]: [{ number: 9, title: "Not ready" }] } })
      const report = yield* world.tick(armed())
      expect(whoamiReads(world)).toBe(0)
      expect(report.watch.failures).toEqual([])
      expect(report.poll.failures).toEqual([])
    }))

  it.effect("an idle tick with a daily budget set and no run records to count never asks either", () =>
    Effect.gen(function*() {
      const world = yield* World.make()
      yield* world.tick(armed({ dailyMaxTokens: Option.some(10_000) }))
      expect(world.tracker.reads.listUpdatedSince).toBeGreaterThan(0)
      expect(whoamiReads(world)).toBe(0)
    }))

  it.effect("a tick with a ready issue asks once, for both passes, and dispatches it", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ issues: { [app]: [ready(1)] } })
      const report = yield* world.tick(armed())
      expect(report.poll.decisions.map((d) => `${d.subject} ${d.action}`)).toEqual(["acme/app#1 dispatch"])
      expect(whoamiReads(world)).toBe(1)
    }))

  it.effect("a tick with a locked issue asks once, for both passes, and drives it", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ issues: { [app]: [ready(1)] } })
      yield* world.tick(armed())
      const before = whoamiReads(world)
      const report = yield* world.tick(armed())
      expect(report.watch.decisions.map((d) => d.subject)).toEqual(["acme/app#1"])
      expect(whoamiReads(world) - before).toBe(1)
    }))

  it.effect("a pass on its own asks once for all the work that needs it", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ issues: { [app]: [ready(1)], [lib]: [ready(1)] } })
      const report = yield* Effect.provide(Poll.run(armed()), world.layer)
      expect(report.decisions.filter((d) => d.action === "dispatch")).toHaveLength(2)
      expect(whoamiReads(world)).toBe(1)
    }))

  it.effect("an idle tick whose tracker cannot say who we are does not fail", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ issues: { [app]: [{ number: 9, title: "Not ready" }] } })
      unknownBot(world)
      const report = yield* world.tick(armed())
      expect(report.watch.failures).toEqual([])
      expect(report.poll.failures).toEqual([])
      expect(report.failed).toBe(false)
    }))

  it.effect("a ready issue whose tracker cannot say who we are fails, named in the report, and nothing starts", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ issues: { [app]: [ready(1)] } })
      unknownBot(world)
      const report = yield* world.tick(armed())
      expect(report.poll.failures).toEqual([
        { subject: "acme/app#1", message: "Tracker whoami failed: 401 Bad credentials" }
      ])
      expect(report.watch.failures).toEqual([])
      expect(world.tracker.writes).toEqual([])
      expect(world.agent.threadsCreated()).toBe(0)
    }))

  it.effect("a locked issue whose tracker cannot say who we are fails, named in the report, and is left alone", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ issues: { [app]: [ready(1)] } })
      yield* world.tick(armed())
      const written = world.tracker.writes.length
      unknownBot(world)
      const report = yield* world.tick(armed())
      expect(report.watch.failures).toEqual([
        { subject: "acme/app#1", message: "Tracker whoami failed: 401 Bad credentials" }
      ])
      expect(world.tracker.writes).toHaveLength(written)
      expect(world.tracker.issue(app, 1).labels).toContain("agent-in-progress")
    }))
})
