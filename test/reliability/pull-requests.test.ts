/**
 * Pull-request delivery end to end on the simulated world, over each forge's real adapter and its fake (real
 * wire formats), with pages of 5 so every list paginates: both ready issues run to a pull request that is
 * merged once at its verified head, and a close with proof on the merge commit.
 */
import { describe, expect, it } from "@effect/vitest"
import { Domain } from "afk-core"
import * as Effect from "effect/Effect"
import * as World from "../world/World.js"

const repo = Domain.repo("acme/app")

const sent = (world: World.World, pattern: RegExp) =>
  world.journals.tracker.entries
    .filter((entry) => entry.fault === undefined)
    .map((entry) => `${entry.method} ${new URL(entry.url).pathname}`)
    .filter((line) => pattern.test(line))

describe("pull-request delivery on the simulated world", () => {
  for (const forge of ["github", "forgejo"] as const) {
    it.scoped(`${forge}: two issues, two pull requests opened once and merged once, both closed with proof`, () =>
      Effect.gen(function*() {
        const world = yield* World.make({
          ...World.reliability([repo]),
          forge,
          issuesPerRepo: 2,
          readyFraction: 1,
          config: { maxConcurrentRuns: 2, delivery: "pull-request" }
        })
        yield* world.settle(40)
        const opens = sent(world, /^POST .*\/repos\/acme\/app\/pulls$/)
        const merges = sent(world, /^(PUT|POST) .*\/repos\/acme\/app\/pulls\/\d+\/merge$/)
        expect(opens, "one open per run").toHaveLength(2)
        expect(merges, "one merge per run").toHaveLength(2)
        expect(sent(world, /^DELETE .*afk(\/|%2F)[12]-r1$/i), "both branches deleted").toHaveLength(2)
        expect(world.forge.defaultHead(repo), "the default branch moved by the merges").toBeDefined()
        const closes = world.journals.tracker.entries.filter((entry) =>
          entry.method === "PATCH" && /\/issues\/[12]$/.test(new URL(entry.url).pathname)
        )
        expect(closes.length, "both issues closed").toBeGreaterThanOrEqual(2)
        expect(world.t3.threads()).toHaveLength(2)
      }))
  }
})
