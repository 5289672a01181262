/**
 * The change probe over GraphQL (`changes: { probe: "graphql" }`): an idle pass over many repositories costs
 * one query per 100 repositories of one owner, and every rule of the REST probe holds — a change by someone
 * else or by this adapter is read from GitHub on the next pass, and a repository the query cannot answer is
 * probed the REST way.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Domain from "afk-core/Domain"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import * as GithubSweep from "../src/GithubSweep.js"
import { GithubFake } from "../src/testing/index.js"
import { seed, sent, trackerOver } from "./support.js"

const graphql = { changes: { probe: "graphql" } } as const
const nextPass = TestClock.adjust("11 seconds")
const restProbe = (slug: string) => `GET /repos/${slug}/issues?state=all&sort=updated&direction=desc&per_page=1`
const numbers = (issues: ReadonlyArray<{ readonly number: number }>) => issues.map((issue) => issue.number)

/** `owners` × `perOwner` repositories of 4 issues each, all quiet (their newest change months ago). */
const world = (owners: ReadonlyArray<string>, perOwner: number) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(Date.parse("2026-06-01T00:00:00Z"))
    const fake = GithubFake.make({ pageSize: 100 })
    const repos = owners.flatMap((owner) =>
      Array.from({ length: perOwner }, (_, i) => Domain.repo(`${owner}/repo-${i + 1}`))
    )
    for (const slug of repos) fake.seed(seed(4, slug))
    return { fake, repos }
  })

const pass = (
  tracker: { readonly listOpenIssues: (repo: Domain.Repo, label: string) => Effect.Effect<unknown, unknown> },
  repos: ReadonlyArray<Domain.Repo>
) => Effect.forEach(repos, (repo) => tracker.listOpenIssues(repo, "afk"), { concurrency: 8 })

describe("GithubSweep: the change probe over GraphQL", () => {
  it.effect("an idle pass over 250 repositories of two owners costs four queries (100 + 25 per owner) and four GraphQL points", () =>
    Effect.gen(function*() {
      const { fake, repos } = yield* world(["octo", "acme"], 125)
      const tracker = yield* trackerOver(fake, graphql)
      const first = yield* pass(tracker, repos)
      yield* nextPass
      yield* pass(tracker, repos)
      fake.resetCounters()
      yield* nextPass
      expect(yield* pass(tracker, repos)).toEqual(first)
      expect(sent(fake)).toEqual(["POST /graphql", "POST /graphql", "POST /graphql", "POST /graphql"])
      expect(fake.graphqlPoints()).toBe(4)
      expect(fake.counters().points).toBe(4)
    }))

  it.effect("the REST probe of the same pass costs one request per repository", () =>
    Effect.gen(function*() {
      const { fake, repos } = yield* world(["octo"], 30)
      const tracker = yield* trackerOver(fake)
      yield* pass(tracker, repos)
      yield* nextPass
      yield* pass(tracker, repos)
      fake.resetCounters()
      yield* nextPass
      yield* pass(tracker, repos)
      expect(sent(fake)).toEqual(repos.map(restProbe))
      expect(fake.counters()).toEqual({ requests: 30, points: 0, notModified: 30 })
    }))

  it.effect("a label added by someone else is read on the next pass", () =>
    Effect.gen(function*() {
      const { fake, repos } = yield* world(["octo"], 3)
      const tracker = yield* trackerOver(fake, graphql)
      yield* pass(tracker, repos)
      yield* nextPass
      yield* pass(tracker, repos)
      fake.actAs("alice").addLabel("octo/repo-2", 1, "afk", new Date(yield* TestClock.currentTimeMillis).toISOString())
      fake.resetCounters()
      yield* nextPass
      expect(numbers(yield* tracker.listOpenIssues(Domain.repo("octo/repo-2"), "afk"))).toContain(1)
      expect(sent(fake)).toEqual(["POST /graphql", "GET /repos/octo/repo-2/issues?labels=afk&state=open&per_page=100"])
      fake.resetCounters()
      expect(numbers(yield* tracker.listOpenIssues(Domain.repo("octo/repo-1"), "afk"))).toEqual([3])
      expect(sent(fake)).toEqual([])
    }))

  it.effect("the adapter's own write drops the probe: the next list is read from GitHub", () =>
    Effect.gen(function*() {
      const { fake, repos } = yield* world(["octo"], 3)
      const tracker = yield* trackerOver(fake, graphql)
      const target = Domain.repo("octo/repo-3")
      yield* pass(tracker, repos)
      yield* nextPass
      yield* pass(tracker, repos)
      yield* nextPass
      yield* pass(tracker, repos)
      yield* tracker.addLabel(target, 4, "afk")
      fake.resetCounters()
      expect(numbers(yield* tracker.listOpenIssues(target, "afk")).sort()).toEqual([3, 4])
      expect(sent(fake)).toEqual(["GET /repos/octo/repo-3/issues?labels=afk&state=open&per_page=100"])
    }))

  it.effect("a query GitHub cannot answer whole (a repository gone) falls back to one REST probe per repository", () =>
    Effect.gen(function*() {
      const { fake, repos } = yield* world(["octo"], 3)
      const tracker = yield* trackerOver(fake, graphql)
      yield* pass(tracker, repos)
      yield* nextPass
      yield* pass(tracker, repos)
      fake.world.repos.delete("octo/repo-3")
      fake.resetCounters()
      yield* nextPass
      const kept = repos.slice(0, 2)
      expect(numbers(yield* tracker.listOpenIssues(Domain.repo("octo/repo-1"), "afk"))).toEqual([3])
      expect(sent(fake).slice(0, 1)).toEqual(["POST /graphql"])
      expect(sent(fake)).toEqual(expect.arrayContaining(kept.map(restProbe)))
      expect(sent(fake)).toContain("GET /repos/octo/repo-1/issues?labels=afk&state=open&per_page=100")
    }))

  it.effect("a repository whose list fails (gone) is left out of the queries that follow", () =>
    Effect.gen(function*() {
      const { fake, repos } = yield* world(["octo"], 3)
      const tracker = yield* trackerOver(fake, graphql)
      const kept = repos.slice(0, 2)
      yield* pass(tracker, repos)
      yield* nextPass
      yield* pass(tracker, repos)
      fake.world.repos.delete("octo/repo-3")
      yield* nextPass
      yield* pass(tracker, kept)
      expect(yield* Effect.flip(tracker.listOpenIssues(Domain.repo("octo/repo-3"), "afk"))).toMatchObject({
        status: 404
      })
      fake.resetCounters()
      yield* nextPass
      yield* pass(tracker, kept)
      expect(sent(fake).filter((request) => !request.includes("labels=afk"))).toEqual(["POST /graphql"])
      fake.resetCounters()
      yield* nextPass
      yield* pass(tracker, kept)
      expect(sent(fake)).toEqual(["POST /graphql"])
    }))

  it.effect("a probe showing a change less than a minute old is never trusted (a same-second change hides)", () =>
    Effect.gen(function*() {
      const { fake } = yield* world(["octo"], 1)
      const target = Domain.repo("octo/repo-1")
      const tracker = yield* trackerOver(fake, graphql)
      const someoneElse = yield* trackerOver(fake)
      yield* someoneElse.addLabel(target, 3, "bug")
      yield* tracker.listOpenIssues(target, "afk")
      yield* tracker.listOpenIssues(target, "afk")
      yield* someoneElse.addLabel(target, 1, "afk")
      yield* TestClock.adjust("61 seconds")
      fake.resetCounters()
      expect(numbers(yield* tracker.listOpenIssues(target, "afk")).sort()).toEqual([1, 3])
      expect(sent(fake)).toEqual(["POST /graphql", "GET /repos/octo/repo-1/issues?labels=afk&state=open&per_page=100"])
    }))

  it("batches hold one owner and at most 100 repositories", () => {
    const repos = [
      ...Array.from({ length: 150 }, (_, i) => Domain.repo(`octo/r${i}`)),
      Domain.repo("Acme/one"),
      Domain.repo("acme/two")
    ]
    expect(GithubSweep.batches(repos, (repo) => repo).map((batch) => batch.length)).toEqual([100, 50, 2])
  })
})
