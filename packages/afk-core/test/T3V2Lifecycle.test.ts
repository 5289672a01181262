/**
 * The T3 runtime over protocol 2, end to end (`t3-protocol-v2.md`): negotiated from the descriptor, commands
 * over real WebSocket RPC with single-use tickets, reads over HTTP with the protocol header. A turn runs to
 * its end (succeeded with text, failed with its error, blocked on a question, interrupted); a follow-up is a
 * second run; a dropped answer and a repeated dispatch are adopted, never duplicated (R1 over protocol 2).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type { DispatchRequest } from "../src/AgentRuntime.js"
import { IssueRef, repo as parseRepo } from "../src/Domain.js"
import * as Ids from "../src/Ids.js"
import * as T3Fake from "../src/testing/T3Fake.js"
import * as T3Runtime2 from "./support/t3runtime2.js"

const issue = new IssueRef({ repo: parseRepo("acme/widgets"), number: 7 })
const runId = Ids.runId(issue, 1)
const threadId = Ids.threadId(runId)
const request: DispatchRequest = { runId, threadId, issue, title: "acme/widgets#7: Fix the crash", prompt: "Do it." }

const setup = (behaviour?: T3Fake.Behaviour) =>
  Effect.gen(function*() {
    const server = yield* T3Fake.start({ protocol: 2, ...(behaviour === undefined ? {} : { behaviour }) })
    const runtime = yield* T3Runtime2.over(server, { interruptSettle: { within: "1 second", every: "10 millis" } })
    return { server, runtime }
  })

const { commands: dispatched, sent } = T3Runtime2

describe("T3 runtime over protocol 2", () => {
  it.scopedLive("dispatch → running → finishing (waiting) → succeeded with the assistant's text", () =>
    Effect.gen(function*() {
      const { runtime, server } = yield* setup()
      yield* runtime.dispatch(request)
      expect(dispatched(server)).toEqual(["thread.create", "message.dispatch"])
      expect(yield* runtime.status(threadId)).toMatchObject({ state: "running", detail: "finishing (checkpoint)" })
      const done = yield* runtime.status(threadId)
      expect(done).toMatchObject({ state: "succeeded", lastAssistantText: "Done." })
      expect(done.activeTurnId).toBe(`run:thread:${threadId}:ordinal:1`)
      expect(server.threads()).toHaveLength(1)
      expect(server.requests().filter((r) => r.path === "/api/orchestration/dispatch")).toEqual([])
    }))

  it.scopedLive("a follow-up is a second run on the same thread, read as the latest turn", () =>
    Effect.gen(function*() {
      const { runtime, server } = yield* setup()
      yield* runtime.dispatch(request)
      yield* runtime.status(threadId)
      yield* runtime.status(threadId)
      yield* runtime.followUp({ runId, threadId, step: "fix-forward-1", text: "CI is red; fix it." })
      expect((yield* runtime.status(threadId)).activeTurnId).toBe(`run:thread:${threadId}:ordinal:2`)
      expect((yield* runtime.status(threadId)).state).toBe("succeeded")
      expect(server.threads()[0]?.runs.map((r) => r.status)).toEqual(["completed", "completed"])
    }))

  it.scopedLive("a failed run is failed with its root error item's message", () =>
    Effect.gen(function*() {
      const { runtime } = yield* setup(() => T3Fake.fail("Provider turn failed."))
      yield* runtime.dispatch(request)
      expect(yield* runtime.status(threadId)).toMatchObject({ state: "failed", detail: "Provider turn failed." })
    }))

  it.scopedLive("a pending question blocks the run", () =>
    Effect.gen(function*() {
      const { runtime } = yield* setup(() => T3Fake.block("user-input"))
      yield* runtime.dispatch(request)
      expect(yield* runtime.status(threadId)).toMatchObject({
        state: "blocked",
        detail: "waiting for an answer to a question"
      })
    }))

  it.scopedLive("interrupt sends run.interrupt for AFK's run and settles once it reads interrupted", () =>
    Effect.gen(function*() {
      const { runtime, server } = yield* setup(() => T3Fake.hang)
      yield* runtime.dispatch(request)
      expect(yield* runtime.interrupt(runId, threadId)).toBe("settled")
      expect(dispatched(server, "run.interrupt")).toHaveLength(1)
      expect((yield* runtime.status(threadId)).state).toBe("interrupted")
      expect(yield* runtime.interrupt(runId, threadId)).toBe("no-turn")
    }))

  it.scopedLive("interrupting a run that is waiting (the agent's turn is over) sends nothing the server refuses", () =>
    Effect.gen(function*() {
      const { runtime, server } = yield* setup(() => T3Fake.complete("Done.", { afterPolls: 3 }))
      yield* runtime.dispatch(request)
      for (let poll = 0; poll < 10 && server.threads()[0]?.runs[0]?.status !== "waiting"; poll++) {
        server.advance(threadId)
      }
      expect(server.threads()[0]?.runs.map((r) => r.status)).toEqual(["waiting"])
      expect(yield* runtime.interrupt(runId, threadId)).toBe("no-turn")
      expect(dispatched(server, "run.interrupt")).toEqual([])
    }))

  it.scopedLive("release detaches the provider session and archives the thread; a second release sends nothing", () =>
    Effect.gen(function*() {
      const { runtime, server } = yield* setup()
      yield* runtime.dispatch(request)
      while ((yield* runtime.status(threadId)).state !== "succeeded") yield* Effect.void
      expect(server.threads()[0]?.runs.map((r) => r.status)).toEqual(["completed"])
      expect(server.liveSessions()).toBe(1)
      expect(yield* runtime.release({ runId, threadId, archive: true })).toBe("released")
      expect(server.liveSessions()).toBe(0)
      expect(server.threads()[0]?.archivedAt).not.toBeNull()
      const before = dispatched(server).length
      expect(yield* runtime.release({ runId, threadId, archive: true })).toBe("released")
      expect(dispatched(server).length).toBe(before)
    }))

  it.scopedLive("release without archive still detaches the provider session (a stopped run)", () =>
    Effect.gen(function*() {
      const { runtime, server } = yield* setup(() => T3Fake.fail("Provider turn failed."))
      yield* runtime.dispatch(request)
      expect((yield* runtime.status(threadId)).state).toBe("failed")
      expect(yield* runtime.release({ runId, threadId, archive: false })).toBe("released")
      expect(server.liveSessions()).toBe(0)
      expect(server.threads()[0]?.archivedAt).toBeNull()
    }))

  it.scopedLive("§8.1 a dropped answer during message.dispatch is read back and adopted: one run, sent once", () =>
    Effect.gen(function*() {
      const { runtime, server } = yield* setup()
      server.dropResponseOnce("message.dispatch")
      yield* runtime.dispatch(request)
      expect(dispatched(server, "message.dispatch")).toHaveLength(1)
      expect(server.threads()[0]?.runs).toHaveLength(1)
    }))

  it.scopedLive("a repeated dispatch (a crash after sending) adopts the thread and the run", () =>
    Effect.gen(function*() {
      const { runtime, server } = yield* setup()
      yield* runtime.dispatch(request)
      yield* runtime.dispatch(request)
      expect(dispatched(server)).toEqual(["thread.create", "message.dispatch"])
      expect(server.threads()[0]?.runs).toHaveLength(1)
    }))

  it.scopedLive("P2: a fresh dispatch costs 2 tickets, 2 connections, 2 request frames and 2 project calls", () =>
    Effect.gen(function*() {
      const { runtime, server } = yield* setup()
      yield* runtime.dispatch({ ...request, fresh: true })
      const requests = server.requests().map((r) => `${r.method} ${r.path}`)
      expect(requests).toEqual([
        "GET /.well-known/t3/environment",
        "GET /api/projects",
        "POST /api/projects/mutate",
        "POST /api/auth/websocket-ticket",
        "GET /ws?wsTicket=<redacted>&orchestrationProtocol=2",
        "POST /api/auth/websocket-ticket",
        "GET /ws?wsTicket=<redacted>&orchestrationProtocol=2"
      ])
      expect(sent(server)).toEqual(["Request", "Request"])
      const second = new IssueRef({ repo: issue.repo, number: 8 })
      const secondRun = Ids.runId(second, 1)
      const before = server.requests().length
      yield* runtime.dispatch({
        ...request,
        issue: second,
        runId: secondRun,
        threadId: Ids.threadId(secondRun),
        fresh: true
      })
      expect(server.requests().length - before).toBe(4)
    }))
})
