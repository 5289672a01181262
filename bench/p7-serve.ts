/**
 * `afk-cli serve` (the serve issue's benchmarks): the built CLI as a daemon in its own process, the loopback
 * GitHub fake (50 ms per answer) and the T3 fake behind it, signed deliveries as GitHub sends them.
 *
 * - Label-to-dispatch latency: a maintainer labels an issue, its `issues.labeled` delivery is posted, and
 *   the time until the T3 fake holds the agent's thread is taken, one issue after another; p50 / p99 / max
 *   against the 2 s goal, and against the CronJob path's floor (its interval, 120 s at a 2-minute schedule).
 * - Webhook throughput: three rounds of 2,000 signed deliveries of mixed events, 16 at a time, while the
 *   passes they ask for run; accepted (202) per second, and the daemon's RSS after each round (flat: the
 *   third round ends within 10 % of the second).
 * - Idle daemon: no deliveries, a reconcile every 15 s, six ticks measured from the end of one; the daemon's CPU seconds (`/proc/<pid>/stat`)
 *   and tracker requests, per reconcile and extrapolated to an hour at the default 120 s interval. Floor:
 *   P1's, one conditional list per allowlisted repository per reconcile.
 *
 * - Soak, compressed: a reconcile every second; 30 issues labelled one after another, each run closed with
 *   proof on green CI; the daemon's RSS after the first ten runs and 120 s later (`p8-soak.ts` runs a whole
 *   simulated day, in process).
 *
 * Run: npx vite-node --config bench/vite.config.ts bench/p7-serve.ts   (after npm run build -w afk-cli)
 */
import type { GithubFake } from "afk-adapter-github/testing"
import * as Effect from "effect/Effect"
import { readFileSync } from "node:fs"
import * as Daemon from "../packages/afk-cli/test/support/Daemon.js"
import * as World from "../packages/afk-cli/test/support/World.js"
import * as Report from "./report.js"

/** One issue per repository: AFK runs one issue per repository at a time. */
const repos = 30
const forgeLatency = 50
/** The idle daemon's reconcile interval: past the GitHub adapter's 10 s probe reuse, as the default 120 s is. */
const idleInterval = 15
const idleTicks = 6
const soakSeconds = 120

/** `repos` repositories (acme/app-1 …), each with one open issue, #1, not labelled yet. */
const seeds: ReadonlyArray<GithubFake.Seed> = Array.from({ length: repos }, (_, i) => ({
  ...World.seed,
  repo: `acme/app-${i + 1}`,
  issues: [{
    number: 1,
    title: "Fix the flaky test",
    body: "It fails one run in ten.",
    labels: [],
    state: "open" as const,
    author: "maintainer",
    events: [],
    comments: []
  }]
}))

const labeled = (repo: number) =>
  JSON.stringify({
    action: "labeled",
    issue: { number: 1 },
    label: { name: "ready-for-agent" },
    repository: { full_name: `acme/app-${repo}` }
  })

/** VmRSS and CPU seconds (user + system) of a process, from /proc. */
const usage = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8")
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024
  const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? []
  const cpu = (Number(fields[11]) + Number(fields[12])) / 100
  return { rss, hwm, cpu }
}

const percentile = (values: ReadonlyArray<number>, p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0
}

const ticksIn = (daemon: Daemon.Daemon) => (daemon.stderr().match(/\(tick\)/g) ?? []).length

/** The world (every repository allowlisted, GitHub 50 ms late) and a daemon over it reconciling every `seconds`. */
const armed = (seconds: number) =>
  Effect.gen(function*() {
    const world = yield* World.make({ seeds, latency: forgeLatency })
    const daemon = yield* Daemon.start({
      ...world.env,
      AFK_WEBHOOK_SECRET: Daemon.secret,
      AFK_RECONCILE_SECONDS: String(seconds),
      AFK_MAX_CONCURRENT_RUNS: String(repos + 1)
    })
    return { world, daemon }
  })

const latency = Effect.gen(function*() {
  const { daemon, world } = yield* armed(3600)
  yield* Daemon.until(() => ticksIn(daemon) >= 1, 60_000, "the first tick")
  const took: Array<number> = []
  for (let number = 1; number <= repos; number++) {
    world.github.fake.actAs("maintainer").addLabel(`acme/app-${number}`, 1, "ready-for-agent")
    const before = world.t3.threads().length
    const sent = performance.now()
    const answer = yield* Daemon.deliver(daemon.url, { event: "issues", id: `lat-${number}`, body: labeled(number) })
    if (answer.status !== 202) return yield* Effect.dieMessage(`delivery answered ${answer.status}`)
    yield* Daemon.until(() => world.t3.threads().length > before, 30_000, `acme/app-${number}#1's dispatch`).pipe(
      Effect.catchAllDefect((defect) => Effect.dieMessage(`${defect}\n${daemon.stderr().slice(-3000)}`))
    )
    took.push(performance.now() - sent)
  }
  yield* daemon.stop()
  return took
})

const throughput = Effect.gen(function*() {
  const { daemon } = yield* armed(3600)
  yield* Daemon.until(() => ticksIn(daemon) >= 1, 60_000, "the first tick")
  const warm = Array.from({ length: 200 }, (_, i) => i)
  yield* Effect.forEach(
    warm,
    (i) => Daemon.deliver(daemon.url, { event: "issues", id: `warm-${i}`, body: labeled((i % repos) + 1) }),
    { concurrency: 16 }
  )
  const deliveries = 2_000
  const events = ["issues", "issue_comment", "check_run", "status", "ping"]
  const batch = (round: number) =>
    Effect.gen(function*() {
      const started = performance.now()
      const answers = yield* Effect.forEach(
        Array.from({ length: deliveries }, (_, i) => i),
        (i) =>
          Daemon.deliver(daemon.url, {
            event: events[i % events.length]!,
            id: `tp-${round}-${i}`,
            body: labeled((i % repos) + 1)
          }),
        { concurrency: 16 }
      )
      return {
        accepted: answers.filter((a) => a.status === 202).length,
        seconds: (performance.now() - started) / 1000,
        usage: usage(daemon.pid)
      }
    })
  const before = usage(daemon.pid)
  const first = yield* batch(1)
  const second = yield* batch(2)
  const third = yield* batch(3)
  const accepted = first.accepted + second.accepted + third.accepted
  const seconds = first.seconds + second.seconds + third.seconds
  const after = third.usage
  const settled = second.usage
  const passes = ticksIn(daemon)
  yield* daemon.stop()
  return { deliveries: deliveries * 3, accepted, seconds, before, settled, after, passes }
})

const idle = Effect.gen(function*() {
  const { daemon, world } = yield* armed(idleInterval)
  yield* Daemon.until(() => ticksIn(daemon) >= 3, 120_000, "three ticks (the steady state)")
  const ticksBefore = ticksIn(daemon)
  const requestsBefore = world.github.fake.log.length
  const t3Before = world.t3.requests().length
  const before = usage(daemon.pid)
  yield* Daemon.until(() => ticksIn(daemon) >= ticksBefore + idleTicks, 600_000, `${idleTicks} more ticks`)
  const after = usage(daemon.pid)
  const ticks = ticksIn(daemon) - ticksBefore
  const log = world.github.fake.log.slice(requestsBefore)
  yield* daemon.stop()
  return {
    ticks,
    requests: log.length,
    notModified: log.filter((e) => e.status === 304).length,
    t3: world.t3.requests().length - t3Before,
    cpu: after.cpu - before.cpu,
    rss: after.rss
  }
})

/**
 * The daemon over a compressed day: a reconcile every second; issues labelled one after another, each run
 * closed with proof once its CI (green from the start) is read, so the load is steady; RSS from after the
 * first ten runs to the end.
 */
const soak = Effect.gen(function*() {
  const { daemon, world } = yield* armed(1)
  for (const seed of seeds) {
    world.github.fake.setChecks(seed.repo, World.pushed, {
      checkRuns: [{ name: "test", status: "completed", conclusion: "success" }]
    })
  }
  let next = 1
  const label = Effect.gen(function*() {
    if (next > repos) return
    world.github.fake.actAs("maintainer").addLabel(`acme/app-${next}`, 1, "ready-for-agent")
    yield* Daemon.deliver(daemon.url, { event: "issues", id: `soak-${next}`, body: labeled(next) })
    next++
  })
  yield* Daemon.until(() => ticksIn(daemon) >= 5, 60_000, "five ticks")
  for (let second = 0; second < 30; second += 3) yield* Effect.zipRight(label, Effect.sleep("3 seconds"))
  const start = usage(daemon.pid)
  const began = ticksIn(daemon)
  for (let second = 0; second < soakSeconds; second += 6) yield* Effect.zipRight(label, Effect.sleep("6 seconds"))
  const end = usage(daemon.pid)
  const passes = ticksIn(daemon) - began
  const runs = world.t3.threads().length
  const closed = seeds.filter((seed) =>
    world.github.fake.world.repos.get(seed.repo)?.issues.get(1)?.state === "closed"
  ).length
  yield* daemon.stop()
  return { start, end, passes, runs, closed }
})

const program = Effect.gen(function*() {
  const took = yield* latency
  const p50 = percentile(took, 50)
  const p99 = percentile(took, 99)
  const max = Math.max(...took)
  const tp = yield* throughput
  const rate = tp.accepted / tp.seconds
  const quiet = yield* idle
  const soaked = yield* soak
  const perTick = quiet.requests / quiet.ticks
  const cpuPerTick = quiet.cpu / quiet.ticks
  const perHour = 3600 / 120
  return {
    details: [
      `Label-to-dispatch through serve, ${repos} issues (one per repository) one after another, GitHub answering in ${forgeLatency} ms:`,
      `  p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, max ${max.toFixed(0)} ms (all: ${
        took.map((t) => t.toFixed(0)).join(", ")
      })`,
      `  the CronJob path waits for its next tick: up to 120,000 ms at a 2-minute schedule (p99 is ${
        (120_000 / p99).toFixed(0)
      }× sooner)`,
      "",
      `Webhook throughput: ${tp.deliveries} signed deliveries, 16 at a time, while passes run: ${tp.accepted} accepted in ${
        tp.seconds.toFixed(2)
      } s (${rate.toFixed(0)}/s); ${tp.passes} ticks ran`,
      `  daemon RSS ${tp.before.rss.toFixed(1)} MB before, ${tp.settled.rss.toFixed(1)} MB after 4,000, ${
        tp.after.rss.toFixed(1)
      } MB after 6,000 (peak ${tp.after.hwm.toFixed(1)} MB)`,
      "",
      `Idle daemon, reconcile every ${idleInterval} s, ${idleTicks} ticks from the end of one to the end of another, nothing happening: ${quiet.ticks} ticks, ${quiet.requests} GitHub requests (${quiet.notModified} answered 304), ${quiet.t3} T3 requests, ${
        quiet.cpu.toFixed(2)
      } CPU s, RSS ${quiet.rss.toFixed(1)} MB`,
      `  per reconcile: ${perTick.toFixed(2)} requests, ${(cpuPerTick * 1000).toFixed(0)} ms CPU; per hour at 120 s: ${
        (perTick * perHour).toFixed(0)
      } requests, ${(cpuPerTick * perHour).toFixed(2)} CPU s`,
      "",
      `Soak, compressed: a reconcile every second, ${soaked.runs} runs started (${soaked.closed} closed with proof); measured over the last ${soakSeconds} s (${soaked.passes} passes):`,
      `  daemon RSS ${soaked.start.rss.toFixed(1)} MB after the first 10 runs, ${
        soaked.end.rss.toFixed(1)
      } MB at the end (peak ${soaked.end.hwm.toFixed(1)} MB)`
    ],
    figures: [
      Report.ratio(
        "S4",
        `serve soak: daemon RSS after ${soaked.passes} more passes vs after the first 10 runs`,
        soaked.end.rss,
        "MB",
        soaked.start.rss,
        1.1
      ),
      Report.atMost("S1", "serve: label-to-dispatch p99 (50 ms forge)", Math.round(p99), "ms", 2000),
      Report.reported("S1", "serve: label-to-dispatch p50", Math.round(p50), "ms"),
      Report.reported("S2", "serve: deliveries accepted per second while passes run", Math.round(rate), "/s"),
      Report.ratio("S2", "serve: RSS after 6,000 deliveries vs after 4,000", tp.after.rss, "MB", tp.settled.rss, 1.1),
      Report.ratio("S3", `serve idle: tracker requests per reconcile (${repos} repos)`, perTick, "req", repos, 1),
      Report.reported("S3", "serve idle: CPU per hour at a 120 s reconcile", cpuPerTick * perHour, "s")
    ]
  } satisfies Report.Outcome
})

Report.main("serve: latency, throughput, idle", program)
