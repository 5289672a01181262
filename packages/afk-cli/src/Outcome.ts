/**
 * How a command ends, as an exit code: 0 done (or disarmed, or `serve` stopped by a signal), 1 something
 * failed, 2 bad configuration or usage. Errors are printed here, once, as one readable line on stderr — never a stack, never a secret
 * (the errors AFK raises carry none, and nothing else is printed).
 */
import * as ValidationError from "@effect/cli/ValidationError"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"

/** A command that already said why it failed; `code` is the process exit code. */
export class Failed extends Data.TaggedError("Failed")<{ readonly code: 1 | 2 }> {}

/** What a failure says: its message (never a stack), and whether it is a refused configuration. */
export interface Described {
  readonly config: boolean
  readonly message: string
}

/** Describes the error a failed command ended with (`Cause.squash`), as the CLI prints it after `error: `. */
export const describe = (error: unknown): Described => ({
  config: typeof error === "object" && error !== null && "_tag" in error && error._tag === "ConfigError",
  message: error instanceof Error ? error.message : typeof error === "string" ? error : "unexpected failure"
})

/**
 * Prints a failure and turns it into `Failed`: a `ConfigError` exits 2, anything else 1. Interruption
 * (Ctrl-C) passes through.
 */
export const guard = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, Failed, R> =>
  effect.pipe(
    Effect.catchAllCause((cause) => {
      if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
      const error = Cause.squash(cause)
      if (error instanceof Failed) return Effect.fail(error)
      const { config, message } = describe(error)
      return Console.error(`error: ${message}`).pipe(Effect.zipRight(new Failed({ code: config ? 2 : 1 })))
    })
  )

let stoppedAsAsked = false

/**
 * Records that the program stopped because it was asked to (a signal to `serve`, whose normal end that is), so
 * its interruption exits 0 instead of 130.
 */
export const stopped: Effect.Effect<void> = Effect.sync(() => {
  stoppedAsAsked = true
})

/** The process exit code for how the program ended (usage errors are 2, as `@effect/cli` already printed them). */
export const exitCode = (exit: Exit.Exit<unknown, unknown>): number => {
  if (Exit.isSuccess(exit)) return 0
  if (Cause.isInterruptedOnly(exit.cause)) return stoppedAsAsked ? 0 : 130
  const failure = Cause.failureOption(exit.cause)
  if (Option.isSome(failure)) {
    if (failure.value instanceof Failed) return failure.value.code
    if (ValidationError.isValidationError(failure.value)) return 2
  }
  return 1
}
