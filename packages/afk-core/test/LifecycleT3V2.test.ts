/**
 * The lifecycle over the T3 runtime speaking protocol 2 to the strict protocol-2 T3 fake (loopback HTTP and
 * WebSocket RPC), as `LifecycleT3.test.ts` runs it over protocol 1: the same engine, the same scripts, and
 * what the engine sends must be accepted by a server that enforces protocol 2's contract. The stories that read
 * the same on both protocols run on both in `LifecycleT3.test.ts`.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as MemoryCi from "../src/testing/MemoryCi.js"
import * as T3Fake from "../src/testing/T3Fake.js"
import * as T3Runtime2 from "./support/t3runtime2.js"
import * as T3World from "./support/t3world.js"
import * as World from "./support/world.js"

const { app, armed } = World

const { latest, pushes } = T3World

const withT3 = (
  behaviour: T3Fake.Behaviour,
  ci?: MemoryCi.Script,
  options: { readonly interruptAckPolls?: number } = {}
) => T3World.make(2, behaviour, { ...options, ...(ci === undefined ? {} : { ci }) })

describe("lifecycle over the T3 runtime and the strict protocol-2 T3 fake", () => {
  it.scoped("ready → one thread and one run on the fake → pushed → green → closed", () =>
    Effect.gen(function*() {
      const { fake, world } = yield* withT3(pushes)
      yield* world.settle(armed())
      expect(world.tracker.issue(app, 1).state).toBe("closed")
      expect(fake.threads()).toHaveLength(1)
      expect(fake.threads()[0]?.runs.map((r) => r.status)).toEqual(["completed"])
      expect(fake.projects().map((p) => p.workspaceRoot)).toEqual(["/data/acme__app"])
      expect(fake.requests().filter((r) => r.path === "/api/orchestration/dispatch")).toEqual([])
      expect(T3Runtime2.commands(fake)).toEqual([
        "thread.create",
        "message.dispatch",
        "provider-session.detach",
        "thread.archive"
      ])
      expect(world.notifier.sent.map((n) => n.kind)).toEqual(["done"])
    }))

  it.scoped("red → fix-forward as a second run on the same thread → green → closed", () =>
    Effect.gen(function*() {
      const { fake, world } = yield* withT3(pushes, MemoryCi.scripts.redThenGreen(1))
      yield* world.settle(armed())
      expect(world.tracker.issue(app, 1).state).toBe("closed")
      expect(fake.threads()).toHaveLength(1)
      expect(fake.threads()[0]?.runs.map((r) => r.status)).toEqual(["completed", "completed"])
      expect(fake.threads()[0]?.messages.filter((m) => m.role === "user")).toHaveLength(2)
      expect(latest(world).attempts).toBe(1)
    }))

  it.scoped("a failed run is escalated with the error's first line; no stack frame reaches the issue or Slack", () =>
    Effect.gen(function*() {
      const { world } = yield* withT3(() => T3Fake.fail("Claude Code is not logged in", { at: "start" }))
      yield* world.settle(armed())
      expect(world.tracker.issue(app, 1).labels).toContain("ready-for-human")
      const written = world.tracker.comments(app, 1).map((c) => c.body).join("\n")
      const notified = JSON.stringify(world.notifier.sent)
      for (const text of [written, notified]) {
        expect(text).toContain("Claude Code is not logged in")
        expect(text).not.toMatch(/apps\/server\/|ProviderService|\n\s*at /)
      }
    }))

  it.scoped("a closed issue mid-run: AFK's run interrupted, settled, lock released, provider session detached", () =>
    Effect.gen(function*() {
      const { fake, world } = yield* withT3(() => T3Fake.hang, undefined, { interruptAckPolls: 2 })
      yield* world.tick(armed())
      yield* world.tick(armed())
      const run = fake.threads()[0]?.runs[0]
      expect(run?.status).toBe("running")
      world.tracker.actAs("maintainer").close(app, 1)
      yield* world.settle(armed())
      expect(T3Runtime2.payloads(fake, "run.interrupt").map((p) => p.runId)).toEqual([run?.id])
      expect(fake.threads()[0]?.runs.map((r) => r.status)).toEqual(["interrupted"])
      expect(world.tracker.issue(app, 1).labels).not.toContain("agent-in-progress")
      expect(world.notifier.sent).toHaveLength(1)
      expect(fake.liveSessions()).toBe(0)
      expect(world.tracker.comments(app, 1).at(-1)?.body).toContain("interrupted and has stopped")
    }))

  it.scoped("an interrupt the agent does not acknowledge in time is re-sent each pass under its one command id", () =>
    Effect.gen(function*() {
      const { fake, world } = yield* withT3(() => T3Fake.hang, undefined, { interruptAckPolls: 20 })
      yield* world.tick(armed())
      world.tracker.actAs("maintainer").addLabel(app, 1, "paused")
      for (let pass = 0; pass < 9; pass++) yield* world.tick(armed())
      const interrupts = T3Runtime2.payloads(fake, "run.interrupt")
      expect(interrupts.length, "sent again while the agent had not stopped").toBeGreaterThan(1)
      expect(new Set(interrupts.map((p) => p.commandId)).size, "every pass re-sends the one interrupt's id").toBe(1)
      expect(fake.threads()[0]?.runs.map((r) => r.status)).toEqual(["interrupted"])
    }))

  it.scoped("§5.4 a server restart mid-run (the run cancelled, the socket closed) ends the run with a handover", () =>
    Effect.gen(function*() {
      const { fake, world } = yield* withT3(() => T3Fake.hang)
      yield* world.tick(armed())
      yield* world.tick(armed())
      expect(fake.threads()[0]?.runs.map((r) => r.status)).toEqual(["running"])
      fake.restart("cancelled")
      yield* world.settle(armed())
      expect(fake.threads()).toHaveLength(1)
      expect(fake.threads()[0]?.runs.map((r) => r.status)).toEqual(["cancelled"])
      expect(world.tracker.issue(app, 1).labels).toContain("ready-for-human")
      expect(world.tracker.issue(app, 1).labels).not.toContain("agent-in-progress")
      expect(world.notifier.sent.map((n) => n.kind)).toEqual(["needs-human"])
      expect(fake.liveSessions()).toBe(0)
    }))
})
