/**
 * CPU per request of the GitHub client: `getIssue` (one decoded GET) and `labelEvents` (a decoded list)
 * in a loop against the in-process `GithubFake`, so the figure is the adapter's processing plus the
 * fake's. Each workload runs 5 rounds after a warm-up; the median round is reported.
 *
 * Run (from packages/adapter-github): npx vite-node bench/cpu-per-request.ts
 */
import { Domain, type Tracker } from "afk-core"
import * as Effect from "effect/Effect"
import * as GithubAuth from "../src/GithubAuth.js"
import * as GithubClient from "../src/GithubClient.js"
import * as GithubTracker from "../src/GithubTracker.js"
import { GithubFake } from "../src/testing/index.js"

const repo = Domain.repo("org/cpu")
const issues = 50
const rounds = 5
const perRound = 2000

const fake = GithubFake.make({ pageSize: 100 })
fake.seed({
  repo,
  bot: "afk-bot",
  trusted: [],
  labels: ["ready-for-agent"],
  issues: Array.from({ length: issues }, (_, index) => ({
    number: index + 1,
    title: `Issue ${index + 1}`,
    body: "A body of some length ".repeat(20),
    labels: ["ready-for-agent"],
    state: "open" as const,
    author: "someone",
    events: Array.from({ length: 3 }, (_, i) => ({
      label: "ready-for-agent",
      action: i === 1 ? ("removed" as const) : ("added" as const),
      actor: "someone",
      at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString()
    })),
    comments: []
  }))
})

const median = (values: ReadonlyArray<number>): number => [...values].sort((a, b) => a - b)[values.length >> 1] ?? NaN

const program = Effect.gen(function*() {
  const client = yield* GithubClient.make({ auth: GithubAuth.token("bench"), baseUrl: fake.baseUrl }).pipe(
    Effect.provide(fake.layer)
  )
  const tracker = yield* GithubTracker.make().pipe(Effect.provideService(GithubClient.GithubClient, client))
  const workloads: Record<string, (n: number) => Effect.Effect<unknown, Tracker.TrackerError>> = {
    "getIssue (GET, decoded)": (n: number) => tracker.getIssue(repo, (n % issues) + 1),
    "labelEvents (list, decoded)": (n: number) => tracker.labelEvents(repo, (n % issues) + 1)
  }
  console.log(`CPU per request, ${perRound} requests a round, median of ${rounds} rounds (adapter + in-process fake)`)
  for (const [name, request] of Object.entries(workloads)) {
    yield* Effect.forEach(Array.from({ length: 200 }, (_, n) => n), request, { discard: true })
    const perRequest: Array<number> = []
    for (let round = 0; round < rounds; round++) {
      const before = process.cpuUsage()
      yield* Effect.forEach(Array.from({ length: perRound }, (_, n) => n), request, { discard: true })
      const spent = process.cpuUsage(before)
      perRequest.push((spent.user + spent.system) / perRound)
    }
    console.log(`${name.padEnd(28)} ${(median(perRequest) / 1000).toFixed(3)} ms CPU/request`)
  }
})

Effect.runPromise(Effect.scoped(program)).catch((error) => {
  console.error(error)
  process.exitCode = 1
})
