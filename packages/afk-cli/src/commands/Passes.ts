/**
 * `tick`, `poll` and `watch`: one reconciliation pass each. Disarmed, they say why in one line and touch
 * nothing — the ports are not even built. `--dry-run` performs every read, logs every decision and every
 * write it would make, lists those writes, and makes none.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import { Config, DryRun, Pass, Poll, Tick, Watch } from "../Core.js"
import * as Outcome from "../Outcome.js"
import * as Ports from "../Ports.js"
import * as Settings from "../Settings.js"
import type { Wiring } from "../Wiring.js"

type Name = "tick" | "poll" | "watch"

interface Result {
  readonly reports: ReadonlyArray<Pass.Report>
  readonly failed: boolean
}

const program = (name: Name, config: Config.AfkConfig): Effect.Effect<Result, never, Ports.Ports> => {
  if (name === "tick") return Effect.map(Tick.run(config), (r) => ({ reports: [r.watch, r.poll], failed: r.failed }))
  return Effect.map(name === "poll" ? Poll.run(config) : Watch.run(config), (report) => ({
    reports: [report],
    failed: Pass.failed(report)
  }))
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`

/** The summary on stdout; the decisions themselves are log lines (stderr). */
export const summary = (result: Result): ReadonlyArray<string> =>
  result.reports.flatMap((report) => [
    `${report.pass}: ${plural(report.decisions.length, "decision")}, ${plural(report.failures.length, "failure")}`,
    ...report.failures.map((failure) => `  failed ${failure.subject}: ${failure.message}`)
  ])

const writeLines = (writes: ReadonlyArray<DryRun.Write>): ReadonlyArray<string> => [
  `dry-run: ${plural(writes.length, "write")} not made${writes.length === 0 ? "" : ":"}`,
  ...writes.map((w) => `  ${w.port}: ${w.op} ${w.target}${w.detail === "" ? "" : ` (${w.detail})`}`)
]

const execute = (
  name: Name,
  config: Config.AfkConfig,
  ports: Layer.Layer<Ports.Ports, Config.ConfigError>,
  dryRun: boolean
) =>
  Effect.gen(function*() {
    if (!dryRun) {
      const result = yield* Effect.provide(program(name, config), ports)
      return { result, lines: summary(result) }
    }
    const recorded = Effect.gen(function*() {
      const result = yield* program(name, config)
      const writes = yield* DryRun.Writes
      return { result, lines: [...summary(result), ...writeLines(writes.list())] }
    })
    return yield* Effect.provide(recorded, Ports.dryRun(ports))
  })

const make = (name: Name, description: string, wiring: Wiring) =>
  Command.make(
    name,
    {
      ...Settings.options,
      dryRun: Options.boolean("dry-run").pipe(
        Options.withDescription("Read everything, print every decision and write it would make, make none.")
      )
    },
    (options) =>
      Outcome.guard(
        Effect.gen(function*() {
          const { config } = yield* Settings.load(options, wiring.env)
          const arming = Config.describeArming(config)
          if (!arming.armed) {
            return yield* Console.log(`AFK is disarmed: ${arming.reasons.join("; ")}. Nothing was read or written.`)
          }
          const { result, lines } = yield* execute(name, config, Ports.layer(config, wiring.http), options.dryRun)
          yield* Console.log(lines.join("\n"))
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
