/**
 * How one cold `afk-cli tick` scales, each in its own process over the loopback world (as `p4-rss.ts` runs
 * it): N repos × 200 issues, 10 % ready (a trusted maintainer's label), the default cap of three runs, an
 * empty cache directory, no added latency. Per N: tracker requests, rate-limit points, the child's CPU
 * seconds (user + system, every thread), wall time and peak RSS; the log-log slope of wall and RSS over N.
 *
 * CPU per request: right after each tick, `replay.mjs` sends the tick's own GETs (same URLs, same order, 8 in
 * flight) through a bare `fetch` in a child process to the same server. CPU per request = the slope of the
 * child's CPU over its request count across the sizes (so process start-up, paid once, drops out), for the
 * tick and for the replay; the ratio is the figure (goal ≤ 1.5×).
 *
 * Each size runs `--rounds` times (3 by default), tick and replay alternating, each tick cold, and every figure
 * of a size is the median of its rounds: one run's replay CPU moved by up to 19 %, so one run's ratio was good to
 * about ±0.1.
 *
 * Run: npm run build -w afk-cli && npx vite-node --config bench/vite.config.ts bench/scale-cli.ts
 *      [--sizes 10,50,200,1000,4000] [--rounds 3] [--env KEY=VALUE,…]
 */
import * as Effect from "effect/Effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as World from "../test/world/World.js"
import * as Cli from "./cli.js"
import * as Report from "./report.js"
import * as Steady from "./steady.js"

const sizes = Steady.arg("sizes", "10,50,200,1000,4000").split(",").map(Number)
const rounds = Number(Steady.arg("rounds", "3"))
/** Peak RSS goals by repositories (MB). */
const rssGoals: Readonly<Record<number, number>> = { 1000: 150, 4000: 250 }
/** `--env AFK_GITHUB_LISTS=rest` and the like, added to each tick's environment. */
const extraEnv = Steady.envArg()
/**
 * How the ticks read their issue lists (`AFK_GITHUB_LISTS`, GraphQL by default), named in the figures. CPU per
 * request is judged with REST lists only: there the replay sends the tick's own requests; with GraphQL lists
 * a query answers up to 49 lists, which a replay of the tick's GETs does not send.
 */
const lists = extraEnv.AFK_GITHUB_LISTS === "rest" ? "REST" : "GraphQL"
const issuesPerRepo = 200
const replay = join(Cli.root, "bench/replay.mjs")

/** Least-squares slope and intercept of y over x. */
export const fit = (points: ReadonlyArray<readonly [number, number]>) => {
  const n = points.length
  const mx = points.reduce((s, [x]) => s + x, 0) / n
  const my = points.reduce((s, [, y]) => s + y, 0) / n
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0)
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0)
  const slope = sxx === 0 ? NaN : sxy / sxx
  return { slope, intercept: my - slope * mx }
}

/** The exponent k of y ≈ c · xᵏ (log-log slope). */
export const exponent = (points: ReadonlyArray<readonly [number, number]>) =>
  fit(points.map(([x, y]) => [Math.log(x), Math.log(y)] as const)).slope

/** The median of `values` (the mean of the middle two for an even count). */
const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** One round at one size, on a world of its own: a cold tick, then the replay of its GETs. */
const round = (repos: number) =>
  Effect.scoped(Effect.gen(function*() {
    const world = yield* World.make({ repos, issuesPerRepo, readyFraction: 0.1, rateLimit: 1e12 })
    yield* world.reset
    const seen = world.journals.tracker.entries.length
    const tick = yield* Cli.node([Cli.afkCli, "tick"], { ...world.env, ...extraEnv })
    const tally = yield* world.tally
    if (tick.code !== 0) {
      return yield* Effect.dieMessage(`afk-cli tick exited ${tick.code}:\n${tick.stdout}\n${tick.stderr.slice(-2000)}`)
    }
    const gets = world.journals.tracker.entries.slice(seen).filter((e) => e.method === "GET").map((e) => e.url)
    const directory = mkdtempSync(join(tmpdir(), "afk-bench-replay-"))
    yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(directory, { recursive: true, force: true })))
    const file = join(directory, "urls")
    writeFileSync(file, `${gets.join("\n")}\n`)
    yield* world.reset
    const bare = yield* Cli.node([replay, file, world.env.GITHUB_TOKEN ?? "", "8"])
    const replayed = yield* world.tally
    if (bare.code !== 0) return yield* Effect.dieMessage(`replay.mjs exited ${bare.code}:\n${bare.stderr}`)
    console.error(
      `${repos} repos: ${tally.tracker} req, ${tick.cpuMs.toFixed(0)} ms CPU, ${tick.maxRssMB.toFixed(0)} MB; replay ${
        bare.cpuMs.toFixed(0)
      } ms CPU`
    )
    return { tick, tally, bare, replayed: replayed.tracker }
  }))

/** Every round at one size, and the median of each figure. */
const once = (repos: number) =>
  Effect.gen(function*() {
    const all: Array<Effect.Effect.Success<ReturnType<typeof round>>> = []
    for (let n = 0; n < rounds; n++) all.push(yield* round(repos))
    const of = (figure: (r: (typeof all)[number]) => number) => median(all.map(figure))
    return {
      repos,
      requests: of((r) => r.tally.tracker),
      points: all[0]!.tally.points,
      cpuMs: of((r) => r.tick.cpuMs),
      wallMs: of((r) => r.tick.wallMs),
      maxRssMB: of((r) => r.tick.maxRssMB),
      replayed: of((r) => r.replayed),
      bareCpuMs: of((r) => r.bare.cpuMs),
      stdout: all[0]!.tick.stdout.trim()
    }
  })

export const program = Effect.gen(function*() {
  const bareNode = yield* Cli.node(["-e", "0"])
  const runs = []
  for (const repos of sizes) runs.push(yield* once(repos))
  const afk = fit(runs.map((r) => [r.requests, r.cpuMs] as const))
  const bare = fit(runs.map((r) => [r.replayed, r.bareCpuMs] as const))
  const ratio = afk.slope / bare.slope
  const wallExponent = exponent(runs.map((r) => [r.repos, r.wallMs] as const))
  const rssExponent = exponent(runs.map((r) => [r.repos, r.maxRssMB] as const))
  const rssAboveNode = exponent(runs.map((r) => [r.repos, r.maxRssMB - bareNode.maxRssMB] as const))
  const large = runs.filter((r) => r.repos >= 200)
  const wallLarge = exponent(large.map((r) => [r.repos, r.wallMs] as const))
  const cpuLarge = exponent(large.map((r) => [r.repos, r.cpuMs] as const))
  const rssLarge = exponent(large.map((r) => [r.repos, r.maxRssMB] as const))
  return {
    details: [
      `afk-cli tick (built bundle), cold: empty cache directory, N repos × ${issuesPerRepo} issues, 10 % ready`,
      `(trusted), cap of 3 runs, tracker over loopback without added latency. Each figure is the median of ${rounds}`,
      "rounds per size (a cold tick, then the replay of its GETs).",
      `node -e 0 in the same run: ${bareNode.cpuMs.toFixed(0)} ms CPU, ${bareNode.wallMs.toFixed(0)} ms wall, ${
        bareNode.maxRssMB.toFixed(0)
      } MB.`,
      "",
      Report.table(
        [
          "repos",
          "requests",
          "points",
          "CPU s",
          "wall s",
          "peak RSS MB",
          "CPU ms / req",
          "replay req",
          "replay CPU s",
          "replay CPU ms / req"
        ],
        runs.map((r) => [
          r.repos,
          r.requests,
          r.points ?? "—",
          r.cpuMs / 1000,
          r.wallMs / 1000,
          r.maxRssMB,
          r.cpuMs / r.requests,
          r.replayed,
          r.bareCpuMs / 1000,
          r.bareCpuMs / r.replayed
        ])
      ),
      "",
      `Fitted exponent (log-log slope over N): wall ${wallExponent.toFixed(2)}, peak RSS ${
        rssExponent.toFixed(2)
      } (RSS above node -e 0: ${rssAboveNode.toFixed(2)}).`,
      `Over N ≥ 200 only (start-up no longer dominates): wall ${wallLarge.toFixed(2)}, CPU ${
        cpuLarge.toFixed(2)
      }, peak RSS ${rssLarge.toFixed(2)}.`,
      `CPU per request (slope of CPU over requests): afk-cli ${afk.slope.toFixed(3)} ms (intercept ${
        afk.intercept.toFixed(0)
      } ms), bare fetch ${bare.slope.toFixed(3)} ms (intercept ${bare.intercept.toFixed(0)} ms): ${ratio.toFixed(2)}×.`,
      "The replay sends the tick's GETs only (its few POSTs / PATCHes and GraphQL queries are left out).",
      ...(lists === "REST" ? [] : ["GraphQL lists: CPU per request is judged in the run with REST lists."]),
      "",
      "stdout of each tick:",
      ...runs.map((r) => `  ${r.repos}: ${r.stdout.replaceAll("\n", " / ").slice(0, 300)}`)
    ],
    figures: [
      // Issue 20's memory goals: ≤ 150 MB at 1,000 repositories × 200 issues, ≤ 250 MB at 4,000.
      ...runs.map((r) => {
        const name = `afk-cli tick, ${r.repos} × ${issuesPerRepo}, ${lists} lists, cold: peak RSS (median of ${rounds})`
        const goal = rssGoals[r.repos]
        return goal === undefined
          ? Report.reported("SC", name, r.maxRssMB, "MB")
          : Report.atMost("SC", name, r.maxRssMB, "MB", goal)
      }),
      Report.reported("SC", `${lists} lists: wall time over N: log-log exponent`, wallExponent, ""),
      Report.reported("SC", `${lists} lists: peak RSS over N: log-log exponent`, rssExponent, ""),
      Report.reported("SC", `${lists} lists: wall time over N ≥ 200: log-log exponent`, wallLarge, ""),
      Report.reported("SC", `${lists} lists: peak RSS over N ≥ 200: log-log exponent`, rssLarge, ""),
      ...(lists === "REST"
        ? [
          Report.ratio(
            "CPU",
            `CPU per GitHub request, afk-cli tick vs bare fetch (slope; median of ${rounds} per size)`,
            afk.slope,
            "ms",
            bare.slope,
            1.5
          )
        ]
        : [])
    ]
  } satisfies Report.Outcome
})

Report.main("Scaling: one cold afk-cli tick per N (and CPU per request against bare fetch)", program)
