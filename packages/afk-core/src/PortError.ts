/**
 * The fields every port error carries, and the readable message built from them. Each port declares its
 * own tagged error (`TrackerError`, `AgentRuntimeError`, `CiError`, `NotifierError`) from these.
 */
import * as Schema from "effect/Schema"

export const fields = {
  /** The port operation that failed, e.g. `listOpenIssues` or `GithubClient.GET /repos/{o}/{r}/issues`. */
  operation: Schema.String,
  /** What went wrong, in words; never a secret. */
  detail: Schema.String,
  /** True when retrying later may succeed (5xx, 429, timeouts, dropped connections). */
  transient: Schema.Boolean,
  /** What the operator should do about it. */
  hint: Schema.optional(Schema.String),
  /** The HTTP status, when the failure was an HTTP answer. */
  status: Schema.optional(Schema.Number),
  cause: Schema.optional(Schema.Defect)
}

export interface Fields {
  readonly operation: string
  readonly detail: string
  readonly transient: boolean
  readonly hint?: string | undefined
  readonly status?: number | undefined
}

export const message = (port: string, error: Fields): string =>
  `${port} ${error.operation} failed${error.transient ? " (transient)" : ""}: ${error.detail}` +
  (error.hint === undefined ? "" : `. ${error.hint}`)
