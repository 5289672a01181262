/**
 * Issue 20, fewer requests than one per repository when idle: the GitHub adapter's two change probes side
 * by side at 1,000 repositories, a whole `Tick.run` (watch + poll) over `GithubFake` on the clock, each
 * request held 5 ms and 50 ms (both ways, as `World` holds them). `rest`: one conditional
 * `GET /repos/{o}/{r}/issues?state=all&sort=updated&per_page=1` per repository, a 304 free of rate-limit
 * points. `graphql`: one query per 100 repositories of one owner (`GithubSweep`), scored by the fake as
 * GitHub scores it (one point per 100 `first: 1` connections). Each world ticks three times, 11 s apart (past
 * the probe's 10 s reuse), and the third tick — the steady state, every list remembered — is measured:
 * requests, points (REST and GraphQL), wall time, and the CPU time of this process (client and fake).
 *
 * Not measured, because neither can prove a repository unchanged: the events feeds
 * (`GET /repos/{o}/{r}/events` is still one request per repository; `GET /orgs/{org}/events` is one per
 * owner but GitHub documents its latency as 30 s to 6 h and keeps 300 events at most, so a quiet feed says
 * nothing of the last hours), and issue search (`updated:>` over many `repo:` qualifiers: a search index
 * that lags, 30 searches a minute, 256 characters a query). The fake answers a 100-repository GraphQL query as
 * fast as a 304, which flatters it: GitHub takes longer over 100 repositories than over one.
 *
 * Run: npx vite-node --config bench/vite.config.ts bench/p12-idle-probe.ts [repos]
 */
import * as Effect from "effect/Effect"
import * as World from "../test/world/World.js"
import * as Report from "./report.js"

const repos = Number(process.argv[2] ?? 1000)
const issuesPerRepo = 10
const pause = "11 seconds"
const ticksPerHour = 30

type Probe = "rest" | "graphql"

interface Measured {
  readonly probe: Probe
  readonly latency: number
  readonly requests: number
  readonly points: number
  readonly graphqlPoints: number
  readonly notModified: number
  readonly millis: number
  readonly cpuMillis: number
  readonly decisions: string
}

const checked = (ticked: World.Ticked) => {
  const failed = World.failures(ticked.report)
  return failed.length === 0
    ? Effect.succeed(ticked)
    : Effect.dieMessage(`an idle tick failed (no faults were injected):\n${failed.join("\n")}`)
}

const measure = (probe: Probe, latency: number) =>
  Effect.scoped(Effect.gen(function*() {
    const world = yield* World.make({
      repos,
      issuesPerRepo,
      readyFraction: 0,
      latency: `${latency} millis`,
      githubTracker: { changes: { probe } }
    })
    const tick = Effect.flatMap(world.tick(), checked)
    yield* tick
    yield* Effect.sleep(pause)
    yield* tick
    yield* Effect.sleep(pause)
    const fake = world.forge.github
    fake?.resetCounters()
    const cpu = process.cpuUsage()
    const steady = yield* tick
    const used = process.cpuUsage(cpu)
    return {
      probe,
      latency,
      requests: steady.tally.tracker,
      points: steady.tally.points ?? NaN,
      graphqlPoints: fake?.graphqlPoints() ?? NaN,
      notModified: steady.tally.notModified ?? NaN,
      millis: steady.millis,
      cpuMillis: (used.user + used.system) / 1000,
      decisions: World.decisions(steady.report)
    } satisfies Measured
  }))

export const program = Effect.gen(function*() {
  const runs: Array<Measured> = []
  for (const latency of [5, 50]) {
    for (const probe of ["rest", "graphql"] as const) runs.push(yield* measure(probe, latency))
  }
  const find = (probe: Probe, latency: number) => {
    const run = runs.find((r) => r.probe === probe && r.latency === latency)
    if (run === undefined) throw new Error(`no run of ${probe} at ${latency} ms`)
    return run
  }
  const floor = Math.ceil(repos / 100)
  return {
    details: [
      `${repos} repositories × ${issuesPerRepo} issues, one owner, nothing ready, nothing locked. Steady-state`,
      `idle tick (the 3rd, 11 s after the 2nd) through Tick.run; points = REST points + GraphQL points; per hour`,
      `at a 2-minute interval = × ${ticksPerHour}. CPU = this process (adapter and fake together).`,
      "",
      Report.table(
        ["probe", "latency", "requests", "304s", "REST points", "GraphQL points", "points / hour", "wall", "CPU"],
        runs.map((r) => [
          r.probe,
          `${r.latency} ms`,
          r.requests,
          r.notModified,
          r.points - r.graphqlPoints,
          r.graphqlPoints,
          r.points * ticksPerHour,
          `${Math.round(r.millis)} ms`,
          `${Math.round(r.cpuMillis)} ms`
        ])
      ),
      "",
      ...runs.map((r) => `${r.probe} at ${r.latency} ms: ${r.decisions}`)
    ],
    figures: [
      Report.ratio(
        "P12",
        `idle tick, ${repos} repos, GraphQL probe: requests (floor ⌈N/100⌉)`,
        find("graphql", 50).requests,
        "req",
        floor,
        1
      ),
      Report.reported("P12", `idle tick, ${repos} repos, REST probe: requests`, find("rest", 50).requests, "req"),
      Report.reported(
        "P12",
        `idle tick, GraphQL probe: GraphQL points per hour at 2 min`,
        find("graphql", 50).graphqlPoints * ticksPerHour,
        "pts"
      ),
      ...[5, 50].map((latency) =>
        Report.reported(
          "P12",
          `idle tick wall at ${latency} ms: REST ÷ GraphQL`,
          find("rest", latency).millis / find("graphql", latency).millis,
          "×"
        )
      )
    ]
  } satisfies Report.Outcome
})

Report.main("P12: the idle change probe, REST per repository against GraphQL per 100 repositories", program)
