/**
 * Our own copy of T3 Code's HTTP wire shapes (`t3-protocol.md` §3–4, server v0.0.33;
 * `@t3tools/contracts` is not published). Commands are strict — the shapes the server's `HttpApi`
 * decodes, used by the client to build bodies and by the fake to reject anything else. Read-model
 * shapes are tolerant: unknown fields are ignored and enum-like fields are plain strings, because new
 * servers add values (§10).
 */
import * as Schema from "effect/Schema"

/** A branded id on the server: a non-empty trimmed string, no further format (§3.1). */
export const Id = Schema.NonEmptyTrimmedString

/** An ISO-8601 timestamp (the server replaces client ones with its receive time). */
export const IsoDate = Schema.String.pipe(
  Schema.filter((s) => !Number.isNaN(Date.parse(s)), { message: () => "an ISO-8601 date" })
)

export const RuntimeMode = Schema.Literal("approval-required", "auto-accept-edits", "auto", "full-access")
export type RuntimeMode = typeof RuntimeMode.Type

export const InteractionMode = Schema.Literal("default", "plan")
export type InteractionMode = typeof InteractionMode.Type

/** A provider or provider-instance name: `[A-Za-z0-9_-]+` (the server answers 400 to anything else). */
export const ProviderName = Schema.String.pipe(Schema.pattern(/^[A-Za-z0-9_-]+$/))

/** `{instanceId, model, options?}`; the legacy `provider` fills `instanceId` when it is absent. */
export const ModelSelection = Schema.Struct({
  instanceId: Schema.optional(ProviderName),
  provider: Schema.optional(ProviderName),
  model: Id,
  options: Schema.optional(Schema.Unknown)
}).pipe(
  Schema.filter((m) => m.instanceId !== undefined || m.provider !== undefined, {
    message: () => "modelSelection needs instanceId (or the legacy provider)"
  })
)
export type ModelSelection = typeof ModelSelection.Type

export const ProjectCreate = Schema.Struct({
  type: Schema.Literal("project.create"),
  commandId: Id,
  projectId: Id,
  title: Id,
  workspaceRoot: Id,
  createWorkspaceRootIfMissing: Schema.optional(Schema.Boolean),
  defaultModelSelection: Schema.optional(Schema.NullOr(ModelSelection)),
  createdAt: IsoDate
})
export type ProjectCreate = typeof ProjectCreate.Type

export const ThreadCreate = Schema.Struct({
  type: Schema.Literal("thread.create"),
  commandId: Id,
  threadId: Id,
  projectId: Id,
  title: Id,
  modelSelection: ModelSelection,
  runtimeMode: RuntimeMode,
  interactionMode: Schema.optional(InteractionMode),
  branch: Schema.NullOr(Id),
  worktreePath: Schema.NullOr(Id),
  createdAt: IsoDate
})
export type ThreadCreate = typeof ThreadCreate.Type

export const ImageAttachment = Schema.Struct({
  type: Schema.Literal("image"),
  name: Schema.String,
  mimeType: Schema.String,
  sizeBytes: Schema.NonNegativeInt,
  dataUrl: Schema.String
})

export const UserMessage = Schema.Struct({
  messageId: Id,
  role: Schema.Literal("user"),
  text: Schema.String,
  attachments: Schema.Array(ImageAttachment).pipe(Schema.maxItems(8))
})

/** The client form of `thread.turn.start`: `runtimeMode` and `interactionMode` are required (§3.4). */
export const ThreadTurnStart = Schema.Struct({
  type: Schema.Literal("thread.turn.start"),
  commandId: Id,
  threadId: Id,
  message: UserMessage,
  runtimeMode: RuntimeMode,
  interactionMode: InteractionMode,
  modelSelection: Schema.optional(ModelSelection),
  titleSeed: Schema.optional(Id),
  createdAt: IsoDate
})
export type ThreadTurnStart = typeof ThreadTurnStart.Type

export const ThreadTurnInterrupt = Schema.Struct({
  type: Schema.Literal("thread.turn.interrupt"),
  commandId: Id,
  threadId: Id,
  turnId: Schema.optional(Id),
  createdAt: IsoDate
})
export type ThreadTurnInterrupt = typeof ThreadTurnInterrupt.Type

export const ThreadDelete = Schema.Struct({
  type: Schema.Literal("thread.delete"),
  commandId: Id,
  threadId: Id
})
export type ThreadDelete = typeof ThreadDelete.Type

/** Stops the thread's provider session; with `onlyIfSettled` the server drops it while a turn is live or queued. */
export const ThreadSessionStop = Schema.Struct({
  type: Schema.Literal("thread.session.stop"),
  commandId: Id,
  threadId: Id,
  createdAt: IsoDate,
  onlyIfSettled: Schema.optional(Schema.Boolean)
})
export type ThreadSessionStop = typeof ThreadSessionStop.Type

/** Moves the thread out of the shell's list; it stays readable by id. */
export const ThreadArchive = Schema.Struct({
  type: Schema.Literal("thread.archive"),
  commandId: Id,
  threadId: Id
})
export type ThreadArchive = typeof ThreadArchive.Type

/** The commands AFK sends: bare objects discriminated by `type`, never wrapped (prior-art §8.1). */
export const Command = Schema.Union(
  ProjectCreate,
  ThreadCreate,
  ThreadTurnStart,
  ThreadTurnInterrupt,
  ThreadSessionStop,
  ThreadArchive,
  ThreadDelete
)
export type Command = typeof Command.Type

/** `POST /api/orchestration/dispatch` → 200. */
export const DispatchResult = Schema.Struct({ sequence: Schema.NonNegativeInt })

/** Every JSON error body of the HTTP API (§3.8); a 400 from schema decoding has no body at all. */
export const ErrorBody = Schema.Struct({
  _tag: Schema.optional(Schema.String),
  code: Schema.optional(Schema.String),
  reason: Schema.optional(Schema.String),
  requiredScope: Schema.optional(Schema.String),
  traceId: Schema.optional(Schema.String)
})
export type ErrorBody = typeof ErrorBody.Type

/** Known `session.status` values: idle, starting, running, ready, interrupted, stopped, error. */
export const Session = Schema.Struct({
  threadId: Schema.optional(Schema.String),
  status: Schema.String,
  providerName: Schema.optional(Schema.NullOr(Schema.String)),
  providerInstanceId: Schema.optional(Schema.String),
  runtimeMode: Schema.optional(Schema.String),
  activeTurnId: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }),
  lastError: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }),
  updatedAt: Schema.optional(Schema.String)
})
export type Session = typeof Session.Type

/** Known `state` values: running, interrupted, completed, error. */
export const LatestTurn = Schema.Struct({
  turnId: Schema.String,
  state: Schema.String,
  requestedAt: Schema.optional(Schema.String),
  startedAt: Schema.optional(Schema.NullOr(Schema.String)),
  completedAt: Schema.optional(Schema.NullOr(Schema.String)),
  assistantMessageId: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null })
})
export type LatestTurn = typeof LatestTurn.Type

export const Message = Schema.Struct({
  id: Schema.String,
  role: Schema.String,
  text: Schema.String,
  turnId: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }),
  streaming: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  createdAt: Schema.optional(Schema.String),
  updatedAt: Schema.optional(Schema.String)
})
export type Message = typeof Message.Type

export const Activity = Schema.Struct({
  id: Schema.String,
  tone: Schema.optional(Schema.String),
  kind: Schema.String,
  summary: Schema.optional(Schema.String),
  payload: Schema.optional(Schema.Unknown),
  turnId: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }),
  sequence: Schema.optional(Schema.Number),
  createdAt: Schema.optional(Schema.String)
})
export type Activity = typeof Activity.Type

const tokens = Schema.optional(Schema.NonNegative)

/**
 * The payload of a `context-window.updated` activity: the provider's token counts, each optional. The
 * `last*` counts are the latest model call's; the others add up over the session.
 */
export const ContextWindowUsage = Schema.Struct({
  usedTokens: tokens,
  maxTokens: tokens,
  totalProcessedTokens: tokens,
  inputTokens: tokens,
  cachedInputTokens: tokens,
  outputTokens: tokens,
  lastInputTokens: tokens,
  lastOutputTokens: tokens
})
export type ContextWindowUsage = typeof ContextWindowUsage.Type

const threadSummary = {
  id: Schema.String,
  projectId: Schema.String,
  title: Schema.String,
  runtimeMode: Schema.optional(Schema.String),
  interactionMode: Schema.optional(Schema.String),
  branch: Schema.optional(Schema.NullOr(Schema.String)),
  worktreePath: Schema.optional(Schema.NullOr(Schema.String)),
  latestTurn: Schema.optionalWith(Schema.NullOr(LatestTurn), { default: () => null }),
  session: Schema.optionalWith(Schema.NullOr(Session), { default: () => null }),
  createdAt: Schema.optional(Schema.String),
  updatedAt: Schema.optional(Schema.String),
  archivedAt: Schema.optional(Schema.NullOr(Schema.String)),
  deletedAt: Schema.optional(Schema.NullOr(Schema.String))
}

/** `OrchestrationThread`, as returned by `GET /api/orchestration/threads/:id` (messages oldest first). */
export const Thread = Schema.Struct({
  ...threadSummary,
  messages: Schema.optionalWith(Schema.Array(Message), { default: () => [] }),
  activities: Schema.optionalWith(Schema.Array(Activity), { default: () => [] })
})
export type Thread = typeof Thread.Type

export const ThreadDetailSnapshot = Schema.Struct({
  snapshotSequence: Schema.Number,
  thread: Thread,
  page: Schema.optional(Schema.Unknown)
})

export const Project = Schema.Struct({
  id: Schema.String,
  title: Schema.String,
  workspaceRoot: Schema.String,
  deletedAt: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null })
})
export type Project = typeof Project.Type

/** `GET /api/orchestration/snapshot` (since 2026-07-31 thread bodies carry no messages or activities). */
export const ReadModel = Schema.Struct({
  snapshotSequence: Schema.Number,
  projects: Schema.Array(Project),
  threads: Schema.Array(Thread)
})

/** One thread of `GET /api/orchestration/shell`: the summary plus the pending-request flags. */
export const ThreadShell = Schema.Struct({
  ...threadSummary,
  latestUserMessageAt: Schema.optional(Schema.NullOr(Schema.String)),
  hasPendingApprovals: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  hasPendingUserInput: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  hasActionableProposedPlan: Schema.optional(Schema.Boolean)
})

export const ShellSnapshot = Schema.Struct({
  snapshotSequence: Schema.Number,
  projects: Schema.Array(Project),
  threads: Schema.Array(ThreadShell)
})

/** `GET /.well-known/t3/environment`: the unauthenticated health and version probe. */
export const EnvironmentDescriptor = Schema.Struct({
  environmentId: Schema.String,
  label: Schema.optional(Schema.String),
  platform: Schema.optional(Schema.Struct({ os: Schema.String, arch: Schema.String })),
  serverVersion: Schema.String,
  /** The orchestration protocol the server speaks; absent on servers from before it was negotiated (1). */
  orchestrationProtocolVersion: Schema.optional(Schema.Int),
  capabilities: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.Unknown }), {
    default: () => ({})
  })
})
export type EnvironmentDescriptor = typeof EnvironmentDescriptor.Type

/** `GET /api/auth/session`: whether the credential sent is accepted, and the scopes it carries (when listed). */
export const AuthSession = Schema.Struct({
  authenticated: Schema.Boolean,
  scopes: Schema.optional(Schema.Array(Schema.String))
})

/** The provider's input limit (`PROVIDER_SEND_TURN_MAX_INPUT_CHARS`, §3.4). */
export const maxInputChars = 120_000
