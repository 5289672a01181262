/**
 * The commands the protocol-2 T3 fake decodes, as strict as T3's schemas (`t3-protocol-v2.md` §4, U-V2C):
 * trimmed non-empty ids and titles, the creation fields, `branch`/`worktreePath` keys present (`null`, never
 * `""`), a `dispatchMode`, and the project mutation of §4.1. Unknown fields are ignored; a payload that does
 * not decode is a defect (`Die`) over the WebSocket and a bare 400 over HTTP.
 */
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

const Id = Schema.Trim.pipe(Schema.minLength(1))

/** `ModelSelection` (U-MODEL): `{instanceId, model, options?}`; a legacy `provider` stands in for `instanceId`. */
const ModelSelection = Schema.Struct({
  instanceId: Schema.optional(Schema.String.pipe(Schema.pattern(/^[a-zA-Z][a-zA-Z0-9_-]*$/), Schema.maxLength(64))),
  provider: Schema.optional(Schema.String.pipe(Schema.minLength(1))),
  model: Id,
  options: Schema.optional(
    Schema.Array(
      Schema.Struct({ id: Id, value: Schema.Union(Schema.String.pipe(Schema.minLength(1)), Schema.Boolean) })
    )
  )
}).pipe(Schema.filter((m) => m.instanceId !== undefined || m.provider !== undefined || "instanceId is required"))

export type ModelSelection = typeof ModelSelection.Type

const Creation = {
  createdBy: Schema.Literal("user", "agent", "system"),
  creationSource: Schema.Literal("web", "mobile", "mcp", "provider", "server")
}

const ThreadCreate = Schema.Struct({
  type: Schema.Literal("thread.create"),
  commandId: Id,
  threadId: Id,
  projectId: Id,
  title: Id,
  modelSelection: ModelSelection,
  runtimeMode: Schema.Literal("approval-required", "auto-accept-edits", "auto", "full-access"),
  interactionMode: Schema.Literal("default", "plan"),
  branch: Schema.NullOr(Id),
  worktreePath: Schema.NullOr(Id),
  ...Creation
})

const MessageDispatch = Schema.Struct({
  type: Schema.Literal("message.dispatch"),
  commandId: Id,
  threadId: Id,
  messageId: Id,
  text: Schema.String,
  attachments: Schema.Array(Schema.Unknown).pipe(Schema.maxItems(100)),
  dispatchMode: Schema.Struct({
    type: Schema.Literal("start_immediately", "queue_after_active", "defer_start", "steer_active", "restart_active")
  }),
  ...Creation
})

const RunInterrupt = Schema.Struct({
  type: Schema.Literal("run.interrupt"),
  commandId: Id,
  threadId: Id,
  runId: Id,
  reason: Schema.optional(Schema.String),
  holdQueue: Schema.optional(Schema.Boolean)
})

const QueuedRunCancel = Schema.Struct({
  type: Schema.Literal("queued-run.cancel"),
  commandId: Id,
  threadId: Id,
  runId: Id
})

const ThreadOnly = Schema.Struct({
  type: Schema.Literal("thread.archive", "thread.settle", "queue.resume"),
  commandId: Id,
  threadId: Id
})

const SessionDetach = Schema.Struct({
  type: Schema.Literal("provider-session.detach"),
  commandId: Id,
  threadId: Id,
  providerSessionId: Id,
  reason: Schema.optional(Schema.String)
})

/** The `OrchestrationV2Command` variants the fake models (§4.2–4.5). */
export const Command = Schema.Union(
  ThreadCreate,
  MessageDispatch,
  RunInterrupt,
  QueuedRunCancel,
  ThreadOnly,
  SessionDetach
)

export type Command = typeof Command.Type

/** `ProjectMutation`, variant `project.create` (§4.1). */
export const ProjectMutation = Schema.Struct({
  type: Schema.Literal("project.create"),
  commandId: Id,
  projectId: Id,
  title: Id,
  workspaceRoot: Id,
  createWorkspaceRootIfMissing: Schema.optional(Schema.Boolean),
  defaultModelSelection: Schema.optional(Schema.NullOr(ModelSelection)),
  scripts: Schema.optional(Schema.Array(Schema.Unknown))
})

export type ProjectMutation = typeof ProjectMutation.Type

/** `OrchestrationV2ThreadLaunchInput` of `orchestration.launchThread` (§4.4, U-V2C). */
export const LaunchInput = Schema.Struct({
  commandId: Id,
  threadId: Schema.optional(Id),
  projectId: Id,
  title: Id,
  modelSelection: ModelSelection,
  runtimeMode: ThreadCreate.fields.runtimeMode,
  interactionMode: ThreadCreate.fields.interactionMode,
  workspaceStrategy: Schema.Union(
    Schema.Struct({ type: Schema.Literal("root"), branch: Schema.optional(Id) }),
    Schema.Struct({ type: Schema.Literal("existing_worktree"), worktreePath: Id, branch: Schema.optional(Id) }),
    Schema.Struct({
      type: Schema.Literal("worktree"),
      baseRef: Id,
      branch: Schema.optional(Id),
      startFromOrigin: Schema.optional(Schema.Boolean)
    })
  ),
  initialMessage: Schema.Struct({
    messageId: Schema.optional(Id),
    text: Schema.String,
    attachments: MessageDispatch.fields.attachments
  }),
  creationSource: Creation.creationSource
})

export type LaunchInput = typeof LaunchInput.Type

/** `{threadId}` of `orchestration.getThreadProjection` and `orchestration.subscribeThread`. */
export const ThreadRef = Schema.Struct({
  threadId: Id,
  afterSequence: Schema.optional(Schema.Number),
  requestCompletionMarker: Schema.optional(Schema.Boolean),
  acceptBoundedSnapshot: Schema.optional(Schema.Boolean)
})

/** An empty-input method still needs an object payload (`{}`, §3.2). */
export const Empty = Schema.Struct({})

/** Decodes `input`; `Left` holds the formatted schema issue, the text a `Die` carries (§3.3). */
export const decode = <A, I>(schema: Schema.Schema<A, I>, input: unknown): Either.Either<A, string> =>
  Either.mapLeft(
    Schema.decodeUnknownEither(schema, { onExcessProperty: "ignore" })(input),
    (issue) => ParseResult.TreeFormatter.formatErrorSync(issue)
  )

/** `instanceId`, or the legacy `provider` copied into it (U-MODEL). */
export const instanceOf = (selection: ModelSelection): string => selection.instanceId ?? selection.provider ?? ""
