/**
 * The tracker side of the simulated world: the seeded backlog (repos × issues, a share of them ready, some
 * of those labelled by an untrusted drive-by) on the adapters' own fakes — `GithubFake` (all repos in one
 * fake) or one `ForgejoFake` per repo behind a router — and the real adapters (`GithubTracker` +
 * `GithubCi`, or `ForgejoTracker` + `ForgejoCi`) sharing one client, as `afk-cli` wires them. CI is reported
 * on the forge (check runs / commit statuses); faults are answered by the fake that owns the request.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { ForgejoCi, ForgejoClient, ForgejoPullRequests, ForgejoTracker } from "afk-adapter-forgejo"
import { ForgejoFake } from "afk-adapter-forgejo/testing"
import { GithubAuth, GithubCi, GithubClient, GithubPullRequests, GithubTracker } from "afk-adapter-github"
import { GithubFake } from "afk-adapter-github/testing"
import { Ci, type Domain, PullRequests, Tracker } from "afk-core"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"

export const bot = "afk-bot"
export const maintainer = "maintainer"
export const driveBy = "drive-by"
export const labels = {
  ready: "ready-for-agent",
  lock: "agent-in-progress",
  human: "ready-for-human",
  paused: "paused",
  bug: "bug"
} as const

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

/** An answer the forge's fake gives instead of the real one. */
export type Fault =
  | { readonly _tag: "Status"; readonly status: number; readonly retryAfter?: number | undefined }
  /** GitHub's secondary rate limit (403 with `Retry-After`); Forgejo has none and answers 503. */
  | { readonly _tag: "SecondaryLimit"; readonly retryAfter: number }
  /** 200 with a body cut off mid-JSON. */
  | { readonly _tag: "Malformed" }

/** What CI shows for a commit: `running` until it reports. */
export type CiState = "success" | "failure" | "running"

/** A forge of the world: its fake(s) as one in-process client, and the adapters over it. */
export interface Forge {
  readonly kind: "github" | "forgejo"
  /** The fake(s), answering in process; requests under other paths are 404s. */
  readonly client: HttpClient.HttpClient
  /** Makes the fake that owns `url` answer its next request there with `fault`. */
  readonly inject: (fault: Fault, request: HttpClientRequest.HttpClientRequest, url: URL) => Effect.Effect<void>
  /** The API root's path (`/api/v1` on Forgejo), elided from request kinds. */
  readonly prefix: string
  /** `Tracker` and `Ci` on one fresh client over `http` (which must reach `client`), kept until `scope` closes. */
  readonly ports: (
    http: HttpClient.HttpClient,
    options: { readonly cacheDirectory?: string | undefined }
  ) => Effect.Effect<Context.Context<Tracker.Tracker | Ci.Ci | PullRequests.PullRequests>, never, Scope.Scope>
  /** A push of `sha` to `branch` of `repo` (creating it), as an agent following its prompt makes. */
  readonly push: (repo: Domain.Repo, branch: string, sha: string) => void
  /** The commit at the head of `repo`'s default branch (it moves when a pull request is merged). */
  readonly defaultHead: (repo: Domain.Repo) => string | undefined
  /** CI shows `state` for `sha` in `repo` (the agent pushed it): a build that passes, a test in `state`. */
  readonly report: (repo: Domain.Repo, sha: string, state: CiState) => void
  /** GitHub's rate-limit points and 304s since the last reset; Forgejo has neither. */
  readonly points: () => { readonly points: number; readonly notModified: number } | undefined
  readonly resetCounters: () => void
  /** The environment that points `afk-cli` at this forge through the loopback `url`. */
  readonly env: Record<string, string>
  /** The GitHub fake, whose state the suites read and write directly (issues arriving, comments). */
  readonly github?: GithubFake.GithubFake
  /** The Forgejo fakes by repository (lower case), through which the suites act as people. */
  readonly forgejo?: ReadonlyMap<string, ForgejoFake.ForgejoFake>
}

const token = "world-forge-token"

export interface GithubOptions {
  /** The most items on one page; 100 (GitHub's own) by default, small to make every list paginate. */
  readonly pageSize?: number | undefined
  /** The hourly budget of rate-limit points; GitHub's 5,000 by default. */
  readonly rateLimit?: number | undefined
  /** The GitHub tracker's options (e.g. its change probe); its defaults otherwise. */
  readonly tracker?: GithubTracker.Options | undefined
}

/** Every repo in one GitHub fake, at `url` (the loopback address that serves it to other processes). */
export const github = (url: string, seeds: ReadonlyArray<ForgejoFake.Seed>, options: GithubOptions = {}): Forge => {
  const fake = GithubFake.make({
    baseUrl: url,
    pageSize: options.pageSize ?? 100,
    tokens: [token],
    ...(options.rateLimit === undefined ? {} : { rateLimit: options.rateLimit })
  })
  for (const s of seeds) fake.seed(s)
  const trackerOptions = options.tracker
  const answer = (fault: Fault): GithubFake.Fault => {
    switch (fault._tag) {
      case "Status":
        return fault.retryAfter === undefined
          ? { status: fault.status }
          : { status: fault.status, retryAfter: fault.retryAfter }
      case "SecondaryLimit":
        return { status: 403, retryAfter: fault.retryAfter }
      case "Malformed":
        return { status: 200, body: "[{\"number\": 1, \"title\": \"trunc" }
    }
  }
  return {
    kind: "github",
    client: fake.client,
    inject: (fault, _request, target) =>
      Effect.sync(() => fake.inject({ ...answer(fault), path: `${target.pathname}${target.search}` })),
    prefix: "",
    ports: (http, options) =>
      Effect.gen(function*() {
        const client = yield* GithubClient.make({
          auth: GithubAuth.token(Redacted.make(token)),
          baseUrl: url,
          cacheDirectory: options.cacheDirectory
        }).pipe(Effect.provideService(HttpClient.HttpClient, http))
        const tracker = yield* GithubTracker.make(trackerOptions).pipe(
          Effect.provideService(GithubClient.GithubClient, client)
        )
        const ci = yield* GithubCi.make().pipe(Effect.provideService(GithubClient.GithubClient, client))
        const pulls = yield* GithubPullRequests.make().pipe(Effect.provideService(GithubClient.GithubClient, client))
        return Context.make(Tracker.Tracker, tracker).pipe(
          Context.add(Ci.Ci, ci),
          Context.add(PullRequests.PullRequests, pulls)
        )
      }),
    push: (repo, branch, sha) => fake.pushBranch(repo, branch, sha),
    defaultHead: (repo) => fake.branchHead(repo, "main"),
    report: (repo, sha, state) =>
      fake.setChecks(repo, sha, {
        checkRuns: [
          { name: "build", status: "completed", conclusion: "success" },
          state === "running"
            ? { name: "test", status: "in_progress" }
            : { name: "test", status: "completed", conclusion: state, url: `https://ci.example/${sha}/test` }
        ]
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
    const answer = (fault: Fault): Omit<ForgejoFake.Fault, "path"> => {
      switch (fault._tag) {
        case "Status":
          return {
            status: fault.status,
            headers: fault.retryAfter === undefined ? {} : { "retry-after": String(fault.retryAfter) },
            body: ""
          }
        case "SecondaryLimit":
          return { status: 503, headers: { "retry-after": String(fault.retryAfter) }, body: "" }
        case "Malformed":
          return { status: 200, body: "[{\"id\": 1, \"tit" }
      }
    }
    return {
      kind: "forgejo",
      forgejo: fakes,
      client: HttpClient.make((request, target) => owner(target).client.execute(request)),
      inject: (fault, request, target) =>
        owner(target).inject({
          ...answer(fault),
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
          return Context.make(Tracker.Tracker, tracker).pipe(
            Context.add(Ci.Ci, ForgejoCi.fromClient(client)),
            Context.add(PullRequests.PullRequests, ForgejoPullRequests.fromClient(client))
          )
        }),
      push: (repo, branch, sha) => {
        const fake = fakes.get(repo.toLowerCase())
        if (fake !== undefined) Effect.runSync(fake.pulls.pushBranch(branch, sha))
      },
      defaultHead: (repo) => {
        const fake = fakes.get(repo.toLowerCase())
        return fake === undefined ? undefined : Effect.runSync(fake.pulls.branch("main"))
      },
      report: (repo, sha, state) => {
        const fake = fakes.get(repo.toLowerCase())
        if (fake === undefined) return
        const test = state === "running" ? "pending" : state
        Effect.runSync(fake.report(sha, { context: "build", state: "success" }))
        Effect.runSync(fake.report(sha, { context: "test", state: test }))
      },
      points: () => undefined,
      resetCounters: () => {},
      env: { AFK_TRACKER: "forgejo", AFK_FORGEJO_API: baseUrl, FORGEJO_TOKEN: token }
    }
  })

/** What a suite writes on an issue that arrives while the world runs. */
export interface Arrival {
  readonly title: string
  readonly body: string
  readonly labels: ReadonlyArray<string>
  /** Who applied each label, at `at` (ISO time). */
  readonly labelledBy: (label: string) => string
  readonly at: string
}

const githubOf = (forge: Forge): GithubFake.GithubFake => {
  if (forge.github === undefined) throw new Error("issues arrive and comments are posted on GitHub worlds only")
  return forge.github
}

const repoState = (fake: GithubFake.GithubFake, repo: Domain.Repo) => {
  const state = fake.world.repos.get(repo.toLowerCase())
  if (state === undefined) throw new Error(`the world has no repository ${repo}`)
  return state
}

/** Opens the next issue of `repo` (its number is returned), by a reporter, labelled as `arrival` says. */
export const addIssue = (forge: Forge, repo: Domain.Repo, arrival: Arrival): number => {
  const fake = githubOf(forge)
  const state = repoState(fake, repo)
  const number = state.issues.size + 1
  state.issues.set(number, {
    number,
    title: arrival.title,
    body: arrival.body,
    labels: [...arrival.labels],
    state: "open",
    stateReason: null,
    author: "reporter",
    isPullRequest: false,
    events: arrival.labels.map((label) => ({
      id: fake.world.nextId++,
      event: "labeled",
      actor: arrival.labelledBy(label),
      at: arrival.at,
      label
    })),
    commentIds: []
  })
  return number
}

/** A comment by `author` on `repo#number`, at `at` (ISO time). */
export const comment = (forge: Forge, repo: Domain.Repo, number: number, author: string, body: string, at: string) => {
  const fake = githubOf(forge)
  const id = fake.world.nextId++
  fake.world.comments.set(id, { id, repo, issue: number, author, body, createdAt: at, updatedAt: at })
  repoState(fake, repo).issues.get(number)?.commentIds.push(id)
}
