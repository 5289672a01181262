/**
 * Where the real T3 Code server is stricter or behaves otherwise than the protocol-1 write-up, the fake
 * does the same: 415 for a body not sent as JSON, 400 for an empty branch / worktree path / title seed or
 * a provider name outside `[A-Za-z0-9_-]+`, a 200 (that changes nothing) for a turn on a deleted thread,
 * the `starting` session, `context-window.updated` activities, `runtime.error` with `payload.message`, a
 * failed start that ends `stopped` with a stack trace in its activity, an interrupt the provider
 * acknowledges later, and session stop / archive with a count of sessions still alive.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as T3Wire from "../src/T3Wire.js"
import * as T3Fake from "../src/testing/T3Fake.js"
import { dispatch, getThread, request, seeded, threadCreate, threadId, turnStart } from "./support/t3requests.js"

const decodeThread = (json: unknown) => Schema.decodeUnknownSync(T3Wire.ThreadDetailSnapshot)(json).thread
const read = (fake: T3Fake.T3Fake) => Effect.map(getThread(fake), (answer) => decodeThread(answer.json))
const command = (type: string, fields: Record<string, unknown> = {}) => ({
  type,
  commandId: `cmd-${type}-${JSON.stringify(fields)}`,
  threadId,
  createdAt: "2026-08-22T10:00:02.000Z",
  ...fields
})

describe("T3Fake: what the real server refuses", () => {
  it.scoped("a body not sent as JSON is 415; a JSON content type with a broken body is 400", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      const plain = yield* request(fake, "POST", "/api/orchestration/dispatch", {
        body: turnStart(),
        contentType: "text/plain"
      })
      expect(plain.status).toBe(415)
      expect(fake.threads()[0]?.messages).toEqual([])
    }))

  const empties: ReadonlyArray<readonly [string, () => unknown]> = [
    ["an empty branch", () => threadCreate({ threadId: "t-branch", commandId: "c-branch", branch: "" })],
    ["an empty worktreePath", () => threadCreate({ threadId: "t-tree", commandId: "c-tree", worktreePath: "" })],
    ["an empty titleSeed", () => turnStart({ titleSeed: "" })],
    [
      "an instanceId outside [A-Za-z0-9_-]+",
      () =>
        threadCreate({ threadId: "t-i", commandId: "c-i", modelSelection: { instanceId: "claude agent", model: "m" } })
    ],
    [
      "a provider outside [A-Za-z0-9_-]+",
      () =>
        threadCreate({ threadId: "t-p", commandId: "c-p", modelSelection: { provider: "claude/agent", model: "m" } })
    ]
  ]
  for (const [name, body] of empties) {
    it.scoped(`rejects ${name} with 400 and an empty body`, () =>
      Effect.gen(function*() {
        const fake = yield* seeded()
        expect(yield* dispatch(fake, body())).toEqual({ status: 400, text: "", json: undefined })
        expect(fake.threads()).toHaveLength(1)
        expect(fake.threads()[0]?.messages).toEqual([])
      }))
  }

  it.scoped("a turn on a deleted thread answers 200, and the thread stays 404", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      expect((yield* dispatch(fake, { type: "thread.delete", commandId: "c-del", threadId })).status).toBe(200)
      expect((yield* dispatch(fake, turnStart())).status).toBe(200)
      expect((yield* getThread(fake)).status).toBe(404)
      expect(fake.threads()[0]?.messages).toEqual([])
    }))

  it.scoped("both runtime modes AFK may send are accepted; any other value is 400", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      const auto = threadCreate({ threadId: "t-auto", commandId: "c-auto", runtimeMode: "auto" })
      expect((yield* dispatch(fake, auto)).status).toBe(200)
      expect(fake.threads().find((t) => t.id === "t-auto")?.runtimeMode).toBe("auto")
      const bad = threadCreate({ threadId: "t-bad", commandId: "c-bad", runtimeMode: "bypass" })
      expect((yield* dispatch(fake, bad)).status).toBe(400)
    }))
})

describe("T3Fake: how a turn and a session move on the real server", () => {
  it.scoped("an accepted turn shows a starting session (no active turn) until the provider starts it", () =>
    Effect.gen(function*() {
      const fake = yield* seeded({ behaviour: () => T3Fake.hang })
      yield* dispatch(fake, turnStart())
      expect(fake.threads()[0]?.session).toMatchObject({ status: "starting", activeTurnId: null })
      const running = yield* read(fake)
      expect(running.session).toMatchObject({ status: "running" })
      expect(running.session?.activeTurnId).toBe(running.latestTurn?.turnId)
    }))

  it.scoped("a turn reports its token usage in context-window.updated activities", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      yield* dispatch(fake, turnStart())
      const thread = yield* read(fake)
      const usage = thread.activities.filter((a) => a.kind === "context-window.updated")
      expect(usage.length).toBeGreaterThan(0)
      expect(usage.at(-1)?.payload).toMatchObject({
        usedTokens: expect.any(Number),
        inputTokens: expect.any(Number),
        outputTokens: expect.any(Number),
        totalProcessedTokens: expect.any(Number)
      })
    }))

  it.scoped("runtime.error carries payload.message", () =>
    Effect.gen(function*() {
      const fake = yield* seeded({ behaviour: () => T3Fake.fail("the provider crashed") })
      yield* dispatch(fake, turnStart())
      const thread = yield* read(fake)
      const error = thread.activities.find((a) => a.kind === "runtime.error")
      expect(error?.payload).toEqual({ message: "the provider crashed" })
    }))

  it.scoped("a failed start: a multi-KB stack trace in the activity; session error, then stopped, generic text", () =>
    Effect.gen(function*() {
      const fake = yield* seeded({ behaviour: () => T3Fake.fail("Claude Code is not logged in", { at: "start" }) })
      yield* dispatch(fake, turnStart())
      const failed = yield* read(fake)
      expect(failed.session?.status).toBe("error")
      const detail = String((failed.activities[0]?.payload as { detail?: unknown } | undefined)?.detail)
      expect(detail.length).toBeGreaterThan(2000)
      expect(detail).toMatch(/^Error: Claude Code is not logged in\n\s+at .*\/apps\/server\//)
      const stopped = yield* read(fake)
      expect(stopped.session?.status).toBe("stopped")
      expect(stopped.session?.lastError).not.toContain("Claude Code is not logged in")
    }))

  it.scoped("an interrupt ends the turn at once; the session runs until the provider acknowledges it", () =>
    Effect.gen(function*() {
      const fake = yield* seeded({ behaviour: () => T3Fake.hang, interruptAckPolls: 2 })
      yield* dispatch(fake, turnStart())
      const turnId = (yield* read(fake)).latestTurn?.turnId
      expect((yield* dispatch(fake, command("thread.turn.interrupt", { turnId }))).status).toBe(200)
      expect(fake.threads()[0]?.latestTurn?.state).toBe("interrupted")
      expect((yield* read(fake)).session?.status).toBe("running")
      const settled = yield* read(fake)
      expect(settled.session).toMatchObject({ status: "ready", activeTurnId: null })
    }))

  it.scoped("session stop (only if settled) and archive; liveSessions counts the sessions still alive", () =>
    Effect.gen(function*() {
      const fake = yield* seeded({ behaviour: () => T3Fake.hang })
      yield* dispatch(fake, turnStart())
      yield* read(fake)
      expect(fake.liveSessions()).toBe(1)
      const early = command("thread.session.stop", { onlyIfSettled: true })
      expect((yield* dispatch(fake, early)).status).toBe(200)
      expect(fake.threads()[0]?.session?.status).toBe("running")
      const turnId = fake.threads()[0]?.latestTurn?.turnId
      yield* dispatch(fake, command("thread.turn.interrupt", { turnId }))
      yield* read(fake)
      expect(fake.liveSessions()).toBe(1)
      const stop = command("thread.session.stop", { onlyIfSettled: true, commandId: "c-stop-2" })
      expect((yield* dispatch(fake, stop)).status).toBe(200)
      expect(fake.threads()[0]?.session?.status).toBe("stopped")
      expect(fake.liveSessions()).toBe(0)
      expect((yield* dispatch(fake, { type: "thread.archive", commandId: "c-archive", threadId })).status).toBe(200)
      expect(fake.threads()[0]?.archivedAt).not.toBeNull()
      const shell = (yield* request(fake, "GET", "/api/orchestration/shell")).json as { threads: Array<unknown> }
      expect(shell.threads).toEqual([])
    }))
})
