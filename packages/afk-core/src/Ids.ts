/**
 * Deterministic ids (PRODUCT §6–7). A run id is the UUID v5 of `owner/repo#n#ordinal`; the thread id and
 * every command id derive from the run id and a step name, so two ticks issuing the same step issue the
 * same command, and a retried or crashed dispatch adopts what exists instead of duplicating it.
 */
import { v5 as uuidv5 } from "uuid"
import type { IssueRef, Repo } from "./Domain.js"

/** The namespace of every AFK id (a fixed random UUID; changing it would orphan every run in flight). */
export const namespace = "6f0d6a52-3f7e-4c4a-9a0e-8d6f1b2c3a41"

export const runId = (issue: IssueRef, ordinal: number): string =>
  uuidv5(`${issue.repo}#${issue.number}#${ordinal}`, namespace)

/** An id derived from a run id for one step: `thread`, `create`, `turn-1`, `fix-forward-2`, `interrupt-…`. */
export const derive = (runId: string, step: string): string => uuidv5(`${runId}:${step}`, namespace)

export const threadId = (runId: string): string => derive(runId, "thread")

/** The agent-runtime project id of a repository. */
export const projectId = (repo: Repo): string => uuidv5(`project:${repo}`, namespace)
