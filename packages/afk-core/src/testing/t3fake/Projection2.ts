/**
 * The protocol-2 T3 fake's read views (`t3-protocol-v2.md` §5): the run-based thread projection (§5.2),
 * the bounded read with its window of ≤ 10 user turns or ≤ 75 timeline rows and the full control plane,
 * the history page behind its cursor, and the shell (§5.3).
 */
import type { Project } from "./Model.js"
import type { ThreadState, TurnItem } from "./Model2.js"
import { active } from "./Model2.js"

/** The bounded window (§5.1, NEX `threadHistoryPaging.ts`). */
export const windowTurns = 10
export const windowItems = 75

const cursorPattern = /^history:(\d+)$/

/** `OrchestrationV2ThreadProjection` with the given timeline rows (the control plane is always whole). */
const projection = (state: ThreadState, items: ReadonlyArray<TurnItem>) => {
  const runIds = new Set(items.map((i) => i.runId))
  const activeRuns = new Set(state.runs.filter((r) => active.has(r.status) || r.status === "queued").map((r) => r.id))
  return structuredClone({
    thread: state.thread,
    runs: state.runs,
    attempts: state.attempts,
    nodes: state.nodes,
    subagents: [],
    providerSessions: state.providerSessions,
    providerThreads: [],
    providerTurns: [],
    runtimeRequests: state.runtimeRequests,
    messages: state.messages.filter((m) => runIds.has(m.runId) || activeRuns.has(m.runId)),
    plans: [],
    turnItems: items,
    checkpointScopes: [],
    checkpoints: [],
    contextHandoffs: [],
    contextTransfers: [],
    visibleTurnItems: [],
    updatedAt: state.thread.updatedAt
  })
}

/** The whole thread (`GET /api/orchestration/threads/:id`). */
export const full = (state: ThreadState) => projection(state, state.turnItems)

const windowStart = (items: ReadonlyArray<TurnItem>, end: number) => {
  const users = items.slice(0, end).flatMap((item, i) => (item.type === "user_message" ? [i] : []))
  const byTurns = users.length > windowTurns ? (users[users.length - windowTurns] ?? 0) : 0
  return Math.max(byTurns, end - windowItems, 0)
}

/** `GET /api/orchestration/threads/:id/bounded` (U-HTTP; U-V2C `OrchestrationV2ThreadBoundedSnapshot`). */
export const bounded = (state: ThreadState, snapshotSequence: number) => {
  const from = windowStart(state.turnItems, state.turnItems.length)
  const first = state.turnItems[from]
  return {
    snapshotSequence,
    projection: projection(state, state.turnItems.slice(from)),
    historyCursor: from > 0 && first !== undefined ? `history:${first.ordinal}` : null,
    hasMoreHistory: from > 0,
    latestLocalTurnOrdinal: state.runs.at(-1)?.ordinal ?? null
  }
}

/** The history page before `cursor`; `undefined` for a cursor the fake never issued (`invalid_history_cursor`). */
export const history = (state: ThreadState, cursor: string | null, snapshotSequence: number) => {
  const match = cursor === null ? null : cursorPattern.exec(cursor)
  if (match === null) return undefined
  const end = state.turnItems.findIndex((i) => i.ordinal === Number(match[1]))
  if (end < 0) return undefined
  const from = windowStart(state.turnItems, end)
  const first = state.turnItems[from]
  return {
    snapshotSequence,
    items: structuredClone(state.turnItems.slice(from, end)),
    nextCursor: from > 0 && first !== undefined ? `history:${first.ordinal}` : null,
    hasMoreHistory: from > 0
  }
}

const threadShell = (state: ThreadState) => {
  const { thread, runs } = state
  const latest = runs.filter((r) => !r.queueHeld).at(-1)
  const activeRun = runs.find((r) => active.has(r.status))
  const pending = state.runtimeRequests.find((r) => r.status === "pending")
  const visible = state.messages.filter((m) => !m.streaming).at(-1)
  const error = state.turnItems.filter((i) => i.type === "error").at(-1)
  return {
    id: thread.id,
    projectId: thread.projectId,
    title: thread.title,
    modelSelection: thread.modelSelection,
    runtimeMode: thread.runtimeMode,
    interactionMode: thread.interactionMode,
    branch: thread.branch,
    worktreePath: thread.worktreePath,
    latestRunId: runs.at(-1)?.id ?? null,
    activeRunId: activeRun?.id ?? null,
    activityRunStatus: activeRun?.status ?? null,
    status: latest?.status ?? "idle",
    lastError: (error?.failure as { message?: string } | undefined)?.message ?? null,
    pendingRuntimeRequest: pending === undefined
      ? null
      : { id: pending.id, kind: pending.kind, createdAt: pending.createdAt },
    latestVisibleMessage: visible === undefined
      ? null
      : { id: visible.id, role: visible.role, text: visible.text, updatedAt: visible.updatedAt },
    createdAt: thread.createdAt,
    updatedAt: thread.updatedAt,
    archivedAt: thread.archivedAt,
    settledAt: thread.settledAt,
    deletedAt: thread.deletedAt
  }
}

/** `GET /api/orchestration/shell`: active projects (no `deletedAt`) and live, unarchived threads (§5.3). */
export const shell = (
  projects: ReadonlyArray<Project>,
  states: ReadonlyArray<ThreadState>,
  snapshotSequence: number
) => ({
  schemaVersion: 2,
  snapshotSequence,
  projects: projects.filter((p) => p.deletedAt === null).map(({ deletedAt: _, ...project }) => project),
  threads: states.filter((s) => s.thread.deletedAt === null && s.thread.archivedAt === null).map(threadShell),
  archivedThreads: []
})
