/**
 * quality.md P4: peak RSS of P3's tick (50 repos × 200 issues, 10 % ready, 50 ms per tracker request), run
 * the way it runs in production: the built `afk-cli tick` in a child process, against the world served over
 * loopback by this process (so the fakes' memory is not the child's). `maxRSS` is read in the child by
 * `rss-probe.mjs`. Goal: ≤ 150 MB. `node -e 0` and `afk-cli --help` are the baselines. The same runs give
 * P3 as `afk-cli` sees it: the tick's span (first tracker request → last answer) against P3's floor from the
 * protocol's minimum requests (`p3-floor.ts`, without the process start), not the run's own count.
 * Three fresh worlds; the median counts.
 *
 * Run: npm run build -w afk-cli && npx vite-node --config bench/vite.config.ts bench/p4-rss.ts
 * (`BENCH_P4_REPOS=1000 BENCH_P4_ROUNDS=1` for one tick over 1,000 repos; `BENCH_P4_CACHE_DIR=off` without
 * the cache file).
 */
import * as Effect from "effect/Effect"
import * as World from "../test/world/World.js"
import * as Cli from "./cli.js"
import * as P3Floor from "./p3-floor.js"
import * as Report from "./report.js"

const rounds = Number(process.env.BENCH_P4_ROUNDS ?? 3)
const scenario = { ...World.bigTick, repos: Number(process.env.BENCH_P4_REPOS ?? World.bigTick.repos) }
const cacheDir = process.env.BENCH_P4_CACHE_DIR === undefined ? {} : { AFK_CACHE_DIR: process.env.BENCH_P4_CACHE_DIR }

const once = Effect.scoped(Effect.gen(function*() {
  const world = yield* World.make(scenario)
  yield* world.reset
  const ran = yield* Cli.node([Cli.afkCli, "tick"], { ...world.env, ...cacheDir })
  const tally = yield* world.tally
  if (ran.code !== 0) {
    return yield* Effect.dieMessage(`afk-cli tick exited ${ran.code}:\n${ran.stdout}\n${ran.stderr.slice(-2000)}`)
  }
  yield* world.reset
  yield* Cli.node([
    Cli.reference,
    world.env.AFK_GITHUB_API ?? "",
    world.env.GITHUB_TOKEN ?? "",
    String(tally.tracker),
    "8",
    String(scenario.repos),
    String(scenario.issuesPerRepo)
  ])
  const reference = yield* world.tally
  const floor = P3Floor.floor(scenario.repos, 0).millis
  return { ran, tally, floor, ratio: tally.span / floor, reference: reference.span }
}))

const mb = (bytes: number | undefined) => (bytes === undefined ? NaN : bytes / 1e6)

export const program = Effect.gen(function*() {
  const bare = yield* Cli.node(["-e", "0"])
  const help = yield* Cli.node([Cli.afkCli, "--help"])
  const runs = yield* Effect.replicateEffect(once, rounds)
  const byRss = [...runs].sort((a, b) => a.ran.maxRssMB - b.ran.maxRssMB)
  const byRatio = [...runs].sort((a, b) => a.ratio - b.ratio)
  const rss = byRss[Math.floor(rounds / 2)]
  const span = byRatio[Math.floor(rounds / 2)]
  if (rss === undefined || span === undefined) return yield* Effect.dieMessage("no tick ran")
  return {
    details: [
      `afk-cli tick over ${scenario.repos} repos × ${scenario.issuesPerRepo} issues (${
        scenario.readyFraction * 100
      } % ready),` +
      " tracker over loopback HTTP with 50 ms per request; T3 and Slack on loopback without added latency.",
      "",
      Report.table(
        [
          "child process",
          "peak RSS MB",
          "heap used at exit MB",
          "heap total at exit MB",
          "CPU ms",
          "wall ms",
          "tracker req",
          "span ms",
          "floor ms",
          "span ÷ floor",
          "reference span ms",
          "span ÷ reference"
        ],
        [
          ["node -e 0", bare.maxRssMB, mb(bare.probe?.heapUsed), mb(bare.probe?.heapTotal), bare.cpuMs, bare.wallMs],
          [
            "afk-cli --help",
            help.maxRssMB,
            mb(help.probe?.heapUsed),
            mb(help.probe?.heapTotal),
            help.cpuMs,
            help.wallMs
          ],
          ...runs.map((r, i) => [
            `afk-cli tick (${i + 1})`,
            r.ran.maxRssMB,
            mb(r.ran.probe?.heapUsed),
            mb(r.ran.probe?.heapTotal),
            r.ran.cpuMs,
            r.ran.wallMs,
            r.tally.tracker,
            r.tally.span,
            r.floor,
            `${r.ratio.toFixed(2)}×`,
            r.reference,
            `${(r.tally.span / r.reference).toFixed(2)}×`
          ])
        ]
      ),
      "",
      "Reference: after each tick, the same number of GETs (issue events), 8 in flight, from a bare `fetch` in a",
      "child process to the same loopback tracker: what the harness and the machine cost without AFK.",
      `stdout of the tick: ${span.ran.stdout.trim().replaceAll("\n", " / ")}`
    ],
    figures: [
      Report.atMost(
        "P4",
        `afk-cli tick, ${scenario.repos} × ${scenario.issuesPerRepo}: peak RSS (median of ${rounds})`,
        rss.ran.maxRssMB,
        "MB",
        150
      ),
      Report.ratio(
        "P3",
        `afk-cli tick, ${scenario.repos} × ${scenario.issuesPerRepo}, 50 ms/request: span (${span.tally.tracker} req; median of ${rounds})`,
        span.tally.span,
        "ms",
        span.floor,
        1.5
      )
    ]
  } satisfies Report.Outcome
})

Report.main("P4: peak RSS of one tick in its own process (and P3 as afk-cli runs it)", program)
