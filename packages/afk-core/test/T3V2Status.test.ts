/**
 * The protocol-2 turn-state table (`t3-protocol-v2.md` §5.4), row by row over hand-built projections, and
 * where the text and pending requests are read from (§5.6).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Schema from "effect/Schema"
import * as T3StatusV2 from "../src/T3StatusV2.js"
import * as T3WireV2 from "../src/T3WireV2.js"

const now = Date.parse("2026-12-05T10:00:00.000Z")
const M = "msg-turn-1"
const runId = "run:thread:t1:ordinal:1"

const projection = (overrides: Record<string, unknown> = {}, run: Record<string, unknown> = {}) =>
  Schema.decodeUnknownSync(T3WireV2.Projection)({
    thread: { id: "t1", projectId: "p1", deletedAt: null, archivedAt: null, historyOrigin: "native", extra: 1 },
    runs: [{
      id: runId,
      threadId: "t1",
      ordinal: 1,
      userMessageId: M,
      rootNodeId: "node-root",
      status: "running",
      ...run
    }],
    nodes: [{ id: "node-root", runId }],
    runtimeRequests: [],
    messages: [{ id: M, runId, role: "user", text: "Do it.", streaming: false }],
    turnItems: [],
    providerSessions: [],
    ...overrides
  })

const read = (p: T3WireV2.Projection, waitingSince?: number) => T3StatusV2.fromProjection(p, now, waitingSince)

describe("T3StatusV2.fromProjection (§5.4)", () => {
  it("row 2: a deleted thread is vanished", () => {
    const p = projection({ thread: { id: "t1", deletedAt: "2026-12-05T09:00:00.000Z" } })
    expect(read(p).state).toBe("vanished")
  })

  it("row 4: no run and no message is unknown, saying to send again with the same command id", () => {
    const status = read(projection({ runs: [], messages: [] }))
    expect(status.state).toBe("unknown")
  })

  it("row 5: a message that joined another run reads that run, saying so", () => {
    const other = { id: "run-2", userMessageId: "someone-else", rootNodeId: null, status: "running" }
    const p = projection({ runs: [other], messages: [{ id: M, runId: "run-2", role: "user", text: "x" }] })
    expect(read(p)).toMatchObject({ state: "running", activeTurnId: "run-2", detail: "joined run run-2" })
  })

  it("row 6: a thread imported from protocol 1 with no runs is unknown, never re-dispatched", () => {
    const p = projection({ runs: [], thread: { id: "t1", historyOrigin: "v1_import" } })
    expect(read(p)).toMatchObject({ state: "unknown" })
    expect(read(p).detail).toContain("migrated from protocol 1")
  })

  it("row 7: failed names the root error item's first useful line, and a usage limit's reset", () => {
    const rootError = {
      id: "e1",
      type: "error",
      runId,
      nodeId: "node-root",
      status: "failed",
      failure: {
        class: "usage_limit",
        message: "Claude usage limit reached\n    at x (y.js:1)",
        resetAt: "2026-12-05T12:00:00Z"
      }
    }
    const other = {
      id: "e0",
      type: "error",
      runId,
      nodeId: "node-child",
      status: "failed",
      failure: { message: "child" }
    }
    const status = read(projection({ turnItems: [other, rootError] }, { status: "failed" }))
    expect(status.state).toBe("failed")
    expect(status.detail).toBe("Claude usage limit reached (usage limit; resets at 2026-12-05T12:00:00Z)")
  })

  it("row 7: without an error item, a provider session's last error", () => {
    const p = projection({ providerSessions: [{ id: "s", status: "error", lastError: "spawn claude ENOENT" }] }, {
      status: "failed"
    })
    expect(read(p).detail).toBe("spawn claude ENOENT")
  })

  for (const status of ["interrupted", "cancelled", "rolled_back"]) {
    it(`rows 8–10: ${status} is interrupted`, () => {
      expect(read(projection({}, { status })).state).toBe("interrupted")
    })
  }

  it("row 11: a pending user_input request of the run is blocked on a question; not_resumable says so", () => {
    const request = {
      id: "rq",
      nodeId: "node-root",
      kind: "user_input",
      status: "pending",
      responseCapability: { type: "not_resumable", reason: "x" }
    }
    const status = read(projection({ runtimeRequests: [request] }))
    expect(status).toMatchObject({ state: "blocked", activeTurnId: runId })
    expect(status.detail).toBe("waiting for an answer to a question (it cannot be answered)")
    const approval = { ...request, kind: "command", responseCapability: { type: "live" } }
    expect(read(projection({ runtimeRequests: [approval] })).detail).toBe("waiting for a tool approval")
    const resolved = { ...request, status: "resolved" }
    expect(read(projection({ runtimeRequests: [resolved] })).state).toBe("running")
  })

  it("row 12: a held queued run is blocked; row 13: queued, preparing, starting, running are running", () => {
    expect(read(projection({}, { status: "queued", queueHeld: true })).state).toBe("blocked")
    expect(read(projection({}, { status: "queued" }))).toMatchObject({
      state: "running",
      detail: "queued behind another run"
    })
    for (const status of ["preparing", "starting", "running"]) {
      expect(read(projection({}, { status })).state).toBe("running")
    }
  })

  it("row 14: completed is succeeded with the last final assistant item's text, never a streaming one", () => {
    const item = (id: string, ordinal: number, text: string, streaming = false) => ({
      id,
      type: "assistant_message",
      runId,
      nodeId: "node-root",
      ordinal,
      messageId: id,
      text,
      streaming
    })
    const p = projection({
      turnItems: [item("a2", 2, "Second."), item("a1", 1, "First."), item("a3", 3, "Draft", true)]
    }, {
      status: "completed"
    })
    expect(read(p)).toMatchObject({ state: "succeeded", lastAssistantText: "Second." })
    const fromMessages = projection({
      messages: [
        { id: M, runId, role: "user", text: "Do it." },
        { id: "m2", runId, role: "assistant", text: "From messages.", streaming: false }
      ]
    }, { status: "completed" })
    expect(read(fromMessages).lastAssistantText).toBe("From messages.")
  })

  it("row 15: waiting reads running until it has lasted 30 s, then succeeded", () => {
    const p = projection({}, { status: "waiting" })
    expect(read(p)).toMatchObject({ state: "running", detail: "finishing (checkpoint)" })
    expect(read(p, now - 29_000).state).toBe("running")
    expect(read(p, now - 30_000).state).toBe("succeeded")
  })

  it("row 16: an unknown status is unknown (fail closed)", () => {
    expect(read(projection({}, { status: "paused_for_lunch" }))).toMatchObject({ state: "unknown" })
  })

  it("the latest turn decides: a follow-up's queued run is read, not the completed first one", () => {
    const first = { id: "run-1", userMessageId: M, rootNodeId: null, status: "completed" }
    const second = { id: "run-2", userMessageId: "msg-fix-1", rootNodeId: null, status: "queued" }
    const p = projection({
      runs: [first, second],
      messages: [{ id: M, runId: "run-1", role: "user", text: "a" }, {
        id: "msg-fix-1",
        runId: "run-2",
        role: "user",
        text: "b"
      }]
    })
    expect(read(p)).toMatchObject({ state: "running", activeTurnId: "run-2" })
  })
})
