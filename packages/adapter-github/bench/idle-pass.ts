/**
 * quality.md P1 for GitHub: requests and rate-limit points spent by an idle `listOpenIssues` pass over N
 * repositories, three times on one client (each pass stands for a tick, minutes apart). The first reads
 * every page; the second revalidates every page (304s, free) and sends each repository's first change
 * probe (one point each), remembering the lists under it; from the third on, nothing changed: one 304
 * probe per repository, the floor, and no rate-limit point. Counts, not times.
 *
 * Run: npm run bench:github -w afk-adapter-github
 */
import { Domain } from "afk-core"
import * as Effect from "effect/Effect"
import * as GithubAuth from "../src/GithubAuth.js"
import * as GithubClient from "../src/GithubClient.js"
import * as GithubTracker from "../src/GithubTracker.js"
import { GithubFake } from "../src/testing/index.js"

interface Scenario {
  readonly repos: number
  readonly issuesPerRepo: number
  readonly readyPerRepo: number
}

const seed = (slug: string, scenario: Scenario): GithubFake.Seed => ({
  repo: slug,
  bot: "afk-bot",
  trusted: [],
  labels: ["ready-for-agent"],
  issues: Array.from({ length: scenario.issuesPerRepo }, (_, index) => ({
    number: index + 1,
    title: `Issue ${index + 1}`,
    body: "",
    labels: index < scenario.readyPerRepo ? ["ready-for-agent"] : [],
    state: "open" as const,
    author: "someone",
    events: [],
    comments: []
  }))
})

const measure = (scenario: Scenario) =>
  Effect.gen(function*() {
    const fake = GithubFake.make({ pageSize: 100 })
    const repos = Array.from({ length: scenario.repos }, (_, i) => Domain.repo(`org/repo-${i}`))
    for (const repo of repos) fake.seed(seed(repo, scenario))
    const client = yield* GithubClient.make({ auth: GithubAuth.token("bench"), baseUrl: fake.baseUrl }).pipe(
      Effect.provide(fake.layer)
    )
    const tracker = yield* GithubTracker.make({ changes: { reuse: 0 } }).pipe(
      Effect.provideService(GithubClient.GithubClient, client)
    )
    const pass = Effect.forEach(repos, (repo) => tracker.listOpenIssues(repo, "ready-for-agent"), {
      concurrency: "unbounded"
    })
    const rows: Array<ReadonlyArray<string | number>> = []
    for (const name of ["first", "second", "third"]) {
      fake.resetCounters()
      const before = yield* client.stats
      const listed = yield* pass
      const after = yield* client.stats
      const counters = fake.counters()
      rows.push([
        name,
        scenario.repos,
        scenario.readyPerRepo,
        listed.reduce((sum, issues) => sum + issues.length, 0),
        counters.requests,
        scenario.repos,
        counters.notModified,
        counters.points,
        after.requests - before.requests
      ])
    }
    return rows
  })

const header = ["pass", "repos", "ready/repo", "issues", "requests", "floor", "304s", "points", "client-seen"]

const program = Effect.gen(function*() {
  const scenarios: ReadonlyArray<Scenario> = [
    { repos: 10, issuesPerRepo: 200, readyPerRepo: 40 },
    { repos: 50, issuesPerRepo: 200, readyPerRepo: 40 },
    { repos: 50, issuesPerRepo: 300, readyPerRepo: 250 }
  ]
  const rows = (yield* Effect.forEach(scenarios, measure)).flat()
  const table = [header, ...rows].map((row) => row.map(String))
  const widths = header.map((_, column) => Math.max(...table.map((row) => row[column]?.length ?? 0)))
  const line = (row: ReadonlyArray<string>) => `| ${row.map((cell, i) => cell.padStart(widths[i] ?? 0)).join(" | ")} |`
  console.log("P1 (GitHub): idle listOpenIssues pass, requests and rate-limit points (floor = 1 request per repo)")
  console.log(line(table[0] ?? []))
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`)
  for (const row of table.slice(1)) console.log(line(row))
})

Effect.runPromise(Effect.scoped(program)).catch((error) => {
  console.error(error)
  process.exitCode = 1
})
