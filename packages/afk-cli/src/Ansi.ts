/**
 * Colour only where a person sees it. `@effect/cli` styles help and usage errors with ANSI codes whatever the
 * output is; in a pipe, a file or a CI log they are noise, so a stream that is not a terminal (or any stream
 * while `NO_COLOR` is set) gets the same text without them.
 */
import type * as Console from "effect/Console"
import * as Effect from "effect/Effect"

/** Whether each stream shows colour: it is a terminal and `NO_COLOR` is unset or blank. */
export interface Colour {
  readonly stdout: boolean
  readonly stderr: boolean
}

/** No colour anywhere: what a caller gets that does not say its streams are terminals. */
export const none: Colour = { stdout: false, stderr: false }

/** Which streams show colour, from whether each is a terminal and the environment's `NO_COLOR`. */
export const colour = (
  terminal: { readonly stdout: boolean; readonly stderr: boolean },
  env: Record<string, string | undefined>
): Colour => {
  const wanted = (env["NO_COLOR"] ?? "") === ""
  return { stdout: wanted && terminal.stdout, stderr: wanted && terminal.stderr }
}

// eslint-disable-next-line no-control-regex
const codes = /\u001b\[[0-9;?]*[A-Za-z]/g

/** `text` without ANSI escape sequences. */
export const strip = (text: string): string => text.replace(codes, "")

const plain = <R>(write: (...args: ReadonlyArray<unknown>) => R, keep: boolean) =>
  keep
    ? write
    : (...args: ReadonlyArray<unknown>) => write(...args.map((arg) => typeof arg === "string" ? strip(arg) : arg))

/** `effect` with a Console whose output to a stream without colour (see `Colour`) carries no ANSI codes. */
export const only = (colour: Colour) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  colour.stdout && colour.stderr ? effect : Effect.consoleWith((console) =>
    Effect.withConsole(
      effect,
      {
        ...console,
        log: plain(console.log, colour.stdout),
        info: plain(console.info, colour.stdout),
        error: plain(console.error, colour.stderr),
        warn: plain(console.warn, colour.stderr),
        unsafe: {
          ...console.unsafe,
          log: plain(console.unsafe.log, colour.stdout),
          info: plain(console.unsafe.info, colour.stdout),
          error: plain(console.unsafe.error, colour.stderr),
          warn: plain(console.unsafe.warn, colour.stderr)
        }
      } satisfies Console.Console
    )
  )
