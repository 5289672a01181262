/**
 * The protocol-2 backend's decisions over an in-memory client with T3's receipt rules (`t3-protocol-v2.md`
 * §4.6): an accepted command id replays, a rejected one stays rejected. A lost answer is resolved by reading
 * back, never by a blind resend; a repeated dispatch adopts; a fresh `#retry` id follows only "was previously
 * rejected"; interrupts pick `run.interrupt` or `queued-run.cancel` by the run's status; release archives only
 * ended threads.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/TestClock"
import type { DispatchRequest } from "../src/AgentRuntime.js"
import { IssueRef, repo as parseRepo } from "../src/Domain.js"
import * as Ids from "../src/Ids.js"
import * as T3BackendV2 from "../src/T3BackendV2.js"
import type * as T3ClientV2 from "../src/T3ClientV2.js"
import * as T3WireV2 from "../src/T3WireV2.js"

const issue = new IssueRef({ repo: parseRepo("acme/widgets"), number: 7 })
const runId = Ids.runId(issue, 1)
const threadId = Ids.threadId(runId)
const request: DispatchRequest = { runId, threadId, issue, title: "acme/widgets#7: Fix the crash", prompt: "Do it." }

interface Thread {
  archivedAt: string | null
  messages: Array<{ id: string; runId: string; role: string; text: string }>
  runs: Array<{ id: string; userMessageId: string; status: string }>
}

/** An in-memory protocol-2 server as the client sees it, with receipts per command id and switchable faults. */
const server = (options: { readonly runStatus?: string } = {}) => {
  const threads = new Map<string, Thread>()
  const receipts = new Map<string, "accepted" | "rejected">()
  const projects: Array<T3WireV2.Project> = []
  const sent: Array<T3WireV2.Command> = []
  const faults = { dropNext: 0, refuseNext: 0, loseNext: 0 }
  const apply = (command: T3WireV2.Command): boolean => {
    const thread = threads.get(command.threadId)
    switch (command.type) {
      case "thread.create":
        if (thread !== undefined) return false
        threads.set(command.threadId, { archivedAt: null, messages: [], runs: [] })
        return true
      case "message.dispatch": {
        if (thread === undefined) return false
        const id = `run:thread:${command.threadId}:ordinal:${thread.runs.length + 1}`
        const busy = thread.runs.some((r) => ["starting", "running", "waiting"].includes(r.status))
        thread.messages.push({ id: command.messageId, runId: id, role: "user", text: command.text })
        thread.runs.push({
          id,
          userMessageId: command.messageId,
          status: busy ? "queued" : options.runStatus ?? "running"
        })
        return true
      }
      case "run.interrupt":
      case "queued-run.cancel": {
        const run = thread?.runs.find((r) => r.id === command.runId)
        if (run === undefined) return false
        run.status = command.type === "run.interrupt" ? "interrupted" : "cancelled"
        return true
      }
      case "thread.archive":
        if (thread === undefined) return false
        thread.archivedAt = "2026-12-05T10:00:00.000Z"
        return true
      case "provider-session.detach":
        return thread !== undefined
    }
  }
  const client: T3ClientV2.T3ClientV2 = {
    readThread: (id) =>
      Effect.sync(() => {
        const thread = threads.get(id)
        if (thread === undefined) return Option.none()
        return Option.some(
          Schema.decodeUnknownSync(T3WireV2.Projection)({
            thread: { id, archivedAt: thread.archivedAt, deletedAt: null },
            runs: thread.runs,
            messages: thread.messages
          })
        )
      }),
    projects: Effect.sync(() => [...projects]),
    createProject: (body) =>
      Effect.sync(() => {
        projects.push({ id: body.projectId, title: body.title, workspaceRoot: body.workspaceRoot, deletedAt: null })
        return "created" as const
      }),
    dispatch: (command) =>
      Effect.sync((): T3ClientV2.Dispatched => {
        sent.push(command)
        const receipt = receipts.get(command.commandId)
        if (receipt === "accepted") return { _tag: "Accepted" }
        if (receipt === "rejected") {
          return {
            _tag: "Rejected",
            message: `Command ${command.commandId} was previously rejected: x`,
            previouslyRejected: true
          }
        }
        if (faults.loseNext > 0) {
          faults.loseNext--
          return { _tag: "Lost", detail: "the WebSocket closed before the request was read" }
        }
        if (faults.refuseNext > 0) {
          faults.refuseNext--
          receipts.set(command.commandId, "rejected")
          return { _tag: "Rejected", message: "Failed to dispatch command", previouslyRejected: false }
        }
        const applied = apply(command)
        receipts.set(command.commandId, applied ? "accepted" : "rejected")
        if (faults.dropNext > 0 && applied) {
          faults.dropNext--
          return { _tag: "Lost", detail: "the server closed the WebSocket before answering" }
        }
        return applied
          ? { _tag: "Accepted" }
          : { _tag: "Rejected", message: "the command produced no events", previouslyRejected: false }
      })
  }
  return { client, threads, sent, faults, types: () => sent.map((c) => c.type) }
}

const backend = (s: ReturnType<typeof server>) =>
  T3BackendV2.make({
    url: "http://127.0.0.1:1",
    token: Effect.die("unused"),
    model: "claude-sonnet-5",
    workspaceRoot: "/data/{owner}__{repo}",
    interruptSettle: { within: "0 millis", every: "1 millis" }
  }, s.client)

describe("T3BackendV2", () => {
  it.effect("dispatch: thread.create then message.dispatch, with v2-salted ids and the messageId the run carries", () =>
    Effect.gen(function*() {
      const s = server()
      yield* (yield* backend(s)).dispatch(request)
      expect(s.types()).toEqual(["thread.create", "message.dispatch"])
      expect(s.sent[0]).toMatchObject({
        commandId: Ids.derive(runId, "v2:create"),
        modelSelection: { instanceId: "claudeAgent", model: "claude-sonnet-5" },
        runtimeMode: "full-access",
        branch: null,
        worktreePath: null
      })
      expect(s.sent[1]).toMatchObject({
        commandId: Ids.derive(runId, "v2:turn-1"),
        messageId: Ids.derive(runId, "turn-1:message"),
        dispatchMode: { type: "start_immediately" }
      })
      expect(s.threads.get(threadId)?.runs[0]?.userMessageId).toBe(Ids.derive(runId, "turn-1:message"))
    }))

  it.effect("a dropped answer during message.dispatch is adopted by reading back: one run, no resend", () =>
    Effect.gen(function*() {
      const s = server()
      s.faults.dropNext = 2
      yield* (yield* backend(s)).dispatch(request)
      expect(s.types()).toEqual(["thread.create", "message.dispatch"])
      expect(s.threads.get(threadId)?.runs).toHaveLength(1)
    }))

  it.effect("a repeated dispatch (a crash after it was sent) adopts the thread and the run: nothing sent twice", () =>
    Effect.gen(function*() {
      const s = server()
      const b = yield* backend(s)
      yield* b.dispatch(request)
      yield* b.dispatch(request)
      expect(s.types()).toEqual(["thread.create", "message.dispatch"])
      expect(s.threads.get(threadId)?.runs).toHaveLength(1)
    }))

  it.effect("a lost command that a read-back does not show is sent again with the same id, after a backoff", () =>
    Effect.gen(function*() {
      const s = server()
      const b = yield* backend(s)
      s.faults.loseNext = 1
      const fiber = yield* Effect.fork(b.dispatch({ ...request, fresh: true }))
      yield* TestClock.adjust("100 millis")
      expect(s.types()).toEqual(["thread.create"])
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      const creates = s.sent.filter((c) => c.type === "thread.create").map((c) => c.commandId)
      expect(creates).toEqual([Ids.derive(runId, "v2:create"), Ids.derive(runId, "v2:create")])
      expect(s.threads.get(threadId)?.runs).toHaveLength(1)
    }))

  it.effect("a refused command is read back, sent again with the same id, then with #retry after 'previously rejected'", () =>
    Effect.gen(function*() {
      const s = server()
      const b = yield* backend(s)
      s.faults.refuseNext = 1
      yield* b.dispatch({ ...request, fresh: true })
      const creates = s.sent.filter((c) => c.type === "thread.create").map((c) => c.commandId)
      expect(creates).toEqual([
        Ids.derive(runId, "v2:create"),
        Ids.derive(runId, "v2:create"),
        Ids.derive(runId, "v2:create#retry")
      ])
      expect(s.threads.size).toBe(1)
    }))

  it.effect("a follow-up on a thread that is gone is a non-transient error naming it, not a sent turn", () =>
    Effect.gen(function*() {
      const s = server()
      const b = yield* backend(s)
      const error = yield* Effect.flip(b.followUp({ runId, threadId, step: "fix-forward-1", text: "Fix CI." }))
      expect(error).toMatchObject({ transient: false, status: 404 })
      expect(error.message).toContain("deleted or gone")
    }))

  it.effect("interrupt: run.interrupt on a running run, queued-run.cancel on a queued follow-up, nothing once ended", () =>
    Effect.gen(function*() {
      const s = server()
      const b = yield* backend(s)
      yield* b.dispatch(request)
      yield* b.followUp({ runId, threadId, step: "fix-forward-1", text: "Fix CI." })
      expect(s.threads.get(threadId)?.runs.map((r) => r.status)).toEqual(["running", "queued"])
      expect(yield* b.interrupt(runId, threadId)).toBe("settled")
      expect(s.sent.at(-1)).toMatchObject({ type: "queued-run.cancel", runId: `run:thread:${threadId}:ordinal:2` })
      expect(yield* b.interrupt(runId, threadId)).toBe("no-turn")
      expect(s.types().filter((t) => t.includes("run"))).toEqual(["queued-run.cancel"])
    }))

  it.effect("release archives an ended thread once; a running one is left alone; a missing one is gone", () =>
    Effect.gen(function*() {
      const s = server({ runStatus: "completed" })
      const b = yield* backend(s)
      expect(yield* b.release({ runId, threadId, archive: true })).toBe("gone")
      yield* b.dispatch(request)
      expect(yield* b.release({ runId, threadId, archive: true })).toBe("released")
      expect(yield* b.release({ runId, threadId, archive: true })).toBe("released")
      expect(s.types().filter((t) => t === "thread.archive")).toHaveLength(1)
      const live = server()
      const running = yield* backend(live)
      yield* running.dispatch(request)
      expect(yield* running.release({ runId, threadId, archive: true })).toBe("still-running")
      expect(live.types()).not.toContain("thread.archive")
    }))
})
