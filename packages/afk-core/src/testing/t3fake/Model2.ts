/**
 * The rows the protocol-2 T3 fake keeps and serves (`t3-protocol-v2.md` §5.2): the thread (`AppThread`),
 * its runs, attempts, nodes, runtime requests, messages, timeline items and provider sessions, in the
 * server's encoded shapes (ISO-8601 timestamps, `null` for absent values).
 */

/** `Run.status` (§5.2). */
export type RunStatus =
  | "preparing"
  | "queued"
  | "starting"
  | "running"
  | "waiting"
  | "completed"
  | "interrupted"
  | "failed"
  | "cancelled"
  | "rolled_back"

export interface ModelSelection {
  instanceId: string
  model: string
  options?: unknown
}

/** `AppThread`. */
export interface AppThread {
  id: string
  projectId: string
  title: string
  providerInstanceId: string
  modelSelection: ModelSelection
  runtimeMode: string
  interactionMode: string
  branch: string | null
  worktreePath: string | null
  activeProviderThreadId: string | null
  historyOrigin: "native" | "v1_import"
  lineage: null
  forkedFrom: null
  createdAt: string
  updatedAt: string
  archivedAt: string | null
  settledAt: string | null
  deletedAt: string | null
  createdBy: "user"
  creationSource: string
}

export interface Run {
  id: string
  threadId: string
  ordinal: number
  providerInstanceId: string
  modelSelection: ModelSelection
  providerThreadId: string | null
  userMessageId: string
  rootNodeId: string | null
  activeAttemptId: string | null
  status: RunStatus
  queuePosition?: number
  queueHeld: boolean
  requestedAt: string
  startedAt: string | null
  workStartedAt: string | null
  completedAt: string | null
  checkpointId: string | null
}

export interface Attempt {
  id: string
  runId: string
  attemptOrdinal: number
  rootNodeId: string
  providerThreadId: string
  providerTurnId: string
  reason: "initial"
  status: "pending" | "running" | "completed" | "interrupted" | "failed" | "cancelled" | "superseded"
  startedAt: string
  completedAt: string | null
}

export interface Node {
  id: string
  threadId: string
  runId: string
  parentNodeId: string | null
  rootNodeId: string
  kind: "root" | "runtime_request"
  status: string
  runtimeRequestId: string | null
}

export interface RuntimeRequest {
  id: string
  nodeId: string
  providerTurnId: string
  kind: string
  status: "pending" | "resolved" | "expired" | "cancelled"
  responseCapability: { type: "live"; providerSessionId: string }
  createdAt: string
  resolvedAt: string | null
}

export interface Message {
  id: string
  threadId: string
  runId: string
  nodeId: string | null
  role: "user" | "assistant" | "system"
  text: string
  attachments: ReadonlyArray<unknown>
  streaming: boolean
  createdAt: string
  updatedAt: string
  createdBy: "user" | "agent" | "system"
  creationSource: string
}

/** A timeline row: the base fields and one variant's fields under `type` (§5.2). */
export interface TurnItem {
  id: string
  threadId: string
  runId: string
  nodeId: string | null
  ordinal: number
  type: string
  status: string
  title: string
  startedAt: string
  completedAt: string | null
  updatedAt: string
  readonly [variantField: string]: unknown
}

export interface ProviderSession {
  id: string
  driver: "claude"
  providerInstanceId: string
  status: "starting" | "ready" | "running" | "waiting" | "stopped" | "error"
  cwd: string
  model: string
  lastError: string | null
}

/** Everything the fake holds for one thread; `projection` views are built from it. */
export interface ThreadState {
  thread: AppThread
  runs: Array<Run>
  attempts: Array<Attempt>
  nodes: Array<Node>
  runtimeRequests: Array<RuntimeRequest>
  messages: Array<Message>
  turnItems: Array<TurnItem>
  providerSessions: Array<ProviderSession>
}

/** A thread as `T3FakeV2.threads()` returns it: the `AppThread` with its runs and messages. */
export type ThreadView = AppThread & {
  readonly runs: ReadonlyArray<Run>
  readonly messages: ReadonlyArray<Message>
  readonly providerSessions: ReadonlyArray<ProviderSession>
}

/** Run statuses no command or poll moves on from. */
export const terminal: ReadonlySet<RunStatus> = new Set([
  "completed",
  "interrupted",
  "failed",
  "cancelled",
  "rolled_back"
])

/** Run statuses that make the thread busy: a new message queues behind them (§4.3). */
export const active: ReadonlySet<RunStatus> = new Set(["preparing", "starting", "running", "waiting"])
