/**
 * What of the command line an error may repeat. `@effect/cli` quotes what it could not use ("Received unknown
 * argument: '--github-token=ghp_…'"), so a token typed as a flag or pasted as a stray argument would be printed
 * back to the terminal and into CI logs. While the command line is parsed, stderr shows flag names and command
 * words as typed, and every value and positional argument as `<value not shown>` (`<value of --config not
 * shown>` for a flag's value). Once a command runs, its own
 * errors (which name files and settings on purpose and never carry a secret) are printed as they are.
 */
import type * as Command from "@effect/cli/Command"
import * as CommandApi from "@effect/cli/Command"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"

const hidden = "<value not shown>"
const flag = /^--?[A-Za-z][\w.-]*$/
const flagWithValue = /^(--?[A-Za-z][\w.-]*)=(.*)$/s
/** Values this long are hidden wherever they appear, not only quoted: a token is never shorter. */
const longValue = 12

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/**
 * Hides, in `text`, every argument of `argv` (as `process.argv`) that is neither a flag name nor one of `words`,
 * and the value of every `--flag=value`: quoted ('…' or "…") always, bare when it is long enough to be a token.
 */
export const mask = (argv: ReadonlyArray<string>, words: ReadonlySet<string>): (text: string) => string => {
  const values = argv.slice(2).flatMap((arg): ReadonlyArray<string> => {
    if (flag.test(arg) || words.has(arg)) return []
    const withValue = flagWithValue.exec(arg)
    return withValue === null ? [arg] : [arg, withValue[2]!]
  }).filter((value) => value !== "").sort((a, b) => b.length - a.length)
  const args = argv.slice(2)
  // The flag a value was given to (`--config c.json`), so an error about it still says which option it was.
  const flagOf = (value: string): string | undefined => {
    const at = args.indexOf(value)
    const before = at > 0 ? args[at - 1] : undefined
    return before !== undefined && flag.test(before) ? before : undefined
  }
  const shown = (value: string): string => {
    const withValue = flagWithValue.exec(value)
    if (withValue !== null && argv.includes(value)) return `${withValue[1]}=${hidden}`
    const given = flagOf(value)
    return given === undefined ? hidden : `<value of ${given} not shown>`
  }
  return (text) =>
    values.reduce((out, value) => {
      const quoted = new RegExp(`(['"])${escape(value)}\\1`, "g")
      const masked = out.replace(quoted, (_, quote: string) => `${quote}${shown(value)}${quote}`)
      return value.length >= longValue ? masked.replaceAll(value, hidden) : masked
    }, text)
}

const running = FiberRef.unsafeMake(false)

/** The command with its handler marked as running, so its own errors are printed unmasked. */
export const unmasked = <Name extends string, R, E, A>(
  command: Command.Command<Name, R, E, A>
): Command.Command<Name, R, E, A> =>
  CommandApi.transformHandler(command, (effect) => Effect.locally(effect, running, true))

/** Runs the command line `program` with stderr masked (`mask`) until a command's handler runs. */
export const guarded = <A, E, R>(
  argv: ReadonlyArray<string>,
  words: ReadonlySet<string>,
  program: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Console.consoleWith((base) => {
    const hide = mask(argv, words)
    const error = (...args: ReadonlyArray<unknown>) =>
      Effect.flatMap(
        FiberRef.get(running),
        (inside) => base.error(...(inside ? args : args.map((arg) => (typeof arg === "string" ? hide(arg) : arg))))
      )
    return Console.withConsole(program, { ...base, error })
  })
