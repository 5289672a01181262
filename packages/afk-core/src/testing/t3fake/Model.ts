/**
 * The read-model rows the T3 fake keeps and serves, in the server's encoded shapes (`t3-protocol.md` §4):
 * `OrchestrationThread`, its session, latest turn, messages and activities, and projects.
 */

export interface Session {
  threadId: string
  status: string
  providerName: string | null
  providerInstanceId: string
  runtimeMode: string
  activeTurnId: string | null
  lastError: string | null
  updatedAt: string
}

export interface LatestTurn {
  turnId: string
  state: "running" | "interrupted" | "completed" | "error"
  requestedAt: string
  startedAt: string | null
  completedAt: string | null
  assistantMessageId: string | null
}

export interface Message {
  id: string
  role: "user" | "assistant" | "system"
  text: string
  attachments: ReadonlyArray<unknown>
  turnId: string | null
  streaming: boolean
  createdAt: string
  updatedAt: string
}

export interface Activity {
  id: string
  tone: "info" | "tool" | "approval" | "error"
  kind: string
  summary: string
  payload: Record<string, unknown>
  turnId: string | null
  sequence: number
  createdAt: string
}

export interface Project {
  id: string
  title: string
  workspaceRoot: string
  defaultModelSelection: unknown
  scripts: ReadonlyArray<unknown>
  createdAt: string
  updatedAt: string
  deletedAt: string | null
}

/** A thread as the server's read model has it (`OrchestrationThread`). */
export interface Thread {
  id: string
  projectId: string
  title: string
  modelSelection: { instanceId: string; model: string; options?: unknown }
  runtimeMode: string
  interactionMode: string
  branch: string | null
  worktreePath: string | null
  latestTurn: LatestTurn | null
  createdAt: string
  updatedAt: string
  archivedAt: string | null
  settledOverride: null
  settledAt: string | null
  deletedAt: string | null
  messages: Array<Message>
  proposedPlans: Array<unknown>
  activities: Array<Activity>
  checkpoints: Array<unknown>
  session: Session | null
}
