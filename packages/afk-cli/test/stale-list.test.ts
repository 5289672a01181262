/**
 * A remembered label list is served while the repository's change probe answers 304, and a few changes do
 * not move any issue's `updated_at` (a label deleted repository-wide): such a list can be stale. A stale ready
 * list can only propose a candidate: the claim reads the issue again after its lock and refuses what no longer
 * carries the ready label, so nothing is dispatched from it.
 */
import { describe, expect, it } from "@effect/vitest"
import type { GithubFake } from "afk-adapter-github/testing"
import * as Effect from "effect/Effect"
import * as Cli from "./support/Cli.js"
import * as World from "./support/World.js"

/**
 * acme/app: #1 ready (labelled by the maintainer); #3, unlabelled, changed later, so the change probe (the most
 * recently updated issue) shows #3 and its `ETag` does not move with #1's labels.
 */
const seed: GithubFake.Seed = {
  ...World.seed,
  labels: ["ready-for-agent", "bug"],
  issues: [
    World.seed.issues[0]!,
    {
      number: 3,
      title: "Something else",
      body: "",
      labels: ["bug"],
      state: "open",
      author: "maintainer",
      events: [{ label: "bug", action: "added", actor: "maintainer", at: "2026-06-02T00:00:00Z" }],
      comments: []
    }
  ]
}

/** What deleting `label` in the repository's settings does: gone from the repository and every issue, no event, no `updated_at` moved. */
const deleteLabel = (fake: GithubFake.GithubFake, label: string) => {
  const repo = fake.world.repos.get(World.repo)
  if (repo === undefined) return expect.unreachable(`${World.repo} is seeded`)
  repo.labels.delete(label)
  for (const issue of repo.issues.values()) {
    if (issue.stamped === undefined) continue
    issue.labels = issue.labels.filter((have) => have !== label)
    issue.stamped = { ...issue.stamped, labels: issue.labels.join("\u0000") }
  }
}

const probe = "/repos/acme/app/issues?state=all&sort=updated&direction=desc&per_page=1"

describe("a stale remembered ready list", () => {
  it.scopedLive("an issue labelled between a cold tick and the next is read at the next tick's first probe and dispatched", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ seed: World.idleSeed() })
      const cwd = Cli.scratch()
      const first = yield* Cli.run(["tick"], world.env, { cwd })
      expect(first.code, first.all).toBe(0)
      expect(world.github.fake.log.map((r) => `${r.method} ${r.path}`), "the cold tick read its lists in a query")
        .toContain("POST /graphql")
      world.github.fake.actAs("maintainer").addLabel(World.repo, 3, "ready-for-agent")
      const before = world.github.fake.log.length
      const second = yield* Cli.run(["tick"], world.env, { cwd })
      expect(second.code, second.all).toBe(0)
      const sent = world.github.fake.log.slice(before).map((r) => `${r.method} ${r.path}`)
      expect(sent).toContain(`GET ${probe}`)
      expect(sent, "the probe shows a change after the query: the lists are read again").toContain("POST /graphql")
      expect(world.t3.threads(), "the issue labelled in between is dispatched").toHaveLength(1)
    }))

  it.scopedLive("naming an issue whose label was deleted repository-wide never dispatches it", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ seed })
      const cwd = Cli.scratch()
      for (let i = 0; i < 2; i++) {
        const dry = yield* Cli.run(["tick", "--dry-run"], world.env, { cwd })
        expect(dry.code, dry.all).toBe(0)
        expect(dry.stdout).toContain("acme/app#1")
      }
      deleteLabel(world.github.fake, "ready-for-agent")
      const before = world.github.fake.log.length
      const tick = yield* Cli.run(["tick"], world.env, { cwd })
      expect(tick.code, tick.all).toBe(0)
      const sent = world.github.fake.log.slice(before).map((r) => `${r.method} ${r.path} ${r.status}`)
      expect(sent, "the ready list is the remembered one: the probe answered 304").toContain(`GET ${probe} 304`)
      expect(sent.filter((line) => line.includes("labels=ready-for-agent")), "not read again").toEqual([])
      expect(world.t3.threads(), "nothing was dispatched").toEqual([])
      expect(tick.all).toContain("acme/app#1 no longer carries ready-for-agent")
      expect(world.github.fake.world.repos.get(World.repo)?.issues.get(1)?.labels, "its lock released").toEqual([])
    }))
})
