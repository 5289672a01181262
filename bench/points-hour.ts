/**
 * GitHub rate-limit points per hour at a 2-minute interval, for N repositories, idle and busy, in each
 * deployment shape (`steady.ts`): the mean points of the steady ticks (the GitHub fake's own counters: every
 * answer but a 304 costs a point, as on GitHub) × 30 ticks an hour. Goals in the shipped shapes (`serve`,
 * `cache-dir`): idle costs no point, busy stays within GitHub's budget of 5,000 points an hour; `no-cache` (no
 * example ships it) is reported. Busy: two runs in flight (their agents keep working; the default cap is
 * three, so one slot is free) and a ready issue labelled by a drive-by (no write access, refused every tick)
 * in every fifth repository. Also reported: the points of the tick after a cold one in the `cache-dir` shape
 * (a CronJob's or an Actions run's second tick), which the steady state leaves out.
 *
 * Run: npx vite-node --config bench/vite.config.ts bench/points-hour.ts [--repos 50,1000] [--ticks 9]
 *      [--from 4] [--shapes serve,cache-dir,no-cache] [--mixes idle,busy] [--issues 20] [--lists graphql|rest]
 */
import * as Effect from "effect/Effect"
import * as Report from "./report.js"
import * as Steady from "./steady.js"

const sizes = Steady.arg("repos", "50,1000").split(",").map(Number)
const ticks = Number(Steady.arg("ticks", "9"))
const from = Number(Steady.arg("from", "4"))
const issuesPerRepo = Number(Steady.arg("issues", "20"))
const shapes = Steady.arg("shapes", Steady.shapes.join(",")).split(",") as ReadonlyArray<Steady.Shape>
const mixes = Steady.arg("mixes", "idle,busy").split(",").map((name) => ({
  name,
  mix: name === "busy" ? Steady.busy : Steady.idle
}))
const { lists, name: listsName } = Steady.listsArg()
const intervalMinutes = 2
const budget = 5000

export const program = Effect.gen(function*() {
  const all: Array<Steady.Series & { readonly mixName: string }> = []
  for (const repos of sizes) {
    for (const { mix, name } of mixes) {
      for (const shape of shapes) {
        const s = yield* Steady.series({ repos, issuesPerRepo, intervalMinutes, shape, mix, ticks, from, lists })
        console.error(`${repos} ${name} ${shape}: ${s.meanPoints} pts/tick (${s.seconds.toFixed(1)} s)`)
        all.push({ ...s, mixName: name })
      }
    }
  }
  const perHour = (s: Steady.Series) => s.meanPoints * (60 / intervalMinutes)
  return {
    details: [
      `${listsName}; 2-minute interval on virtual time, ${issuesPerRepo} open issues per repo; ${ticks} ticks per series, steady`,
      `state = mean of ticks ${from}–${ticks}; points / hour = mean points × 30. Busy: ${Steady.busy.inFlight} runs in`,
      `flight, a drive-by's ready issue in every ${Steady.busy.refusedEvery}th repo. Budget: ${budget} points / hour.`,
      "",
      Report.table(
        ["repos", "mix", "shape", "mean requests", "req ÷ repos", "mean points", "points / hour", "÷ budget", "wall s"],
        all.map((s) => [
          s.repos,
          s.mixName,
          s.shape,
          s.meanRequests,
          `${(s.meanRequests / s.repos).toFixed(2)}×`,
          s.meanPoints,
          perHour(s),
          `${(perHour(s) / budget).toFixed(2)}×`,
          s.seconds
        ])
      ),
      "",
      "Every tick (requests / points):",
      ...all.map((s) =>
        `  ${String(s.repos).padStart(4)} ${s.mixName} ${s.shape.padEnd(9)} ${
          s.ticks.map((t) => `${t.requests}/${t.points}`).join(" ")
        }`
      ),
      "Decisions of the last tick:",
      ...all.map((s) =>
        `  ${String(s.repos).padStart(4)} ${s.mixName} ${s.shape.padEnd(9)} ${s.ticks.at(-1)?.decisions}`
      )
    ],
    // An idle backlog costs no point in a shipped shape; a busy one stays within the hourly budget; a shape
    // the examples do not ship (no cache persisted) is reported.
    figures: [
      ...all.map((s) => {
        const name = `${s.repos} repos, ${s.mixName}, ${s.shape}, ${listsName}${
          Steady.shipped(s.shape) ? "" : " (not shipped)"
        }: points / hour (2-min interval, mean of ticks ${from}–${ticks})`
        return !Steady.shipped(s.shape)
          ? Report.reported("PH", name, perHour(s), "pts")
          : Report.atMost("PH", name, perHour(s), "pts", s.mixName === "idle" ? 0 : budget)
      }),
      // Before the steady state: the tick after a cold one, in the shape a CronJob or Actions run has.
      ...all.filter((s) => s.shape === "cache-dir").map((s) =>
        Report.reported(
          "PH",
          `${s.repos} repos, ${s.mixName}, ${s.shape}, ${listsName}: points of tick 2, the first after an empty cache`,
          s.ticks[1]?.points ?? NaN,
          "pts"
        )
      )
    ]
  } satisfies Report.Outcome
})

Report.main("Rate-limit points per hour at a 2-minute interval", program)
