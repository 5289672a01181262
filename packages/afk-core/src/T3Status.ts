/**
 * The poller's reading of a T3 Code thread (`t3-protocol.md` §6): the state table, the blocked
 * sub-state, and where the final assistant message is. Pure functions of the thread detail, so every row
 * is tested without a server. The rows apply to the turn of the thread's newest user message, so a
 * follow-up the server has not started yet reads as queued, never as the previous turn's outcome.
 */
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { TokenUsage, TurnStatus } from "./Domain.js"
import * as T3Wire from "./T3Wire.js"

/** §6 row 8's grace: how long a turn may wait for the server to start it before it reads as unknown. */
export const defaultQueuedGrace: Duration.DurationInput = "60 seconds"

const time = (iso: string | null | undefined): number | undefined => {
  if (iso === undefined || iso === null) return undefined
  const millis = Date.parse(iso)
  return Number.isNaN(millis) ? undefined : millis
}

const findLast = <A>(items: ReadonlyArray<A>, predicate: (item: A) => boolean): A | undefined => {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i] as A
    if (predicate(item)) return item
  }
  return undefined
}

const isAfter = (a: string | null | undefined, b: string | null | undefined): boolean => {
  const left = time(a)
  const right = time(b)
  return left !== undefined && right !== undefined && left > right
}

const notBefore = (since: number | undefined) => (at: string | undefined) => {
  const millis = time(at)
  return since === undefined || millis === undefined || millis >= since
}

const requestId = (activity: T3Wire.Activity): string | undefined => {
  const payload = activity.payload
  if (typeof payload !== "object" || payload === null || !("requestId" in payload)) return undefined
  return typeof payload.requestId === "string" ? payload.requestId : undefined
}

/** Whether a `<prefix>.requested` activity has no matching `<prefix>.resolved` (by request id, else by count). */
export const hasPending = (activities: ReadonlyArray<T3Wire.Activity>, prefix: string): boolean => {
  const requested = activities.filter((a) => a.kind === `${prefix}.requested`).map(requestId)
  const resolved = activities.filter((a) => a.kind === `${prefix}.resolved`).map(requestId)
  const resolvedIds = new Set(resolved.filter((id) => id !== undefined))
  const unmatched = requested.filter((id) => id !== undefined && !resolvedIds.has(id)).length
  const anonymous = (ids: ReadonlyArray<string | undefined>) => ids.filter((id) => id === undefined).length
  return unmatched > 0 || anonymous(requested) > anonymous(resolved)
}

const payloadText = (activity: T3Wire.Activity, key: string): string | undefined => {
  const payload = activity.payload
  if (typeof payload !== "object" || payload === null || !(key in payload)) return undefined
  const value = (payload as Record<string, unknown>)[key]
  return typeof value === "string" ? value : undefined
}

const maxDetail = 300

/**
 * The first line of a server's error text that says something: not blank and not a stack frame
 * (`at …`), at most 300 characters. A start failure arrives as a multi-KB stack trace with the server's
 * paths; only this line is ever shown on an issue or in a notification.
 */
export const firstUsefulLine = (text: string | null | undefined): string | undefined => {
  const line = (text ?? "").split(/\r\n|\r|\n/).map((l) => l.trim()).find((l) => l !== "" && !/^at\s/.test(l))
  if (line === undefined) return undefined
  return line.length > maxDetail ? `${line.slice(0, maxDetail - 1)}…` : line
}

const decodeUsage = Schema.decodeUnknownOption(T3Wire.ContextWindowUsage)

/**
 * The thread's running token counts for the run record (`Usage`), from the newest `context-window.updated`
 * activity on the thread (the counts add up over the session): input, output, and the total processed
 * (input + output when the server gives no total). None when no activity reports counts.
 */
export const tokenUsage = (thread: T3Wire.Thread): TokenUsage | undefined => {
  const last = findLast(thread.activities, (a) => a.kind === "context-window.updated")
  const counts = last === undefined ? undefined : Option.getOrUndefined(decodeUsage(last.payload))
  if (counts === undefined) return undefined
  const input = Math.trunc(counts.inputTokens ?? 0)
  const output = Math.trunc(counts.outputTokens ?? 0)
  const total = Math.trunc(counts.totalProcessedTokens ?? input + output)
  return input === 0 && output === 0 && total === 0 ? undefined : new TokenUsage({ input, output, total })
}

/**
 * The final assistant message of the thread's latest turn ("Where the last assistant message is"):
 * `latestTurn.assistantMessageId`, else the last assistant message of that turn, else the last
 * assistant message — only among messages since the newest user message, and only once it stopped
 * streaming.
 */
export const finalAssistantText = (thread: T3Wire.Thread): string | undefined => {
  const lastUser = findLast(thread.messages, (m) => m.role === "user")
  const since = notBefore(time(lastUser?.createdAt))
  const assistants = thread.messages.filter((m) => m.role === "assistant" && since(m.createdAt))
  const turn = thread.latestTurn
  const message =
    (turn?.assistantMessageId == null ? undefined : assistants.find((m) => m.id === turn.assistantMessageId)) ??
      (turn === null ? undefined : findLast(assistants, (m) => m.turnId === turn.turnId)) ??
      assistants[assistants.length - 1]
  return message === undefined || message.streaming ? undefined : message.text
}

const isOneOf = (value: string | undefined, ...values: ReadonlyArray<string>) =>
  value !== undefined && values.includes(value)

/**
 * Maps one thread detail (`GET /api/orchestration/threads/:id`) through §6's table, first match wins.
 * `nowMillis` and `queuedGrace` decide when a queued turn (row 8) stops reading as running; the age is
 * measured from the server's timestamp of the user message.
 */
export const fromThread = (
  thread: T3Wire.Thread,
  nowMillis: number,
  queuedGrace: Duration.DurationInput = defaultQueuedGrace
): TurnStatus => {
  const { latestTurn: turn, session } = thread
  const activeTurnId = session?.activeTurnId ?? undefined
  const make = (state: TurnStatus["state"], detail?: string, withText = false) => {
    const text = withText ? finalAssistantText(thread) : undefined
    const usage = tokenUsage(thread)
    return new TurnStatus({
      state,
      ...(detail === undefined ? {} : { detail }),
      ...(text === undefined ? {} : { lastAssistantText: text }),
      ...(activeTurnId === undefined ? {} : { activeTurnId }),
      ...(usage === undefined ? {} : { usage })
    })
  }
  if (thread.deletedAt != null) return make("vanished", `the thread was deleted at ${thread.deletedAt}`)
  const lastUser = findLast(thread.messages, (m) => m.role === "user")
  const recent = thread.activities.filter((a) => notBefore(time(lastUser?.createdAt))(a.createdAt))
  const startFailed = findLast(recent, (a) => a.kind === "provider.turn.start.failed")
  const queued = () => {
    const age = time(lastUser?.createdAt)
    const waited = age === undefined ? 0 : nowMillis - age
    return waited > Duration.toMillis(queuedGrace)
      ? make("unknown", `the turn was accepted ${Math.round(waited / 1000)} s ago and the server has not started it`)
      : make("running", "queued: waiting for the server to start the turn")
  }
  const sessionLive = isOneOf(session?.status, "starting", "running")

  if (startFailed !== undefined) {
    const detail = firstUsefulLine(payloadText(startFailed, "detail")) ?? firstUsefulLine(session?.lastError) ??
      firstUsefulLine(startFailed.summary)
    return make("failed", detail ?? "the turn failed to start", true)
  }
  if (lastUser !== undefined && turn !== null && isAfter(lastUser.createdAt, turn.requestedAt)) {
    return sessionLive ? make("running", "the server is starting the turn") : queued()
  }
  if (turn?.state === "error" || session?.status === "error") {
    const runtimeError = findLast(recent, (a) => a.kind === "runtime.error")
    const reported = runtimeError === undefined
      ? undefined
      : payloadText(runtimeError, "message") ?? payloadText(runtimeError, "detail")
    const detail = firstUsefulLine(reported) ?? firstUsefulLine(session?.lastError)
    return make("failed", detail ?? "the turn ended in error", true)
  }
  if (turn?.state === "interrupted") return make("interrupted", "the turn was interrupted", true)
  if (sessionLive || turn?.state === "running") {
    if (hasPending(recent, "approval")) return make("blocked", "waiting for a tool approval")
    if (hasPending(recent, "user-input")) return make("blocked", "waiting for an answer to a question (user input)")
    return make("running")
  }
  if (turn?.state === "completed") return make("succeeded", undefined, true)
  if (turn === null && isOneOf(session?.status, "ready", "idle")) {
    if (thread.messages.some((m) => m.role === "assistant" && m.turnId !== null)) {
      return make("succeeded", undefined, true)
    }
  }
  if (turn === null && isOneOf(session?.status, "stopped", "interrupted")) {
    return make("interrupted", `the session ${session?.status} before a turn started`)
  }
  if (session === null && turn === null && lastUser !== undefined) return queued()
  if (lastUser === undefined) {
    return make("unknown", "no user message on the thread: the turn start was never accepted; dispatch again")
  }
  return make("unknown", `unrecognised state: session ${session?.status ?? "none"}, turn ${turn?.state ?? "none"}`)
}

/**
 * A turn the shell (`GET /api/orchestration/shell`) shows still working, read without the thread detail: §6
 * row 4 (a live session or a running latest turn, and no error or interrupt), blocked when the shell flags a
 * pending approval or question. Anything else is undefined: the thread detail decides (text, failure, usage).
 */
export const runningFromShell = (thread: typeof T3Wire.ThreadShell.Type): TurnStatus | undefined => {
  const { latestTurn: turn, session } = thread
  if (session?.status === "error" || turn?.state === "error" || turn?.state === "interrupted") return undefined
  if (!isOneOf(session?.status, "starting", "running") && turn?.state !== "running") return undefined
  const activeTurnId = session?.activeTurnId ?? undefined
  const pending = thread.hasPendingUserInput
    ? "waiting for user input"
    : thread.hasPendingApprovals
    ? "waiting for an approval"
    : undefined
  return new TurnStatus({
    state: pending === undefined ? "running" : "blocked",
    ...(pending === undefined ? {} : { detail: pending }),
    ...(activeTurnId === undefined ? {} : { activeTurnId })
  })
}
