/**
 * `t3-protocol.md` §6, row by row, on hand-built thread details: the first matching row wins, the
 * blocked sub-state, the queued grace, and where the final assistant text is.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Schema from "effect/Schema"
import * as T3Status from "../src/T3Status.js"
import * as T3Wire from "../src/T3Wire.js"

const at = (seconds: number) => new Date(Date.UTC(2026, 7, 22, 10, 0, seconds)).toISOString()
const now = Date.UTC(2026, 7, 22, 10, 0, 30)

const user = { id: "m-user", role: "user", text: "do it", turnId: null, streaming: false, createdAt: at(1) }
const assistant = (id: string, turnId: string | null, text: string, seconds = 5, streaming = false) => ({
  id,
  role: "assistant",
  text,
  turnId,
  streaming,
  createdAt: at(seconds)
})
const session = (status: string, extra: Record<string, unknown> = {}) => ({
  threadId: "t",
  status,
  activeTurnId: null,
  lastError: null,
  ...extra
})
const turn = (state: string, extra: Record<string, unknown> = {}) => ({
  turnId: "turn-1",
  state,
  requestedAt: at(1),
  assistantMessageId: null,
  ...extra
})
const activity = (kind: string, seconds: number, payload: Record<string, unknown> = {}) => ({
  id: `${kind}-${seconds}`,
  kind,
  payload,
  createdAt: at(seconds)
})

const thread = (fields: Record<string, unknown>) =>
  Schema.decodeUnknownSync(T3Wire.Thread)({ id: "t", projectId: "p", title: "x", messages: [user], ...fields })

const status = (fields: Record<string, unknown>, millis = now) => T3Status.fromThread(thread(fields), millis)

describe("T3Status.fromThread: §6 rows", () => {
  it("row 2: latestTurn error → failed with session.lastError", () => {
    const result = status({ latestTurn: turn("error"), session: session("error", { lastError: "boom" }) })
    expect(result).toMatchObject({ state: "failed", detail: "boom" })
  })

  it("row 2: session error alone → failed", () => {
    expect(status({ latestTurn: turn("running"), session: session("error") }).state).toBe("failed")
  })

  it("row 2: provider.turn.start.failed → failed with its payload detail, latestTurn null", () => {
    const result = status({
      session: session("error"),
      activities: [activity("provider.turn.start.failed", 2, { detail: "claude not logged in" })]
    })
    expect(result).toMatchObject({ state: "failed", detail: "claude not logged in" })
  })

  it("row 3: latestTurn interrupted → interrupted, before row 7", () => {
    expect(status({ latestTurn: turn("interrupted"), session: session("stopped") }).state).toBe("interrupted")
  })

  it("row 4: starting, running or a running turn → running, with the active turn id", () => {
    expect(status({ session: session("starting") }).state).toBe("running")
    expect(status({ latestTurn: turn("running"), session: session("ready") }).state).toBe("running")
    const running = status({ latestTurn: turn("running"), session: session("running", { activeTurnId: "turn-1" }) })
    expect(running).toMatchObject({ state: "running", activeTurnId: "turn-1" })
    expect(running.lastAssistantText).toBeUndefined()
  })

  it("row 4: blocked on an approval or a question without a matching resolution", () => {
    const live = { latestTurn: turn("running"), session: session("running", { activeTurnId: "turn-1" }) }
    const asked = activity("user-input.requested", 3, { requestId: "r1" })
    expect(status({ ...live, activities: [asked] })).toMatchObject({ state: "blocked", activeTurnId: "turn-1" })
    const answered = activity("user-input.resolved", 4, { requestId: "r1" })
    expect(status({ ...live, activities: [asked, answered] }).state).toBe("running")
    const approval = activity("approval.requested", 3)
    expect(status({ ...live, activities: [approval] }).state).toBe("blocked")
    expect(status({ ...live, activities: [approval, activity("approval.resolved", 4)] }).state).toBe("running")
  })

  it("row 5: completed → succeeded, even when the session later stopped", () => {
    const result = status({
      latestTurn: turn("completed", { assistantMessageId: "a2" }),
      session: session("stopped"),
      messages: [user, assistant("a1", "turn-1", "thinking…"), assistant("a2", "turn-1", "Pushed-Commit: abc1234")]
    })
    expect(result).toMatchObject({ state: "succeeded", lastAssistantText: "Pushed-Commit: abc1234" })
  })

  it("row 6: legacy — no latestTurn, session ready, an assistant message with a turn id → succeeded", () => {
    const result = status({ session: session("ready"), messages: [user, assistant("a1", "turn-x", "done")] })
    expect(result).toMatchObject({ state: "succeeded", lastAssistantText: "done" })
    expect(status({ session: session("idle"), messages: [user, assistant("a1", null, "hi")] }).state).toBe("unknown")
  })

  it("row 7: no latestTurn and the session stopped or interrupted → interrupted", () => {
    expect(status({ session: session("stopped") }).state).toBe("interrupted")
    expect(status({ session: session("interrupted") }).state).toBe("interrupted")
  })

  it("row 8: no session, no turn, our message there → running (queued), unknown after the grace", () => {
    expect(status({}, Date.parse(at(1)) + 59_000)).toMatchObject({
      state: "running",
      detail: expect.stringMatching(/queued/)
    })
    expect(status({}, Date.parse(at(1)) + 61_000).state).toBe("unknown")
    expect(T3Status.fromThread(thread({}), Date.parse(at(1)) + 61_000, "2 minutes").state).toBe("running")
  })

  it("row 9: no user message → unknown (re-dispatch with the same commandId)", () => {
    expect(status({ messages: [] })).toMatchObject({
      state: "unknown",
      detail: expect.stringMatching(/never accepted/)
    })
  })

  it("row 10: anything else → unknown; unknown enum values are tolerated", () => {
    expect(status({ latestTurn: turn("paused"), session: session("hibernating") }).state).toBe("unknown")
  })

  it("a thread marked deleted reads as vanished", () => {
    expect(status({ deletedAt: at(9) }).state).toBe("vanished")
  })
})

describe("T3Status: follow-up turns", () => {
  const previous = {
    latestTurn: turn("completed", { assistantMessageId: "a1" }),
    session: session("ready"),
    messages: [user, assistant("a1", "turn-1", "Pushed-Commit: 1111111"), { ...user, id: "m-2", createdAt: at(10) }]
  }

  it("a follow-up not yet started reads as queued, never as the previous turn's success", () => {
    const result = status(previous)
    expect(result).toMatchObject({ state: "running", detail: expect.stringMatching(/queued/) })
    expect(result.lastAssistantText).toBeUndefined()
  })

  it("a follow-up after a failed turn reads as queued, then as failed when its own start fails", () => {
    const failed = { ...previous, latestTurn: turn("error"), session: session("error", { lastError: "old" }) }
    expect(status(failed).state).toBe("running")
    const startFailed = { ...failed, activities: [activity("provider.turn.start.failed", 11, { detail: "new" })] }
    expect(status(startFailed)).toMatchObject({ state: "failed", detail: "new" })
    expect(status(startFailed).lastAssistantText).toBeUndefined()
  })

  it("a follow-up the server is starting reads as running, never as the previous turn's error or interrupt", () => {
    const starting = session("starting", { lastError: "old" })
    expect(status({ ...previous, latestTurn: turn("error"), session: starting })).toMatchObject({ state: "running" })
    expect(status({ ...previous, latestTurn: turn("interrupted"), session: starting }).state).toBe("running")
  })

  it("an old start failure does not fail a later turn", () => {
    const later = {
      latestTurn: turn("completed", { requestedAt: at(10), turnId: "turn-2" }),
      session: session("ready"),
      activities: [activity("provider.turn.start.failed", 2, { detail: "old" })],
      messages: [user, { ...user, id: "m-2", createdAt: at(10) }, assistant("a2", "turn-2", "ok", 12)]
    }
    expect(status(later)).toMatchObject({ state: "succeeded", lastAssistantText: "ok" })
  })
})

describe("T3Status: failure details as the real server writes them", () => {
  const trace = [
    "Error: Claude Code is not logged in",
    ...Array.from({ length: 40 }, (_, i) => `    at start (/home/t3/.t3/app/apps/server/src/provider/P.ts:${i}:7)`)
  ].join("\n")

  it("runtime.error: the reason is payload.message", () => {
    const result = status({
      latestTurn: turn("error"),
      session: session("error"),
      activities: [activity("runtime.error", 3, { message: "the provider process exited" })]
    })
    expect(result).toMatchObject({ state: "failed", detail: "the provider process exited" })
  })

  it("a failed start keeps the first useful line of the stack trace, never the frames", () => {
    const result = status({
      session: session("stopped", { lastError: "Provider session stopped." }),
      activities: [activity("provider.turn.start.failed", 2, { detail: trace })]
    })
    expect(result).toMatchObject({ state: "failed", detail: "Error: Claude Code is not logged in" })
    expect(status({ latestTurn: turn("error"), session: session("error", { lastError: trace }) }).detail).toBe(
      "Error: Claude Code is not logged in"
    )
  })

  it("firstUsefulLine skips blank lines and frames and caps the length", () => {
    expect(T3Status.firstUsefulLine(`\n   \n    at x (/srv/a.ts:1:1)\nTypeError: bad\n    at y`)).toBe("TypeError: bad")
    expect(T3Status.firstUsefulLine("x".repeat(1000))?.length).toBeLessThanOrEqual(300)
    expect(T3Status.firstUsefulLine("    at only (/srv/a.ts:1:1)")).toBeUndefined()
  })
})

describe("T3Status.tokenUsage", () => {
  it("reads the running counts of the thread's newest context-window.updated activity", () => {
    const counts = (seconds: number, input: number, output: number, total?: number) =>
      activity("context-window.updated", seconds, {
        usedTokens: 5,
        inputTokens: input,
        outputTokens: output,
        ...(total === undefined ? {} : { totalProcessedTokens: total })
      })
    const read = (activities: ReadonlyArray<ReturnType<typeof activity>>) =>
      T3Status.tokenUsage(thread({ latestTurn: turn("completed"), activities }))
    expect(read([counts(2, 100, 10), counts(3, 250, 40, 300)])).toEqual({ input: 250, output: 40, total: 300 })
    expect(read([counts(2, 100, 10)])).toEqual({ input: 100, output: 10, total: 110 })
    expect(read([])).toBeUndefined()
    expect(read([activity("context-window.updated", 5, { usedTokens: "many" })])).toBeUndefined()
    const status = T3Status.fromThread(thread({ latestTurn: turn("completed"), activities: [counts(2, 100, 10)] }), 0)
    expect(status.usage?.total).toBe(110)
  })
})

describe("T3Status.finalAssistantText", () => {
  it("prefers assistantMessageId, then the turn's last message, then the last assistant message", () => {
    const messages = [
      user,
      assistant("a1", "turn-1", "first"),
      assistant("a2", "turn-1", "second"),
      assistant("a3", "other", "third")
    ]
    const text = (latestTurn: unknown) => T3Status.finalAssistantText(thread({ messages, latestTurn }))
    expect(text(turn("completed", { assistantMessageId: "a1" }))).toBe("first")
    expect(text(turn("completed"))).toBe("second")
    expect(text(turn("completed", { turnId: "none" }))).toBe("third")
  })

  it("is absent while the message is still streaming", () => {
    const messages = [user, assistant("a1", "turn-1", "partial", 5, true)]
    expect(T3Status.finalAssistantText(thread({ messages, latestTurn: turn("completed") }))).toBeUndefined()
  })
})
