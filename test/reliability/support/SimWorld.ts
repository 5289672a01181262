/**
 * The simulated world of quality.md §1 for the fault-injection and chaos suites: the real GitHub adapter
 * (Tracker + Ci) over `GithubFake`, the real T3 runtime over the loopback `T3Fake`, the real Slack notifier
 * over the loopback `SlackFake`, each behind `Faults.wrap`. Issues arrive over time in several repos, each
 * with a planned behaviour (the agent pushes green, red then green, the same red twice, nothing, or fails;
 * or the issue is not eligible at all). CI is simulated on the GitHub fake for every commit the agent
 * declares. Ticks run on `TestClock`, every wait granted in virtual time (`VirtualTime.drive`).
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { GithubAuth, GithubCi, GithubClient, GithubTracker } from "afk-adapter-github"
import { GithubFake } from "afk-adapter-github/testing"
import { SlackNotifier } from "afk-adapter-slack"
import { SlackFake } from "afk-adapter-slack/testing"
import { type AgentRuntime, type Ci, Config, Domain, Ids, type Notifier, T3, Tick, type Tracker } from "afk-core"
import { T3Fake } from "afk-core/testing"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import { createHash } from "node:crypto"
import * as Faults from "./Faults.js"
import type * as Random from "./Random.js"
import * as VirtualTime from "./VirtualTime.js"

export const bot = "afk-bot"
export const maintainer = "maintainer"
export const labels = {
  ready: "ready-for-agent",
  lock: "agent-in-progress",
  human: "ready-for-human",
  paused: "paused"
} as const

/** What an issue's agent (and its CI) will do, or why the issue is not eligible at all. */
export type Kind =
  | "green"
  | "slowGreen"
  | "redThenGreen"
  | "frozen"
  | "noPush"
  | "fail"
  | "untrusted"
  | "blocked"
  | "paused"

export const eligibleKinds: ReadonlySet<Kind> = new Set([
  "green",
  "slowGreen",
  "redThenGreen",
  "frozen",
  "noPush",
  "fail"
])

/** Kinds whose run ends with the issue closed. */
export const closingKinds: ReadonlySet<Kind> = new Set(["green", "slowGreen", "redThenGreen"])

export interface Planned {
  readonly repo: Domain.Repo
  readonly number: number
  readonly ref: string
  readonly kind: Kind
  readonly eligible: boolean
  /** The only T3 thread id a run of this issue may have (run 1; no run 2 can start in this world). */
  readonly threadId: string
}

/** What an issue says, when a suite writes it (hostile input), and extra labels such as `priority:-1`. */
export interface Content {
  readonly title?: string
  readonly body?: string
  readonly labels?: ReadonlyArray<string>
}

export interface Options {
  readonly repos: ReadonlyArray<Domain.Repo>
  readonly random: Random.Random
  /** Share of requests (to each of GitHub, T3 and Slack) that get a fault. */
  readonly faultRate: number
}

export interface Controls {
  faultRate: number
  /** GitHub refuses every connection. */
  githubDown: boolean
  /** Slack refuses every connection. */
  slackDown: boolean
}

export type Ports = Tracker.Tracker | AgentRuntime.AgentRuntime | Ci.Ci | Notifier.Notifier

export interface World {
  readonly github: GithubFake.GithubFake
  readonly t3: T3Fake.T3Fake
  readonly slack: SlackFake.Service
  readonly config: Config.AfkConfig
  readonly controls: Controls
  readonly journals: { readonly github: Faults.Journal; readonly t3: Faults.Journal; readonly slack: Faults.Journal }
  readonly planned: () => ReadonlyArray<Planned>
  /** A new issue a maintainer labelled ready (the untrusted kind: a drive-by did). */
  readonly addIssue: (repo: Domain.Repo, kind: Kind, content?: Content) => Planned
  /** A comment by `author` (anyone: the suites post as outsiders). */
  readonly comment: (issue: Planned, author: string, body: string) => void
  /** One tick: two minutes pass, CI moves on, then watch + poll with every wait granted virtually. */
  readonly tick: Effect.Effect<Tick.Report>
  /** Ticks until three in a row write nothing to GitHub (or `max`); returns the ticks run. */
  readonly settle: (max: number) => Effect.Effect<number>
  /** The number of ticks run so far. */
  readonly ticks: () => number
}

/** The sha the agent of `threadId` declares for its `turn`-th turn. */
export const shaFor = (threadId: string, turn: number): string =>
  createHash("sha1").update(`${threadId}:${turn}`).digest("hex")

const iso = (millis: number) => new Date(millis).toISOString()

export const make = (options: Options): Effect.Effect<World, never, Scope.Scope> =>
  Effect.gen(function*() {
    yield* TestClock.setTime(Date.UTC(2026, 5, 1))
    const { random } = options
    const controls: Controls = { faultRate: options.faultRate, githubDown: false, slackDown: false }
    const journals = { github: Faults.journal(), t3: Faults.journal(), slack: Faults.journal() }
    const github = GithubFake.make({ pageSize: 5, rateLimit: 1_000_000 })
    for (const repo of options.repos) {
      github.seed({ repo, bot, trusted: [maintainer], labels: Object.values(labels), issues: [] })
    }
    const planned: Array<Planned> = []
    const byThread = new Map<string, Planned>()
    const pendingCi: Array<{ readonly repo: string; readonly sha: string; readonly due: number }> = []
    let ticks = 0

    const setRuns = (repo: string, sha: string, test: "success" | "failure" | "in_progress") =>
      github.setChecks(repo, sha, {
        checkRuns: [
          { name: "build", status: "completed", conclusion: "success" },
          test === "in_progress"
            ? { name: "test", status: "in_progress" }
            : { name: "test", status: "completed", conclusion: test, url: `https://ci.example/${sha}/test` }
        ]
      })

    const behaviour: T3Fake.Behaviour = (turn) => {
      const issue = byThread.get(turn.threadId)
      const afterPolls = random.int(1, 3)
      if (issue === undefined) return T3Fake.complete("A thread AFK should never have made.")
      const sha = shaFor(turn.threadId, turn.turnIndex)
      const pushed = (text: string) => T3Fake.complete(`${text}\n\nPushed-Commit: ${sha}`, { afterPolls })
      switch (issue.kind) {
        case "green":
          setRuns(issue.repo, sha, "success")
          return pushed("Fixed it test-first.")
        case "slowGreen":
          setRuns(issue.repo, sha, "in_progress")
          pendingCi.push({ repo: issue.repo, sha, due: ticks + random.int(1, 4) })
          return pushed("Fixed it; CI is slow today.")
        case "redThenGreen":
          setRuns(issue.repo, sha, turn.turnIndex === 1 ? "failure" : "success")
          return pushed(turn.turnIndex === 1 ? "Fixed it (I think)." : "Fixed the test I broke.")
        case "frozen":
          setRuns(issue.repo, sha, "failure")
          return pushed("Tried again.")
        case "noPush":
          return T3Fake.complete("I could not reproduce it; nothing was pushed.", { afterPolls })
        case "fail":
          return T3Fake.fail("the provider crashed", { afterPolls })
        default:
          return T3Fake.complete("An ineligible issue was dispatched.")
      }
    }

    const t3 = yield* T3Fake.start({ behaviour })
    const slack = yield* SlackFake.make()

    const relative = (url: string) => {
      const parsed = new URL(url)
      return `${parsed.pathname}${parsed.search}`
    }

    const decideGithub = (request: { readonly method: string; readonly url: string }): Faults.Action => {
      if (controls.githubDown) return { _tag: "ResetBefore", kind: "outage" }
      if (!random.chance(controls.faultRate)) return Faults.pass
      const path = relative(request.url)
      const get = request.method === "GET"
      const kind = random.weighted({
        status5xx: 25,
        rateLimited: 15,
        secondaryLimit: 5,
        malformed: 15,
        resetBefore: 10,
        resetAfter: 10,
        timeout: 10,
        client4xx: path === "/user" ? 0 : 10
      })
      const inject = (fault: Omit<GithubFake.Fault, "path">): Faults.Action => ({
        _tag: "Armed",
        kind,
        arm: () => github.inject({ ...fault, path })
      })
      switch (kind) {
        case "status5xx":
          return inject({ status: random.pick([500, 502, 503]) })
        case "rateLimited":
          return inject({ status: 429, retryAfter: random.int(1, 5) })
        case "secondaryLimit":
          return inject({ status: 403, retryAfter: random.int(1, 5) })
        case "malformed":
          return get ? inject({ status: 200, body: "[{\"number\": 1, \"title\": \"trunc" }) : { _tag: "Truncate", kind }
        case "resetBefore":
          return { _tag: "ResetBefore", kind }
        case "resetAfter":
          return { _tag: "ResetAfter", kind }
        case "timeout":
          return { _tag: "Timeout", kind, after: "10 seconds" }
        case "client4xx":
          return inject({ status: random.pick(get ? [401, 404] : [400, 401, 404, 422]) })
      }
    }

    const commandType = (body: string): string | undefined => {
      try {
        const parsed: unknown = JSON.parse(body)
        return typeof parsed === "object" && parsed !== null && "type" in parsed ? String(parsed.type) : undefined
      } catch {
        return undefined
      }
    }

    const decideT3 = (request: HttpClientRequest.HttpClientRequest): Faults.Action => {
      if (!random.chance(controls.faultRate)) return Faults.pass
      const type = request.method === "POST" && request.body._tag === "Uint8Array"
        ? commandType(new TextDecoder().decode(request.body.body))
        : undefined
      const kind = random.weighted({
        status5xx: 35,
        resetBefore: 20,
        timeout: 15,
        ambiguous500: type === undefined ? 0 : 15,
        dropResponse: type === undefined ? 0 : 15
      })
      switch (kind) {
        case "status5xx":
          return { _tag: "Armed", kind, arm: () => t3.failNext(1, random.pick([502, 503]), type) }
        case "ambiguous500":
          return { _tag: "Armed", kind, arm: () => t3.failNext(1, 500, type) }
        case "dropResponse":
          return { _tag: "Armed", kind, arm: () => t3.dropResponseOnce(type ?? "") }
        case "resetBefore":
          return { _tag: "ResetBefore", kind }
        case "timeout":
          return { _tag: "Timeout", kind, after: "30 seconds" }
      }
    }

    const decideSlack = (): Faults.Action => {
      if (controls.slackDown) return { _tag: "ResetBefore", kind: "outage" }
      if (!random.chance(controls.faultRate)) return Faults.pass
      const kind = random.weighted({ rateLimited: 30, status5xx: 25, reset: 25, serverError: 20 })
      const fault = kind === "rateLimited"
        ? SlackFake.Fault.RateLimited({ retryAfter: random.int(1, 3) })
        : kind === "status5xx"
        ? SlackFake.Fault.HttpStatus({ status: random.pick([500, 503]), body: "upstream connect error" })
        : kind === "reset"
        ? SlackFake.Fault.Reset()
        : SlackFake.Fault.SlackError({ error: "internal_error" })
      return { _tag: "Armed", kind, arm: () => Effect.runSync(slack.failNext(fault, "api")) }
    }

    const wrapped = (decide: Parameters<typeof Faults.wrap>[1], journal: Faults.Journal) =>
      Layer.effect(HttpClient.HttpClient, Effect.map(HttpClient.HttpClient, (c) => Faults.wrap(c, decide, journal)))
        .pipe(Layer.provide(FetchHttpClient.layer))

    const forge = Layer.merge(GithubTracker.layerWithClient(), GithubCi.layerWithClient()).pipe(
      Layer.provide(GithubClient.layer({ auth: GithubAuth.token("ghp_sim_token"), baseUrl: github.baseUrl })),
      Layer.provide(Layer.succeed(HttpClient.HttpClient, Faults.wrap(github.client, decideGithub, journals.github)))
    )
    const agent = T3.layer({
      url: t3.url,
      token: Effect.sync(() => Redacted.make(t3.token())),
      model: "claude-sonnet-5",
      workspaceRoot: "/data/{owner}__{repo}",
      requestTimeout: "1 day",
      retry: { times: 2, base: "200 millis", maxWait: "30 seconds" }
    }).pipe(Layer.provide(wrapped(decideT3, journals.t3)))
    const notifier = SlackNotifier.layer({
      token: Redacted.make(slack.token),
      channel: slack.channel,
      apiUrl: slack.apiUrl,
      timeout: "1 day",
      retry: { times: 2, base: "500 millis", maxWait: "30 seconds" }
    }).pipe(Layer.provide(wrapped(decideSlack, journals.slack)))
    const context: Context.Context<Ports> = yield* Layer.build(Layer.mergeAll(forge, agent, notifier))

    const config: Config.AfkConfig = {
      ...Config.defaults,
      killSwitch: false,
      allowlist: [...options.repos],
      maxConcurrentRuns: options.repos.length
    }

    const repoState = (repo: string) => github.world.repos.get(repo.toLowerCase())!

    const now = () => iso(Date.UTC(2026, 5, 1) + ticks * 120_000)

    const addIssue = (repo: Domain.Repo, kind: Kind, content: Content = {}): Planned => {
      const state = repoState(repo)
      const number = state.issues.size + 1
      const ref = `${repo}#${number}`
      const eligible = eligibleKinds.has(kind)
      const issue: Planned = {
        repo,
        number,
        ref,
        kind,
        eligible,
        threadId: Ids.threadId(Ids.runId(new Domain.IssueRef({ repo, number }), 1))
      }
      const at = now()
      const issueLabels = [
        ...(kind === "paused" ? [labels.ready, labels.paused] : [labels.ready]),
        ...(content.labels ?? [])
      ]
      state.issues.set(number, {
        number,
        title: content.title ?? `Issue ${number} (${kind})`,
        body: content.body ??
          (kind === "blocked" ? "Needs the first one.\n\nBlocked by #1" : `Steps to reproduce ${kind}.`),
        labels: issueLabels,
        state: "open",
        stateReason: null,
        author: "reporter",
        isPullRequest: false,
        events: issueLabels.map((label) => ({
          id: github.world.nextId++,
          event: "labeled",
          actor: kind === "untrusted" && label === labels.ready ? "drive-by" : maintainer,
          at,
          label
        })),
        commentIds: []
      })
      planned.push(issue)
      byThread.set(issue.threadId, issue)
      return issue
    }

    const comment = (issue: Planned, author: string, body: string) => {
      const id = github.world.nextId++
      const at = now()
      github.world.comments.set(id, {
        id,
        repo: issue.repo,
        issue: issue.number,
        author,
        body,
        createdAt: at,
        updatedAt: at
      })
      repoState(issue.repo).issues.get(issue.number)!.commentIds.push(id)
    }

    const advanceCi = () => {
      for (let i = pendingCi.length - 1; i >= 0; i--) {
        const entry = pendingCi[i]!
        if (entry.due > ticks) continue
        setRuns(entry.repo, entry.sha, "success")
        pendingCi.splice(i, 1)
      }
    }

    const tick = Effect.gen(function*() {
      yield* TestClock.adjust("2 minutes")
      ticks++
      advanceCi()
      return yield* VirtualTime.drive(Effect.provide(Tick.run(config), context))
    })

    const writes = () => github.log.filter((entry) => entry.method !== "GET").length
    const settle = (max: number) =>
      Effect.gen(function*() {
        let quiet = 0
        for (let n = 1; n <= max; n++) {
          const before = writes()
          yield* tick
          quiet = writes() === before && pendingCi.length === 0 ? quiet + 1 : 0
          if (quiet >= 3) return n
        }
        return max
      })

    return {
      github,
      t3,
      slack,
      config,
      controls,
      journals,
      planned: () => planned,
      addIssue,
      comment,
      tick,
      settle,
      ticks: () => ticks
    } satisfies World
  })
