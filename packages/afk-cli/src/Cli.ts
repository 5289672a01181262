/**
 * The `afk-cli` command tree: `tick`, `poll`, `watch`, `serve`, `status`, `doctor`, `demo` and `config schema`.
 * Commands only parse and print; the programs live in afk-core and the layers are chosen in `Ports`.
 */
import * as CliConfig from "@effect/cli/CliConfig"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Span from "@effect/cli/HelpDoc/Span"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { createRequire } from "node:module"
import * as Ansi from "./Ansi.js"
import * as ConfigSchema from "./commands/ConfigSchema.js"
import * as Demo from "./commands/Demo.js"
import * as Doctor from "./commands/Doctor.js"
import * as Passes from "./commands/Passes.js"
import * as Serve from "./commands/Serve.js"
import * as Status from "./commands/Status.js"
import * as Echo from "./Echo.js"
import * as Outcome from "./Outcome.js"
import type { Wiring } from "./Wiring.js"

/** The package version (read from package.json next to `src/` and `dist/`). */
export const version: string = (createRequire(import.meta.url)("../package.json") as { version: string }).version

/** The root command with every subcommand. */
export const command = (wiring: Wiring) =>
  Command.make("afk-cli").pipe(
    Command.withDescription("Run coding agents on an issue backlog, unattended and safely."),
    Command.withSubcommands([
      Echo.unmasked(Passes.tick(wiring)),
      Echo.unmasked(Passes.poll(wiring)),
      Echo.unmasked(Passes.watch(wiring)),
      Echo.unmasked(Serve.command(wiring, version)),
      Echo.unmasked(Status.command(wiring)),
      Echo.unmasked(Doctor.command(wiring)),
      Echo.unmasked(Demo.command(wiring)),
      ConfigSchema.command
    ])
  )

/** The words of the command tree, which an error may repeat (anything else typed may be a secret). */
const words: ReadonlySet<string> = new Set([
  "tick",
  "poll",
  "watch",
  "serve",
  "status",
  "doctor",
  "demo",
  "config",
  "schema"
])

/**
 * `@effect/cli` recognises its built-in `--log-level` only right after a command name, so
 * `afk-cli tick --dry-run --log-level debug` would be refused; it is moved to the front instead.
 */
export const liftLogLevel = (argv: ReadonlyArray<string>): ReadonlyArray<string> => {
  const at = argv.findIndex((arg, i) => i >= 2 && (arg === "--log-level" || arg.startsWith("--log-level=")))
  if (at === -1) return argv
  const width = argv[at] === "--log-level" && at + 1 < argv.length ? 2 : 1
  return [...argv.slice(0, 2), ...argv.slice(at, at + width), ...argv.slice(2, at), ...argv.slice(at + width)]
}

/**
/**
 * `@effect/cli`'s built-in options that do nothing useful for afk-cli, refused rather than listed: an
 * interactive wizard (afk-cli runs unattended and takes its settings from flags, files and the environment)
 * and shell completion scripts.
 */
const refused: Record<string, string> = {
  "--wizard": "no interactive mode: every setting comes from flags, a config file or the environment",
  "--completions": "no shell completion scripts"
}

/** The refused built-in option `argv` (as `process.argv`) uses before any `--`, if any. */
export const refusedOption = (argv: ReadonlyArray<string>): string | undefined => {
  const args = argv.slice(2)
  const end = args.indexOf("--")
  return (end === -1 ? args : args.slice(0, end))
    .map((arg) => arg.toLowerCase().split("=")[0]!)
    .find((name) => Object.hasOwn(refused, name))
}

/** The built-in options kept, listed under every command's help (`@effect/cli`'s own listing is off). */
const globalOptions = HelpDoc.sequence(
  HelpDoc.h1("GLOBAL OPTIONS"),
  HelpDoc.descriptionList([
    [
      Span.text("--log-level all | trace | debug | info | warning | error | fatal | none"),
      HelpDoc.p("The lowest level of log line written to stderr (default: info).")
    ],
    [Span.text("-h, --help"), HelpDoc.p("Show this help, or a command's (afk-cli tick --help).")],
    [Span.text("--version"), HelpDoc.p("Print the version of afk-cli.")]
  ])
)

/**
 * Parses `argv` (as `process.argv`) and runs the chosen command. A value or stray argument the parser refuses is
 * never printed back (`Echo`): it may be a token typed in the wrong place.
 */
export const run = (wiring: Wiring) => {
  const cli = Command.run(command(wiring), { name: "afk-cli", version, footer: globalOptions })
  const colour = wiring.terminal === undefined ? Ansi.none : Ansi.colour(wiring.terminal, wiring.env)
  return (argv: ReadonlyArray<string>) => {
    const option = refusedOption(argv)
    const program = option === undefined
      ? Echo.guarded(argv, words, cli(liftLogLevel(argv)))
      : Console.error(`afk-cli has no ${option} (${refused[option]}); see afk-cli --help.`).pipe(
        Effect.zipRight(new Outcome.Failed({ code: 2 }))
      )
    return program.pipe(Effect.provide(CliConfig.layer({ showBuiltIns: false })), Ansi.only(colour))
  }
}
