/**
 * `tick`, `poll` and `watch`: one reconciliation pass each (`Programs.pass`). Disarmed, they say why in one
 * line and touch nothing. Armed, they print each pass's summary (and `--dry-run` lists the writes it would
 * make, making none); the decisions themselves are log lines on stderr.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Flags from "../Flags.js"
import * as Outcome from "../Outcome.js"
import * as Programs from "../Programs.js"
import * as Settings from "../Settings.js"
import type { Wiring } from "../Wiring.js"

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`

/** What a pass prints on stdout. */
export const summary = (result: Programs.PassResult): ReadonlyArray<string> => {
  if (result.disarmed !== undefined) {
    return [`AFK is disarmed: ${result.disarmed.join("; ")}. Nothing was read or written.`]
  }
  const reports = result.reports.flatMap((report) => [
    `${report.pass}: ${plural(report.decisions.length, "decision")}, ${plural(report.failures.length, "failure")}${
      report.unexamined === undefined ? "" : `, ${plural(report.unexamined.count, "ready issue")} not examined`
    }`,
    ...report.failures.map((failure) => `  failed ${failure.subject}: ${failure.message}`)
  ])
  if (result.writes === undefined) return reports
  return [
    ...reports,
    `dry-run: ${plural(result.writes.length, "write")} not made${result.writes.length === 0 ? "" : ":"}`,
    ...result.writes.map((w) => `  ${w.port}: ${w.op} ${w.target}${w.detail === "" ? "" : ` (${w.detail})`}`)
  ]
}

const make = (name: Programs.PassName, description: string, wiring: Wiring) =>
  Command.make(
    name,
    {
      ...Flags.options,
      dryRun: Options.boolean("dry-run").pipe(
        Options.withDescription("Read everything, print every decision and write it would make, make none.")
      )
    },
    (options) =>
      Outcome.guard(
        Effect.gen(function*() {
          const { config } = yield* Settings.load(options, wiring.env)
          const result = yield* Programs.pass(name, config, wiring, options.dryRun)
          yield* Console.log(summary(result).join("\n"))
          if (result.failed) return yield* new Outcome.Failed({ code: 1 })
        })
      ).pipe(Effect.provide(Settings.logger(options.logFormat)))
  ).pipe(Command.withDescription(description))

/** `tick`: watch, then poll. */
export const tick = (wiring: Wiring) =>
  make(
    "tick",
    "One reconciliation pass: watch runs in flight, then poll for new work. Fails only if both fail.",
    wiring
  )

/** `poll` alone. */
export const poll = (wiring: Wiring) =>
  make("poll", "Queue new work: claim and dispatch the issues the policy allows.", wiring)

/** `watch` alone. */
export const watch = (wiring: Wiring) =>
  make("watch", "Drive the runs in flight one step each (close, fix forward, escalate, wait).", wiring)
