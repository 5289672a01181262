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

/**
 * The fields of `error` (an adapter's own error, which carries the same ones) for a port's error:
 * `new TrackerError(PortError.carry(error))`. With `method`, the port method becomes the operation and the
 * detail leads with the adapter's operation (the request).
 */
export const carry = (error: Fields & { readonly cause?: unknown }, method?: string) => ({
  operation: method ?? error.operation,
  detail: method === undefined ? error.detail : `${error.operation}: ${error.detail}`,
  transient: error.transient,
  hint: error.hint,
  status: error.status,
  cause: error.cause
})

export const message = (port: string, error: Fields): string =>
  `${port} ${error.operation} failed${error.transient ? " (transient)" : ""}: ${error.detail}` +
  (error.hint === undefined ? "" : `. ${error.hint}`)
