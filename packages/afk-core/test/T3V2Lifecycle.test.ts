/**
 * The T3 runtime over protocol 2, end to end (`t3-protocol-v2.md`): negotiated from the descriptor, commands
 * over real WebSocket RPC with single-use tickets, reads over HTTP with the protocol header. A turn runs to
 * its end (succeeded with text, failed with its error, blocked on a question, interrupted); a follow-up is a
 * second run; a dropped answer and a repeated dispatch are adopted, never duplicated (R1 over protocol 2).
 */
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type { DispatchRequest } from "../src/AgentRuntime.js"
import { IssueRef, repo as parseRepo } from "../src/Domain.js"
import * as Ids from "../src/Ids.js"
import * as T3 from "../src/T3.js"
import * as T3V2Server from "./support/t3v2server.js"

const issue = new IssueRef({ repo: parseRepo("acme/widgets"), number: 7 })
const runId = Ids.runId(issue, 1)
const threadId = Ids.threadId(runId)
const request: DispatchRequest = { runId, threadId, issue, title: "acme/widgets#7: Fix the crash", prompt: "Do it." }

const setup = (script?: (text: string) => T3V2Server.Script) =>
  Effect.gen(function*() {
    const server = yield* T3V2Server.start(script === undefined ? {} : { script })
    const runtime = yield* T3.make({
      url: server.url,
      token: Effect.succeed(Redacted.make(server.token)),
      model: "claude-sonnet-5",
      workspaceRoot: "/data/{owner}__{repo}",
      interruptSettle: { within: "1 second", every: "10 millis" }
    }).pipe(Effect.provide(FetchHttpClient.layer), Effect.provide(NodeSocket.layerWebSocketConstructor))
    return { server, runtime }
  })

const dispatched = (server: { readonly frames: () => ReadonlyArray<Record<string, unknown>> }, type?: string) =>
  server.frames()
    .filter((f) => f._tag === "Request")
    .map((f) => (f.payload as { readonly type: string }).type)
    .filter((t) => type === undefined || t === type)

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
      const { runtime } = yield* setup(() => "fail")
      yield* runtime.dispatch(request)
      expect(yield* runtime.status(threadId)).toMatchObject({ state: "failed", detail: "Provider turn failed." })
    }))

  it.scopedLive("a pending question blocks the run", () =>
    Effect.gen(function*() {
      const { runtime } = yield* setup(() => "block")
      yield* runtime.dispatch(request)
      expect(yield* runtime.status(threadId)).toMatchObject({
        state: "blocked",
        detail: "waiting for an answer to a question"
      })
    }))

  it.scopedLive("interrupt sends run.interrupt for AFK's run and settles once it reads interrupted", () =>
    Effect.gen(function*() {
      const { runtime, server } = yield* setup(() => "hang")
      yield* runtime.dispatch(request)
      expect(yield* runtime.interrupt(runId, threadId)).toBe("settled")
      expect(dispatched(server, "run.interrupt")).toHaveLength(1)
      expect((yield* runtime.status(threadId)).state).toBe("interrupted")
      expect(yield* runtime.interrupt(runId, threadId)).toBe("no-turn")
    }))

  it.scopedLive("§8.1 a dropped answer during message.dispatch is read back and adopted: one run, sent once", () =>
    Effect.gen(function*() {
      const { runtime, server } = yield* setup()
      server.dropAnswerOnce("message.dispatch")
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
        "UPGRADE /ws",
        "POST /api/auth/websocket-ticket",
        "UPGRADE /ws"
      ])
      expect(server.frames().map((f) => f._tag)).toEqual(["Request", "Request"])
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
