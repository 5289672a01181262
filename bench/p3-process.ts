/**
 * P3 as the whole process: the wall time of `afk-cli tick` from spawn to exit (not the span of its requests),
 * N repos × 200 issues, 10 % ready (a trusted maintainer's label), the default cap of three runs, 50 ms
 * before every tracker request over loopback (T3 and Slack on loopback without added latency), against a
 * critical-path floor from the protocol's minimum requests, not the run's own count (`p3-floor.ts`), whose
 * start is the wall of `node -e 0` (median, same run).
 *
 * Run: npm run build -w afk-cli && npx vite-node --config bench/vite.config.ts bench/p3-process.ts
 *      [--sizes 50,1000] [--rounds 3,1] [--env KEY=VALUE,KEY=VALUE] (added to the tick's environment, e.g.
 *      `--env AFK_GITHUB_LISTS=rest`)
 */
import * as Effect from "effect/Effect"
import * as os from "node:os"
import * as World from "../test/world/World.js"
import * as Cli from "./cli.js"
import { floor, latencyMillis } from "./p3-floor.js"
import * as Report from "./report.js"
import * as Steady from "./steady.js"

const sizes = Steady.arg("sizes", "50,1000").split(",").map(Number)
const rounds = Steady.arg("rounds", "3,1").split(",").map(Number)
const extraEnv = Steady.envArg()
/** How the tick reads its issue lists (`AFK_GITHUB_LISTS`, GraphQL by default), named in the figures. */
const lists = extraEnv.AFK_GITHUB_LISTS === "rest" ? "REST" : "GraphQL"
const issuesPerRepo = 200

const once = (repos: number) =>
  Effect.scoped(Effect.gen(function*() {
    const world = yield* World.make({
      repos,
      issuesPerRepo,
      readyFraction: 0.1,
      latency: `${latencyMillis} millis`,
      rateLimit: 1e12
    })
    yield* world.reset
    const ran = yield* Cli.node([Cli.afkCli, "tick"], { ...world.env, ...extraEnv })
    const tally = yield* world.tally
    if (ran.code !== 0) {
      return yield* Effect.dieMessage(`afk-cli tick exited ${ran.code}:\n${ran.stdout}\n${ran.stderr.slice(-2000)}`)
    }
    return { ran, tally }
  }))

export const program = Effect.gen(function*() {
  const load = os.loadavg().map((n) => n.toFixed(1)).join(" ")
  const starts = yield* Effect.replicateEffect(Cli.node(["-e", "0"]), 5)
  const start = Report.median(starts.map((s) => s.wallMs))
  const rows = []
  for (const [i, repos] of sizes.entries()) {
    const runs = yield* Effect.replicateEffect(once(repos), rounds[i] ?? 1)
    const wall = Report.median(runs.map((r) => r.ran.wallMs))
    const median = [...runs].sort((a, b) => a.ran.wallMs - b.ran.wallMs)[Math.floor(runs.length / 2)]!
    rows.push({ repos, runs, wall, median, floor: floor(repos, start) })
  }
  return {
    details: [
      `afk-cli tick, N repos × ${issuesPerRepo} issues, 10 % ready (trusted), cap 3, ${latencyMillis} ms per tracker request;`,
      `extra environment: ${JSON.stringify(extraEnv)};`,
      `wall = spawn to exit. node -e 0 wall (median of 5): ${start.toFixed(0)} ms. Load average before: ${load};`,
      `after: ${os.loadavg().map((n) => n.toFixed(1)).join(" ")} (2 CPUs).`,
      "",
      Report.table(
        [
          "repos",
          "runs",
          "wall ms (median)",
          "walls",
          "span ms",
          "requests (run)",
          "CPU ms",
          "floor requests",
          "floor rounds",
          "floor ms",
          "wall ÷ floor",
          "(wall − start) ÷ (floor − start)"
        ],
        rows.map((r) => [
          r.repos,
          r.runs.length,
          r.wall,
          r.runs.map((x) => x.ran.wallMs.toFixed(0)).join(" / "),
          r.median.tally.span,
          r.median.tally.tracker,
          r.median.ran.cpuMs,
          r.floor.requests,
          r.floor.steps,
          r.floor.millis,
          `${(r.wall / r.floor.millis).toFixed(2)}×`,
          `${((r.wall - start) / (r.floor.millis - start)).toFixed(2)}×`
        ])
      )
    ],
    figures: rows.map((r) =>
      Report.ratio(
        "P3",
        `afk-cli tick, ${r.repos} × ${issuesPerRepo}, ${lists} lists, 50 ms/request: whole process wall (median of ${r.runs.length})`,
        r.wall,
        "ms",
        r.floor.millis,
        1.5
      )
    )
  } satisfies Report.Outcome
})

Report.main("P3 as the whole process: afk-cli tick's wall time against the protocol's critical path", program)
