/**
 * quality.md P3: wall time of one tick over 50 repos × 200 issues (10 % ready, labelled by a trusted
 * maintainer) with 50 ms before every request AFK makes (tracker, CI, T3, Slack), against P3's floor from the
 * protocol's minimum requests (`p3-floor.ts`, without a process start), not the run's own count. Goal: ≤ 1.5 ×
 * floor. `Tick.run` in this process (the fakes share its thread), once with the lists read through GitHub's
 * GraphQL batch (the default of every runtime built from configuration, `afk-cli`'s included) and once with
 * REST lists (`GithubTracker.make`'s default); three fresh worlds each, the median ratio counts.
 * `p3-process.ts` measures the whole `afk-cli tick` process, `p4-rss.ts` its span.
 *
 * Run: npx vite-node --config bench/vite.config.ts bench/p3-tick.ts
 */
import * as Effect from "effect/Effect"
import * as World from "../test/world/World.js"
import * as P3Floor from "./p3-floor.js"
import * as Report from "./report.js"
import * as Steady from "./steady.js"

const concurrency = 8
const rounds = 3
const floor = P3Floor.floor(World.bigTick.repos, 0)

const total = (tally: World.Tally) => tally.tracker + tally.t3 + tally.slack

const once = (lists: "graphql" | "rest") =>
  Effect.scoped(Effect.gen(function*() {
    const world = yield* World.make({ ...World.bigTick, githubTracker: { lists } })
    const ticked = yield* world.tick()
    const failed = World.failures(ticked.report)
    if (failed.length > 0) return yield* Effect.dieMessage(`the tick failed:\n${failed.join("\n")}`)
    return { ticked, ratio: ticked.millis / floor.millis }
  }))

export const program = Effect.gen(function*() {
  const details: Array<string> = [
    `${World.bigTick.repos} repos × ${World.bigTick.issuesPerRepo} issues, ${
      World.bigTick.readyFraction * 100
    } % ready (trusted), ${P3Floor.latencyMillis} ms per request, ${concurrency} requests in flight per host; ` +
    `${rounds} fresh worlds each way.`,
    `Floor from the protocol's minimum: ${floor.requests} requests in ${floor.steps} rounds, ${floor.millis} ms.`
  ]
  const figures: Array<Report.Figure> = []
  for (const lists of ["graphql", "rest"] as const) {
    const runs = yield* Effect.replicateEffect(once(lists), rounds)
    const middle = [...runs].sort((a, b) => a.ratio - b.ratio)[Math.floor(runs.length / 2)]
    if (middle === undefined) return yield* Effect.dieMessage("no tick ran")
    details.push(
      "",
      `${Steady.listsName(lists)}:`,
      Report.table(
        ["run", "tracker", "T3", "wall ms", "floor ms", "ratio", "effective concurrency", "decisions"],
        runs.map((r, i) => [
          i + 1,
          r.ticked.tally.tracker,
          r.ticked.tally.t3,
          r.ticked.millis,
          floor.millis,
          `${r.ratio.toFixed(2)}×`,
          (total(r.ticked.tally) * P3Floor.latencyMillis) / r.ticked.millis,
          World.decisions(r.ticked.report)
        ])
      ),
      "",
      "Requests of the median run by kind:",
      ...middle.ticked.tally.kinds.map(([kind, n]) => `  ${String(n).padStart(5)}  ${kind}`)
    )
    figures.push(
      Report.ratio(
        "P3",
        `Tick.run in process, 50 × 200, ${Steady.listsName(lists)}, 50 ms/request (${
          total(middle.ticked.tally)
        } req; median of ${rounds})`,
        middle.ticked.millis,
        "ms",
        floor.millis,
        1.5
      )
    )
  }
  return { details, figures } satisfies Report.Outcome
})

Report.main("P3: wall time of one tick against the protocol's floor", program)
