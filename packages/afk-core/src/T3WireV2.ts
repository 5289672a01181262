/**
 * Our own copy of the protocol-2 wire shapes AFK uses (`t3-protocol-v2.md` §4–5). Commands are the exact
 * bodies AFK sends (only the fields listed there, §7 row 1); read shapes are tolerant: unknown fields are
 * ignored and enum-like fields are plain strings, so a newer server's values read as `unknown`, never as a
 * decode failure.
 */
import * as Schema from "effect/Schema"

/** The header every `/api/orchestration/*` request carries (§1.4); without it the server answers 400. */
export const protocolHeader = "x-t3-orchestration-protocol"

/** `createdBy` (forced to `user` by the server) and `creationSource` (T3's own client default, §4). */
const provenance = { createdBy: "user", creationSource: "web" } as const

export interface ModelSelection {
  readonly instanceId: string
  readonly model: string
}

/** `thread.create` (§4.2): `branch` and `worktreePath` must be present, `null` rather than `""`. */
export const threadCreate = (fields: {
  readonly commandId: string
  readonly threadId: string
  readonly projectId: string
  readonly title: string
  readonly modelSelection: ModelSelection
  readonly runtimeMode: string
}) => ({
  type: "thread.create" as const,
  ...fields,
  interactionMode: "default",
  branch: null,
  worktreePath: null,
  ...provenance
})

/** `message.dispatch` (§4.3): starts a run, or queues one behind the active run; `run.userMessageId === messageId`. */
export const messageDispatch = (fields: {
  readonly commandId: string
  readonly threadId: string
  readonly messageId: string
  readonly text: string
}) => ({
  type: "message.dispatch" as const,
  ...fields,
  attachments: [],
  ...provenance,
  dispatchMode: { type: "start_immediately" }
})

/** `run.interrupt` (§4.5), for a `preparing`, `starting` or `running` run; never with `holdQueue`. */
export const runInterrupt = (fields: {
  readonly commandId: string
  readonly threadId: string
  readonly runId: string
  readonly reason: string
}) => ({ type: "run.interrupt" as const, ...fields })

/** `queued-run.cancel` (§4.5), for a `queued` run. */
export const queuedRunCancel = (
  fields: { readonly commandId: string; readonly threadId: string; readonly runId: string }
) => ({
  type: "queued-run.cancel" as const,
  ...fields
})

/** `thread.archive` (§4.5): hides the thread; sent only once its runs are terminal. */
export const threadArchive = (fields: { readonly commandId: string; readonly threadId: string }) => ({
  type: "thread.archive" as const,
  ...fields
})

/** `provider-session.detach` (§4.5): releases the thread's provider session, once its runs are terminal. */
export const providerSessionDetach = (fields: {
  readonly commandId: string
  readonly threadId: string
  readonly providerSessionId: string
  readonly reason: string
}) => ({ type: "provider-session.detach" as const, ...fields })

export type Command =
  | ReturnType<typeof threadCreate>
  | ReturnType<typeof messageDispatch>
  | ReturnType<typeof runInterrupt>
  | ReturnType<typeof queuedRunCancel>
  | ReturnType<typeof threadArchive>
  | ReturnType<typeof providerSessionDetach>

/** `POST /api/projects/mutate`, variant `project.create` (§4.1). */
export const projectCreate = (fields: {
  readonly commandId: string
  readonly projectId: string
  readonly title: string
  readonly workspaceRoot: string
}) => ({ type: "project.create" as const, ...fields, createWorkspaceRootIfMissing: true })

const nullableString = Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null })

/** A project of `GET /api/projects` (§4.1). */
export const Project = Schema.Struct({
  id: Schema.String,
  title: Schema.optional(Schema.String),
  workspaceRoot: Schema.String,
  deletedAt: nullableString
})
export type Project = typeof Project.Type

export const ProjectList = Schema.Struct({ projects: Schema.Array(Project) })

/** `orchestration.dispatchCommand` success: the sequence only, no run id (§3.7). */
export const DispatchResult = Schema.Struct({ sequence: Schema.Number })

/** The typed errors of `Fail` reasons AFK tells apart (§6.2); others are read by `_tag` and `message` only. */
export const RpcError = Schema.Struct({
  _tag: Schema.String,
  message: Schema.optional(Schema.String),
  detail: Schema.optional(Schema.Unknown),
  requiredScope: Schema.optional(Schema.String)
})
export type RpcError = typeof RpcError.Type

export const Thread = Schema.Struct({
  id: Schema.String,
  projectId: Schema.optional(Schema.String),
  historyOrigin: Schema.optional(Schema.String),
  archivedAt: nullableString,
  deletedAt: nullableString
})

/** A run (§5.2); `status` is a plain string so an unknown value maps to `unknown` (row 16). */
export const Run = Schema.Struct({
  id: Schema.String,
  ordinal: Schema.optional(Schema.Number),
  userMessageId: nullableString,
  rootNodeId: nullableString,
  status: Schema.String,
  queueHeld: Schema.optional(Schema.Boolean),
  requestedAt: nullableString,
  startedAt: nullableString,
  completedAt: nullableString,
  updatedAt: nullableString
})
export type Run = typeof Run.Type

export const Node = Schema.Struct({ id: Schema.String, runId: nullableString })

export const RuntimeRequest = Schema.Struct({
  id: Schema.String,
  nodeId: nullableString,
  kind: Schema.String,
  status: Schema.String,
  responseCapability: Schema.optional(Schema.Struct({ type: Schema.String }))
})
export type RuntimeRequest = typeof RuntimeRequest.Type

export const Message = Schema.Struct({
  id: Schema.String,
  runId: nullableString,
  role: Schema.String,
  text: Schema.String,
  streaming: Schema.optionalWith(Schema.Boolean, { default: () => false })
})
export type Message = typeof Message.Type

/** A timeline item: only the fields of the variants AFK reads (§5.2); every other variant decodes too. */
export const TurnItem = Schema.Struct({
  id: Schema.String,
  type: Schema.String,
  runId: nullableString,
  nodeId: nullableString,
  ordinal: Schema.optional(Schema.Number),
  status: Schema.optional(Schema.String),
  text: Schema.optional(Schema.String),
  streaming: Schema.optional(Schema.Boolean),
  failure: Schema.optional(Schema.Struct({
    class: Schema.optional(Schema.String),
    message: Schema.optional(Schema.String),
    resetAt: Schema.optional(Schema.NullOr(Schema.String))
  }))
})
export type TurnItem = typeof TurnItem.Type

export const ProviderSession = Schema.Struct({ id: Schema.String, status: Schema.String, lastError: nullableString })

const list = <A, I>(item: Schema.Schema<A, I>) => Schema.optionalWith(Schema.Array(item), { default: () => [] })

/** `OrchestrationV2ThreadProjection`, the parts AFK reads (§5.2). */
export const Projection = Schema.Struct({
  thread: Thread,
  runs: list(Run),
  nodes: list(Node),
  runtimeRequests: list(RuntimeRequest),
  messages: list(Message),
  turnItems: list(TurnItem),
  providerSessions: list(ProviderSession)
})
export type Projection = typeof Projection.Type

/** `GET /api/orchestration/threads/:id/bounded` (§5.1). */
export const BoundedSnapshot = Schema.Struct({ snapshotSequence: Schema.Number, projection: Projection })

/** `POST /api/auth/websocket-ticket` (§2.3). */
export const Ticket = Schema.Struct({ ticket: Schema.String, expiresAt: Schema.optional(Schema.String) })
