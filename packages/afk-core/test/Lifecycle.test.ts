import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { AgentRuntimeError } from "../src/AgentRuntime.js"
import * as Checklist from "../src/Checklist.js"
import * as Config from "../src/Config.js"
import { Check, type Repo } from "../src/Domain.js"
import * as DryRun from "../src/DryRun.js"
import * as RunRecord from "../src/RunRecord.js"
import * as MemoryCi from "../src/testing/MemoryCi.js"
import * as Tick from "../src/Tick.js"
import { TrackerError } from "../src/Tracker.js"
import * as World from "./support/world.js"

const { app, lib, bot, armed, ready } = World

const record = (world: World.World, repo: Repo, n: number) =>
  Option.getOrThrow(RunRecord.latest(world.tracker.comments(repo, n), bot)).record

const checklists = (world: World.World, repo: Repo, n: number) =>
  world.tracker.comments(repo, n).filter((c) => Checklist.isChecklist(c.body))

describe("lifecycle on the in-memory fakes", () => {
  it.effect("ready → dispatched → pushed → CI green → closed with proof and a done notification", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ issues: { [app]: [ready(1)] } })
      yield* world.settle(armed())
      const issue = world.tracker.issue(app, 1)
      expect(issue.state).toBe("closed")
      expect(issue.labels).not.toContain("agent-in-progress")
      expect(world.agent.threadsCreated()).toBe(1)
      expect(world.notifier.sent.map((n) => n.kind)).toEqual(["done"])
      expect(world.notifier.sent[0]?.commit).toBe(record(world, app, 1).commit)
      expect(record(world, app, 1).phase).toBe("done")
      expect(checklists(world, app, 1)).toHaveLength(1)
    }))

  it.effect("an agent session that cannot be stopped yet (server down) keeps the lock; a later pass stops it, once", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ issues: { [app]: [ready(1)] } })
      let refusals = 2
      world.agent.hook = (op) =>
        op === "release" && refusals-- > 0
          ? Effect.fail(new AgentRuntimeError({ operation: op, detail: "connect ECONNREFUSED", transient: true }))
          : Effect.void
      const phase = () => Option.getOrUndefined(RunRecord.latest(world.tracker.comments(app, 1), bot))?.record.phase
      for (let pass = 0; pass < 30 && phase() !== "done"; pass++) yield* world.tick(armed())
      expect(world.tracker.issue(app, 1).state).toBe("closed")
      expect(world.tracker.issue(app, 1).labels).toContain("agent-in-progress")
      expect(world.agent.releases()).toHaveLength(0)
      yield* world.tick(armed())
      expect(world.tracker.issue(app, 1).labels).toContain("agent-in-progress")
      yield* world.settle(armed())
      expect(world.tracker.issue(app, 1).labels).not.toContain("agent-in-progress")
      expect(world.agent.releases()).toHaveLength(1)
      expect(world.notifier.sent.map((n) => n.kind)).toEqual(["done"])
    }))

  it.effect("a forge that refuses the record's mark (e.g. the reaction not allowed) still gets one notification", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ issues: { [app]: [ready(1)] } })
      world.tracker.hook = (op) =>
        op === "markComment"
          ? Effect.fail(new TrackerError({ operation: "markComment", detail: "not allowed", transient: false }))
          : Effect.void
      yield* world.settle(armed())
      expect(world.tracker.issue(app, 1).state).toBe("closed")
      expect(world.tracker.issue(app, 1).labels).not.toContain("agent-in-progress")
      expect(world.notifier.sent.map((n) => n.kind)).toEqual(["done"])
      expect(record(world, app, 1).notifiedAt).toBeDefined()
    }))

  it.effect("red CI → fix-forward on the same thread → green → closed", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ issues: { [app]: [ready(1)] }, ci: MemoryCi.scripts.redThenGreen(1) })
      yield* world.settle(armed())
      expect(world.tracker.issue(app, 1).state).toBe("closed")
      expect(world.agent.threadsCreated()).toBe(1)
      expect(world.agent.threads()[0]?.turns).toBe(2)
      expect(record(world, app, 1).attempts).toBe(1)
      expect(world.notifier.sent.map((n) => n.kind)).toEqual(["done"])
    }))

  it.effect("the same failure twice freezes the run and hands it to a human", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ issues: { [app]: [ready(1)] }, ci: MemoryCi.scripts.alwaysRed() })
      yield* world.settle(armed())
      const issue = world.tracker.issue(app, 1)
      expect(issue.state).toBe("open")
      expect(issue.labels).toContain("ready-for-human")
      expect(issue.labels).not.toContain("agent-in-progress")
      expect(world.agent.threads()[0]?.turns).toBe(2)
      expect(world.notifier.sent.map((n) => n.kind)).toEqual(["frozen"])
    }))

  it.effect("a turn that ends without a push escalates", () =>
    Effect.gen(function*() {
      const world = yield* World.make({
        issues: { [app]: [ready(1)] },
        behaviour: () => ({ _tag: "noPush", afterPolls: 1 })
      })
      yield* world.settle(armed())
      expect(world.tracker.issue(app, 1).labels).toContain("ready-for-human")
      expect(world.notifier.sent.map((n) => n.kind)).toEqual(["needs-human"])
      expect(record(world, app, 1).phase).toBe("escalated")
    }))

  it.effect("an escalation that stops between the human label and its terminal record keeps its reason", () =>
    Effect.gen(function*() {
      const world = yield* World.make({
        issues: { [app]: [ready(1)] },
        behaviour: () => ({ _tag: "noPush", afterPolls: 1 })
      })
      let failNextEdit = false
      let failed = 0
      world.tracker.afterWrite = (write) =>
        Effect.sync(() => {
          if (write.op === "addLabel" && write.detail === "ready-for-human") failNextEdit = true
        })
      world.tracker.hook = (op) =>
        Effect.suspend(() => {
          if (!failNextEdit || op !== "editComment") return Effect.void
          failNextEdit = false
          failed++
          return Effect.fail(new TrackerError({ operation: op, detail: "connection reset", transient: true }))
        })
      yield* world.settle(armed())
      expect(failed).toBe(1)
      const final = record(world, app, 1)
      expect(final.phase).toBe("escalated")
      expect(final.outcome).toMatch(/ended without declaring a pushed commit/)
      expect(final.handover).toBeUndefined()
      expect(world.notifier.sent.map((n) => `${n.kind} ${n.details.join(" ")}`)).toEqual([
        expect.stringMatching(/^needs-human .*ended without declaring a pushed commit/)
      ])
    }))

  it.effect("§8.14 a vanished thread is redispatched once, then escalated", () =>
    Effect.gen(function*() {
      const world = yield* World.make({
        issues: { [app]: [ready(1)] },
        behaviour: () => ({ _tag: "vanish", afterPolls: 0 })
      })
      yield* world.settle(armed())
      expect(world.agent.threadsCreated()).toBe(2)
      expect(record(world, app, 1).redispatches).toBe(1)
      expect(world.tracker.issue(app, 1).labels).toContain("ready-for-human")
      expect(world.notifier.sent.map((n) => n.kind)).toEqual(["needs-human"])
    }))

  it.effect("a turn blocked past turnMax is interrupted and escalated", () =>
    Effect.gen(function*() {
      const world = yield* World.make({
        issues: { [app]: [ready(1)] },
        behaviour: () => ({ _tag: "block", afterPolls: 0 })
      })
      const config = armed({ turnMaxSeconds: 3600 })
      yield* world.tick(config)
      for (let i = 0; i < 5; i++) yield* world.tick(config, 10)
      expect(world.tracker.issue(app, 1).labels).toContain("agent-in-progress")
      expect(world.agent.interrupts()).toBe(0)
      for (let i = 0; i < 4; i++) yield* world.tick(config, 10)
      expect(world.agent.interrupts()).toBe(1)
      expect(world.tracker.issue(app, 1).labels).toContain("ready-for-human")
      expect(world.notifier.sent.map((n) => n.kind)).toEqual(["needs-human"])
    }))

  it.effect("§8.24 CI that never reports escalates noVerdict, counted from the declaration", () =>
    Effect.gen(function*() {
      const world = yield* World.make({
        issues: { [app]: [ready(1)] },
        behaviour: () => ({ _tag: "push", afterPolls: 3 }),
        ci: MemoryCi.scripts.silent()
      })
      const config = armed({ noVerdictMaxSeconds: 6 * 3600 })
      for (let i = 0; i < 5; i++) yield* world.tick(config, 60)
      const declared = record(world, app, 1)
      expect(declared.commit).toBeDefined()
      const declaredAt = declared.commitDeclaredAt?.epochMillis ?? 0
      expect(declaredAt - declared.startedAt.epochMillis).toBeGreaterThanOrEqual(3 * 3600_000)
      for (let i = 0; i < 5; i++) yield* world.tick(config, 60)
      expect(world.tracker.issue(app, 1).labels).toContain("agent-in-progress")
      yield* world.tick(config, 60)
      expect(world.tracker.issue(app, 1).labels).toContain("ready-for-human")
      expect(world.tracker.issue(app, 1).state).toBe("open")
      expect(world.notifier.sent.map((n) => n.kind)).toEqual(["needs-human"])
    }))

  it.effect("CI that cannot be read counts as no verdict: it waits, then escalates past noVerdict", () =>
    Effect.gen(function*() {
      const world = yield* World.make({
        issues: { [app]: [ready(1)] },
        behaviour: () => ({ _tag: "push", afterPolls: 0 })
      })
      const config = armed({ noVerdictMaxSeconds: 3 * 3600 })
      world.ci.unreachable = true
      for (let i = 0; i < 3; i++) yield* world.tick(config, 60)
      expect(world.tracker.issue(app, 1).labels).toContain("agent-in-progress")
      expect(world.tracker.issue(app, 1).labels).not.toContain("ready-for-human")
      for (let i = 0; i < 3; i++) yield* world.tick(config, 60)
      expect(world.tracker.issue(app, 1).labels).toContain("ready-for-human")
      expect(world.tracker.issue(app, 1).state).toBe("open")
    }))

  it.effect("with deploy checks configured a run closes only once it is deployed", () =>
    Effect.gen(function*() {
      const world = yield* World.make({
        issues: { [app]: [ready(1)] },
        ci: (c) =>
          c.reads < 3
            ? [new Check({ name: "build", state: "success" })]
            : [
              new Check({ name: "build", state: "success" }),
              new Check({ name: "deploy/production", state: "success" })
            ]
      })
      const config = armed({ deployChecks: ["deploy/*"] })
      for (let i = 0; i < 4; i++) yield* world.tick(config)
      expect(world.tracker.issue(app, 1).state).toBe("open")
      yield* world.settle(config)
      expect(world.tracker.issue(app, 1).state).toBe("closed")
      expect(world.ci.reads()).toBeGreaterThanOrEqual(4)
    }))

  it.effect("§8.12 escalation is final: the issue is never dispatched again while it carries the human label", () =>
    Effect.gen(function*() {
      const world = yield* World.make({
        issues: { [app]: [ready(1)] },
        behaviour: () => ({ _tag: "noPush", afterPolls: 0 })
      })
      yield* world.settle(armed())
      expect(world.tracker.issue(app, 1).labels).toContain("ready-for-human")
      expect(world.tracker.issue(app, 1).labels, "a run that ended takes its approval with it").not.toContain(
        "ready-for-agent"
      )
      for (let i = 0; i < 10; i++) yield* world.tick(armed())
      expect(world.agent.threadsCreated()).toBe(1)
    }))

  it.effect("removing the human label alone restarts nothing; a maintainer's fresh ready label starts run 2", () =>
    Effect.gen(function*() {
      let run = 0
      const world = yield* World.make({
        issues: { [app]: [ready(1)] },
        behaviour: (turn) =>
          turn.threadIndex === 0 && run++ === 0 ? { _tag: "noPush", afterPolls: 0 } : { _tag: "push", afterPolls: 0 }
      })
      yield* world.settle(armed())
      world.tracker.actAs("maintainer").removeLabel(app, 1, "ready-for-human")
      yield* world.settle(armed())
      expect(world.agent.threadsCreated()).toBe(1)
      world.tracker.actAs("maintainer").addLabel(app, 1, "ready-for-agent")
      yield* world.settle(armed())
      expect(world.tracker.issue(app, 1).state).toBe("closed")
      expect(world.agent.threadsCreated()).toBe(2)
      expect(record(world, app, 1).ordinal).toBe(2)
    }))

  it.effect("§8.13 an unreachable runtime waits and the run resumes when it is back", () =>
    Effect.gen(function*() {
      const world = yield* World.make({
        issues: { [app]: [ready(1)] },
        behaviour: () => ({ _tag: "push", afterPolls: 2 })
      })
      yield* world.tick(armed())
      world.agent.unreachable = true
      for (let i = 0; i < 20; i++) yield* world.tick(armed(), 5)
      expect(world.tracker.issue(app, 1).labels).toContain("agent-in-progress")
      expect(world.tracker.issue(app, 1).labels).not.toContain("ready-for-human")
      expect(world.notifier.sent).toHaveLength(0)
      world.agent.unreachable = false
      yield* world.settle(armed())
      expect(world.tracker.issue(app, 1).state).toBe("closed")
    }))

  it.effect("§8.19 never closes under a live turn until the close-defer ceiling", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ issues: { [app]: [ready(1)] }, behaviour: () => ({ _tag: "hang" }) })
      const config = armed({ closeDeferMaxSeconds: 3600 })
      yield* world.tick(config)
      world.tracker.actAs(bot).comment(app, 1, "Pushed-Commit: 0123456789abcdef0123456789abcdef01234567")
      for (let i = 0; i < 5; i++) yield* world.tick(config, 10)
      expect(world.tracker.issue(app, 1).state).toBe("open")
      for (let i = 0; i < 2; i++) yield* world.tick(config, 10)
      expect(world.tracker.issue(app, 1).state).toBe("closed")
    }))

  it.effect("§8.23 removing the ready label does not unlock the repo", () =>
    Effect.gen(function*() {
      const world = yield* World.make({
        issues: { [app]: [ready(1), ready(2)] },
        behaviour: () => ({ _tag: "hang" })
      })
      yield* world.tick(armed())
      world.tracker.actAs("maintainer").removeLabel(app, 1, "ready-for-agent")
      for (let i = 0; i < 3; i++) yield* world.tick(armed())
      expect(world.agent.threadsCreated()).toBe(1)
      expect(world.tracker.issue(app, 2).labels).not.toContain("agent-in-progress")
    }))

  it.effect("one run per repo, lowest priority first, and the next runs after the first closes", () =>
    Effect.gen(function*() {
      const world = yield* World.make({
        issues: {
          [app]: [
            ready(1),
            ready(2, { labels: ["ready-for-agent", "priority:-1"], labeledBy: { "ready-for-agent": "maintainer" } })
          ]
        }
      })
      world.tracker.hook = () => Effect.yieldNow()
      yield* world.tick(armed())
      expect(world.tracker.reads.isTrusted, "trust is read once per actor and repo in a pass").toBe(1)
      expect(world.tracker.issue(app, 2).labels).toContain("agent-in-progress")
      expect(world.tracker.issue(app, 1).labels).not.toContain("agent-in-progress")
      yield* world.settle(armed())
      expect(world.tracker.issue(app, 1).state).toBe("closed")
      expect(world.tracker.issue(app, 2).state).toBe("closed")
      expect(world.agent.threadsCreated()).toBe(2)
    }))

  it.effect("the global cap holds across repos", () =>
    Effect.gen(function*() {
      const world = yield* World.make({
        issues: { [app]: [ready(1)], [lib]: [ready(1)] },
        behaviour: () => ({ _tag: "hang" })
      })
      yield* world.tick(armed({ maxConcurrentRuns: 1 }))
      expect(world.agent.threadsCreated()).toBe(1)
    }))

  it.effect(
    "refuses an issue labelled by an untrusted user, a paused one and a blocked one until its blocker closes",
    () =>
      Effect.gen(function*() {
        const world = yield* World.make({
          issues: {
            [app]: [ready(1, { labeledBy: { "ready-for-agent": "stranger" } })],
            [lib]: [
              ready(1, { labels: ["ready-for-agent", "paused"] }),
              ready(2, { body: "Blocked by #3" }),
              { number: 3, title: "The blocker" }
            ]
          }
        })
        const report = yield* world.tick(armed())
        expect(world.agent.threadsCreated()).toBe(0)
        const refusals = report.poll.decisions
          .filter((d) => d.action === "refuse")
          .map((d) => `${d.subject} ${d.reason.split(":")[0]}`)
        expect(refusals).toEqual(
          expect.arrayContaining(["acme/app#1 untrusted", "acme/lib#1 paused", "acme/lib#2 blocked"])
        )
        yield* world.tracker.service.closeIssue(lib, 3)
        yield* world.tick(armed())
        expect(world.tracker.issue(lib, 2).labels).toContain("agent-in-progress")
      })
  )

  it.effect("dry run: every read happens, every write is recorded and none is made", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ issues: { [app]: [ready(1)] } })
      const writes = yield* Effect.gen(function*() {
        yield* Tick.run(armed())
        return (yield* DryRun.Writes).list()
      }).pipe(Effect.provide(DryRun.layer.pipe(Layer.provideMerge(world.layer))))
      expect(world.tracker.writes).toHaveLength(0)
      expect(world.agent.threadsCreated()).toBe(0)
      expect(world.tracker.reads.listOpenIssues).toBeGreaterThan(0)
      expect(writes.map((w) => `${w.op} ${w.target}`)).toEqual(
        expect.arrayContaining(["add label acme/app#1", "post comment acme/app#1", "dispatch acme/app#1"])
      )
    }))

  it.effect("an idle tick reads each repo's lock list once for both passes, and never who the bot is", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ issues: { [app]: [{ number: 9, title: "Not ready" }] } })
      yield* world.tick(armed())
      expect(world.tracker.reads).toEqual({ listOpenIssues: 4, listClosedIssues: 2 })
      expect(world.tracker.writes).toHaveLength(0)
    }))

  it.effect("disarmed by default: poll and watch make zero port calls", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ issues: { [app]: [ready(1)] } })
      const report = yield* world.tick(Config.defaults)
      expect(report.poll.disarmed).toBeDefined()
      expect(report.watch.disarmed).toBeDefined()
      expect(Object.values(world.tracker.reads).reduce((a, b) => a + b, 0)).toBe(0)
      expect(world.tracker.writes).toHaveLength(0)
      expect(world.ci.reads()).toBe(0)
      expect(world.agent.threadsCreated()).toBe(0)
    }))

  it.effect("§8.22 a failing agent runtime fails poll but watch still drives the runs in flight", () =>
    Effect.gen(function*() {
      const world = yield* World.make({
        issues: { [app]: [ready(1)], [lib]: [ready(1)] },
        behaviour: () => ({ _tag: "push", afterPolls: 1 })
      })
      yield* world.tick(armed({ allowlist: [app] }))
      world.agent.hook = (op) =>
        op === "dispatch"
          ? Effect.fail(new AgentRuntimeError({ operation: op, detail: "T3 is down", transient: true }))
          : Effect.void
      const report = yield* world.tick(armed())
      expect(report.poll.failures.length).toBeGreaterThan(0)
      expect(report.failed).toBe(false)
      yield* world.tick(armed())
      expect(world.tracker.issue(app, 1).state).toBe("closed")
    }))
})
