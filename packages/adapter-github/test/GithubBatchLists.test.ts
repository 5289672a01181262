/**
 * Issue lists over GraphQL (`lists: "graphql"`): the lists asked together are answered by one query per owner,
 * each list exactly as the REST path lists it, and any list the query cannot answer whole (a next page of
 * issues or labels, a repository GitHub cannot resolve, a failed query) is read the REST way.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Domain from "afk-core/Domain"
import type * as Tracker from "afk-core/Tracker"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "vitest"
import * as GithubBatchLists from "../src/GithubBatchLists.js"
import { GithubFake } from "../src/testing/index.js"
import { inProcess, seed, sent, trackerOver } from "./support.js"

const scratch = mkdtempSync(join(tmpdir(), "afk-gh-batch-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const graphql = { lists: "graphql" } as const
const restList = (slug: string, label: string, state: "open" | "closed" | "all" = "open") =>
  `GET /repos/${slug}/issues?labels=${label}&state=${state}&per_page=100`

type Ask = readonly [Domain.Repo, string, "open" | "closed"]

/** Every ask at once, as a tick's prefetch asks them. */
const pass = (tracker: Tracker.Service, asks: ReadonlyArray<Ask>) =>
  Effect.forEach(
    asks,
    ([repo, label, state]) =>
      state === "open" ? tracker.listOpenIssues(repo, label) : tracker.listClosedIssues(repo, label),
    { concurrency: "unbounded" }
  )

/** ready / locked / closed-locked lists of each repository, as poll and watch ask them. */
const tickAsks = (repos: ReadonlyArray<Domain.Repo>): ReadonlyArray<Ask> =>
  repos.flatMap((repo) => [[repo, "afk", "open"], [repo, "bug", "open"], [repo, "bug", "closed"]] as const)

/** `owners` × `perOwner` repositories seeded like `support.seed` (ready, locked, closed and pull requests). */
const world = (owners: ReadonlyArray<string>, perOwner: number, count = 25, pageSize = 100) => {
  const fake = GithubFake.make({ pageSize })
  const repos = owners.flatMap((owner) =>
    Array.from({ length: perOwner }, (_, i) => Domain.repo(`${owner}/repo-${i + 1}`))
  )
  for (const slug of repos) fake.seed(seed(count, slug))
  return { fake, repos }
}

/** The same lists through the REST path over the same fake. */
const viaRest = (fake: GithubFake.GithubFake, asks: ReadonlyArray<Ask>) =>
  Effect.flatMap(trackerOver(fake), (tracker) => pass(tracker, asks))

describe("GithubBatchLists: issue lists over GraphQL", () => {
  it.effect("the same issues as the REST path, pull requests left out, for open and closed lists", () =>
    Effect.gen(function*() {
      const { fake, repos } = world(["octo"], 3)
      // A spelling of its own on GitHub: the issues name the repository as GitHub does.
      fake.seed(seed(25, "Octo/Spelled"))
      const asks = tickAsks([...repos, Domain.repo("octo/spelled")])
      const expected = yield* viaRest(fake, asks)
      fake.resetCounters()
      const tracker = yield* trackerOver(fake, graphql)
      const got = yield* pass(tracker, asks)
      expect(got).toEqual(expected)
      expect(got.flat().length).toBeGreaterThan(20)
      expect(got.flat().some((issue) => issue.state === "closed")).toBe(true)
      expect(got.flat().some((issue) => issue.body === "")).toBe(true)
      expect(got[9]?.[0]?.repo).toBe("Octo/Spelled")
      expect(sent(fake)).toEqual(["POST /graphql"])
      // 12 lists of 101 possible requests each: 1,212 / 100, rounded.
      expect(fake.graphqlPoints()).toBe(12)
    }))

  it.effect("a list of both states (the lock label's) asks 10 issues, a tenth of a point; a longer one is read the REST way, whole", () =>
    Effect.gen(function*() {
      // Seeded: "afk" on 7 issues of each repository, "bug" on 13 (pull requests left out).
      const { fake, repos } = world(["octo"], 2)
      const both = (tracker: Tracker.Service) =>
        Effect.forEach(
          repos.flatMap((repo) => [[repo, "afk"], [repo, "bug"]] as const),
          ([repo, label]) => tracker.listOpenAndClosedIssues!(repo, label),
          { concurrency: "unbounded" }
        )
      const expected = yield* Effect.flatMap(trackerOver(fake), both)
      fake.resetCounters()
      const got = yield* Effect.flatMap(trackerOver(fake, graphql), both)
      expect(got).toEqual(expected)
      expect(got.map((list) => list.length)).toEqual([7, 13, 7, 13])
      expect([...sent(fake)].sort()).toEqual(
        ["POST /graphql", restList("octo/repo-1", "bug", "all"), restList("octo/repo-2", "bug", "all")].sort()
      )
      // 4 lists of 1 + 10 possible requests each: 44 / 100, at least 1 point (full pages: 404 / 100, 4 points).
      expect(fake.graphqlPoints()).toBe(1)
    }))

  it.effect("the REST path is unchanged by default: one request per list", () =>
    Effect.gen(function*() {
      const { fake, repos } = world(["octo"], 2)
      yield* viaRest(fake, tickAsks(repos))
      expect(sent(fake).filter((line) => line === "POST /graphql")).toEqual([])
      expect(sent(fake)).toHaveLength(6)
    }))

  it.effect("asks its callers for two queries' worth of lists at once (98), all of up to four queries' worth (196), the REST path for no batches", () =>
    Effect.gen(function*() {
      const { fake } = world(["octo"], 1)
      const batched = yield* trackerOver(fake, graphql)
      expect([batched.listsInBatches, batched.listsAtOnce, batched.listsAllAtOnce]).toEqual([true, 98, 196])
      expect(GithubBatchLists.maxAsks).toBe(49)
      const rest = yield* trackerOver(fake)
      expect([rest.listsInBatches, rest.listsAtOnce, rest.listsAllAtOnce]).toEqual([false, undefined, undefined])
    }))

  it.effect("a list with more issues than one query reads is read the REST way, whole", () =>
    Effect.gen(function*() {
      const { fake, repos } = world(["octo"], 2, 400)
      const asks = tickAsks(repos)
      const expected = yield* viaRest(fake, asks)
      fake.resetCounters()
      const got = yield* pass(yield* trackerOver(fake, graphql), asks)
      expect(got).toEqual(expected)
      expect(got[0]).toHaveLength(107)
      expect(got[1]!.length).toBeGreaterThan(100)
      expect([...sent(fake)].sort()).toEqual([
        "POST /graphql",
        restList("octo/repo-1", "afk"),
        `${restList("octo/repo-1", "afk")}&page=2`,
        restList("octo/repo-1", "bug"),
        `${restList("octo/repo-1", "bug")}&page=2`,
        `${restList("octo/repo-1", "bug")}&page=3`,
        restList("octo/repo-2", "afk"),
        `${restList("octo/repo-2", "afk")}&page=2`,
        restList("octo/repo-2", "bug"),
        `${restList("octo/repo-2", "bug")}&page=2`,
        `${restList("octo/repo-2", "bug")}&page=3`
      ].sort())
    }))

  it.effect("the fake's page size bounds a query's page too: past it the list is read the REST way", () =>
    Effect.gen(function*() {
      const { fake, repos } = world(["octo"], 1, 25, 5)
      const asks = tickAsks(repos)
      const expected = yield* viaRest(fake, asks)
      fake.resetCounters()
      expect(yield* pass(yield* trackerOver(fake, graphql), asks)).toEqual(expected)
      // Pages of 5 (pull requests included on REST): afk 8 items, open bug 16; the closed bug list (#2) fits.
      expect(sent(fake).filter((line) => line.startsWith("GET")).sort()).toEqual([
        restList("octo/repo-1", "afk"),
        `${restList("octo/repo-1", "afk")}&page=2`,
        restList("octo/repo-1", "bug"),
        `${restList("octo/repo-1", "bug")}&page=2`,
        `${restList("octo/repo-1", "bug")}&page=3`,
        `${restList("octo/repo-1", "bug")}&page=4`
      ].sort())
    }))

  it.effect("an issue with more labels than one query reads is listed the REST way, every label kept", () =>
    Effect.gen(function*() {
      const fake = GithubFake.make({ pageSize: 100 })
      const many = Array.from({ length: 101 }, (_, i) => `l${i}`)
      fake.seed({
        ...seed(4, "octo/labels"),
        labels: ["afk", "bug", ...many],
        issues: seed(4, "octo/labels").issues.map((issue) =>
          issue.number === 3 ? { ...issue, labels: ["afk", ...many] } : issue
        )
      })
      const repo = Domain.repo("octo/labels")
      const asks: ReadonlyArray<Ask> = [[repo, "afk", "open"], [repo, "bug", "open"]]
      const got = yield* pass(yield* trackerOver(fake, graphql), asks)
      expect(got[0]?.[0]?.labels).toHaveLength(102)
      expect(sent(fake)).toEqual(["POST /graphql", restList("octo/labels", "afk")])
    }))

  it.effect("a repository GitHub cannot resolve is read the REST way; the others of its query are answered", () =>
    Effect.gen(function*() {
      const { fake, repos } = world(["octo"], 2)
      const gone = Domain.repo("octo/gone")
      const asks: ReadonlyArray<Ask> = [...tickAsks(repos), [gone, "afk", "open"]]
      const tracker = yield* trackerOver(fake, graphql)
      const results = yield* Effect.forEach(
        asks,
        ([repo, label, state]) =>
          Effect.either(
            state === "open" ? tracker.listOpenIssues(repo, label) : tracker.listClosedIssues(repo, label)
          ),
        { concurrency: "unbounded" }
      )
      expect(results.slice(0, 6).every((result) => result._tag === "Right")).toBe(true)
      expect(results[6]?._tag).toBe("Left")
      expect(sent(fake)).toEqual(["POST /graphql", restList("octo/gone", "afk")])
    }))

  it.effect("a failed query reads every list of it the REST way", () =>
    Effect.gen(function*() {
      const { fake, repos } = world(["octo"], 2)
      const asks = tickAsks(repos)
      const expected = yield* viaRest(fake, asks)
      fake.resetCounters()
      fake.inject({ status: 400, path: "/graphql", times: 1 })
      const got = yield* pass(yield* trackerOver(fake, graphql), asks)
      expect(got).toEqual(expected)
      const log = sent(fake)
      expect(log.filter((line) => line.startsWith("GET")).sort()).toEqual(
        asks.map(([repo, label, state]) => restList(repo, label, state)).sort()
      )
      expect(log.filter((line) => line === "POST /graphql")).toEqual(["POST /graphql"])
    }))

  it.effect.each(
    [
      ["a 403 with x-ratelimit-remaining: 0", { status: 403, exhausted: true }],
      [
        "a 200 whose errors say RATE_LIMITED",
        {
          status: 200,
          body: JSON.stringify({ errors: [{ type: "RATE_LIMITED", message: "API rate limit exceeded" }] })
        }
      ]
    ] as const
  )(
    "the GraphQL budget spent (%s): every list of the query is read the REST way",
    ([, fault]) =>
      Effect.gen(function*() {
        const { fake, repos } = world(["octo"], 2)
        const asks = tickAsks(repos)
        const expected = yield* viaRest(fake, asks)
        fake.resetCounters()
        fake.inject({ ...fault, path: "/graphql", times: 1 })
        expect(yield* pass(yield* trackerOver(fake, graphql), asks)).toEqual(expected)
        const log = sent(fake)
        expect(log.filter((line) => line === "POST /graphql"), "not retried: the lists have a way that answers now")
          .toEqual(["POST /graphql"])
        expect(log.filter((line) => line.startsWith("GET")).sort()).toEqual(
          asks.map(([repo, label, state]) => restList(repo, label, state)).sort()
        )
      })
  )

  it.effect("the query names who the token is: after it, whoami sends no GET /user", () =>
    Effect.gen(function*() {
      const { fake, repos } = world(["octo"], 2)
      const tracker = yield* trackerOver(fake, graphql)
      yield* pass(tracker, tickAsks(repos))
      expect(yield* tracker.whoami).toBe("afk-bot")
      expect(sent(fake)).toEqual(["POST /graphql"])
    }))

  it.effect("a failed query names nobody: whoami asks GET /user", () =>
    Effect.gen(function*() {
      const { fake, repos } = world(["octo"], 1)
      fake.inject({ status: 400, path: "/graphql", times: 1 })
      const tracker = yield* trackerOver(fake, graphql)
      yield* pass(tracker, tickAsks(repos))
      expect(yield* tracker.whoami).toBe("afk-bot")
      expect(sent(fake).filter((line) => line === "GET /user")).toEqual(["GET /user"])
    }))

  it.effect("an alias whose answer is not what the query asked is read the REST way, each list on its own", () =>
    Effect.gen(function*() {
      const { fake, repos } = world(["octo"], 3)
      const asks = repos.map((repo): Ask => [repo, "afk", "open"])
      const expected = yield* viaRest(fake, asks)
      fake.resetCounters()
      const node = (number: unknown, labels: unknown) => ({
        number,
        title: "t",
        body: null,
        state: "OPEN",
        url: "https://github.com/octo/repo/issues/1",
        createdAt: "2026-01-01T00:00:00Z",
        updatedAt: "2026-01-01T00:00:00Z",
        author: null,
        labels
      })
      const labels = { pageInfo: { hasNextPage: false }, nodes: [{ name: "afk" }] }
      const answered = (nodes: ReadonlyArray<unknown>) => ({
        nameWithOwner: "octo/x",
        issues: { pageInfo: { hasNextPage: false }, nodes }
      })
      const data = {
        // Not an issue number; labels that are not a connection; a whole list.
        a0: answered([node("seven", labels)]),
        a1: answered([node(1, [{ name: "afk" }])]),
        a2: answered([node(1, labels)]),
        viewer: { login: "afk-bot" },
        rateLimit: { cost: 1 }
      }
      fake.inject({ status: 200, path: "/graphql", times: 1, body: JSON.stringify({ data }) })
      const got = yield* pass(yield* trackerOver(fake, graphql), asks)
      expect(got.slice(0, 2)).toEqual(expected.slice(0, 2))
      expect(got[2]?.map((issue) => [issue.repo, issue.number, issue.labels])).toEqual([["octo/x", 1, ["afk"]]])
      expect([...sent(fake)].sort()).toEqual([
        ...repos.slice(0, 2).map((repo) => restList(repo, "afk")),
        "POST /graphql"
      ])
    }))

  it.effect("one query for 16 repositories of one owner; separate queries per owner", () =>
    Effect.gen(function*() {
      const { fake, repos } = world(["octo", "acme"], 16, 10)
      const asks = tickAsks(repos)
      const expected = yield* viaRest(fake, asks)
      fake.resetCounters()
      const got = yield* pass(yield* trackerOver(fake, graphql), asks)
      expect(got).toEqual(expected)
      // 48 lists per owner: one query each (at most 49 lists a query, GitHub's 500,000 nodes).
      expect(sent(fake)).toEqual(["POST /graphql", "POST /graphql"])
      const grouped = GithubBatchLists.batches(asks.map(([repo, label, state]) => ({ ask: { repo, label, state } })))
      expect(grouped.map((batch) => [...new Set(batch.map(({ ask }) => Domain.repoOwner(ask.repo)))])).toEqual([
        ["octo"],
        ["acme"]
      ])
      expect(fake.graphqlPoints()).toBe(2 * Math.round((48 * 101) / 100))
    }))

  it("queries are packed within GitHub's node limit: 49 full lists, more short ones (both states), in order", () => {
    const repos = Array.from({ length: 60 }, (_, i) => Domain.repo(`octo/repo-${i + 1}`))
    // As a tick asks them: each repository's lock label (both states), then its ready list.
    const asks = repos.flatMap((repo) =>
      [
        { ask: { repo, label: "lock", state: "all" } },
        { ask: { repo, label: "ready", state: "open" } }
      ] as const
    )
    const grouped = GithubBatchLists.batches(asks)
    const nodes = (batch: ReadonlyArray<{ readonly ask: GithubBatchLists.Ask }>) =>
      batch.reduce((sum, { ask }) => sum + GithubBatchLists.firstOf(ask.state) * 101, 0)
    // 100 asks per batch at most (one owner), then as many as fit 500,000 nodes: 45 repositories' pairs
    // (45 × 11,110 = 499,950 nodes; 49 full lists alone would be 494,900), then the rest.
    expect(grouped.map((batch) => batch.length)).toEqual([90, 10, 20])
    expect(grouped.every((batch) => nodes(batch) <= GithubBatchLists.nodeLimit)).toBe(true)
    expect(grouped.flat()).toEqual(asks)
  })

  it.effect("more lists than one query may ask are split: 49 a query", () =>
    Effect.gen(function*() {
      const { fake, repos } = world(["octo"], 20, 10)
      const asks = tickAsks(repos)
      const got = yield* pass(yield* trackerOver(fake, graphql), asks)
      expect(got).toHaveLength(60)
      expect(GithubBatchLists.maxAsks).toBe(49)
      expect(sent(fake)).toEqual(["POST /graphql", "POST /graphql"])
    }))
})

describe("GithubBatchLists: the lists it read are remembered as REST lists are (issue 20: idle costs no point)", () => {
  const probe = (slug: string) => `GET /repos/${slug}/issues?state=all&sort=updated&direction=desc&per_page=1`
  /** GitHub's clock months after the seed's newest change, so every repository is quiet. */
  const quiet = TestClock.setTime(Date.parse("2026-06-01T00:00:00Z"))
  /** Past the window in which one probe answers every list of a repository. */
  const nextPass = TestClock.adjust("11 seconds")
  /** Two quiet repositories, and a fresh client per tick over the cache directory `name` (a CronJob's ticks). */
  const cronTicks = (name: string) =>
    Effect.gen(function*() {
      yield* quiet
      const { fake, repos } = world(["octo"], 2)
      const asks = tickAsks(repos)
      return { fake, tick: inProcess(fake, { ...graphql, cacheDirectory: join(scratch, name) }, (t) => pass(t, asks)) }
    })
  /** `perOwner` quiet repositories, and one client (serve) whose first pass read their lists through the query. */
  const cold = (perOwner: number) =>
    Effect.gen(function*() {
      yield* quiet
      const { fake, repos } = world(["octo"], perOwner)
      const asks = tickAsks(repos)
      const tracker = yield* trackerOver(fake, graphql)
      const first = yield* pass(tracker, asks)
      return { fake, asks, tracker, first }
    })
  /** `cold`, then a second pass: the lists remembered under their repository's first probe. */
  const remembered = (perOwner: number) =>
    Effect.tap(cold(perOwner), ({ asks, tracker }) => Effect.zipRight(nextPass, pass(tracker, asks)))

  it.effect("one client (serve): the second pass is one probe per repository, which vouches for the lists; the third, free probes", () =>
    Effect.gen(function*() {
      const { asks, fake, first, tracker } = yield* cold(2)
      expect(sent(fake)).toEqual(["POST /graphql"])
      yield* nextPass
      fake.resetCounters()
      expect(yield* pass(tracker, asks)).toEqual(first)
      expect([...sent(fake)].sort(), "probed; nothing changed since the query, so nothing is read again").toEqual(
        [probe("octo/repo-1"), probe("octo/repo-2")].sort()
      )
      expect(fake.graphqlPoints()).toBe(0)
      yield* nextPass
      fake.resetCounters()
      expect(yield* pass(tracker, asks)).toEqual(first)
      expect([...sent(fake)].sort()).toEqual([probe("octo/repo-1"), probe("octo/repo-2")].sort())
      expect(fake.counters()).toEqual({ requests: 2, points: 0, notModified: 2 })
      expect(fake.graphqlPoints()).toBe(0)
    }))

  it.effect("a fresh client per tick sharing the cache directory (CronJob, Actions): the third tick costs no point", () =>
    Effect.gen(function*() {
      const { fake, tick } = yield* cronTicks("shared")
      const first = yield* tick
      yield* nextPass
      fake.resetCounters()
      expect(yield* tick).toEqual(first)
      expect([...sent(fake)].sort(), "the second tick: the first probes, no list read again").toEqual(
        [probe("octo/repo-1"), probe("octo/repo-2")].sort()
      )
      expect(fake.graphqlPoints()).toBe(0)
      yield* nextPass
      fake.resetCounters()
      expect(yield* tick).toEqual(first)
      expect([...sent(fake)].sort()).toEqual([probe("octo/repo-1"), probe("octo/repo-2")].sort())
      expect(fake.counters()).toEqual({ requests: 2, points: 0, notModified: 2 })
    }))

  it.effect("a label added after the query read, before the first probe, is read at that probe", () =>
    Effect.gen(function*() {
      const { fake, tick } = yield* cronTicks("changed")
      const first = yield* tick
      expect(first[3]!.map((issue) => issue.number)).not.toContain(1)
      yield* inProcess(fake, {}, (someoneElse) => someoneElse.addLabel(Domain.repo("octo/repo-2"), 1, "afk"))
      yield* TestClock.adjust("2 minutes")
      fake.resetCounters()
      const second = yield* tick
      expect(second[3]!.map((issue) => issue.number)).toContain(1)
      expect(second.slice(0, 3)).toEqual(first.slice(0, 3))
      expect([...sent(fake)].sort(), "the changed repository is read again, the other vouched for").toEqual(
        ["POST /graphql", probe("octo/repo-1"), probe("octo/repo-2")].sort()
      )
    }))

  it.effect("a list naming issues read through the query more than 5 minutes before the first probe is read again", () =>
    Effect.gen(function*() {
      const { asks, fake, first, tracker } = yield* cold(1)
      yield* TestClock.adjust("6 minutes")
      fake.resetCounters()
      expect(yield* pass(tracker, asks)).toEqual(first)
      expect([...sent(fake)].sort()).toEqual(["POST /graphql", probe("octo/repo-1")].sort())
    }))

  it.effect("lists read less than a minute after their repository's newest change are read again at the first probe", () =>
    Effect.gen(function*() {
      yield* quiet
      const { fake, repos } = world(["octo"], 1)
      const asks = tickAsks(repos)
      yield* inProcess(fake, {}, (someoneElse) => someoneElse.addLabel(Domain.repo("octo/repo-1"), 1, "afk"))
      yield* TestClock.adjust("30 seconds")
      const tracker = yield* trackerOver(fake, graphql)
      const first = yield* pass(tracker, asks)
      expect(first[0]!.map((issue) => issue.number)).toContain(1)
      yield* TestClock.adjust("2 minutes")
      fake.resetCounters()
      expect(yield* pass(tracker, asks)).toEqual(first)
      expect([...sent(fake)].sort(), "GitHub's lists may not have shown a change that recent: read again").toEqual(
        ["POST /graphql", probe("octo/repo-1")].sort()
      )
    }))

  it.effect("a memo past its bound is read again the REST way, once: its later re-reads are free 304s", () =>
    Effect.gen(function*() {
      const { asks, fake, tracker } = yield* remembered(1)
      const lists = [
        restList("octo/repo-1", "afk"),
        restList("octo/repo-1", "bug"),
        restList("octo/repo-1", "bug", "closed")
      ]
      yield* TestClock.adjust("6 minutes")
      fake.resetCounters()
      yield* pass(tracker, asks)
      // Every list names issues, so each outlived its 5 minutes.
      expect([...sent(fake)].sort()).toEqual([probe("octo/repo-1"), ...lists].sort())
      expect(fake.graphqlPoints()).toBe(0)
      yield* TestClock.adjust("6 minutes")
      fake.resetCounters()
      yield* pass(tracker, asks)
      expect([...sent(fake)].sort()).toEqual([probe("octo/repo-1"), ...lists].sort())
      expect(fake.counters()).toEqual({ requests: 4, points: 0, notModified: 4 })
    }))

  it.effect("a repository that changed is read through the query again", () =>
    Effect.gen(function*() {
      const { asks, fake, tracker } = yield* remembered(2)
      yield* inProcess(fake, {}, (someoneElse) => someoneElse.addLabel(Domain.repo("octo/repo-2"), 1, "afk"))
      yield* TestClock.adjust("2 minutes")
      fake.resetCounters()
      const got = yield* pass(tracker, asks)
      expect(got[3]!.map((issue) => issue.number)).toContain(1)
      expect([...sent(fake)].sort()).toEqual(["POST /graphql", probe("octo/repo-1"), probe("octo/repo-2")].sort())
    }))
})
