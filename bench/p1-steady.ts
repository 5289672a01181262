/**
 * P1 averaged over the steady state: tracker requests and GitHub rate-limit points per idle tick (nothing
 * ready, nothing locked), the mean over ticks `from`…`ticks` (4–15 by default), at 2, 5 and 10-minute
 * intervals on virtual time, in each deployment shape (`steady.ts`): one long-lived client, a fresh client
 * per tick sharing a cache directory, a fresh client per tick without one. Floor: one request per
 * allowlisted repository and no point. Every tick is printed, so no single tick can be chosen.
 *
 * Run: npx vite-node --config bench/vite.config.ts bench/p1-steady.ts [--repos 50] [--ticks 15] [--from 4]
 *      [--lists graphql|rest]
 */
import * as Effect from "effect/Effect"
import * as Report from "./report.js"
import * as Steady from "./steady.js"

const repos = Number(Steady.arg("repos", "50"))
const ticks = Number(Steady.arg("ticks", "15"))
const from = Number(Steady.arg("from", "4"))
const issuesPerRepo = 200
const intervals = [2, 5, 10]
const { lists, name: listsName } = Steady.listsArg()

export const program = Effect.gen(function*() {
  const all: Array<Steady.Series> = []
  for (const intervalMinutes of intervals) {
    for (const shape of Steady.shapes) {
      all.push(
        yield* Steady.series({
          repos,
          issuesPerRepo,
          intervalMinutes,
          shape,
          mix: Steady.idle,
          ticks,
          from,
          lists
        })
      )
    }
  }
  const floor = repos
  return {
    details: [
      `${repos} repos × ${issuesPerRepo} open issues, nothing ready or locked, ${listsName}; ${ticks} ticks per series on virtual`,
      `time; steady state = mean of ticks ${from}–${ticks}. Floor: ${floor} requests (1 per repo), 0 points.`,
      "",
      Report.table(
        ["interval", "shape", "mean requests", "÷ floor", "mean points", "points / hour", "wall s"],
        all.map((s) => [
          `${s.intervalMinutes} min`,
          s.shape,
          s.meanRequests,
          `${(s.meanRequests / floor).toFixed(2)}×`,
          s.meanPoints,
          s.meanPoints * (60 / s.intervalMinutes),
          s.seconds
        ])
      ),
      "",
      "Every tick (requests / points):",
      ...all.map((s) =>
        `  ${String(s.intervalMinutes).padStart(2)} min ${s.shape.padEnd(9)} ${
          s.ticks.map((t) => `${t.requests}/${t.points}`).join(" ")
        }`
      ),
      "",
      ...Steady.shapes.map((shape) => `${shape}: ${Steady.shapeNames[shape]}`)
    ],
    figures: all.flatMap((s) => {
      const name = (what: string) =>
        `idle, ${s.intervalMinutes}-min interval, ${s.shape}, ${listsName}${
          Steady.shipped(s.shape) ? "" : " (not shipped)"
        }: ${what}, mean of ticks ${from}–${ticks}`
      return Steady.shipped(s.shape)
        ? [
          Report.ratio("P1", name("requests"), s.meanRequests, "req", floor, 1),
          Report.atMost("P1", name("points"), s.meanPoints, "pts", 0)
        ]
        : [
          Report.reported("P1", name("requests"), s.meanRequests, "req"),
          Report.reported("P1", name("points"), s.meanPoints, "pts")
        ]
    })
  } satisfies Report.Outcome
})

Report.main("P1 (steady state): tracker requests and points per idle tick, by interval and shape", program)
