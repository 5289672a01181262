/**
 * quality.md R1 (crash-point sweep) and R3 (overlapping ticks) over the in-memory fakes.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { AgentRuntimeError } from "../src/AgentRuntime.js"
import { CiError } from "../src/Ci.js"
import type { Repo } from "../src/Domain.js"
import { NotifierError } from "../src/Notifier.js"
import { PullRequestsError } from "../src/PullRequests.js"
import * as RunRecord from "../src/RunRecord.js"
import * as MemoryCi from "../src/testing/MemoryCi.js"
import { TrackerError } from "../src/Tracker.js"
import * as Depth from "./support/depth.js"
import * as World from "./support/world.js"

const { app, lib, bot, armed, ready } = World

const issues: ReadonlyArray<readonly [Repo, number]> = [
  [app, 1],
  [app, 2],
  [lib, 1],
  [lib, 2]
]

const scenario = () =>
  World.make({
    issues: { [app]: [ready(1), ready(2)], [lib]: [ready(1), ready(2)] },
    behaviour: (turn) =>
      turn.issue.repo === lib && turn.issue.number === 1
        ? { _tag: "noPush", afterPolls: 1 }
        : { _tag: "push", afterPolls: 1 },
    ci: MemoryCi.scripts.redThenGreen(1)
  })

/** Invariants that must hold after every tick, crashed or not. */
const checkInvariants = (world: World.World, label: string) => {
  for (const [repo, n] of issues) {
    const issue = world.tracker.issue(repo, n)
    const latest = RunRecord.latest(world.tracker.comments(repo, n), bot)
    const threads = world.agent.threads().filter((t) => t.issue.repo === repo && t.issue.number === n)
    expect(threads.length, `${label}: ${repo}#${n} has one thread at most`).toBeLessThanOrEqual(1)
    if (issue.state === "closed") {
      const record = Option.getOrThrow(latest).record
      expect(record.phase, `${label}: ${repo}#${n} closed only by a done run`).toBe("done")
      expect(world.ci.greens.has(record.commit ?? ""), `${label}: ${repo}#${n} closed only on green CI`).toBe(true)
    }
    const escalated = Option.isSome(latest) && latest.value.record.phase === "escalated"
    if (escalated && issue.state === "open" && !issue.labels.includes("agent-in-progress")) {
      expect(issue.labels, `${label}: ${repo}#${n} escalated and unlocked must carry the human label`).toContain(
        "ready-for-human"
      )
    }
  }
}

/**
 * `repeats`: how often one terminal notification may be sent — twice after a crash between notify and
 * release; once under overlapping ticks of one process (`IssueGuard`).
 */
const checkFinal = (world: World.World, label: string, repeats = 2) => {
  for (const [repo, n] of issues) {
    const issue = world.tracker.issue(repo, n)
    if (issue.state === "open") {
      expect(issue.labels, `${label}: ${repo}#${n} lock released`).not.toContain("agent-in-progress")
    }
    const threads = world.agent.threads().filter((t) => t.issue.repo === repo && t.issue.number === n)
    expect(threads.length, `${label}: ${repo}#${n} dispatched exactly once`).toBe(1)
  }
  expect(world.tracker.issue(app, 1).state).toBe("closed")
  expect(world.tracker.issue(app, 2).state).toBe("closed")
  expect(world.tracker.issue(lib, 2).state).toBe("closed")
  expect(world.tracker.issue(lib, 1).labels).toContain("ready-for-human")
  const kinds = world.notifier.sent.map((n) => `${n.issue} ${n.kind}`)
  for (const expected of ["acme/app#1 done", "acme/app#2 done", "acme/lib#1 needs-human", "acme/lib#2 done"]) {
    const count = kinds.filter((k) => k === expected).length
    expect(count, `${label}: ${expected} notified`).toBeGreaterThanOrEqual(1)
    expect(count, `${label}: ${expected} notified at most ${repeats} times`).toBeLessThanOrEqual(repeats)
  }
}

/** After the k-th write anywhere, every port call fails: the process is gone, nothing more is written. */
const crashAfter = (world: World.World, k: number) => {
  let writes = 0
  let crashed = false
  const after = () =>
    Effect.sync(() => {
      writes++
      if (writes === k) crashed = true
    })
  world.tracker.afterWrite = after
  world.agent.afterWrite = after
  world.notifier.afterWrite = after
  world.pulls.afterWrite = after
  world.tracker.hook = (op) =>
    crashed ? Effect.fail(new TrackerError({ operation: op, detail: "crashed", transient: true })) : Effect.void
  world.agent.hook = (op) =>
    crashed ? Effect.fail(new AgentRuntimeError({ operation: op, detail: "crashed", transient: true })) : Effect.void
  world.notifier.hook = (op) =>
    crashed ? Effect.fail(new NotifierError({ operation: op, detail: "crashed", transient: true })) : Effect.void
  world.ci.hook = (op) =>
    crashed ? Effect.fail(new CiError({ operation: op, detail: "crashed", transient: true })) : Effect.void
  return {
    crashed: () => crashed,
    restart: () => {
      crashed = false
      writes = Number.NEGATIVE_INFINITY
    }
  }
}

describe("R1 crash-point sweep", () => {
  it.effect(
    "every write of poll and watch, crashed right after, converges with the invariants intact",
    () =>
      Effect.gen(function*() {
        const clean = yield* scenario()
        yield* clean.settle(armed())
        checkFinal(clean, "clean run")
        expect(clean.agent.staleFresh()).toBe(0)
        const points = clean.tracker.writes.length + clean.agent.turnsStarted() + clean.notifier.sent.length
        expect(points).toBeGreaterThan(30)
        let covered = 0
        for (let k = 1; k <= points; k += Depth.stride) {
          const world = yield* scenario()
          const crash = crashAfter(world, k)
          let ticks = 0
          while (!crash.crashed() && ticks < 80) {
            yield* world.tick(armed())
            checkInvariants(world, `crash after write ${k}, tick ${++ticks}`)
          }
          if (!crash.crashed()) continue
          covered++
          crash.restart()
          for (let t = 0; t < 60; t++) {
            yield* world.tick(armed())
            checkInvariants(world, `crash after write ${k}, recovery tick ${t}`)
          }
          checkFinal(world, `crash after write ${k}`)
          expect(world.agent.staleFresh(), `crash after write ${k}: a dispatch marked fresh found a thread`).toBe(0)
        }
        console.info(`R1: ${covered} crash points covered (of ${points} writes in a clean run, stride ${Depth.stride})`)
        expect(covered).toBeGreaterThanOrEqual(Math.ceil(points / Depth.stride) - 2)
      }),
    120_000
  )
})

describe("R3 overlapping ticks", () => {
  for (const overlap of [2, 4, 8]) {
    it.effect(`${overlap} ticks at once never dispatch an issue twice`, () =>
      Effect.gen(function*() {
        const world = yield* scenario()
        world.tracker.hook = () => Effect.yieldNow()
        world.agent.hook = () => Effect.yieldNow()
        for (let round = 0; round < 30; round++) {
          yield* Effect.all(
            Array.from({ length: overlap }, () => world.tick(armed(), 0)),
            { concurrency: "unbounded", discard: true }
          )
          yield* world.tick(armed(), 2)
          checkInvariants(world, `overlap ${overlap}, round ${round}`)
        }
        yield* world.settle(armed())
        checkFinal(world, `overlap ${overlap}`, 1)
      }))
  }
})

const pullArmed = () => armed({ delivery: "pull-request" })

/** Pull-request invariants: one pull request per run's branch at most, one merge at most, merged before closed. */
const checkPulls = (world: World.World, label: string) => {
  const pulls = world.pulls.pulls()
  for (const repo of [app, lib]) {
    const heads = world.pulls.pulls(repo).map((pull) => pull.head)
    expect(new Set(heads).size, `${label}: one pull request per branch (${heads.join(", ")})`).toBe(heads.length)
  }
  expect(world.pulls.merges(), `${label}: each pull request merged once at most`).toBeLessThanOrEqual(pulls.length)
  for (const [repo, n] of issues) {
    if (world.tracker.issue(repo, n).state !== "closed") continue
    const record = Option.getOrThrow(RunRecord.latest(world.tracker.comments(repo, n), bot)).record
    const merged = world.pulls.pulls(repo).find((pull) => pull.head === record.pull?.branch && pull.state === "merged")
    expect(merged, `${label}: ${repo}#${n} closed only after its pull request merged`).toBeDefined()
    expect(record.commit, `${label}: ${repo}#${n} proof read on the merge commit`).toBe(merged?.mergeSha)
  }
}

describe("R1 / R3 with pull-request delivery", () => {
  it.effect(
    "every write of a pull-request run (opens, merges and branch deletes included), crashed right after, converges: one pull request and one merge per run",
    () =>
      Effect.gen(function*() {
        const clean = yield* scenario()
        yield* clean.settle(pullArmed())
        checkFinal(clean, "clean run")
        checkPulls(clean, "clean run")
        expect(clean.pulls.opened()).toBe(3)
        expect(clean.pulls.merges()).toBe(3)
        const points = clean.tracker.writes.length + clean.agent.turnsStarted() + clean.notifier.sent.length +
          clean.pulls.opened() + clean.pulls.merges() + clean.pulls.deleted().length
        let covered = 0
        for (let k = 1; k <= points; k += Depth.stride) {
          const world = yield* scenario()
          const crash = crashAfter(world, k)
          world.pulls.hook = (op) =>
            crash.crashed()
              ? Effect.fail(new PullRequestsError({ operation: op, detail: "crashed", transient: true }))
              : Effect.void
          let ticks = 0
          while (!crash.crashed() && ticks < 80) {
            yield* world.tick(pullArmed())
            checkInvariants(world, `crash after write ${k}, tick ${++ticks}`)
            checkPulls(world, `crash after write ${k}, tick ${ticks}`)
          }
          if (!crash.crashed()) continue
          covered++
          crash.restart()
          for (let t = 0; t < 60; t++) {
            yield* world.tick(pullArmed())
            checkInvariants(world, `crash after write ${k}, recovery tick ${t}`)
            checkPulls(world, `crash after write ${k}, recovery tick ${t}`)
          }
          checkFinal(world, `crash after write ${k}`)
          expect(world.pulls.merges(), `crash after write ${k}: three merges`).toBe(3)
        }
        console.info(
          `R1 (pull requests): ${covered} crash points covered (of ${points} writes, stride ${Depth.stride})`
        )
        expect(covered).toBeGreaterThanOrEqual(Math.ceil(points / Depth.stride) - 2)
      }),
    240_000
  )

  for (const overlap of [2, 4]) {
    it.effect(`${overlap} ticks at once never open a second pull request or merge twice`, () =>
      Effect.gen(function*() {
        const world = yield* scenario()
        world.tracker.hook = () => Effect.yieldNow()
        world.agent.hook = () => Effect.yieldNow()
        world.pulls.hook = () => Effect.yieldNow()
        for (let round = 0; round < 30; round++) {
          yield* Effect.all(
            Array.from({ length: overlap }, () => world.tick(pullArmed(), 0)),
            { concurrency: "unbounded", discard: true }
          )
          yield* world.tick(pullArmed(), 2)
          checkInvariants(world, `overlap ${overlap}, round ${round}`)
          checkPulls(world, `overlap ${overlap}, round ${round}`)
        }
        yield* world.settle(pullArmed())
        checkFinal(world, `overlap ${overlap}`, 1)
        expect(world.pulls.opened()).toBe(3)
        expect(world.pulls.merges()).toBe(3)
      }))
  }
})
