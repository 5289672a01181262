/**
 * CPU per request of the HTTP layers under a GitHub client, each sending the same GETs (8 in flight) to a
 * loopback server in a child process that answers every one with the same 20-issue list: undici's `request`
 * with no Effect, Node's `fetch`, `@effect/platform-node`'s undici client, and `afk-cli`'s (`UndiciHttp`: the
 * platform's request side, its own answer), every body read as text and parsed; then the layers a tick puts
 * above `afk-cli`'s client, each list asked once as a cold tick asks it: GitHub's client (`GithubClient.list`:
 * lanes, retries, the rate limit, the conditional-request cache, each issue decoded) and its tracker
 * (`listOpenIssues`). CPU is this process's (`process.cpuUsage`) over `--requests` requests after 1,500 to warm
 * up, median of `--rounds` interleaved rounds. Effect's tracer is off, as in `afk-cli`. Reported, not judged
 * (bench/RESULTS.md, eleventh and twelfth parts).
 *
 * Usage: npx vite-node --config bench/vite.config.ts bench/http-layers.ts [--requests 4000] [--rounds 3]
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { request } from "@effect/platform-node/Undici"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { spawn } from "node:child_process"
import * as GithubAuth from "../packages/adapter-github/src/GithubAuth.js"
import * as GithubClient from "../packages/adapter-github/src/GithubClient.js"
import * as GithubTracker from "../packages/adapter-github/src/GithubTracker.js"
import * as UndiciHttp from "../packages/afk-cli/src/UndiciHttp.js"
import type * as Domain from "../packages/afk-core/src/Domain.js"

const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`)
  return at === -1 ? fallback : Number(process.argv[at + 1])
}
const requests = arg("requests", 4000)
const rounds = arg("rounds", 3)
const warmUp = 1500
const inFlight = 8

const server = `
import http from "node:http"
const issue = (n) => ({ number: n, title: "Issue " + n, body: "Some body text ".repeat(20), state: "open",
  html_url: "https://github.example/o/r/issues/" + n, user: { login: "someone", id: 5, type: "User" },
  labels: [{ id: 1, name: "ready-for-agent", color: "0e8a16" }], comments: 0, locked: false,
  created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-02T00:00:00Z",
  repository_url: "https://api.github.example/repos/o/r" })
const body = JSON.stringify(Array.from({ length: 20 }, (_, i) => issue(i + 1)))
const headers = { "content-type": "application/json; charset=utf-8", etag: 'W/"abc"', "x-ratelimit-limit": "5000",
  "x-ratelimit-remaining": "4999", "x-ratelimit-reset": "1999999999", "x-ratelimit-resource": "core" }
const server = http.createServer((_request, response) => { response.writeHead(200, headers); response.end(body) })
server.listen(0, "127.0.0.1", () => console.log(server.address().port))
`

let asked = 0
/** `count` repositories never asked before in this process, so every list is a cold one. */
const repos = (count: number) => Array.from({ length: count }, () => `o/r${asked++}` as Domain.Repo)
const urls = (count: number, base: string) =>
  repos(count).map((repo) => `${base}/repos/${repo}/issues?labels=ready&state=open&per_page=100`)

const headers = { authorization: "Bearer bench", accept: "application/vnd.github+json" }

const promisePool = async (list: ReadonlyArray<string>, one: (url: string) => Promise<unknown>) => {
  let next = 0
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < list.length) await one(list[next++]!)
  }))
}

const throughClient = (layer: Layer.Layer<HttpClient.HttpClient>) => (base: string, count: number) =>
  Effect.runPromise(
    Effect.flatMap(HttpClient.HttpClient, (client) =>
      Effect.forEach(
        urls(count, base),
        (url) => Effect.flatMap(client.execute(HttpClientRequest.get(url, { headers })), (answer) => answer.json),
        { concurrency: inFlight, discard: true }
      )).pipe(Effect.provide(layer), Effect.withTracerEnabled(false))
  )

/** Asks each of `count` fresh repositories through one GitHub client (and its cache) per round. */
const throughGithub = (
  ask: Effect.Effect<(repo: Domain.Repo) => Effect.Effect<unknown, unknown>, never, GithubClient.GithubClient>
) =>
(base: string, count: number) =>
  Effect.runPromise(
    Effect.flatMap(ask, (one) => Effect.forEach(repos(count), one, { concurrency: inFlight, discard: true })).pipe(
      Effect.provide(
        GithubClient.layer({ auth: GithubAuth.token("bench"), baseUrl: base }).pipe(
          Layer.provide(UndiciHttp.layerUndici)
        )
      ),
      Effect.withTracerEnabled(false)
    )
  )

const listIssues = { operation: "listOpenIssues", permission: "Issues: read" }

const clients: ReadonlyArray<readonly [string, (base: string, count: number) => Promise<unknown>]> = [
  [
    "undici's request, no Effect",
    (base, count) =>
      promisePool(urls(count, base), async (url) => {
        const answer = await request(url, { headers })
        return JSON.parse(await answer.body.text())
      })
  ],
  [
    "Node's fetch (the bare reference's client)",
    (base, count) =>
      promisePool(urls(count, base), async (url) => {
        const answer = await fetch(url, { headers })
        return JSON.parse(await answer.text())
      })
  ],
  ["@effect/platform-node's undici client", throughClient(NodeHttpClient.layerUndici)],
  ["afk-cli's client (UndiciHttp)", throughClient(UndiciHttp.layerUndici)],
  [
    "GitHub's client over it: a list, decoded",
    throughGithub(
      Effect.map(
        GithubClient.GithubClient,
        (client) => (repo: Domain.Repo) =>
          client.list(listIssues, GithubClient.repoPath(repo, "issues"), GithubTracker.IssueItem, {
            labels: "ready",
            state: "open"
          })
      )
    )
  ],
  [
    "GitHub's tracker over that: listOpenIssues",
    throughGithub(
      Effect.map(GithubTracker.make(), (tracker) => (repo: Domain.Repo) => tracker.listOpenIssues(repo, "ready"))
    )
  ]
]

const main = async () => {
  const child = spawn(process.execPath, ["--input-type=module", "-e", server], { stdio: ["ignore", "pipe", "inherit"] })
  try {
    const port = await new Promise<string>((resolve) =>
      child.stdout.once("data", (data: Buffer) => resolve(String(data).trim()))
    )
    const base = `http://127.0.0.1:${port}`
    const measured = new Map<string, Array<number>>()
    for (let round = 0; round < rounds; round++) {
      for (const [name, run] of clients) {
        await run(base, warmUp)
        const before = process.cpuUsage()
        await run(base, requests)
        const used = process.cpuUsage(before)
        measured.set(name, [...(measured.get(name) ?? []), (used.user + used.system) / 1000 / requests])
      }
    }
    console.log(`CPU per request, ${requests} requests after ${warmUp}, median of ${rounds} rounds (min–max):`)
    for (const [name, values] of measured) {
      const sorted = [...values].sort((a, b) => a - b)
      const median = sorted[Math.floor(sorted.length / 2)]!
      console.log(
        `  ${name.padEnd(44)} ${median.toFixed(3)} ms (${sorted[0]!.toFixed(3)}–${sorted.at(-1)!.toFixed(3)})`
      )
    }
  } finally {
    child.kill()
  }
}

await main()
