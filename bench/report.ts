/**
 * What every benchmark prints and hands to `run.ts`: figures (measured, what it is compared with, the
 * ratio, pass / miss), small tables, and `main`, which runs a benchmark program, prints its details and,
 * given `--json FILE`, writes its figures there for the one table `npm run bench` prints.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { writeFileSync } from "node:fs"

export interface Figure {
  /** `P1` … `P6`. */
  readonly id: string
  readonly name: string
  readonly measured: number
  readonly unit: string
  /** What the figure is compared with (a floor or a limit), in the same unit; absent when only reported. */
  readonly against?: number | undefined
  /** The goal in words: `= floor`, `≤ 1.2 × floor`, `≤ 150 MB`, `reported`. */
  readonly goal: string
  /** measured ÷ against, when that is what the goal bounds. */
  readonly ratio?: number | undefined
  readonly status: "pass" | "miss" | "reported"
}

/** A figure whose goal bounds measured ÷ `floor` by `limit` (`= floor` when the limit is 1). */
export const ratio = (
  id: string,
  name: string,
  measured: number,
  unit: string,
  floor: number,
  limit: number
): Figure => {
  const value = floor === 0 ? (measured === 0 ? 1 : Infinity) : measured / floor
  return {
    id,
    name,
    measured,
    unit,
    against: floor,
    goal: limit === 1 ? "= floor" : `≤ ${limit} × floor`,
    ratio: value,
    status: value <= limit + 1e-9 ? "pass" : "miss"
  }
}

/** A figure with an absolute ceiling (`≤ limit unit`). */
export const atMost = (id: string, name: string, measured: number, unit: string, limit: number): Figure => ({
  id,
  name,
  measured,
  unit,
  against: limit,
  goal: `≤ ${limit} ${unit}`,
  ratio: limit === 0 ? undefined : measured / limit,
  status: measured <= limit ? "pass" : "miss"
})

/** A figure that is reported, not judged. */
export const reported = (id: string, name: string, measured: number, unit: string): Figure => ({
  id,
  name,
  measured,
  unit,
  goal: "reported",
  status: "reported"
})

const number = (value: number) =>
  Number.isInteger(value) ? String(value) : value >= 100 ? value.toFixed(0) : value.toFixed(value >= 10 ? 1 : 2)

/** A markdown table with right-aligned numbers. */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string | number>>): string => {
  const cells = [
    header,
    ...rows.map((row) =>
      header.map((_, c) => row[c] ?? "").map((cell) => (typeof cell === "number" ? number(cell) : cell))
    )
  ]
  const widths = header.map((_, c) => Math.max(...cells.map((row) => [...(row[c] ?? "")].length)))
  const pad = (cell: string, c: number) => {
    const gap = " ".repeat((widths[c] ?? 0) - [...cell].length)
    return /^[\d.,×∞-]+( \S+)?$/.test(cell) ? `${gap}${cell}` : `${cell}${gap}`
  }
  const line = (row: ReadonlyArray<string>) => `| ${row.map((cell, c) => pad(cell, c)).join(" | ")} |`
  return [line(cells[0] ?? []), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...cells.slice(1).map(line)]
    .join("\n")
}

/** The one table: figure, measured, floor / goal, ratio, pass / miss. */
export const figures = (list: ReadonlyArray<Figure>): string =>
  table(
    ["id", "figure", "measured", "compared with", "goal", "ratio", "result"],
    list.map((f) => [
      f.id,
      f.name,
      `${number(f.measured)} ${f.unit}`,
      f.against === undefined ? "—" : `${number(f.against)} ${f.unit}`,
      f.goal,
      f.ratio === undefined ? "—" : `${f.ratio === Infinity ? "∞" : f.ratio.toFixed(2)}×`,
      f.status
    ])
  )

export interface Outcome {
  /** Detail printed before the figures (breakdowns, scenario). */
  readonly details: ReadonlyArray<string>
  readonly figures: ReadonlyArray<Figure>
}

/** Runs one benchmark: prints its details and figures; with `--json FILE`, also writes the figures there. */
export const main = (title: string, program: Effect.Effect<Outcome, unknown, Scope.Scope>): void => {
  const at = process.argv.indexOf("--json")
  const file = at >= 0 ? process.argv[at + 1] : undefined
  Effect.runPromise(Effect.scoped(program)).then(
    (outcome) => {
      console.log(`${title}\n`)
      for (const line of outcome.details) console.log(line)
      console.log(`\n${figures(outcome.figures)}`)
      if (file !== undefined) writeFileSync(file, JSON.stringify(outcome.figures))
    },
    (error) => {
      console.error(error)
      process.exitCode = 1
    }
  )
}

/** The middle value. */
export const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 0 ? ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2 : (sorted[mid] ?? 0)
}
