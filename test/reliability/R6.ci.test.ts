/**
 * R6 attack, CI: an issue must not close on an incomplete CI picture (docs/safety.md). Through the CLI as a
 * user runs it (`afk-cli tick` in a fresh process against loopback fakes): the agent's commit has one check
 * run, `test`, green — while a second check suite is still queued, or while a status check the default
 * branch requires has not reported. Closing on "every check reported so far passed" would close it.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Cli, CliWorld } from "./support/Spawn.js"

const pushed = "0123456789abcdef0123456789abcdef01234567"
const test = { name: "test", status: "completed", conclusion: "success" } as const

/** A world whose issue #1 was dispatched by a first tick and whose agent pushed `pushed`. */
const dispatched = Effect.gen(function*() {
  const world = yield* CliWorld.make()
  const first = yield* Cli.run(["tick"], world.env)
  expect(first.stderr).toContain("acme/app#1: dispatch")
  return world
})

const closed = (world: CliWorld.World) =>
  world.github.fake.world.repos.get(CliWorld.repo)?.issues.get(1)?.state === "closed"

describe("R6 CI attacks through the CLI", () => {
  it.scopedLive("control: the one check run green and nothing else pending closes the issue", () =>
    Effect.gen(function*() {
      const world = yield* dispatched
      world.github.fake.setChecks(CliWorld.repo, pushed, { checkRuns: [test] })
      const result = yield* Cli.run(["tick"], world.env)
      expect(result.code, result.all).toBe(0)
      expect(closed(world), result.all).toBe(true)
    }))

  it.scopedLive("`test` green while a second check suite is still queued: tick does not close the issue", () =>
    Effect.gen(function*() {
      const world = yield* dispatched
      world.github.fake.setChecks(CliWorld.repo, pushed, {
        checkRuns: [test],
        checkSuites: [{ app: "integration-ci", status: "queued" }]
      })
      const result = yield* Cli.run(["tick"], world.env)
      expect(result.code, result.all).toBe(0)
      expect(closed(world), result.all).toBe(false)
      expect(world.github.writes()).not.toContain(`PATCH /repos/${CliWorld.repo}/issues/1`)
    }))

  it.scopedLive("`test` green while a context the default branch requires has not reported: no close", () =>
    Effect.gen(function*() {
      const world = yield* dispatched
      world.github.fake.setChecks(CliWorld.repo, pushed, { checkRuns: [test] })
      world.github.fake.requireChecks(CliWorld.repo, { contexts: ["test", "security/scan"] })
      const result = yield* Cli.run(["tick"], world.env)
      expect(result.code, result.all).toBe(0)
      expect(closed(world), result.all).toBe(false)
    }))
})
