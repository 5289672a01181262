/**
 * The lifecycle again, with the real T3 runtime over the strict T3 fake (loopback HTTP) in place of the
 * in-memory agent: what the engine sends must be accepted by a server that enforces the wire contract.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as MemoryCi from "../src/testing/MemoryCi.js"
import * as T3Fake from "../src/testing/T3Fake.js"
import * as T3World from "./support/t3world.js"
import * as World from "./support/world.js"

const { app, armed } = World

const { latest, pushes, sha } = T3World

const withT3 = (
  behaviour: T3Fake.Behaviour,
  ci?: MemoryCi.Script,
  options: { readonly interruptAckPolls?: number } = {}
) => T3World.make(1, behaviour, { ...options, ...(ci === undefined ? {} : { ci }) })

describe("lifecycle over the T3 runtime and the strict T3 fake", () => {
  it.scoped("ready → one thread on the fake → pushed → green → closed", () =>
    Effect.gen(function*() {
      const { fake, world } = yield* withT3(pushes)
      yield* world.settle(armed())
      expect(world.tracker.issue(app, 1).state).toBe("closed")
      expect(fake.threads()).toHaveLength(1)
      expect(fake.projects().map((p) => p.workspaceRoot)).toEqual(["/data/acme__app"])
      const commands = fake
        .requests()
        .filter((r) => r.method === "POST" && r.path === "/api/orchestration/dispatch")
        .map((r) => (r.body as { readonly type: string }).type)
      expect(commands).toEqual([
        "project.create",
        "thread.create",
        "thread.turn.start",
        "thread.session.stop",
        "thread.archive"
      ])
      expect(world.notifier.sent.map((n) => n.kind)).toEqual(["done"])
    }))

  it.scoped("red → fix-forward as a second turn on the same thread → green → closed", () =>
    Effect.gen(function*() {
      const { fake, world } = yield* withT3(pushes, MemoryCi.scripts.redThenGreen(1))
      yield* world.settle(armed())
      expect(world.tracker.issue(app, 1).state).toBe("closed")
      expect(fake.threads()).toHaveLength(1)
      expect(fake.threads()[0]?.messages.filter((m) => m.role === "user")).toHaveLength(2)
      expect(latest(world).attempts).toBe(1)
    }))

  it.scoped("a fix-forward the server accepts on a deleted thread is not counted as sent: the run is redispatched", () =>
    Effect.gen(function*() {
      const { fake, world } = yield* withT3(pushes, MemoryCi.scripts.redThenGreen(1))
      yield* world.tick(armed())
      const threadId = fake.threads()[0]?.id
      fake.raceNext("thread.turn.start", { type: "thread.delete", commandId: "someone-deletes", threadId })
      yield* world.settle(armed())
      expect(fake.threads()).toHaveLength(2)
      expect(latest(world)).toMatchObject({ attempts: 0, redispatches: 1 })
      expect(world.tracker.issue(app, 1).state).toBe("closed")
    }))

  it.scoped("a failed start is escalated with the error's first line; no stack frame reaches the issue or Slack", () =>
    Effect.gen(function*() {
      const { world } = yield* withT3(() => T3Fake.fail("Claude Code is not logged in", { at: "start" }))
      yield* world.settle(armed())
      expect(world.tracker.issue(app, 1).labels).toContain("ready-for-human")
      const written = world.tracker.comments(app, 1).map((c) => c.body).join("\n")
      const notified = JSON.stringify(world.notifier.sent)
      for (const text of [written, notified]) {
        expect(text).toContain("Error: Claude Code is not logged in")
        expect(text).not.toMatch(/apps\/server\/|ProviderService|\n\s*at /)
      }
    }))

  it.scoped("a closed issue mid-run: the active turn interrupted, settled, lock released, session stopped", () =>
    Effect.gen(function*() {
      const { fake, world } = yield* withT3(() => T3Fake.hang, undefined, { interruptAckPolls: 2 })
      yield* world.tick(armed())
      yield* world.tick(armed())
      const activeTurnId = fake.threads()[0]?.session?.activeTurnId
      expect(activeTurnId).toBeTruthy()
      world.tracker.actAs("maintainer").close(app, 1)
      yield* world.settle(armed())
      const interrupts = fake.requests().filter((r) =>
        (r.body as { type?: string } | undefined)?.type === "thread.turn.interrupt"
      )
      expect(interrupts.map((r) => (r.body as { turnId?: string }).turnId)).toEqual([activeTurnId])
      expect(world.tracker.issue(app, 1).labels).not.toContain("agent-in-progress")
      expect(world.notifier.sent).toHaveLength(1)
      expect(fake.liveSessions()).toBe(0)
      expect(world.tracker.comments(app, 1).at(-1)?.body).toContain("interrupted and has stopped")
    }))

  it.scoped.each([1, 2])(
    "§8.13 a session stop answered %i time(s) with the ambiguous 500 is read back: the lock goes only once the session is stopped",
    (failures) =>
      Effect.gen(function*() {
        const { fake, world } = yield* withT3(() => T3Fake.complete("I could not reproduce it; nothing was pushed."))
        fake.failNext(failures, 500, "thread.session.stop")
        yield* world.settle(armed())
        expect(world.tracker.issue(app, 1).labels).toContain("ready-for-human")
        expect(fake.liveSessions(), "a session left holding the provider").toBe(0)
        expect(world.tracker.issue(app, 1).labels).not.toContain("agent-in-progress")
        expect(world.notifier.sent, "notified once").toHaveLength(1)
      })
  )
})

describe.each([1, 2] as const)("lifecycle over the T3 runtime and the strict T3 fake of protocol %i", (protocol) => {
  it.scoped("a turn that ends without a push is escalated", () =>
    Effect.gen(function*() {
      const { world } = yield* T3World.make(protocol, () =>
        T3Fake.complete("I could not reproduce it; nothing was pushed."))
      yield* world.settle(armed())
      expect(world.tracker.issue(app, 1).labels).toContain("ready-for-human")
      expect(world.notifier.sent.map((n) =>
        n.kind
      )).toEqual(["needs-human"])
    }))

  it.scoped("§8.14 a vanished thread is redispatched once onto a new thread, then escalated", () =>
    Effect.gen(function*() {
      const { fake, world } = yield* T3World.make(protocol, () => T3Fake.vanish(1))
      yield* world.settle(armed())
      expect(fake.threads()).toHaveLength(2)
      expect(latest(world).redispatches).toBe(1)
      expect(world.tracker.issue(app, 1).labels).toContain("ready-for-human")
    }))

  it.scoped("a run closed with proof releases its agent session and archives its thread", () =>
    Effect.gen(function*() {
      const { fake, world } = yield* T3World.make(protocol, pushes)
      yield* world.settle(armed())
      expect(world.tracker.issue(app, 1).state).toBe("closed")
      expect(fake.liveSessions()).toBe(0)
      expect(fake.threads()[0]?.archivedAt).not.toBeNull()
    }))

  it.scoped("§8.13 an unreachable agent server waits, then the run resumes", () =>
    Effect.gen(function*() {
      const { fake, world } = yield* T3World.make(protocol, (turn) =>
        T3Fake.complete(`Done.\n\nPushed-Commit: ${sha(turn.threadId, 1)}`, { afterPolls: 2 }))
      yield* world.tick(armed())
      fake.setUnreachable(true)
      for (let i = 0; i < 3; i++) {
        yield* world.tick(armed())
      }
      expect(world.tracker.issue(app, 1).labels).not.toContain("ready-for-human")
      fake.setUnreachable(false)
      yield* world.settle(armed())
      expect(world.tracker.issue(app, 1).state).toBe("closed")
    }))

  it.scoped("§8.19 a run closed on green past the defer ceiling under a live turn keeps its lock until the turn ends", () =>
    Effect.gen(function*() {
      const { fake, world } = yield* T3World.make(
        protocol,
        () => T3Fake.complete("Done, more or less.", { afterPolls: 6 })
      )
      const config = armed({ closeDeferMaxSeconds: 600 })
      yield* world.tick(config)
      world.tracker.actAs(World.bot).comment(app, 1, `Pushed-Commit: ${sha("declared", 1)}`)
      yield* world.tick(config, 11)
      expect(world.tracker.issue(app, 1).state).toBe("closed")
      expect(world.notifier.sent.map((n) => n.kind)).toEqual(["done"])
      expect(fake.liveSessions(), "the turn is still working").toBe(1)
      expect(world.tracker.issue(app, 1).labels, "the lock outlives the closing while the turn works").toContain(
        "agent-in-progress"
      )
      for (let pass = 0; pass < 8; pass++) yield* world.tick(config)
      expect(fake.liveSessions(), "the session is stopped once the turn ended").toBe(0)
      expect(world.tracker.issue(app, 1).labels).not.toContain("agent-in-progress")
      expect(world.notifier.sent, "notified once").toHaveLength(1)
    }))

  it.scoped("§8.19 a run frozen on red past the defer ceiling interrupts its live turn; no session is left", () =>
    Effect.gen(function*() {
      const { fake, world } = yield* T3World.make(protocol, () => T3Fake.hang, { ci: MemoryCi.scripts.alwaysRed() })
      const config = armed({ closeDeferMaxSeconds: 600 })
      yield* world.tick(config)
      world.tracker.actAs(World.bot).comment(app, 1, `Pushed-Commit: ${sha("declared", 1)}`)
      yield* world.tick(config, 11)
      yield* world.settle(config)
      expect(latest(world).ending?.kind).toBe("frozen")
      expect(world.tracker.issue(app, 1).labels).not.toContain("agent-in-progress")
      expect(fake.liveSessions(), "an agent session left working after the run was frozen").toBe(0)
    }))

  it.scoped("an interrupt the agent does not acknowledge in time keeps the lock, and says so", () =>
    Effect.gen(function*() {
      const { fake, world } = yield* T3World.make(protocol, () => T3Fake.hang, { interruptAckPolls: 20 })
      yield* world.tick(armed())
      world.tracker.actAs("maintainer").addLabel(app, 1, "paused")
      yield* world.tick(armed())
      expect(world.tracker.issue(app, 1).labels).toContain("agent-in-progress")
      expect(world.notifier.sent).toHaveLength(0)
      expect(world.tracker.comments(app, 1).at(-1)?.body).toContain("still running")
      for (let pass = 0; pass < 8; pass++) yield* world.tick(armed())
      expect(world.tracker.issue(app, 1).labels).not.toContain("agent-in-progress")
      expect(world.notifier.sent).toHaveLength(1)
      expect(fake.liveSessions()).toBe(0)
    }))
})
