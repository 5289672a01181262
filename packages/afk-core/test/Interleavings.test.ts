/**
 * R3, explored: every ordering of two passes' writes, at the granularity of one write (tracker, agent or
 * notifier), for the claim and for the terminal steps. Each pass runs until its next write and waits there;
 * a schedule says which waiting pass goes next. Schedules are enumerated depth-first from scratch (a
 * stateless model checker), so every interleaving of the two passes' writes is run once, and the invariants
 * are checked after each. Two passes are two processes (each its own `IssueGuard`) unless a test shares one.
 * A broken variant (no guard between two passes of one process; a tracker that answers re-reads from a
 * stale cache) is explored too, and the explorer must find its violation.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Option from "effect/Option"
import * as IssueGuard from "../src/IssueGuard.js"
import * as RunRecord from "../src/RunRecord.js"
import * as Tick from "../src/Tick.js"
import * as Tracker from "../src/Tracker.js"
import * as Depth from "./support/depth.js"
import * as World from "./support/world.js"

const { app, armed, bot, ready } = World

type Pass = "A" | "B"
const passRef = FiberRef.unsafeMake<Pass | "free">("free")

interface Controller {
  readonly waiting: Set<Pass>
  readonly done: Set<Pass>
  readonly release: Map<Pass, () => void>
}

/** Runs passes A and B with `schedule` deciding, at each point where both wait at a write, who goes. */
const interleave = (
  world: World.World,
  schedule: ReadonlyArray<Pass>,
  passes: Readonly<Record<Pass, Effect.Effect<unknown>>>
) =>
  Effect.gen(function*() {
    const c: Controller = { waiting: new Set(), done: new Set(), release: new Map() }
    const gate = (isWrite: boolean) =>
      Effect.flatMap(FiberRef.get(passRef), (pass) =>
        !isWrite || pass === "free"
          ? Effect.void
          : Effect.async<void>((resume) => {
            c.waiting.add(pass)
            c.release.set(pass, () => {
              c.waiting.delete(pass)
              resume(Effect.void)
            })
          }))
    world.tracker.hook = (_op, isWrite) => gate(isWrite)
    world.agent.hook = (_op, isWrite) => gate(isWrite)
    world.notifier.hook = (_op, isWrite) => gate(isWrite)
    const run = (pass: Pass) =>
      Effect.locally(passes[pass], passRef, pass).pipe(Effect.ensuring(Effect.sync(() => c.done.add(pass))))
    const fibers = yield* Effect.all([Effect.fork(run("A")), Effect.fork(run("B"))])
    const choices: Array<{ readonly chose: Pass; readonly both: boolean }> = []
    const settled = () => (["A", "B"] as const).every((p) => c.waiting.has(p) || c.done.has(p))
    while (c.done.size < 2) {
      // A pass that neither writes nor finishes for a while waits for the other one (the guard): the
      // waiting pass goes, and that is no choice.
      let spins = 0
      while (!settled() && !(spins > 500 && c.waiting.size > 0)) {
        yield* Effect.yieldNow()
        if (++spins > 10_000) throw new Error("a pass neither wrote nor finished")
      }
      if (c.done.size === 2) break
      const both = c.waiting.size === 2
      const chose: Pass = both ? (schedule[choices.filter((x) => x.both).length] ?? "A") : [...c.waiting][0]!
      choices.push({ chose, both })
      c.release.get(chose)!()
    }
    for (const fiber of fibers) yield* fiber.await
    world.tracker.hook = () => Effect.void
    world.agent.hook = () => Effect.void
    world.notifier.hook = () => Effect.void
    return choices.filter((x) => x.both).map((x) => x.chose)
  })

/**
 * Explores every schedule: runs `scenario` with a schedule prefix, and for each branching point past the
 * prefix where A was chosen, schedules the same prefix with B there. Returns how many interleavings ran and
 * the violations found (with their schedule).
 */
const explore = (
  scenario: (schedule: ReadonlyArray<Pass>) => Effect.Effect<{
    readonly taken: ReadonlyArray<Pass>
    readonly violations: ReadonlyArray<string>
  }>,
  options: { readonly limit?: number; readonly stopAtFirst?: boolean } = {}
) =>
  Effect.gen(function*() {
    const stack: Array<ReadonlyArray<Pass>> = [[]]
    const found: Array<string> = []
    let runs = 0
    while (
      stack.length > 0 && runs < (options.limit ?? Depth.interleavings) &&
      !(options.stopAtFirst === true && found.length > 0)
    ) {
      const prefix = stack.pop()!
      const { taken, violations } = yield* scenario(prefix)
      runs++
      for (const v of violations) found.push(`${taken.join("")}: ${v}`)
      for (let i = taken.length - 1; i >= prefix.length; i--) {
        if (taken[i] === "A") stack.push([...taken.slice(0, i), "B"])
      }
    }
    return { runs, violations: found, exhausted: stack.length === 0 }
  })

const threadsOf = (world: World.World, n: number) =>
  world.agent.threads().filter((t) => t.issue.repo === app && t.issue.number === n).length

const withGuard = <A, E, R>(guard: IssueGuard.Guard, effect: Effect.Effect<A, E, R>) =>
  Effect.provideService(effect, IssueGuard.IssueGuard, guard)

/** The tracker as one without `markComment` (an integrator's adapter may lack it). */
const unmarked = ({ markComment: _, ...rest }: Tracker.Service): Tracker.Service => rest

const tickWith = (world: World.World, guard: IssueGuard.Guard, marks = true) =>
  withGuard(
    guard,
    Tick.run(armed()).pipe(
      marks ? (effect) => effect : Effect.updateService(Tracker.Tracker, unmarked),
      Effect.provide(world.layer),
      Effect.ignore
    )
  )

const invariants = (world: World.World, maxNotifications: number) => {
  const violations: Array<string> = []
  const threads = threadsOf(world, 1)
  if (threads > 1) violations.push(`${threads} threads for one run`)
  const issue = world.tracker.issue(app, 1)
  const latest = RunRecord.latest(world.tracker.comments(app, 1), bot)
  if (issue.state === "closed" && Option.exists(latest, (f) => f.record.phase !== "done")) {
    violations.push("closed without a done record")
  }
  if (issue.state === "closed" && issue.labels.includes("agent-in-progress")) {
    violations.push("a closed issue keeps the lock")
  }
  const done = world.notifier.sent.filter((n) => n.kind === "done").length
  if (done > maxNotifications) violations.push(`${done} done notifications`)
  return violations
}

/** One ready issue; passes A and B are two polls (claim race), then the world settles. */
const claimRace = (shared: boolean) => (schedule: ReadonlyArray<Pass>) =>
  Effect.gen(function*() {
    const world = yield* World.make({
      issues: { [app]: [ready(1)] },
      behaviour: () => ({ _tag: "push", afterPolls: 0 })
    })
    const one = IssueGuard.make()
    const taken = yield* interleave(world, schedule, {
      A: tickWith(world, shared ? one : IssueGuard.make()),
      B: tickWith(world, shared ? one : IssueGuard.make())
    })
    yield* world.settle(armed())
    const violations = invariants(world, 1)
    if (threadsOf(world, 1) !== 1) violations.push(`dispatched ${threadsOf(world, 1)} times`)
    if (world.tracker.issue(app, 1).state !== "closed") violations.push("never closed")
    return { taken, violations }
  })

/** A run that pushed and is green; passes A and B are two watches finishing it at once. */
const terminalRace = (shared: boolean, maxNotifications: number, marks = true) => (schedule: ReadonlyArray<Pass>) =>
  Effect.gen(function*() {
    const world = yield* World.make({
      issues: { [app]: [ready(1)] },
      behaviour: () => ({ _tag: "push", afterPolls: 0 })
    })
    yield* world.tick(armed())
    const one = IssueGuard.make()
    const taken = yield* interleave(world, schedule, {
      A: tickWith(world, shared ? one : IssueGuard.make(), marks),
      B: tickWith(world, shared ? one : IssueGuard.make(), marks)
    })
    yield* world.settle(armed())
    const violations = invariants(world, maxNotifications)
    if (world.tracker.issue(app, 1).state !== "closed") violations.push("never closed")
    if (world.notifier.sent.filter((n) => n.kind === "done").length < 1) violations.push("done never notified")
    return { taken, violations }
  })

describe("R3 interleavings, explored exhaustively", () => {
  it.effect(
    "the claim: two processes' polls in every order start one thread and close once",
    () =>
      Effect.gen(function*() {
        const result = yield* explore(claimRace(false))
        console.info(`R3 explorer, claim: ${result.runs} interleavings`)
        expect(result.exhausted).toBe(true)
        expect(result.runs).toBeGreaterThan(10)
        expect(result.violations).toEqual([])
      }),
    120_000
  )

  it.effect("the terminal steps: two passes of one process notify once, in every order", () =>
    Effect.gen(function*() {
      const result = yield* explore(terminalRace(true, 1))
      console.info(`R3 explorer, terminal (one process): ${result.runs} interleavings`)
      expect(result.exhausted).toBe(true)
      expect(result.violations).toEqual([])
    }), 120_000)

  it.effect(
    "the terminal steps: two processes never close twice, keep no lock, notify once (the record's mark)",
    () =>
      Effect.gen(function*() {
        const result = yield* explore(terminalRace(false, 1))
        console.info(
          `R3 explorer, terminal (two processes): ${result.runs} interleavings${Depth.sampled ? " (a sample)" : ""}`
        )
        if (!Depth.sampled) expect(result.exhausted).toBe(true)
        expect(result.runs).toBeGreaterThanOrEqual(Depth.sampled ? Depth.interleavings : 1)
        expect(result.violations).toEqual([])
      }),
    600_000
  )

  it.effect(
    "broken variant: two processes over a tracker that cannot mark — the explorer finds the double notification",
    () =>
      Effect.gen(function*() {
        const result = yield* explore(terminalRace(false, 1, false), { stopAtFirst: true })
        console.info(`R3 explorer, broken variant: found after ${result.runs} interleavings: ${result.violations[0]}`)
        expect(result.violations.some((v) => v.includes("2 done notifications"))).toBe(true)
      }),
    120_000
  )
})

describe("R3 a stalled tick", () => {
  it.effect("a poll that stalls before its claim while other ticks run the issue to the end starts nothing", () =>
    Effect.gen(function*() {
      const world = yield* World.make({
        issues: { [app]: [ready(1)] },
        behaviour: () => ({ _tag: "push", afterPolls: 0 })
      })
      let stalled: (() => void) | undefined
      let waiting = true
      world.tracker.hook = (_op, isWrite) =>
        Effect.flatMap(FiberRef.get(passRef), (pass) =>
          pass === "A" && isWrite && waiting
            ? Effect.async<void>((resume) => {
              stalled = () => resume(Effect.void)
            })
            : Effect.void)
      const a = yield* Effect.fork(Effect.locally(tickWith(world, IssueGuard.make()), passRef, "A"))
      while (stalled === undefined) yield* Effect.yieldNow()
      yield* withGuard(IssueGuard.make(), world.settle(armed()))
      expect(world.tracker.issue(app, 1).state).toBe("closed")
      waiting = false
      stalled()
      yield* a.await
      yield* world.settle(armed())
      expect(threadsOf(world, 1)).toBe(1)
      expect(world.tracker.issue(app, 1).state).toBe("closed")
      expect(world.tracker.issue(app, 1).labels).not.toContain("agent-in-progress")
      expect(RunRecord.terminalRuns(world.tracker.comments(app, 1), bot)).toBe(1)
      expect(world.tracker.comments(app, 1).filter((c) => RunRecord.parseAll(c.body).length > 0)).toHaveLength(1)
    }))
})
