/**
 * What `tick`, `poll` and `watch` do once armed (loaded only then, so a disarmed pass never loads the
 * adapters or the programs): build the ports, run the pass, print its summary. `--dry-run` performs every
 * read, logs every decision and every write it would make, lists those writes, and makes none.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import { type Config, DryRun, Pass, Poll, Tick, Watch } from "../Core.js"
import * as Outcome from "../Outcome.js"
import * as Ports from "../Ports.js"
import type { Wiring } from "../Wiring.js"

export type Name = "tick" | "poll" | "watch"

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

/** Runs the pass `name` with an armed `config` and prints its summary; fails with exit code 1 if it failed. */
export const run = (name: Name, config: Config.AfkConfig, wiring: Wiring, dryRun: boolean) =>
  Effect.gen(function*() {
    const { result, lines } = yield* execute(name, config, Ports.layer(config, wiring.http), dryRun)
    yield* Console.log(lines.join("\n"))
    if (result.failed) return yield* new Outcome.Failed({ code: 1 })
  })
