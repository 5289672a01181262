/**
 * The daily token budget through the CLI: a run's record says it spent tokens today; with
 * AFK_DAILY_MAX_TOKENS at or under that, `tick` starts nothing and says why, `status` and `doctor` show the
 * day's spend; with a higher budget the same tick goes on as usual.
 */
import { describe, expect, it } from "@effect/vitest"
import { Domain, RunRecord, Usage } from "afk-core"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Cli from "./support/Cli.js"
import * as World from "./support/World.js"

/** #1 dispatched by a first tick, then its record saying it spent 12,000 tokens today. */
const spentToday = Effect.gen(function*() {
  const world = yield* World.make()
  const first = yield* Cli.run(["tick"], world.env)
  expect(first.stderr, first.all).toContain("acme/app#1: dispatch")
  const comment = [...world.github.fake.world.comments.values()].find((c) =>
    c.author === "afk-bot" && c.issue === 1 && Option.isSome(RunRecord.parse(c.body))
  )!
  const record = Option.getOrThrow(RunRecord.parse(comment.body))
  const usage = Usage.fold(
    undefined,
    new Domain.TokenUsage({ input: 10_000, output: 2_000, total: 12_000 }),
    DateTime.unsafeNow()
  )
  comment.body = `${RunRecord.strip(comment.body)}\n\n${
    RunRecord.footer(new RunRecord.RunRecord({ ...record, usage }))
  }`
  return world
})

describe("daily token budget through the CLI", () => {
  it.scopedLive("spent: tick starts nothing and says why; status and doctor show the day's spend", () =>
    Effect.gen(function*() {
      const world = yield* spentToday
      const env = { ...world.env, AFK_DAILY_MAX_TOKENS: "12000" }
      const tick = yield* Cli.run(["tick"], env)
      expect(tick.code, tick.all).toBe(0)
      expect(tick.stderr, tick.all).toMatch(
        /poll: wait \(the daily token budget is spent: [\d,]+ tokens used on \d{4}-\d\d-\d\d \(UTC\) of 12,000 tokens/
      )
      expect(tick.stderr).not.toContain("repo-busy")
      const status = yield* Cli.run(["status"], env)
      expect(status.stdout).toMatch(/acme\/app#1\s+\w+\s.*\s1\d,\d{3}\s/)
      expect(status.stdout).toMatch(/Daily token budget: 1\d,\d{3} tokens of 12,000 tokens used on/)
      const doctor = yield* Cli.run(["doctor", "--skip", "t3,slack"], env)
      expect(doctor.stdout).toContain("daily token budget")
      expect(doctor.stdout).toContain("the daily token budget is spent")
    }))

  it.scopedLive("not spent: the same tick goes on to its usual decisions", () =>
    Effect.gen(function*() {
      const world = yield* spentToday
      const tick = yield* Cli.run(["tick"], { ...world.env, AFK_DAILY_MAX_TOKENS: "1000000" })
      expect(tick.code, tick.all).toBe(0)
      expect(tick.stderr).not.toContain("daily token budget")
      expect(tick.stderr).toContain("acme/app#2: refuse")
    }))
})
