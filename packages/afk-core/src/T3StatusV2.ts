/**
 * The poller's reading of a protocol-2 thread (`t3-protocol-v2.md` §5.4): AFK's run is the one started by
 * the thread's latest user message, and its status maps to a `TurnState` through the table, first match
 * wins; the last assistant text and pending requests come from §5.6. Pure functions of the bounded
 * projection, so every row is tested without a server.
 */
import { TurnStatus } from "./Domain.js"
import * as T3Status from "./T3Status.js"
import type * as T3WireV2 from "./T3WireV2.js"

/**
 * How long a run may sit in `waiting` (the provider finished; checkpoint capture pending) before it reads as
 * succeeded (§5.4 row 15). §7 row 3 is uncertain whether text can still change there: 30 s, as LIM-CLIENT.
 */
export const waitingGrace = 30_000

const findLast = <A>(items: ReadonlyArray<A>, predicate: (item: A) => boolean): A | undefined => {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i] as A
    if (predicate(item)) return item
  }
  return undefined
}

/** Statuses of a run the agent is still working on (or about to). */
export const active: ReadonlyArray<string> = ["preparing", "queued", "starting", "running"]

/** Statuses after which nothing more happens to a run. */
export const terminal: ReadonlyArray<string> = ["completed", "failed", "interrupted", "cancelled", "rolled_back"]

/** Whether a provider session (`providerSessions[].status`) still holds the provider: not stopped, not errored. */
export const attached = (status: string): boolean => status !== "stopped" && status !== "error"

/**
 * `M`, the message of AFK's latest turn: the thread's last user message, else the last run's. AFK's threads
 * are single-purpose, so the latest user message is the latest turn AFK sent (a bounded read always holds it).
 */
export const latestMessageId = (projection: T3WireV2.Projection): string | undefined =>
  findLast(projection.messages, (m) => m.role === "user")?.id ?? projection.runs.at(-1)?.userMessageId ?? undefined

/** The run started by message `messageId`, or the one it joined (§5.4 row 5). */
export const runOf = (projection: T3WireV2.Projection, messageId: string): T3WireV2.Run | undefined => {
  const own = findLast(projection.runs, (r) => r.userMessageId === messageId)
  if (own !== undefined) return own
  const joined = projection.messages.find((m) => m.id === messageId)?.runId
  return joined == null ? undefined : projection.runs.find((r) => r.id === joined)
}

/** The last assistant text of `run` (§5.6): the final `assistant_message` item, else the final message. */
export const assistantText = (projection: T3WireV2.Projection, run: T3WireV2.Run): string | undefined => {
  const items = projection.turnItems
    .filter((i) => i.type === "assistant_message" && i.runId === run.id && i.streaming === false)
    .sort((a, b) => (a.ordinal ?? 0) - (b.ordinal ?? 0))
  const item = items.at(-1)?.text
  if (item !== undefined) return item
  return findLast(projection.messages, (m) => m.role === "assistant" && m.runId === run.id && !m.streaming)?.text
}

/**
 * The pending runtime request of `run` (§5.4 row 11): one whose node belongs to the run; on AFK's
 * single-purpose thread, any pending one when no node says otherwise.
 */
export const pendingRequest = (
  projection: T3WireV2.Projection,
  run: T3WireV2.Run
): T3WireV2.RuntimeRequest | undefined => {
  const pending = projection.runtimeRequests.filter((r) => r.status === "pending")
  const nodes = new Set(projection.nodes.filter((n) => n.runId === run.id).map((n) => n.id))
  return pending.find((r) => r.nodeId !== null && nodes.has(r.nodeId)) ??
    pending.find((r) => !projection.nodes.some((n) => n.id === r.nodeId && n.runId !== run.id))
}

const blockedDetail = (request: T3WireV2.RuntimeRequest): string => {
  const what = request.kind === "user_input"
    ? "waiting for an answer to a question"
    : request.kind === "auth_refresh"
    ? "the provider needs re-authentication"
    : "waiting for a tool approval"
  return request.responseCapability?.type === "not_resumable" ? `${what} (it cannot be answered)` : what
}

/** Why `run` failed (§5.4 row 7): its root error item, else its last error item, else a provider session's error. */
export const failureDetail = (projection: T3WireV2.Projection, run: T3WireV2.Run): string => {
  const errors = projection.turnItems.filter((i) => i.type === "error" && i.runId === run.id)
  const item = errors.find((i) => i.status === "failed" && i.nodeId !== null && i.nodeId === run.rootNodeId) ??
    errors.at(-1)
  const failure = item?.failure
  const message = T3Status.firstUsefulLine(failure?.message) ??
    T3Status.firstUsefulLine(findLast(projection.providerSessions, (s) => s.lastError !== null)?.lastError)
  const reset = failure?.class === "usage_limit" && failure.resetAt != null
    ? ` (usage limit; resets at ${failure.resetAt})`
    : ""
  return `${message ?? "the run failed"}${reset}`
}

/**
 * Maps one bounded projection through §5.4, first match wins. `waitingSince` is when AFK first saw the run
 * in `waiting` (undefined: not yet seen), so row 15 reads `succeeded` only after `waitingGrace`.
 */
export const fromProjection = (
  projection: T3WireV2.Projection,
  nowMillis: number,
  waitingSince?: number
): TurnStatus => {
  if (projection.thread.deletedAt !== null) {
    return new TurnStatus({ state: "vanished", detail: `the thread was deleted at ${projection.thread.deletedAt}` })
  }
  const messageId = latestMessageId(projection)
  const run = messageId === undefined ? undefined : runOf(projection, messageId)
  if (run === undefined) {
    const migrated = projection.thread.historyOrigin === "v1_import" && projection.runs.length === 0
    const detail = migrated
      ? "the thread was migrated from protocol 1; its outcome was not carried over"
      : "the message was never accepted: dispatch again with the same command id"
    return new TurnStatus({ state: "unknown", detail })
  }
  const joined = run.userMessageId !== messageId ? `joined run ${run.id}` : undefined
  const make = (state: TurnStatus["state"], detail?: string, withText = false) => {
    const text = withText ? assistantText(projection, run) : undefined
    const said = [joined, detail].filter((d) => d !== undefined).join("; ")
    return new TurnStatus({
      state,
      activeTurnId: run.id,
      ...(said === "" ? {} : { detail: said }),
      ...(text === undefined ? {} : { lastAssistantText: text })
    })
  }
  const status = run.status
  if (status === "failed") return make("failed", failureDetail(projection, run), true)
  if (status === "interrupted") return make("interrupted", "the run was interrupted", true)
  if (status === "cancelled") return make("interrupted", "the run was cancelled (or the server restarted)", true)
  if (status === "rolled_back") return make("interrupted", "a checkpoint rollback voided this run", true)
  const pending = pendingRequest(projection, run)
  if (["preparing", "starting", "running"].includes(status) && pending !== undefined) {
    return make("blocked", blockedDetail(pending))
  }
  if (status === "queued" && run.queueHeld === true) {
    return make("blocked", "T3 holds the queue (after a Stop or a server restart); send queue.resume or cancel")
  }
  if (active.includes(status)) return make("running", status === "queued" ? "queued behind another run" : undefined)
  if (status === "completed") return make("succeeded", undefined, true)
  if (status === "waiting") {
    return waitingSince !== undefined && nowMillis - waitingSince >= waitingGrace
      ? make("succeeded", "the checkpoint is still being captured", true)
      : make("running", "finishing (checkpoint)")
  }
  return make("unknown", `unrecognised run status ${status}`)
}
