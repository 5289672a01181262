/**
 * quality.md P3: wall time of one tick over 50 repos × 200 issues (10 % ready, labelled by a trusted
 * maintainer) with 50 ms before every request AFK makes (tracker, CI, T3, Slack), against the critical-path
 * floor from the same run: requests ÷ allowed concurrency (8 per host) × latency. Goal: ≤ 1.5 × floor.
 * `Tick.run` in this process (the fakes share its thread); three fresh worlds, the median ratio counts.
 * `p4-rss.ts` measures the same tick as `afk-cli tick` in its own process.
 *
 * Run: npx vite-node --config bench/vite.config.ts bench/p3-tick.ts
 */
import * as Effect from "effect/Effect"
import * as World from "../test/world/World.js"
import * as Report from "./report.js"

const latencyMillis = 50
const concurrency = 8
const rounds = 3

const total = (tally: World.Tally) => tally.tracker + tally.t3 + tally.slack

const once = Effect.scoped(Effect.gen(function*() {
  const world = yield* World.make(World.bigTick)
  const ticked = yield* world.tick()
  const failed = World.failures(ticked.report)
  if (failed.length > 0) return yield* Effect.dieMessage(`the tick failed:\n${failed.join("\n")}`)
  const floor = (total(ticked.tally) / concurrency) * latencyMillis
  return { ticked, floor, ratio: ticked.millis / floor }
}))

export const program = Effect.gen(function*() {
  const runs = yield* Effect.replicateEffect(once, rounds)
  const sorted = [...runs].sort((a, b) => a.ratio - b.ratio)
  const middle = sorted[Math.floor(sorted.length / 2)]
  if (middle === undefined) return yield* Effect.dieMessage("no tick ran")
  return {
    details: [
      `${World.bigTick.repos} repos × ${World.bigTick.issuesPerRepo} issues, ${
        World.bigTick.readyFraction * 100
      } % ready` +
      ` (trusted), ${latencyMillis} ms per request, ${concurrency} requests in flight per host; ${rounds} fresh worlds.`,
      "",
      Report.table(
        ["run", "tracker", "T3", "wall ms", "floor ms", "ratio", "effective concurrency", "decisions"],
        runs.map((r, i) => [
          i + 1,
          r.ticked.tally.tracker,
          r.ticked.tally.t3,
          r.ticked.millis,
          r.floor,
          `${r.ratio.toFixed(2)}×`,
          (total(r.ticked.tally) * latencyMillis) / r.ticked.millis,
          World.decisions(r.ticked.report)
        ])
      ),
      "",
      "Requests of the median run by kind:",
      ...middle.ticked.tally.kinds.map(([kind, n]) => `  ${String(n).padStart(5)}  ${kind}`)
    ],
    figures: [
      Report.ratio(
        "P3",
        `Tick.run in process, 50 × 200, 50 ms/request (${total(middle.ticked.tally)} req; median of ${rounds})`,
        middle.ticked.millis,
        "ms",
        middle.floor,
        1.5
      )
    ]
  } satisfies Report.Outcome
})

Report.main("P3: wall time of one tick against the critical-path floor", program)
