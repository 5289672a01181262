/**
 * The `afk-cli` command tree: `tick`, `poll`, `watch`, `status`, `doctor`, `demo` and `config schema`.
 * Commands only parse and print; the programs live in afk-core and the layers are chosen in `Ports`.
 */
import * as Command from "@effect/cli/Command"
import { createRequire } from "node:module"
import * as ConfigSchema from "./commands/ConfigSchema.js"
import * as Demo from "./commands/Demo.js"
import * as Doctor from "./commands/Doctor.js"
import * as Passes from "./commands/Passes.js"
import * as Status from "./commands/Status.js"
import * as Echo from "./Echo.js"
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
      Echo.unmasked(Status.command(wiring)),
      Echo.unmasked(Doctor.command(wiring)),
      Echo.unmasked(Demo.command(wiring)),
      ConfigSchema.command
    ])
  )

/** The words of the command tree, which an error may repeat (anything else typed may be a secret). */
const words: ReadonlySet<string> = new Set(["tick", "poll", "watch", "status", "doctor", "demo", "config", "schema"])

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
 * Parses `argv` (as `process.argv`) and runs the chosen command. A value or stray argument the parser refuses is
 * never printed back (`Echo`): it may be a token typed in the wrong place.
 */
export const run = (wiring: Wiring) => {
  const cli = Command.run(command(wiring), { name: "afk-cli", version })
  return (argv: ReadonlyArray<string>) => Echo.guarded(argv, words, cli(liftLogLevel(argv)))
}
