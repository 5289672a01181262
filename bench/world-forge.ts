/**
 * The tracker side of the simulated world: the seeded backlog (repos × issues, a share of them ready, some
 * of those labelled by an untrusted drive-by) on the adapters' own fakes — `GithubFake` (all repos in one
 * fake) or one `ForgejoFake` per repo behind a router — and the real adapters (`GithubTracker` +
 * `GithubCi`, or `ForgejoTracker` + `ForgejoCi`) sharing one client, as `afk-cli` wires them.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import { ForgejoCi, ForgejoClient, ForgejoTracker } from "afk-adapter-forgejo"
import { ForgejoFake } from "afk-adapter-forgejo/testing"
import { GithubAuth, GithubCi, GithubClient, GithubTracker } from "afk-adapter-github"
import { GithubFake } from "afk-adapter-github/testing"
import { Ci, type Domain, Tracker } from "afk-core"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type * as Wire from "./world-wire.js"

export const bot = "afk-bot"
export const maintainer = "maintainer"
export const driveBy = "drive-by"
export const labels = {
  ready: "ready-for-agent",
  lock: "agent-in-progress",
  human: "ready-for-human",
  paused: "paused",
  bug: "bug"
}

export interface Backlog {
  readonly issuesPerRepo: number
  /** The share of issues carrying the ready label. */
  readonly readyFraction: number
  /** The share of ready issues whose label a drive-by applied (refused as untrusted, every tick). */
  readonly untrustedFraction: number
}

/** Whether item `i` is among an evenly spread `fraction` of the items (every 10th for 0.1). */
const spread = (i: number, fraction: number): boolean => Math.floor((i + 1) * fraction) > Math.floor(i * fraction)

const at = "2026-01-01T00:00:00Z"

const body = (repo: string, n: number) =>
  `Steps to reproduce in ${repo}: open the page, click save twice. Expected one record, got two (#${n}).\n\n` +
  "The handler does not debounce, and the API accepts the duplicate. A test should pin the single write."

/** One repository's seed (the shape both fakes take). */
export const seed = (repo: Domain.Repo, backlog: Backlog): ForgejoFake.Seed => {
  let readySeen = 0
  return {
    repo,
    bot,
    trusted: [maintainer],
    labels: Object.values(labels),
    issues: Array.from({ length: backlog.issuesPerRepo }, (_, i) => {
      const number = i + 1
      const ready = spread(i, backlog.readyFraction)
      const untrusted = ready && spread(readySeen++, backlog.untrustedFraction)
      return {
        number,
        title: `Saving twice creates two records (${number})`,
        body: body(repo, number),
        labels: ready ? [labels.ready] : i % 3 === 0 ? [labels.bug] : [],
        state: "open" as const,
        author: "reporter",
        events: ready
          ? [{ label: labels.ready, action: "added" as const, actor: untrusted ? driveBy : maintainer, at }]
          : [],
        comments: []
      }
    })
  }
}

/** A forge of the world: its fake(s) as one in-process client, and the adapters over it. */
export interface Forge {
  readonly kind: "github" | "forgejo"
  /** The fake(s), answering in process; requests under other paths are 404s. */
  readonly client: HttpClient.HttpClient
  /** Makes the fake that owns the request's path answer it with a fault. */
  readonly inject: Wire.Injector
  /** The API root's path (`/api/v1` on Forgejo), elided from request kinds. */
  readonly prefix: string
  /** `Tracker` and `Ci` on one fresh client over `http` (which must reach `client`). */
  readonly ports: (
    http: HttpClient.HttpClient,
    options: { readonly cacheDirectory?: string | undefined }
  ) => Effect.Effect<Context.Context<Tracker.Tracker | Ci.Ci>>
  /** CI reports `state` for `sha` in `repo` (the agent pushed it). */
  readonly report: (repo: Domain.Repo, sha: string, state: "success" | "failure") => void
  /** GitHub's rate-limit points and 304s since the last reset; Forgejo has neither. */
  readonly points: () => { readonly points: number; readonly notModified: number } | undefined
  readonly resetCounters: () => void
  /** The environment that points `afk-cli` at this forge through the loopback `url`. */
  readonly env: Record<string, string>
  readonly github?: GithubFake.GithubFake
}

const token = "world-forge-token"

/** Every repo in one GitHub fake, at `url` (the loopback address that serves it to other processes). */
export const github = (url: string, seeds: ReadonlyArray<ForgejoFake.Seed>): Forge => {
  const fake = GithubFake.make({ baseUrl: url, pageSize: 100, tokens: [token] })
  for (const s of seeds) fake.seed(s)
  const faults: Record<Exclude<Wire.FaultKind, "reset">, GithubFake.Fault> = {
    "5xx": { status: 502 },
    "429": { status: 429, retryAfter: 1 },
    "secondary-403": { status: 403, retryAfter: 1 },
    malformed: { status: 200, body: "{\"number\": 1, \"tit" }
  }
  return {
    kind: "github",
    client: fake.client,
    inject: (kind, _request, target) =>
      Effect.sync(() => fake.inject({ ...faults[kind], path: `${target.pathname}${target.search}` })),
    prefix: "",
    ports: (http, options) =>
      Effect.gen(function*() {
        const client = yield* GithubClient.make({
          auth: GithubAuth.token(Redacted.make(token)),
          baseUrl: url,
          cacheDirectory: options.cacheDirectory
        }).pipe(Effect.provideService(HttpClient.HttpClient, http))
        const tracker = yield* GithubTracker.make().pipe(Effect.provideService(GithubClient.GithubClient, client))
        const ci = yield* GithubCi.make().pipe(Effect.provideService(GithubClient.GithubClient, client))
        return Context.make(Tracker.Tracker, tracker).pipe(Context.add(Ci.Ci, ci))
      }),
    report: (repo, sha, state) =>
      fake.setChecks(repo, sha, {
        checkRuns: [{ name: "build", status: "completed", conclusion: state }, {
          name: "test",
          status: "completed",
          conclusion: state
        }]
      }),
    points: () => ({ points: fake.counters().points, notModified: fake.counters().notModified }),
    resetCounters: fake.resetCounters,
    env: { AFK_TRACKER: "github", AFK_GITHUB_API: url, GITHUB_TOKEN: token },
    github: fake
  }
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** One Forgejo fake per repo (the fake holds one) behind a router, under `url/api/v1`. */
export const forgejo = (url: string, seeds: ReadonlyArray<ForgejoFake.Seed>): Effect.Effect<Forge> =>
  Effect.gen(function*() {
    const prefix = "/api/v1"
    const baseUrl = `${url}${prefix}`
    const fakes = new Map<string, ForgejoFake.ForgejoFake>()
    for (const s of seeds) {
      fakes.set(s.repo.toLowerCase(), yield* ForgejoFake.make(s, { baseUrl, token, maxResponseItems: 50 }))
    }
    const first = [...fakes.values()][0]
    if (first === undefined) return yield* Effect.dieMessage("a Forgejo world needs at least one repo")
    const owner = (target: URL) => {
      const [top, o, n] = target.pathname.slice(prefix.length).split("/").filter((s) => s !== "")
      return (top === "repos" ? fakes.get(`${o}/${n}`.toLowerCase()) : undefined) ?? first
    }
    const faults: Record<Exclude<Wire.FaultKind, "reset">, Omit<ForgejoFake.Fault, "path">> = {
      "5xx": { status: 502, body: "" },
      "429": { status: 429, headers: { "retry-after": "1" }, body: "" },
      "secondary-403": { status: 503, headers: { "retry-after": "1" }, body: "" },
      malformed: { status: 200, body: "[{\"id\": 1, \"tit" }
    }
    return {
      kind: "forgejo",
      client: HttpClient.make((request, target) => owner(target).client.execute(request)),
      inject: (kind, request, target) =>
        owner(target).inject({
          ...faults[kind],
          method: request.method,
          path: new RegExp(`^${escape(target.pathname.slice(prefix.length))}$`)
        }),
      prefix,
      ports: (http) =>
        Effect.gen(function*() {
          const client = yield* ForgejoClient.make({ baseUrl, token: Redacted.make(token) }).pipe(
            Effect.provideService(HttpClient.HttpClient, http)
          )
          const tracker = yield* ForgejoTracker.fromClient(client)
          return Context.make(Tracker.Tracker, tracker).pipe(Context.add(Ci.Ci, ForgejoCi.fromClient(client)))
        }),
      report: (repo, sha, state) => {
        const fake = fakes.get(repo.toLowerCase())
        if (fake === undefined) return
        for (const context of ["build", "test"]) Effect.runSync(fake.report(sha, { context, state }))
      },
      points: () => undefined,
      resetCounters: () => {},
      env: { AFK_TRACKER: "forgejo", AFK_FORGEJO_API: baseUrl, FORGEJO_TOKEN: token }
    }
  })
