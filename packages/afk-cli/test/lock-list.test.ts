/**
 * The lock label's list read through GitHub's GraphQL query asks 10 issues (GitHub scores a list by the issues
 * it may hold): a repository with more runs in flight gets a list with a next page, which is read again the
 * REST way, whole. Taking the query's first 10 would undercount the runs in flight and start runs past
 * `AFK_MAX_CONCURRENT_RUNS`.
 */
import { describe, expect, it } from "@effect/vitest"
import type { GithubFake } from "afk-adapter-github/testing"
import * as Effect from "effect/Effect"
import * as Cli from "./support/Cli.js"
import * as World from "./support/World.js"

const at = "2026-06-01T00:00:00Z"

/** acme/busy: 12 open issues holding the lock label (runs in flight). */
const busy: GithubFake.Seed = {
  ...World.seed,
  repo: "acme/busy",
  labels: ["agent-in-progress"],
  issues: Array.from({ length: 12 }, (_, i) => ({
    number: i + 1,
    title: `Run ${i + 1}`,
    body: "",
    labels: ["agent-in-progress"],
    state: "open" as const,
    author: "maintainer",
    events: [{ label: "agent-in-progress", action: "added" as const, actor: "afk-bot", at }],
    comments: []
  }))
}

/** acme/app: #1 ready, labelled by the maintainer. */
const ready: GithubFake.Seed = { ...World.seed, issues: [World.seed.issues[0]!] }

/** `afk-cli poll` over acme/busy and acme/app with a cap of `cap` runs; the world it ran in. */
const pollWithCap = (cap: number) =>
  Effect.gen(function*() {
    const world = yield* World.make({ seeds: [busy, ready] })
    const poll = yield* Cli.run(["poll"], { ...world.env, AFK_MAX_CONCURRENT_RUNS: String(cap) }, {
      cwd: Cli.scratch()
    })
    expect(poll.code, poll.all).toBe(0)
    return world
  })

describe("the lock label's list through the GraphQL query", () => {
  it.scopedLive("past 10 runs in flight it is read whole: 12 runs against a cap of 12 start nothing more", () =>
    Effect.gen(function*() {
      const world = yield* pollWithCap(12)
      expect(world.t3.threads(), "12 runs in flight fill the cap: nothing is dispatched").toEqual([])
      expect(world.github.fake.world.repos.get("acme/app")?.issues.get(1)?.labels, "no lock taken")
        .toEqual(["ready-for-agent"])
      const sent = world.github.fake.log.map((r) => `${r.method} ${r.path}`)
      expect(sent, "the lists went through the query").toContain("POST /graphql")
      expect(sent, "acme/busy's lock list has a next page there: read the REST way")
        .toContain("GET /repos/acme/busy/issues?labels=agent-in-progress&state=all&per_page=100")
    }))

  it.scopedLive("with a cap of 13 the ready issue is dispatched (the test can tell a full cap from a stuck poll)", () =>
    Effect.gen(function*() {
      const world = yield* pollWithCap(13)
      expect(world.t3.threads()).toHaveLength(1)
    }))
})
