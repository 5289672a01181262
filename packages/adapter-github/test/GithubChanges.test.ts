/**
 * The change probe and the memos behind it (quality.md P1): an unchanged repository is read with one free
 * request, an unchanged issue's label history with none, and every change — by someone else, by this
 * adapter, or one GitHub's `updated_at` cannot show — is read from GitHub.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "vitest"
import { GithubFake } from "../src/testing/index.js"
import { inProcess, repo, seed, sent, trackerOver } from "./support.js"

const probe = "GET /repos/octo/hello/issues?state=all&sort=updated&direction=desc&per_page=1"
const pages = (label: string) => [
  `GET /repos/octo/hello/issues?labels=${label}&state=open&per_page=100`,
  `GET /repos/octo/hello/issues?labels=${label}&state=open&per_page=100&page=2`,
  `GET /repos/octo/hello/issues?labels=${label}&state=open&per_page=100&page=3`
]
const lock = "agent-in-progress"

const scratch = mkdtempSync(join(tmpdir(), "afk-gh-changes-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** The seed's newest change is on 2026-01-01; GitHub's clock (the fake's) is months later, so all is quiet. */
const world = Effect.gen(function*() {
  yield* TestClock.setTime(Date.parse("2026-06-01T00:00:00Z"))
  const fake = GithubFake.make({ pageSize: 3 })
  fake.seed(seed())
  return fake
})

/** Past the window in which one probe answers every list of a repository. */
const nextPass = TestClock.adjust("11 seconds")

const numbers = (issues: ReadonlyArray<{ readonly number: number }>) => issues.map((issue) => issue.number)

describe("GithubChanges: the change probe and its memos", () => {
  it.effect("an idle repository costs one free request a pass once its list is remembered (P1)", () =>
    Effect.gen(function*() {
      const fake = yield* world
      const tracker = yield* trackerOver(fake)
      const first = yield* tracker.listOpenIssues(repo, "afk")
      expect(sent(fake)).toEqual(pages("afk"))
      fake.resetCounters()
      yield* nextPass
      expect(yield* tracker.listOpenIssues(repo, "afk")).toEqual(first)
      expect(sent(fake)).toEqual([probe, ...pages("afk")])
      expect(fake.counters()).toEqual({ requests: 4, points: 1, notModified: 3 })
      fake.resetCounters()
      yield* nextPass
      expect(yield* tracker.listOpenIssues(repo, "afk")).toEqual(first)
      expect(sent(fake)).toEqual([probe])
      expect(fake.counters()).toEqual({ requests: 1, points: 0, notModified: 1 })
    }))

  it.effect("both label lists of a repository share one probe, also when asked at the same time", () =>
    Effect.gen(function*() {
      const fake = yield* world
      const tracker = yield* trackerOver(fake)
      const both = Effect.all([tracker.listOpenIssues(repo, "afk"), tracker.listOpenIssues(repo, "bug")], {
        concurrency: "unbounded"
      })
      const first = yield* both
      yield* nextPass
      yield* both
      fake.resetCounters()
      yield* nextPass
      expect(yield* both).toEqual(first)
      expect(sent(fake)).toEqual([probe])
    }))

  it.effect("a label added by someone else is read on the next pass, and read again until the repository is quiet", () =>
    Effect.gen(function*() {
      const fake = yield* world
      const tracker = yield* trackerOver(fake)
      const someoneElse = yield* trackerOver(fake)
      yield* tracker.listOpenIssues(repo, "afk")
      yield* nextPass
      yield* tracker.listOpenIssues(repo, "afk")
      yield* someoneElse.addLabel(repo, 1, "afk")
      fake.resetCounters()
      yield* nextPass
      expect(numbers(yield* tracker.listOpenIssues(repo, "afk"))).toContain(1)
      expect(sent(fake)).toEqual([probe, ...pages("afk")])
      fake.resetCounters()
      yield* nextPass
      expect(numbers(yield* tracker.listOpenIssues(repo, "afk"))).toContain(1)
      expect(sent(fake)).toEqual(pages("afk"))
      yield* TestClock.adjust("1 minute")
      yield* tracker.listOpenIssues(repo, "afk")
      fake.resetCounters()
      yield* nextPass
      expect(numbers(yield* tracker.listOpenIssues(repo, "afk"))).toContain(1)
      expect(sent(fake)).toEqual([probe])
    }))

  it.effect.each([["60 seconds"], ["0 seconds"]] as const)(
    "the adapter's own write drops the probe: the claim's re-list of locked issues is read from GitHub (quiet %s)",
    ([quiet]) =>
      Effect.gen(function*() {
        const fake = yield* world
        const tracker = yield* trackerOver(fake, { changes: { quiet } })
        yield* tracker.listOpenIssues(repo, lock)
        yield* nextPass
        yield* tracker.listOpenIssues(repo, lock)
        yield* nextPass
        expect(yield* tracker.listOpenIssues(repo, lock)).toEqual([])
        expect(sent(fake).at(-1)).toBe(probe)
        yield* tracker.addLabel(repo, 4, lock)
        fake.resetCounters()
        expect(numbers(yield* tracker.listOpenIssues(repo, lock))).toEqual([4])
        expect(sent(fake)).toContain(`GET /repos/octo/hello/issues?labels=${lock}&state=open&per_page=100`)
      })
  )

  it.effect("a list is remembered for 5 minutes at most (a change GitHub's updated_at does not show)", () =>
    Effect.gen(function*() {
      const fake = yield* world
      const tracker = yield* trackerOver(fake)
      yield* tracker.listOpenIssues(repo, "afk")
      yield* nextPass
      yield* tracker.listOpenIssues(repo, "afk")
      const issue = fake.world.repos.get("octo/hello")?.issues.get(24)
      if (issue?.stamped === undefined) return expect.unreachable("issue 24 is seeded")
      issue.labels = []
      issue.stamped = { ...issue.stamped, labels: "" }
      yield* TestClock.adjust("4 minutes")
      expect(numbers(yield* tracker.listOpenIssues(repo, "afk"))).toContain(24)
      yield* TestClock.adjust("2 minutes")
      fake.resetCounters()
      expect(numbers(yield* tracker.listOpenIssues(repo, "afk"))).not.toContain(24)
      expect(sent(fake)).toEqual([probe, ...pages("afk")])
    }))

  it.effect("an empty list is remembered for hours (it names nothing to act on), until its repository's own bound", () =>
    Effect.gen(function*() {
      const fake = yield* world
      const tracker = yield* trackerOver(fake)
      const locked = `GET /repos/octo/hello/issues?labels=${lock}&state=open&per_page=100`
      expect(yield* tracker.listOpenIssues(repo, lock)).toEqual([])
      yield* nextPass
      yield* tracker.listOpenIssues(repo, lock)
      fake.resetCounters()
      yield* TestClock.adjust("3 hours")
      expect(yield* tracker.listOpenIssues(repo, lock)).toEqual([])
      expect(sent(fake), "no list read for half the bound: one free probe").toEqual([probe])
      yield* TestClock.adjust("3 hours")
      fake.resetCounters()
      yield* tracker.listOpenIssues(repo, lock)
      expect(sent(fake), "past the whole bound: read again").toEqual([probe, locked])
    }))

  it.effect("empty lists remembered in one pass are read again in different passes, one repository at a time", () =>
    Effect.gen(function*() {
      const fake = yield* world
      const repos = Array.from({ length: 8 }, (_, i) => `octo/r${i}` as typeof repo)
      for (const slug of repos) fake.seed(seed(3, slug))
      const tracker = yield* trackerOver(fake)
      const pass = Effect.forEach(repos, (slug) => tracker.listOpenIssues(slug, lock), { discard: true })
      yield* pass
      yield* nextPass
      yield* pass
      const reread: Array<number> = []
      for (let step = 1; step <= 12; step++) {
        yield* TestClock.adjust("30 minutes")
        fake.resetCounters()
        yield* pass
        reread.push(fake.log.filter((entry) => entry.path.includes(`labels=${lock}`)).length)
      }
      expect(reread.slice(0, 5), "none before half of the 6-hour bound").toEqual([0, 0, 0, 0, 0])
      expect(reread.reduce((a, b) => a + b, 0), "each repository once in the bound").toBe(8)
      expect(Math.max(...reread), "no pass carries them all").toBeLessThan(8)
    }))

  it.effect("a fresh client sharing the cache directory (the next CLI tick) finds the list remembered: one free probe", () =>
    Effect.gen(function*() {
      const fake = yield* world
      const cacheDirectory = join(scratch, "shared")
      const tick = inProcess(fake, { cacheDirectory }, (tracker) => tracker.listOpenIssues(repo, "afk"))
      const first = yield* tick
      expect(sent(fake)).toEqual(pages("afk"))
      fake.resetCounters()
      yield* nextPass
      yield* tick
      expect(sent(fake)).toEqual([probe, ...pages("afk")])
      fake.resetCounters()
      yield* nextPass
      expect(yield* tick).toEqual(first)
      expect(sent(fake)).toEqual([probe])
      expect(fake.counters()).toEqual({ requests: 1, points: 0, notModified: 1 })
    }))

  it.effect("a list remembered by another process is not served past maxAge, nor once the repository changed", () =>
    Effect.gen(function*() {
      const fake = yield* world
      const cacheDirectory = join(scratch, "shared-stale")
      const tick = inProcess(fake, { cacheDirectory }, (tracker) => tracker.listOpenIssues(repo, "afk"))
      yield* tick
      yield* nextPass
      yield* tick
      yield* TestClock.adjust("6 minutes")
      fake.resetCounters()
      yield* tick
      expect(sent(fake)).toEqual([probe, ...pages("afk")])
      yield* inProcess(fake, {}, (someoneElse) => someoneElse.addLabel(repo, 1, "afk"))
      yield* TestClock.adjust("2 minutes")
      fake.resetCounters()
      expect(numbers(yield* tick)).toContain(1)
      expect(sent(fake)).toEqual([probe, ...pages("afk")])
    }))

  it.effect("a client that never read a list sends no probe (a CLI tick without a cache directory)", () =>
    Effect.gen(function*() {
      const fake = yield* world
      for (let tick = 0; tick < 3; tick++) {
        fake.resetCounters()
        yield* Effect.flatMap(trackerOver(fake), (tracker) => tracker.listOpenIssues(repo, "afk"))
        expect(sent(fake)).toEqual(pages("afk"))
        yield* nextPass
      }
    }))

  it.effect("a 410 on a listed issue (deleted) drops the memos: its repository is read from GitHub again", () =>
    Effect.gen(function*() {
      const fake = yield* world
      const tracker = yield* trackerOver(fake, { retries: 0 })
      yield* tracker.listOpenIssues(repo, "afk")
      yield* nextPass
      yield* tracker.listOpenIssues(repo, "afk")
      fake.inject({ status: 410, path: "/issues/3/comments" })
      expect(yield* Effect.flip(tracker.listComments(repo, 3))).toMatchObject({ status: 410 })
      fake.resetCounters()
      yield* nextPass
      yield* tracker.listOpenIssues(repo, "afk")
      expect(sent(fake)).toEqual([probe, ...pages("afk")])
    }))

  it.effect("label events of an unchanged issue are read once; a label change reads them again", () =>
    Effect.gen(function*() {
      const fake = yield* world
      const tracker = yield* trackerOver(fake)
      const someoneElse = yield* trackerOver(fake)
      const events = "GET /repos/octo/hello/issues/3/events?per_page=100"
      yield* tracker.listOpenIssues(repo, "afk")
      const first = yield* tracker.labelEvents(repo, 3)
      fake.resetCounters()
      expect(yield* tracker.labelEvents(repo, 3)).toEqual(first)
      yield* nextPass
      yield* tracker.listOpenIssues(repo, "afk")
      expect(yield* tracker.labelEvents(repo, 3)).toEqual(first)
      expect(sent(fake)).not.toContain(events)
      yield* someoneElse.addLabel(repo, 3, "bug")
      fake.resetCounters()
      yield* nextPass
      yield* tracker.listOpenIssues(repo, "afk")
      const after = yield* tracker.labelEvents(repo, 3)
      expect(after.map((e) => e.label)).toEqual([...first.map((e) => e.label), "bug"])
      expect(sent(fake)).toContain(events)
    }))

  it.effect("label events are remembered by their client only; a fresh one sharing the directory reads them free", () =>
    Effect.gen(function*() {
      const fake = yield* world
      const cacheDirectory = join(scratch, "events")
      const tick = inProcess(
        fake,
        { cacheDirectory },
        (tracker) => Effect.zipRight(tracker.listOpenIssues(repo, "afk"), tracker.labelEvents(repo, 6))
      )
      const first = yield* tick
      yield* tick
      fake.resetCounters()
      expect(yield* tick).toEqual(first)
      expect(fake.log.filter((e) => e.path.includes("/events")).map((e) => e.status)).toEqual([304])
      expect(fake.counters().points).toBe(0)
    }))

  it.effect("the label events of an issue the adapter just labelled are read from GitHub, not remembered", () =>
    Effect.gen(function*() {
      const fake = yield* world
      const tracker = yield* trackerOver(fake)
      yield* tracker.listOpenIssues(repo, "afk")
      yield* tracker.labelEvents(repo, 3)
      yield* tracker.addLabel(repo, 3, lock)
      const events = yield* tracker.labelEvents(repo, 3)
      expect(events.at(-1)).toMatchObject({ label: lock, action: "added", actor: "afk-bot" })
    }))

  it.effect("a probe showing a change less than a minute old is never trusted (a same-second change hides)", () =>
    Effect.gen(function*() {
      const fake = yield* world
      const tracker = yield* trackerOver(fake)
      const someoneElse = yield* trackerOver(fake)
      yield* someoneElse.addLabel(repo, 3, "bug")
      yield* tracker.listOpenIssues(repo, "afk")
      yield* tracker.listOpenIssues(repo, "afk")
      yield* someoneElse.addLabel(repo, 1, "afk")
      yield* TestClock.adjust("61 seconds")
      fake.resetCounters()
      expect(numbers(yield* tracker.listOpenIssues(repo, "afk"))).toContain(1)
      expect(fake.log[0]).toMatchObject({ path: probe.slice(4), status: 304 })
    }))
})
