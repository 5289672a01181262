/**
 * `status`: every run in flight across the allowlist — `owner/repo#n`, phase, age, fix-forward attempts,
 * CI verdict, tokens used, thread link — the day's token budget when one is set and each repo whose policy
 * file (`.afk.json`) is refused, with why, as a table or, with
 * `--json`, as one JSON document on stdout (`Programs.status`). Read-only.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as RunMachine from "afk-core/RunMachine"
import type * as Status from "afk-core/Status"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Flags from "../Flags.js"
import * as Outcome from "../Outcome.js"
import * as Programs from "../Programs.js"
import * as Settings from "../Settings.js"
import type { Wiring } from "../Wiring.js"

const pad = (cells: ReadonlyArray<ReadonlyArray<string>>): ReadonlyArray<string> => {
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)))
  return cells.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  "))
}

const pullLine = (pull: NonNullable<Status.Row["pull"]>): string =>
  pull.number === undefined
    ? `not opened yet (branch ${pull.branch})`
    : `#${pull.number}${pull.url === undefined ? "" : ` ${pull.url}`} from ${pull.branch}${
      pull.mergeSha === undefined ? "" : `, merged as ${pull.mergeSha.slice(0, 7)}`
    }`

/** The human table: one line per run, its pull request and notes indented below it. */
export const table = (report: Status.Report): ReadonlyArray<string> => {
  const budget = [
    ...(report.dailyBudget === undefined ? [] : [`Daily token budget: ${report.dailyBudget}.`]),
    ...(report.refused ?? []).map(({ repo, reason }) => `Refused: ${repo}: ${reason}`)
  ]
  if (report.rows.length === 0) return ["No runs in flight.", ...budget]
  const header = ["ISSUE", "PHASE", "AGE", "ATTEMPTS", "CI", "TOKENS", "THREAD"]
  const lines = pad([
    header,
    ...report.rows.map((row) => [
      row.issue,
      row.phase,
      row.ageSeconds === undefined ? "-" : RunMachine.formatSeconds(row.ageSeconds),
      `${row.attempts}/${row.maxAttempts}`,
      row.ci === undefined ? "-" : `${row.ci}${row.commit === undefined ? "" : ` ${row.commit.slice(0, 7)}`}`,
      row.tokens === undefined ? "-" : row.tokens.toLocaleString("en-US"),
      row.threadUrl ?? "-"
    ])
  ])
  return [
    lines[0]!,
    ...report.rows.flatMap((row, i) => [
      lines[i + 1]!,
      ...(row.pull === undefined ? [] : [`    pull request: ${pullLine(row.pull)}`]),
      ...row.notes.map((note) => `    note: ${note}`)
    ]),
    ...budget
  ]
}

export const command = (wiring: Wiring) =>
  Command.make(
    "status",
    {
      ...Flags.options,
      json: Options.boolean("json").pipe(Options.withDescription("Print the runs as JSON."))
    },
    (options) =>
      Outcome.guard(
        Effect.gen(function*() {
          const { config } = yield* Settings.load(options, wiring.env)
          if (config.allowlist.length === 0 && !options.json) {
            return yield* Console.log("The allowlist is empty (AFK_ALLOWLIST): there are no runs to show.")
          }
          const report = yield* Programs.status(config, wiring)
          yield* Console.log(options.json ? JSON.stringify(report, null, 2) : table(report).join("\n"))
          if (report.failures.length > 0) {
            if (!options.json) {
              yield* Console.error(report.failures.map((f) => `error: ${f.subject}: ${f.message}`).join("\n"))
            }
            return yield* new Outcome.Failed({ code: 1 })
          }
        })
      ).pipe(Effect.provide(Settings.logger(options.logFormat)))
  ).pipe(Command.withDescription("Show every run in flight across the allowlist."))
