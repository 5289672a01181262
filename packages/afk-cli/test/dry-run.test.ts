import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Cli from "./support/Cli.js"
import * as World from "./support/World.js"

describe("--dry-run", () => {
  it.scopedLive("performs the reads, prints every decision and write it would make, and makes none", () =>
    Effect.gen(function*() {
      const world = yield* World.make()
      const result = yield* Cli.run(["tick", "--dry-run"], world.env)
      expect(result.code).toBe(0)
      expect(result.stderr).toContain("acme/app#1: dispatch")
      expect(result.stderr).toContain("acme/app#2: refuse (untrusted")
      expect(result.stderr).toContain("dry-run: would add label acme/app#1: agent-in-progress")
      expect(result.stdout).toMatch(/dry-run: \d+ writes not made:/)
      expect(result.stdout).toContain("tracker: add label acme/app#1 (agent-in-progress)")
      expect(result.stdout).toContain("tracker: post comment acme/app#1")
      expect(result.stdout).toContain("agent: dispatch acme/app#1")
      expect(world.github.fake.log.some((entry) => entry.path.startsWith("/repos/acme/app/issues"))).toBe(true)
      expect(world.github.writes()).toEqual([])
      expect(world.t3.requests().filter((request) => request.method !== "GET")).toEqual([])
      expect(world.t3.threads()).toEqual([])
    }))

  it.scopedLive("a real tick after a dry run makes the writes the dry run listed", () =>
    Effect.gen(function*() {
      const world = yield* World.make()
      yield* Cli.run(["poll", "--dry-run"], world.env)
      expect(world.github.writes()).toEqual([])
      const result = yield* Cli.run(["poll"], world.env)
      expect(result.code).toBe(0)
      expect(world.github.writes()).toContainEqual(expect.stringMatching(/^POST \/repos\/acme\/app\/issues\/1\/labels/))
      expect(world.github.writes()).toContainEqual(
        expect.stringMatching(/^POST \/repos\/acme\/app\/issues\/1\/comments/)
      )
      expect(world.t3.threads()).toHaveLength(1)
    }))
})
