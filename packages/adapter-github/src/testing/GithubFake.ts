/**
 * A GitHub-shaped HTTP fake: an in-process `HttpClient` that answers like api.github.com (or a GitHub
 * Enterprise `/api/v3` base) over a seeded, stateful world. It speaks the real wire format: `Link`
 * pagination with a small page size, `ETag` / `If-None-Match` → 304 (free of rate-limit points), the
 * `x-ratelimit-*` headers with a budget that runs out (403), a `Date` header from the fake's clock (Effect's
 * `Clock`, so `TestClock` moves it), bearer auth including a GitHub App (`GithubFakeApp`: installations,
 * tokens minted from a verified RS256 JWT, scoped and acting as `<slug>[bot]`), injected faults (429 /
 * secondary-limit 403 with `retry-after`, 5xx, malformed bodies). GraphQL is answered for the queries the
 * adapter sends (`GithubFakeGraphql`) at `/graphql`, or `/api/graphql` beside an Enterprise `/api/v3`, each
 * charged the points GitHub's GraphQL score gives it (one budget here; GitHub keeps a separate one). Tests
 * act as a person through `actAs` (edit an issue, label it). It counts requests and points for tests and
 * benchmarks.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { createHash } from "node:crypto"
import * as FakeApp from "./GithubFakeApp.js"
import * as Graphql from "./GithubFakeGraphql.js"
import * as Pulls from "./GithubFakePulls.js"
import * as Routes from "./GithubFakeRoutes.js"
import * as World from "./GithubFakeWorld.js"

export type { AppOptions, InstallationSeed } from "./GithubFakeApp.js"
export type { ReviewSeed, ReviewStateName } from "./GithubFakePulls.js"
export type {
  CheckRunSeed,
  CheckSuiteSeed,
  DeploymentSeed,
  FileState,
  RequiredChecksSeed,
  Seed,
  SeedComment,
  SeedEvent,
  SeedIssue,
  StatusSeed
} from "./GithubFakeWorld.js"

/** The GraphQL queries the fake answers: an issue's last edit, and the change probe over n repositories. */
export const lastEditQuery = Graphql.acceptedQuery
export const probeQuery = Graphql.probeQuery

export interface Options {
  /** The most items on one page whatever `per_page` asks (small, so lists paginate); 10 by default. */
  readonly pageSize?: number
  /** `https://api.github.com` by default; a GitHub Enterprise base such as `https://ghe.test/api/v3` works too. */
  readonly baseUrl?: string
  /** The hourly budget of rate-limit points; 5000 by default. */
  readonly rateLimit?: number
  /** Bearer tokens accepted; when absent (and no app), any `Authorization` header is accepted. */
  readonly tokens?: ReadonlyArray<string>
  readonly app?: FakeApp.AppOptions
  /** Whether adding a missing label creates it, as GitHub does; true by default. */
  readonly autoCreateLabels?: boolean
}

/** A canned answer for the next matching requests, served before routing. */
export interface Fault {
  readonly status: number
  readonly retryAfter?: number
  /** Answer with `x-ratelimit-remaining: 0` (a primary rate limit). */
  readonly exhausted?: boolean
  /** The raw body; a JSON message by default. */
  readonly body?: string
  /** Only requests whose path contains this. */
  readonly path?: string
  /** How many requests it answers; 1 by default. */
  readonly times?: number
}

export interface LogEntry {
  readonly method: string
  /** Path relative to the base URL, with the query. */
  readonly path: string
  readonly status: number
  readonly conditional: boolean
}

export interface Counters {
  readonly requests: number
  /** Rate-limit points spent (every answer except a 304 to a conditional request; GraphQL by its score). */
  readonly points: number
  readonly notModified: number
}

/** What a person does on GitHub, between the adapter's requests. */
export interface Person {
  /** Edits the title and/or body (at `at`, ISO; now by default). */
  readonly edit: (
    repo: string,
    number: number,
    change: { readonly title?: string; readonly body?: string },
    at?: string
  ) => void
  /** Adds a label (the repository's spelling of it, created if missing), at `at` or now. */
  readonly addLabel: (repo: string, number: number, label: string, at?: string) => void
  /** Removes a label the issue carries, at `at` or now. */
  readonly removeLabel: (repo: string, number: number, label: string, at?: string) => void
  /** Submits a review of a pull request (with inline comments), at `at` or now; the review's id. */
  readonly review: (repo: string, number: number, review: Pulls.ReviewSeed, at?: string) => number
  /** Closes a pull request without merging it, at `at` or now. */
  readonly closePull: (repo: string, number: number, at?: string) => void
}

export interface GithubFake {
  readonly client: HttpClient.HttpClient
  readonly layer: Layer.Layer<HttpClient.HttpClient>
  readonly baseUrl: string
  readonly world: World.World
  readonly seed: (seed: World.Seed) => void
  readonly setChecks: (
    repo: string,
    sha: string,
    checks: {
      readonly statuses?: ReadonlyArray<World.StatusSeed>
      readonly checkRuns?: ReadonlyArray<World.CheckRunSeed>
      readonly checkSuites?: ReadonlyArray<World.CheckSuiteSeed>
    }
  ) => void
  /** The status checks the repository's default branch (`main`) requires. */
  readonly requireChecks: (repo: string, required: World.RequiredChecksSeed) => void
  readonly addDeployment: (repo: string, deployment: World.DeploymentSeed, createdAt: string) => void
  /** Pushes commit `sha` to `branch` (creating it), as a push does: open pull requests from it follow. */
  readonly pushBranch: (repo: string, branch: string, sha: string) => void
  /** The commit at the head of `branch` (the default branch moves on a merge); none when there is no such branch. */
  readonly branchHead: (repo: string, branch: string) => string | undefined
  /** Whether the pull request's head conflicts with its base (GitHub's `mergeable: false`). */
  readonly setConflict: (repo: string, number: number, conflict: boolean) => void
  /** Approving reviews branch protection requires before a merge into the default branch. */
  readonly requireApprovals: (repo: string, count: number) => void
  /** Acts as a person; `null` is a deleted account (GitHub's ghost), for reviews. */
  readonly actAs: (login: string | null) => Person
  readonly inject: (fault: Fault) => void
  readonly log: ReadonlyArray<LogEntry>
  readonly counters: () => Counters
  /** The share of `counters().points` spent on GraphQL queries (GitHub counts them against its `graphql` resource). */
  readonly graphqlPoints: () => number
  readonly resetCounters: () => void
}

const json = (value: unknown): string => JSON.stringify(value)

const decodeBody = (request: HttpClientRequest.HttpClientRequest): unknown => {
  if (request.body._tag !== "Uint8Array") return undefined
  try {
    return JSON.parse(new TextDecoder().decode(request.body.body))
  } catch {
    return Symbol.for("malformed")
  }
}

type Answer = FakeApp.Answer & { readonly graphqlCost?: number }

export const make = (options: Options = {}): GithubFake => {
  const baseUrl = (options.baseUrl ?? "https://api.github.com").replace(/\/+$/, "")
  const base = new URL(baseUrl)
  const pageSize = options.pageSize ?? 10
  const limit = options.rateLimit ?? 5000
  const world = World.makeWorld()
  world.autoCreateLabels = options.autoCreateLabels ?? true
  const faults: Array<Fault & { remaining: number }> = []
  const log: Array<LogEntry> = []
  const app = options.app === undefined ? undefined : FakeApp.make(options.app, world, baseUrl)
  let counters: Counters = { requests: 0, points: 0, notModified: 0 }
  let graphqlPoints = 0
  let budget = { remaining: limit, resetSeconds: 0 }

  const rateHeaders = (): Record<string, string> => ({
    "x-ratelimit-limit": String(limit),
    "x-ratelimit-remaining": String(budget.remaining),
    "x-ratelimit-reset": String(budget.resetSeconds),
    "x-ratelimit-used": String(limit - budget.remaining),
    "x-ratelimit-resource": "core"
  })

  type Auth =
    | { readonly kind: "jwt" }
    | { readonly kind: "token"; readonly grant?: FakeApp.Grant }

  const authenticate = (authorization: string | undefined, nowSeconds: number): Auth | undefined => {
    const token = /^(?:bearer|token)\s+(.+)$/i.exec(authorization ?? "")?.[1]
    if (token === undefined) return undefined
    if (app !== undefined && token.split(".").length === 3) {
      return app.verifyJwt(token, nowSeconds) ? { kind: "jwt" } : undefined
    }
    const grant = app?.grant(token)
    if (grant !== undefined) return grant.expiresSeconds > nowSeconds ? { kind: "token", grant } : undefined
    if (options.tokens !== undefined) return options.tokens.includes(token) ? { kind: "token" } : undefined
    return app === undefined ? { kind: "token" } : undefined
  }

  const page = (reply: Extract<Routes.Reply, { items: unknown }>, url: URL): Answer => {
    const perPage = Math.max(1, Math.min(Number(url.searchParams.get("per_page") ?? 30) || 30, 100, pageSize))
    const current = Math.max(1, Number(url.searchParams.get("page") ?? 1) || 1)
    const last = Math.max(1, Math.ceil(reply.items.length / perPage))
    const items = reply.items.slice((current - 1) * perPage, current * perPage)
    const at = (n: number): string => {
      const target = new URL(url)
      target.searchParams.set("page", String(n))
      return target.toString()
    }
    const links = [
      ...(current > 1 ? [`<${at(current - 1)}>; rel="prev"`] : []),
      ...(current < last ? [`<${at(current + 1)}>; rel="next"`, `<${at(last)}>; rel="last"`] : []),
      ...(current > 1 ? [`<${at(1)}>; rel="first"`] : [])
    ]
    const body = reply.wrap === undefined ? items : reply.wrap(items, reply.items.length)
    return { status: 200, body: json(body), headers: links.length > 0 ? { link: links.join(", ") } : {} }
  }

  const prefix = base.pathname.replace(/\/+$/, "")
  const graphqlPath = /\/api\/v3$/.test(prefix) ? prefix.replace(/\/api\/v3$/, "/api/graphql") : `${prefix}/graphql`
  const relativePath = (url: URL): string =>
    prefix !== "" && url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) || "/" : url.pathname

  const answer = (request: HttpClientRequest.HttpClientRequest, url: URL, nowMillis: number): Answer => {
    const nowSeconds = Math.floor(nowMillis / 1000)
    const method = request.method
    const relative = relativePath(url)
    if (url.origin !== base.origin) return { status: 404, body: json({ message: `not a GitHub host: ${url.origin}` }) }
    const fault = faults.find(
      (f) => f.remaining > 0 && (f.path === undefined || `${relative}${url.search}`.includes(f.path))
    )
    if (fault !== undefined) {
      fault.remaining--
      return {
        status: fault.status,
        body: fault.body ??
          json({
            message: fault.retryAfter !== undefined ? "You have exceeded a secondary rate limit." : "Injected fault"
          }),
        headers: {
          ...(fault.retryAfter === undefined ? {} : { "retry-after": String(fault.retryAfter) }),
          ...(fault.exhausted === true ? { "x-ratelimit-remaining": "0" } : {})
        }
      }
    }
    const auth = authenticate(request.headers.authorization, nowSeconds)
    const segments = relative.split("/").filter((segment) => segment !== "").map(decodeURIComponent)
    if (auth === undefined) return { status: 401, body: json({ message: "Bad credentials" }) }
    if (auth.kind === "jwt") return app?.route(method, segments, nowSeconds) ?? { status: 401 }
    const refused = auth.grant === undefined ? undefined : app?.refuse(auth.grant, method, segments)
    if (refused !== undefined) return refused
    if (budget.remaining <= 0) {
      return { status: 403, body: json({ message: "API rate limit exceeded for user ID 1." }) }
    }
    const body = decodeBody(request)
    if (body === Symbol.for("malformed")) return { status: 400, body: json({ message: "Problems parsing JSON" }) }
    if (url.pathname === graphqlPath) {
      if (method !== "POST") return { status: 404, body: json({ message: "Not Found" }) }
      const reply = Graphql.answer(
        world,
        body,
        new Date(nowMillis).toISOString(),
        pageSize,
        auth.grant === undefined || app === undefined ? world.bot : app.actor
      )
      return { status: reply.status, body: json(reply.body), graphqlCost: reply.cost }
    }
    const reply = Routes.route(world, {
      method,
      path: relative,
      query: url.searchParams,
      body,
      now: new Date(nowMillis).toISOString(),
      actor: auth.grant === undefined || app === undefined ? world.bot : app.actor
    })
    if ("items" in reply) return page(reply, url)
    return reply.body === undefined ? { status: reply.status } : { status: reply.status, body: json(reply.body) }
  }

  const client = HttpClient.make((request, url) =>
    Clock.currentTimeMillis.pipe(
      Effect.map((nowMillis) => {
        if (budget.resetSeconds === 0 || budget.resetSeconds * 1000 <= nowMillis) {
          budget = { remaining: limit, resetSeconds: Math.floor(nowMillis / 1000) + 3600 }
        }
        counters = { ...counters, requests: counters.requests + 1 }
        const result = answer(request, url, nowMillis)
        const ifNoneMatch = request.headers["if-none-match"]
        const etag = result.body === undefined
          ? undefined
          : `W/"${createHash("sha1").update(result.body).digest("hex")}"`
        const notModified = request.method === "GET" && result.status === 200 && etag !== undefined &&
          ifNoneMatch === etag
        if (notModified) counters = { ...counters, notModified: counters.notModified + 1 }
        else if (result.status !== 401) {
          const cost = result.graphqlCost ?? 1
          budget = { ...budget, remaining: Math.max(0, budget.remaining - cost) }
          counters = { ...counters, points: counters.points + cost }
          graphqlPoints += result.graphqlCost ?? 0
        }
        const status = notModified ? 304 : result.status
        log.push({
          method: request.method,
          path: `${relativePath(url)}${url.search}`,
          status,
          conditional: ifNoneMatch !== undefined
        })
        const headers = {
          date: new Date(nowMillis).toUTCString(),
          "content-type": "application/json; charset=utf-8",
          "x-github-media-type": "github.v3; format=json",
          ...rateHeaders(),
          ...(etag !== undefined && request.method === "GET" && result.status === 200 ? { etag } : {}),
          ...(notModified ? {} : result.headers)
        }
        const bodyless = status === 304 || status === 204 || result.body === undefined
        return HttpClientResponse.fromWeb(
          request,
          new Response(bodyless ? null : (result.body ?? null), { status, headers })
        )
      })
    )
  )

  return {
    client,
    layer: Layer.succeed(HttpClient.HttpClient, client),
    baseUrl,
    world,
    seed: (seed) => World.addRepo(world, seed),
    setChecks: (repo, sha, checks) => World.setChecks(world, repo, sha, checks, new Date().toISOString()),
    requireChecks: (repo, required) => {
      const state = world.repos.get(World.lower(repo))
      if (state === undefined) throw new Error(`GithubFake: no repository ${repo}`)
      state.required = required
    },
    addDeployment: (repo, deployment, createdAt) => World.addDeployment(world, repo, deployment, createdAt),
    actAs: (account) => {
      const login = account ?? "ghost"
      return {
        edit: (repo, number, change, at) =>
          World.editIssue(world, World.issueIn(world, repo, number), login, change, at ?? new Date().toISOString()),
        addLabel: (repo, number, label, at) =>
          World.labelIssue(
            world,
            repo,
            World.issueIn(world, repo, number),
            login,
            label,
            at ?? new Date().toISOString()
          ),
        removeLabel: (repo, number, label, at) =>
          World.unlabelIssue(world, World.issueIn(world, repo, number), login, label, at ?? new Date().toISOString()),
        review: (repo, number, review, at) =>
          Pulls.submitReview(world, repo, number, account, review, at ?? new Date().toISOString()),
        closePull: (repo, number, at) => Pulls.closePull(world, repo, number, at ?? new Date().toISOString())
      }
    },
    pushBranch: (repo, branch, sha) => Pulls.pushBranch(world, repo, branch, sha, new Date().toISOString()),
    branchHead: (repo, branch) => world.repos.get(repo.toLowerCase())?.branches.get(branch),
    setConflict: (repo, number, conflict) => {
      Pulls.pullIn(world, repo, number).conflict = conflict
    },
    requireApprovals: (repo, count) => {
      const state = world.repos.get(World.lower(repo))
      if (state === undefined) throw new Error(`GithubFake: no repository ${repo}`)
      state.requiredApprovals = count
    },
    inject: (fault) => {
      faults.push({ ...fault, remaining: fault.times ?? 1 })
    },
    log,
    counters: () => counters,
    graphqlPoints: () => graphqlPoints,
    resetCounters: () => {
      counters = { requests: 0, points: 0, notModified: 0 }
      graphqlPoints = 0
      log.length = 0
    }
  }
}
