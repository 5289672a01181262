import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Cli from "./support/Cli.js"
import * as World from "./support/World.js"

describe("status", () => {
  it.scopedLive("lists every run in flight with phase, age, attempts, CI and thread link; --json too", () =>
    Effect.gen(function*() {
      const world = yield* World.make()
      const before = yield* Cli.run(["status"], world.env)
      expect(before.code).toBe(0)
      expect(before.stdout.trim()).toBe("No runs in flight.")
      yield* Cli.run(["tick"], world.env)
      const writes = world.github.writes().length
      const table = yield* Cli.run(["status"], world.env)
      expect(table.code).toBe(0)
      const lines = table.stdout.trim().split("\n")
      expect(lines[0]).toMatch(/^ISSUE\s+PHASE\s+AGE\s+ATTEMPTS\s+CI\s+TOKENS\s+THREAD$/)
      expect(lines[1]).toMatch(
        /^acme\/app#1\s+dispatched\s+\S+\s+0\/5\s+-\s+-\s+http:\/\/127\.0\.0\.1:\d+\/fake-environment\/[0-9a-f-]{36}$/
      )
      expect(lines).toHaveLength(2)
      const json = yield* Cli.run(["status", "--json"], world.env)
      const report = JSON.parse(json.stdout) as { rows: Array<Record<string, unknown>>; failures: Array<unknown> }
      expect(report.failures).toEqual([])
      expect(report.rows).toEqual([
        expect.objectContaining({ issue: "acme/app#1", phase: "dispatched", attempts: 0, maxAttempts: 5 })
      ])
      expect(world.github.writes()).toHaveLength(writes)
    }))

  it.live("an empty allowlist has nothing to show and reads nothing", () =>
    Effect.gen(function*() {
      const result = yield* Cli.run(["status"])
      expect(result.code).toBe(0)
      expect(result.stdout).toContain("The allowlist is empty")
      const json = yield* Cli.run(["status", "--json"])
      expect(JSON.parse(json.stdout)).toEqual({ rows: [], failures: [] })
    }))

  it.scopedLive("exits 1 and names the repo it could not read", () =>
    Effect.gen(function*() {
      const world = yield* World.make()
      const result = yield* Cli.run(["status"], { ...world.env, AFK_ALLOWLIST: "acme/app,acme/gone" })
      expect(result.code).toBe(1)
      expect(result.stderr).toContain("acme/gone")
    }))
})
