import { describe, expect, it } from "@effect/vitest"
import * as Arr from "effect/Array"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Metric from "effect/Metric"
import * as MetricState from "effect/MetricState"
import * as DispatchPolicy from "../src/DispatchPolicy.js"
import { Issue, type Repo, repo } from "../src/Domain.js"
import type * as Pass from "../src/Pass.js"
import * as Poll from "../src/Poll.js"
import * as Tick from "../src/Tick.js"
import { type Service as TrackerService, Tracker, TrackerError } from "../src/Tracker.js"
import * as World from "./support/world.js"

const { app, lib, armed, ready } = World

const many = (from: number, to: number, labeledBy = "maintainer") =>
  Arr.range(from, to).map((n) => ready(n, { labeledBy: { "ready-for-agent": labeledBy } }))

const decided = (report: Pass.Report) =>
  new Map(report.decisions.map((d) => [d.subject, `${d.action} ${d.reason.split(":")[0]}`]))

/** A logger keeping each line as `LEVEL message`, prefixed with `[<at()> locks]` when `at` is given. */
const capture = (at?: () => number) => {
  const lines: Array<string> = []
  const logger = Logger.make(({ logLevel, message }) => {
    const line = `${logLevel.label} ${String(Array.isArray(message) ? message[0] : message)}`
    lines.push(at === undefined ? line : `[${at()} locks] ${line}`)
  })
  return { lines, logger }
}

const locked = (world: World.World, repo: Repo, n: number) =>
  world.tracker.issue(repo, n).labels.includes("agent-in-progress")

/**
 * One tick over `world` through a tracker with `overrides`, made with `later` (a read that answers only once a
 * read wrapped in `first` has been asked, or fails after two seconds of real time): a pass that asks the two
 * one after the other cannot finish the later read.
 */
const tickWhere = (
  world: World.World,
  overrides: (gate: {
    readonly later: <A>(read: Effect.Effect<A, TrackerError>) => Effect.Effect<A, TrackerError>
    readonly first: <A>(read: Effect.Effect<A, TrackerError>) => Effect.Effect<A, TrackerError>
  }) => Partial<TrackerService>,
  config = armed({ maxConcurrentRuns: 1 })
) =>
  Effect.gen(function*() {
    const asked = yield* Deferred.make<void>()
    const tracker: TrackerService = {
      ...world.tracker.service,
      ...overrides({
        later: (read) =>
          Deferred.await(asked).pipe(
            Effect.timeoutFail({
              duration: "2 seconds",
              onTimeout: () => new TrackerError({ operation: "gated", detail: "not asked first", transient: false })
            }),
            Effect.withClock(Clock.make()),
            Effect.zipRight(read)
          ),
        first: (read) => Effect.zipRight(Deferred.succeed(asked, undefined), read)
      })
    }
    return yield* Tick.run(config).pipe(
      Effect.provideService(Tracker, tracker),
      Effect.provide(world.layer)
    )
  })

/** A tick over acme/app#1–`issues` through `overrides` (see `tickWhere`) dispatches acme/app#1 and locks it. */
const dispatchesWhere = (
  issues: number,
  overrides: (memory: TrackerService, gate: Parameters<Parameters<typeof tickWhere>[1]>[0]) => Partial<TrackerService>
) =>
  Effect.gen(function*() {
    const world = yield* World.make({ issues: { [app]: many(1, issues) } })
    const report = yield* tickWhere(world, (gate) => overrides(world.tracker.service, gate))
    expect(decided(report.poll).get("acme/app#1")).toBe("dispatch acme/app#1")
    expect(locked(world, app, 1)).toBe(true)
  })

describe("poll reads candidates in policy order only until every slot is decided", () => {
  it.effect("one free slot and 40 ready issues: one batch is read, every issue still gets a decision", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ issues: { [app]: many(1, 20), [lib]: many(1, 20) } })
      const report = yield* world.tick(armed({ maxConcurrentRuns: 1 }))
      expect(locked(world, app, 1)).toBe(true)
      expect(world.agent.threadsCreated()).toBe(1)
      // One batch of four candidates (one slot: half a batch, one round of a host's lanes), and the claim's
      // own re-read of the winner after it took the lock.
      expect(world.tracker.reads.labelEvents).toBe(5)
      // The claim re-reads the issue and finds the text the pass proved: its last edit is not read again.
      expect(world.tracker.reads.lastEdit).toBe(4)
      // The four read are decided one by one; the 36 left unread are refused as one summed-up backlog.
      const decisions = decided(report.poll)
      expect(decisions.get("acme/app#1")).toBe("dispatch acme/app#1")
      expect(decisions.get("acme/lib#1")).toBe("refuse at-capacity")
      expect(decisions.get("acme/app#2")).toBe("refuse repo-busy")
      expect(decisions.get("acme/lib#2")).toBe("refuse at-capacity")
      expect(decisions.size).toBe(4)
      expect(report.poll.unexamined).toEqual({
        count: 36,
        reasons: { "at-capacity": 18, "repo-busy": 18 },
        repos: 2,
        first: ["acme/app#3", "acme/lib#3", "acme/app#4"]
      })
    }))

  it.effect("the issues left unread are summed up in one info line and a gauge; the ones read are logged each", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ issues: { [app]: many(1, 20, "stranger"), [lib]: many(1, 20) } })
      const { lines, logger } = capture()
      const report = yield* world.tick(armed({ maxConcurrentRuns: 1 })).pipe(
        Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
        Logger.withMinimumLogLevel(LogLevel.Debug)
      )
      expect(lines).toContain(
        "INFO acme/app#1: refuse (untrusted: The latest ready-for-agent label on acme/app#1 was applied by stranger, who is not a trusted actor.)"
      )
      // Read: app#1–2 (untrusted) and lib#1–2 (lib#1 wins); left unread: app#3–20 and lib#3–20.
      expect(decided(report.poll).has("acme/app#20")).toBe(false)
      expect(report.poll.unexamined?.reasons).toEqual({ "at-capacity": 18, "repo-busy": 18 })
      expect(lines.filter((l) => l.includes("acme/app#20") || l.includes("acme/lib#20"))).toEqual([])
      expect(lines.filter((l) => l.includes("not examined"))).toEqual([
        "INFO poll: 36 ready issues not examined this pass, every slot decided before them " +
        "(at-capacity 18, repo-busy 18) across 2 repos; first: acme/app#3, acme/lib#3, acme/app#4, …"
      ])
      expect(yield* Metric.value(Poll.unexamined)).toEqual(MetricState.gauge(36))
      const roomy = yield* world.tick(armed({ maxConcurrentRuns: 5 }))
      expect(yield* Metric.value(Poll.unexamined)).toEqual(MetricState.gauge(0))
      expect(roomy.poll.unexamined).toBeUndefined()
    }))

  it.effect("the labeller's trust is asked while the last edit is read, not a round after it", () =>
    // The last edit answers only once trust has been asked: a poll that asks trust after the edit cannot read.
    dispatchesWhere(1, (memory, { first, later }) => ({
      lastEdit: (repo, number) => later(memory.lastEdit(repo, number)),
      isTrusted: (repo, login) => first(memory.isTrusted(repo, login))
    })))

  it.effect("a likely winner's policy file is read while its labeller's trust is asked, not a round after it", () =>
    // A full batch of four candidates in one repository (their reads leave lanes free for the file); trust
    // answers only once the policy file has been asked: a poll that reads the file after trust cannot.
    dispatchesWhere(4, (memory, { first, later }) => ({
      isTrusted: (repo, login) => later(memory.isTrusted(repo, login)),
      policyFile: (repo) => first(memory.policyFile!(repo))
    })))

  it.effect("three free slots and a batch over four repositories: the likely winners' files are read beside trust", () =>
    Effect.gen(function*() {
      // Each candidate's label events and last edit fill the first round; the second asks one trust per
      // repository, leaving four lanes for the files. Trust answers only once a policy file has been asked: a
      // poll that reads the files after trust cannot dispatch.
      const repos = ["acme/a", "acme/b", "acme/c", "acme/d"].map(repo)
      const world = yield* World.make({ issues: Object.fromEntries(repos.map((r) => [r, many(1, 1)])) })
      const memory = world.tracker.service
      const report = yield* tickWhere(world, ({ first, later }) => ({
        isTrusted: (repo, login) => later(memory.isTrusted(repo, login)),
        policyFile: (repo) => first(memory.policyFile!(repo))
      }), armed({ maxConcurrentRuns: 3, allowlist: repos }))
      expect(repos.map((r) => decided(report.poll).get(`${r}#1`))).toEqual([
        "dispatch acme/a#1",
        "dispatch acme/b#1",
        "dispatch acme/c#1",
        "refuse at-capacity"
      ])
    }))

  it.effect("the policy file is read ahead only for as many repositories as slots are free", () =>
    Effect.gen(function*() {
      // One slot, a batch of four candidates in two repositories: only the first in policy order is likely to
      // win, so only its repository's file is read ahead (and then for the claim); the other is never read.
      const world = yield* World.make({ issues: { [app]: many(1, 2), [lib]: many(1, 2) } })
      const asked: Array<string> = []
      const memory = world.tracker.service
      const tracker: TrackerService = {
        ...memory,
        policyFile: (repo) => Effect.zipRight(Effect.sync(() => asked.push(repo)), memory.policyFile!(repo))
      }
      const report = yield* Tick.run(armed({ maxConcurrentRuns: 1 })).pipe(
        Effect.provideService(Tracker, tracker),
        Effect.provide(world.layer)
      )
      expect(decided(report.poll).get("acme/app#1")).toBe("dispatch acme/app#1")
      expect(asked).toEqual([app])
    }))

  it.effect("watch's recovery of an unfinished claim reads the last edit beside the issue, as it has no proof", () =>
    Effect.gen(function*() {
      // The lock is the bot's and no record exists: a claim that crashed after its lock. Its recovery has no
      // text proved by a pass, so the last edit always decides: it is read with the rest, in one round.
      const world = yield* World.make({
        issues: {
          [app]: [
            ready(1, {
              labels: ["ready-for-agent", "agent-in-progress"],
              labeledBy: { "ready-for-agent": "maintainer", "agent-in-progress": World.bot }
            })
          ]
        }
      })
      const memory = world.tracker.service
      yield* tickWhere(world, ({ first, later }) => ({
        getIssue: (repo, number) => later(memory.getIssue(repo, number)),
        lastEdit: (repo, number) => first(memory.lastEdit(repo, number))
      }))
      expect(world.agent.threadsCreated()).toBe(1)
    }))

  it.effect("claims before it journals a refusal: a concurrent process races for the claim, not the log", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ issues: { [app]: many(1, 20), [lib]: many(1, 20) } })
      const { lines, logger } = capture(() =>
        world.tracker.writes.filter((w) => w.op === "addLabel" && w.detail === "agent-in-progress").length
      )
      yield* world.tick(armed({ maxConcurrentRuns: 2 })).pipe(
        Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
        Logger.withMinimumLogLevel(LogLevel.Debug)
      )
      expect(locked(world, app, 1) && locked(world, lib, 1)).toBe(true)
      const refusals = lines.filter((l) => l.includes(": refuse ("))
      expect(refusals).not.toHaveLength(0)
      expect(refusals.filter((l) => !l.startsWith("[2 locks]"))).toEqual([])
    }))

  it.effect("refused candidates make the next batch be read, so a later eligible issue is still found", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ issues: { [app]: [...many(1, 10, "stranger"), ready(11)] } })
      const report = yield* world.tick(armed({ maxConcurrentRuns: 1 }))
      expect(locked(world, app, 11)).toBe(true)
      // Eleven candidates, and the claim's re-read of #11 after it took the lock.
      expect(world.tracker.reads.labelEvents).toBe(12)
      expect(decided(report.poll).get("acme/app#3")).toBe("refuse untrusted")
    }))

  it.effect("the issues of a repo with a run in flight are refused without a read", () =>
    Effect.gen(function*() {
      const world = yield* World.make({
        issues: {
          [app]: [ready(1, { labels: ["ready-for-agent", "agent-in-progress"] }), ...many(2, 9)],
          [lib]: [ready(1)]
        },
        behaviour: () => ({ _tag: "hang" })
      })
      const report = yield* world.tick(armed({ maxConcurrentRuns: 3 }))
      expect(locked(world, lib, 1)).toBe(true)
      expect(decided(report.poll).get("acme/app#5")).toBe("refuse repo-locked")
      // Watch asks who locked app#1 (not AFK: left alone); poll reads lib#1 as a candidate and again in its
      // claim. None of app's other issues is read.
      expect(world.tracker.reads.labelEvents).toBe(3)
    }))

  it.effect("decides as the policy does with every candidate read (same dispatches, same refusals)", () =>
    Effect.gen(function*() {
      const issues = {
        [app]: [...many(1, 3, "stranger"), ready(4, { labels: ["ready-for-agent", "priority:-1"] }), ...many(5, 12)],
        [lib]: [
          ready(1, { body: "Blocked by #2" }),
          { number: 2, title: "blocker" },
          ...many(3, 12, "stranger"),
          ready(13)
        ]
      }
      const config = armed({ maxConcurrentRuns: 2 })
      const world = yield* World.make({ issues, behaviour: () => ({ _tag: "hang" }) })
      const report = yield* world.tick(config)
      const dispatched = report.poll.decisions.filter((d) => d.action === "dispatch").map((d) => d.subject)
      const everything = DispatchPolicy.decide({
        candidates: [app, lib].flatMap((repo) =>
          (issues[repo] ?? []).filter((seed) => seed.labels?.includes("ready-for-agent")).map((seed) => {
            const issue = world.tracker.issue(repo, seed.number)
            const trusted = seed.labeledBy?.["ready-for-agent"] === "maintainer"
            return {
              issue: new Issue({ ...issue, labels: issue.labels.filter((l) => l !== "agent-in-progress") }),
              trusted,
              blockers: DispatchPolicy.blockersOf(issue).map((ref) => ({ ref, state: "open" as const }))
            }
          })
        ),
        lockedRepos: new Set(),
        inFlight: 0,
        config
      })
      expect(dispatched).toEqual(everything.dispatch.map((d) => String(d.issue.ref)))
      expect(dispatched).toEqual(["acme/app#4", "acme/lib#13"])
    }))
})
