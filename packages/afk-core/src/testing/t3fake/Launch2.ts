/**
 * `orchestration.launchThread` on the protocol-2 T3 fake (`t3-protocol-v2.md` §4.4, U-LAUNCH): `thread.create`
 * under the launch's `commandId`, then `message.dispatch` under `<commandId>:initial-message` with
 * `defer_start` — a `preparing` run, released to `starting` on the next poll (the fake has no setup script) —
 * and `resumed: true` when the same `commandId` comes again. No source read exercised it live (§7 row 7).
 */
import type * as Commands from "./Commands2.js"
import * as Projection from "./Projection2.js"
import type { World } from "./World2.js"

/** The launch's success value, or the text of its `OrchestrationV2ThreadLaunchError`. */
export type Launched =
  | { readonly _tag: "Launched"; readonly value: { threadId: string; projection: unknown; resumed: boolean } }
  | { readonly _tag: "Refused"; readonly message: string }

/** Runs one launch against the world. */
export const launch = (world: World, input: Commands.LaunchInput): Launched => {
  const threadId = input.threadId ?? `thread:${input.commandId}`
  const resumed = world.hasReceipt(input.commandId)
  const strategy = input.workspaceStrategy
  const created = world.dispatch({
    type: "thread.create",
    commandId: input.commandId,
    threadId,
    projectId: input.projectId,
    title: input.title,
    modelSelection: input.modelSelection,
    runtimeMode: input.runtimeMode,
    interactionMode: input.interactionMode,
    branch: strategy.branch ?? null,
    worktreePath: strategy.type === "existing_worktree" ? strategy.worktreePath : null,
    createdBy: "user",
    creationSource: input.creationSource
  })
  if (created._tag === "Rejected") return { _tag: "Refused", message: created.message }
  const started = world.dispatch({
    type: "message.dispatch",
    commandId: `${input.commandId}:initial-message`,
    threadId,
    messageId: input.initialMessage.messageId ?? `message:${input.commandId}`,
    text: input.initialMessage.text,
    attachments: input.initialMessage.attachments,
    dispatchMode: { type: "defer_start" },
    createdBy: "user",
    creationSource: input.creationSource
  }, { deferStart: true })
  if (started._tag === "Rejected") return { _tag: "Refused", message: started.message }
  const state = world.state(threadId)
  const projection = state === undefined ? null : Projection.bounded(state, world.sequence()).projection
  return { _tag: "Launched", value: { threadId, projection, resumed } }
}
