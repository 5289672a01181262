/**
 * Every way an error reaches text — `String`, its message, hint and cause, its stack, JSON, `Cause.pretty`
 * and `util.inspect` — joined, so a test can check that a secret appears in none of them (quality R5).
 */
import * as Cause from "effect/Cause"
import { inspect } from "node:util"

export interface ErrorLike {
  readonly message: string
  readonly hint?: string | undefined
  readonly cause?: unknown
  readonly stack?: string | undefined
}

export const everyRendering = (error: ErrorLike): string =>
  [
    String(error),
    error.message,
    error.hint ?? "",
    String(error.cause),
    error.stack ?? "",
    JSON.stringify(error),
    Cause.pretty(Cause.fail(error)),
    inspect(error, { depth: 20 })
  ].join("\n")
