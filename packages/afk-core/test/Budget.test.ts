/**
 * Budgets: each turn's token usage is folded into the run record (shown in the checklist and the
 * notifications); a run at or over AFK_RUN_MAX_TOKENS gets no further turn and is escalated with the
 * figures; once the day's spend across runs reaches AFK_DAILY_MAX_TOKENS, poll starts nothing and says why,
 * until the next UTC day — all read from the run records on the issues.
 */
import { describe, expect, it } from "@effect/vitest"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import * as Budget from "../src/Budget.js"
import { TokenUsage } from "../src/Domain.js"
import * as RunRecord from "../src/RunRecord.js"
import * as MemoryCi from "../src/testing/MemoryCi.js"
import * as Tick from "../src/Tick.js"
import { Tracker } from "../src/Tracker.js"
import * as Usage from "../src/Usage.js"
import * as World from "./support/world.js"

const { app, armed, bot, ready } = World

const at = (iso: string) => DateTime.unsafeMake(Date.parse(iso))
const tokens = (input: number, output: number) => new TokenUsage({ input, output, total: input + output })
const latest = (world: World.World, number = 1) =>
  Option.getOrThrow(RunRecord.latest(world.tracker.comments(app, number), bot)).record
const checklist = (world: World.World, number = 1) =>
  world.tracker.comments(app, number).find((c) => c.author === bot && c.body.includes("afk-checklist"))?.body ?? ""

describe("Usage.fold", () => {
  it("adds what a running count grew by, and a count that fell as a new count from zero", () => {
    const first = Usage.fold(undefined, tokens(100, 20), at("2026-06-01T10:00:00Z"))
    expect([first.total, first.today, first.day]).toEqual([120, 120, "2026-06-01"])
    const grown = Usage.fold(first, tokens(300, 50), at("2026-06-01T11:00:00Z"))
    expect([grown.input, grown.output, grown.total, grown.today]).toEqual([300, 50, 350, 350])
    const restarted = Usage.fold(grown, tokens(40, 10), at("2026-06-01T12:00:00Z"))
    expect(restarted.total).toBe(400)
    const nextDay = Usage.fold(restarted, tokens(100, 10), at("2026-06-02T00:30:00Z"))
    expect([nextDay.total, nextDay.today, nextDay.day]).toEqual([460, 60, "2026-06-02"])
    expect(Usage.spentOn(nextDay, "2026-06-01")).toBe(0)
    const moved = Usage.fold(Usage.newThread(nextDay), tokens(5, 5), at("2026-06-02T01:00:00Z"))
    expect(moved.total).toBe(470)
  })
})

describe("run budget (AFK_RUN_MAX_TOKENS)", () => {
  it.effect("usage is recorded, shown in the checklist and the done notification", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ issues: { [app]: [ready(1)] }, ci: MemoryCi.scripts.redThenGreen(1) })
      world.agent.tokensPerTurn = { input: 6000, output: 4000 }
      yield* world.settle(armed({ runMaxTokens: Option.some(20_000) }))
      expect(world.tracker.issue(app, 1).state).toBe("closed")
      expect(latest(world).usage?.total).toBe(20_000)
      expect(checklist(world)).toContain("**Tokens:** 20,000 tokens (input 12,000, output 8,000)")
      expect(world.notifier.sent.at(-1)?.details.join("\n")).toContain("Tokens used: 20,000 tokens")
    }))

  it.effect("a run another turn would take over its budget gets no fix-forward turn; escalated naming the figures", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ issues: { [app]: [ready(1)] }, ci: MemoryCi.scripts.redThenGreen(1) })
      world.agent.tokensPerTurn = { input: 6000, output: 4000 }
      yield* world.settle(armed({ runMaxTokens: Option.some(15_000) }))
      expect(world.agent.threads()[0]?.turns).toBe(1)
      expect(latest(world).phase).toBe("escalated")
      expect(latest(world).outcome).toContain(
        "has used 10,000 tokens; another turn (about 10,000 tokens, its average) would take it over 15,000 tokens"
      )
      expect(world.tracker.issue(app, 1).labels).toContain("ready-for-human")
      expect(world.notifier.sent).toHaveLength(1)
    }))
})

describe("daily budget (AFK_DAILY_MAX_TOKENS)", () => {
  it.effect("once the day's spend reaches the budget poll starts nothing, and starts again the next UTC day", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ issues: { [app]: [ready(1)] } })
      world.agent.tokensPerTurn = { input: 6000, output: 4000 }
      const config = armed({ dailyMaxTokens: Option.some(10_000) })
      yield* world.settle(config)
      expect(world.tracker.issue(app, 1).state).toBe("closed")
      world.tracker.addIssue(app, ready(2))
      const report = yield* world.tick(config)
      expect(world.agent.threadsCreated()).toBe(1)
      expect(JSON.stringify(report.poll)).toContain("the daily token budget is spent: 10,000 tokens used on 2026-06-01")
      const daily = yield* Effect.provide(Budget.read(config, Effect.succeed(bot)), world.layer)
      expect(Budget.describe(daily)).toBe("10,000 tokens of 10,000 tokens used on 2026-06-01 (UTC)")
      yield* TestClock.adjust("1 days")
      yield* world.tick(config)
      expect(world.agent.threadsCreated()).toBe(2)
    }))

  it.effect("a tracker that cannot list the day's issues starts nothing while a daily budget is set", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ issues: { [app]: [ready(1)] } })
      const { listUpdatedSince: _dropped, ...rest } = world.tracker.service
      const report = yield* Tick.run(armed({ dailyMaxTokens: Option.some(10_000) })).pipe(
        Effect.provideService(Tracker, rest),
        Effect.provide(world.layer)
      )
      expect(world.agent.threadsCreated()).toBe(0)
      expect(JSON.stringify(report.poll)).toContain("cannot list the issues updated today")
    }))
})

describe("Usage.overRunBudget", () => {
  it("refuses at the budget, and before a turn of the run's average size would cross it", () => {
    const max = Option.some(30_000)
    expect(Usage.overRunBudget(30_000, 3, max)._tag).toBe("Some")
    expect(Usage.overRunBudget(20_000, 2, max)._tag).toBe("None")
    expect(Usage.overRunBudget(21_000, 2, max)._tag).toBe("Some")
    expect(Usage.overRunBudget(1_000_000, 1, Option.none())._tag).toBe("None")
  })
})
