/**
 * The simulated world of quality.md §1, one for the benchmarks and the reliability suites: a tracker on the
 * adapters' own fakes (GitHub- or Forgejo-shaped, real wire formats) with a seeded backlog and issues that
 * arrive while it runs, the T3 fake on 127.0.0.1 playing each issue's agent script, CI reported on the
 * forge for every pushed commit, and the Slack fake. Knobs: repos, issues per repo, ready and untrusted
 * fractions, per-request latency, fault rate and kinds, agent behaviour, live or virtual time. The ports
 * are the real adapters behind the world's wire (`Faults`); the tracker is served over loopback to
 * `afk-cli` too (`env`). Ticks run on the clock, or on `TestClock` with every wait granted at once.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import * as HttpClient from "@effect/platform/HttpClient"
import type { GithubTracker } from "afk-adapter-github"
import type { GithubFake } from "afk-adapter-github/testing"
import { SlackNotifier } from "afk-adapter-slack"
import { SlackFake } from "afk-adapter-slack/testing"
import {
  AgentRuntime,
  type Ci,
  Config,
  Domain,
  Ids,
  Notifier,
  type Pass,
  type PullRequests,
  T3,
  Tick,
  type Tracker
} from "afk-core"
import { T3Fake } from "afk-core/testing"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import * as FaultPlan from "./FaultPlan.js"
import * as Faults from "./Faults.js"
import * as Forge from "./Forge.js"
import * as Random from "./Random.js"
import * as Script from "./Script.js"
import * as VirtualTime from "./VirtualTime.js"
import * as Wire from "./Wire.js"

export interface Options {
  /** GitHub-shaped (default) or Forgejo-shaped tracker and CI. */
  readonly forge?: "github" | "forgejo" | undefined
  /** The repositories, or how many (`org/repo-1`, …). */
  readonly repos: number | ReadonlyArray<Domain.Repo>
  /** The open issues each repo starts with; none by default. */
  readonly issuesPerRepo?: number | undefined
  /** The share of them carrying the ready label; 0 by default. */
  readonly readyFraction?: number | undefined
  /** The share of ready issues labelled by an untrusted drive-by; 0 by default. */
  readonly untrustedFraction?: number | undefined
  /** GitHub's page size (100 by default) and hourly rate-limit budget (5,000 by default). */
  readonly pageSize?: number | undefined
  readonly rateLimit?: number | undefined
  /** The GitHub tracker's options (e.g. its change probe); its defaults otherwise. */
  readonly githubTracker?: GithubTracker.Options | undefined
  /** Before every request to the tracker (both ways), and to T3 and Slack from the in-process ports. */
  readonly latency?: Duration.DurationInput | undefined
  /** Faults on the same requests as the latency: the share that meet one (`controls.faultRate`) and the kinds. */
  readonly faults?: { readonly rate: number; readonly kinds?: ReadonlyArray<FaultPlan.Kind> | undefined } | undefined
  /** The draws of faults and agent timings (a suite passes its own, so one seed replays a run); seed 1 by default. */
  readonly random?: Random.Random | undefined
  /** The seeded backlog's agent, one for every issue or one per issue; pushes green after one poll by default. */
  readonly agent?: Script.Agent | ((issue: Domain.IssueRef) => Script.Agent) | undefined
  /** Settings over the armed defaults (kill switch off, every repo allowlisted). */
  readonly config?: Partial<Config.AfkConfig> | undefined
  /** `live` (default): ticks run on the clock. `virtual`: on `TestClock`, `interval` apart, every wait granted. */
  readonly time?: "live" | "virtual" | undefined
  /** On virtual time, how far the clock moves before each tick; two minutes by default. */
  readonly interval?: Duration.DurationInput | undefined
  /**
   * The orchestration protocol the T3 fake speaks (default 1). On 2 the runtime negotiates it, commands travel
   * over WebSocket RPC, and each tick may arm one of `FaultPlan.t3Socket`'s faults.
   */
  readonly t3Protocol?: 1 | 2 | undefined
}

/** P3 and P4's world: 50 repos × 200 issues, 10 % ready (a trusted maintainer's label), 50 ms per request. */
export const bigTick = { repos: 50, issuesPerRepo: 200, readyFraction: 0.1, latency: "50 millis" } as const

/**
 * The reliability suites' world over `repos`: issues arrive while it runs, on virtual time; pages of 5 so
 * every list paginates, a rate-limit budget no run exhausts, one run per repo at a time.
 */
export const reliability = (repos: ReadonlyArray<Domain.Repo>) =>
  ({
    repos,
    time: "virtual",
    pageSize: 5,
    rateLimit: 1_000_000,
    config: { maxConcurrentRuns: repos.length }
  }) satisfies Options

/** The four ports the programs need. */
export type Ports =
  | Tracker.Tracker
  | Ci.Ci
  | AgentRuntime.AgentRuntime
  | Notifier.Notifier
  | PullRequests.PullRequests

/** Requests since the last `reset`. */
export interface Tally {
  /** Requests put on the wire to the tracker host (tracker and CI; faulted ones included). */
  readonly tracker: number
  /** GitHub rate-limit points spent, and conditional GETs answered 304 (absent on Forgejo). */
  readonly points: number | undefined
  readonly notModified: number | undefined
  /** Requests the T3 and Slack fakes received (from any process). */
  readonly t3: number
  readonly slack: number
  /** Tracker and T3 requests by kind, most frequent first. */
  readonly kinds: ReadonlyArray<readonly [string, number]>
  /** Milliseconds from the first tracker request to the last tracker answer (0 without requests). */
  readonly span: number
}

/** What one tick did. */
export interface Ticked {
  readonly report: Tick.Report
  readonly tally: Tally
  /** Its wall time. */
  readonly millis: number
}

/** An issue opened while the world runs. */
export interface Planned {
  readonly repo: Domain.Repo
  readonly number: number
  readonly ref: string
  readonly kind: Script.Kind
  readonly eligible: boolean
  /** The only T3 thread id a run of this issue may have (run 1; no run 2 can start in these worlds). */
  readonly threadId: string
}

/** What an issue says, when a suite writes it (hostile input), and extra labels such as `priority:-1`. */
export interface Content {
  readonly title?: string
  readonly body?: string
  readonly labels?: ReadonlyArray<string>
  /** Its agent's script instead of its kind's (e.g. a run that stays in flight). */
  readonly agent?: Script.Agent
}

export interface World {
  readonly repos: ReadonlyArray<Domain.Repo>
  /** Armed for every repo of the world. */
  readonly config: Config.AfkConfig
  readonly forge: Forge.Forge
  readonly t3: T3Fake.T3Fake | T3Fake.T3FakeV2
  /** The WebSocket faults armed so far (protocol 2), by kind. */
  readonly socketFaults: () => ReadonlyMap<string, number>
  readonly slack: SlackFake.Service
  readonly controls: FaultPlan.Controls
  /** Every request the in-process ports (and, for the tracker, `afk-cli` over loopback) sent, and its fate. */
  readonly journals: { readonly tracker: Faults.Journal; readonly t3: Faults.Journal; readonly slack: Faults.Journal }
  /** The environment that arms `afk-cli` for this world (tracker over loopback, T3, Slack webhook). */
  readonly env: Record<string, string>
  /**
   * Fresh adapters over the world: a new tracker client (so an empty conditional-request cache) each time, as
   * a new process has; the tick run on them ends that process (its client's cache file is written then).
   */
  readonly ports: (options?: { readonly cacheDirectory?: string }) => Effect.Effect<Context.Context<Ports>>
  /** One `Tick.run` (logs off) on `ports`, the world's own by default, after CI moved on; virtual time first advances by `interval`. */
  readonly tick: (ports?: Context.Context<Ports>) => Effect.Effect<Ticked>
  /**
   * Ticks until three in a row write nothing to the tracker, with no CI running and no agent session live on
   * the T3 host (a turn still working writes nothing for a few polls), or `max`; returns the ticks run.
   */
  readonly settle: (max: number) => Effect.Effect<number>
  /** The number of ticks run so far. */
  readonly ticks: () => number
  readonly tally: Effect.Effect<Tally>
  readonly reset: Effect.Effect<void>
  readonly planned: () => ReadonlyArray<Planned>
  /** A new issue on a GitHub world, labelled ready by a maintainer (the untrusted kind: by a drive-by). */
  readonly addIssue: (repo: Domain.Repo, kind: Script.Kind, content?: Content) => Planned
  /** A comment by `author` (anyone: the suites post as outsiders). */
  readonly comment: (issue: Planned, author: string, body: string) => void
}

const workspaceRoot = "/srv/afk-world/{owner}__{repo}"
const start = Date.UTC(2026, 5, 1)

/** `afk-cli`'s environment for the settings `config` overrides (scalars and lists). */
const settingsEnv = (config: Partial<Config.AfkConfig>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(config).flatMap(([key, value]) => {
      const env = Config.settings.find((setting) => setting.key === key)?.env
      if (env === undefined) return []
      if (Array.isArray(value)) return [[env, value.join(",")]]
      return ["string", "number", "boolean"].includes(typeof value) ? [[env, String(value)]] : []
    })
  )

const count = <A>(items: ReadonlyArray<A>, key: (item: A) => string, into = new Map<string, number>()) => {
  for (const item of items) into.set(key(item), (into.get(key(item)) ?? 0) + 1)
  return into
}

/** Starts the world on 127.0.0.1; every server stops when the scope closes. */
export const make = (options: Options): Effect.Effect<World, never, Scope.Scope> =>
  Effect.gen(function*() {
    const virtual = options.time === "virtual"
    const tickMillis = Duration.toMillis(options.interval ?? "2 minutes")
    if (virtual) yield* TestClock.setTime(start)
    const latency = Duration.decode(options.latency ?? 0)
    const random = options.random ?? Random.make(1)
    const controls: FaultPlan.Controls = { faultRate: options.faults?.rate ?? 0, trackerDown: false, slackDown: false }
    const plan: FaultPlan.Plan = { random, controls, kinds: options.faults?.kinds }
    const journals = { tracker: Faults.journal(), t3: Faults.journal(), slack: Faults.journal() }
    const repos = typeof options.repos === "number"
      ? Array.from({ length: options.repos }, (_, i) => Domain.repo(`org/repo-${i + 1}`))
      : [...options.repos]
    const backlog: Forge.Backlog = {
      issuesPerRepo: options.issuesPerRepo ?? 0,
      readyFraction: options.readyFraction ?? 0,
      untrustedFraction: options.untrustedFraction ?? 0
    }
    const seeds = repos.map((repo) => Forge.seed(repo, backlog))

    let served: HttpClient.HttpClient | undefined
    const url = yield* Wire.serve(() => served)
    const forge = options.forge === "forgejo"
      ? yield* Forge.forgejo(url, seeds)
      : Forge.github(url, seeds, {
        pageSize: options.pageSize,
        rateLimit: options.rateLimit,
        tracker: options.githubTracker
      })
    const trackerHttp = Faults.wrap(forge.client, FaultPlan.tracker(plan, forge), journals.tracker, latency)
    served = trackerHttp

    let ticks = 0
    const pendingCi: Array<
      { readonly repo: Domain.Repo; readonly sha: string; readonly state: Forge.CiState; readonly due: number }
    > = []
    const agents = new Map<string, Script.Agent>()
    const backlogAgent = options.agent ?? Script.Agent.Push({ afterPolls: 1, red: 0 })
    const agentOf = (issue: Domain.IssueRef) =>
      agents.get(`${issue.repo}#${issue.number}`.toLowerCase()) ??
        (typeof backlogAgent === "function" ? backlogAgent(issue) : backlogAgent)
    const behaviour = Script.behaviour(agentOf, {
      random,
      report: forge.report,
      reportLater: (repo, sha, state, after) => pendingCi.push({ repo, sha, state, due: ticks + after }),
      push: forge.push
    })
    const t3 = options.t3Protocol === 2
      ? yield* T3Fake.start({ protocol: 2, behaviour })
      : yield* T3Fake.start({ behaviour })
    const socketFaults = new Map<string, number>()
    const slack = yield* SlackFake.make()
    const node = Context.get(yield* Layer.build(NodeHttpClient.layerUndici), HttpClient.HttpClient)
    const t3Http = Faults.wrap(node, FaultPlan.t3(plan, t3), journals.t3, latency)
    const slackHttp = Faults.wrap(node, FaultPlan.slack(plan, slack), journals.slack, latency)

    const config: Config.AfkConfig = { ...Config.defaults, killSwitch: false, allowlist: repos, ...options.config }
    const processes = new WeakMap<Context.Context<Ports>, Scope.CloseableScope>()
    const ports = (portOptions: { readonly cacheDirectory?: string } = {}) =>
      Effect.gen(function*() {
        const lifetime = yield* Scope.make()
        const trackerPorts = yield* forge.ports(trackerHttp, portOptions).pipe(Scope.extend(lifetime))
        const runtime = yield* T3.make({
          url: t3.url,
          token: Effect.sync(() => Redacted.make(t3.token())),
          model: "claude-sonnet-5",
          workspaceRoot,
          requestTimeout: "1 day",
          retry: { times: 2, base: "200 millis", maxWait: "30 seconds" }
        }).pipe(
          Effect.provideService(HttpClient.HttpClient, t3Http),
          Effect.provide(NodeSocket.layerWebSocketConstructor)
        )
        const notifier = yield* SlackNotifier.make({
          token: Redacted.make(slack.token),
          channel: slack.channel,
          apiUrl: slack.apiUrl,
          timeout: "1 day",
          retry: { times: 2, base: "500 millis", maxWait: "30 seconds" }
        }).pipe(Effect.provideService(HttpClient.HttpClient, slackHttp))
        const context = trackerPorts.pipe(
          Context.add(AgentRuntime.AgentRuntime, runtime),
          Context.add(Notifier.Notifier, notifier)
        )
        processes.set(context, lifetime)
        return context
      })
    const own = yield* ports()
    const ended = (on: Context.Context<Ports>) =>
      Effect.suspend(() => {
        const lifetime = processes.get(on)
        return lifetime === undefined ? Effect.void : Scope.close(lifetime, Exit.void)
      })
    yield* Effect.addFinalizer(() => ended(own))

    let baseline = { tracker: 0, t3: 0, slack: 0 }
    const reset = Effect.gen(function*() {
      forge.resetCounters()
      baseline = {
        tracker: journals.tracker.entries.length,
        t3: t3.requests().length,
        slack: (yield* slack.received).length
      }
    })
    const tally = Effect.gen(function*() {
      const tracker = journals.tracker.entries.slice(baseline.tracker)
      const t3Requests = t3.requests().slice(baseline.t3)
      const kinds = count(
        t3Requests,
        Wire.t3KindOf,
        count(tracker, (e) => Wire.kindOf(e.method, new URL(e.url), forge.prefix))
      )
      const first = tracker[0]?.at
      const last = tracker.reduce((latest, e) => Math.max(latest, e.answeredAt ?? e.at), 0)
      const points = forge.points()
      return {
        tracker: tracker.length,
        points: points?.points,
        notModified: points?.notModified,
        t3: t3Requests.length,
        slack: (yield* slack.received).length - baseline.slack,
        kinds: [...kinds.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
        span: first === undefined ? 0 : last - first
      } satisfies Tally
    })

    // CI runs on every push to a default branch too: a merged pull request's merge commit goes green.
    const mainsReported = new Set<string>()
    const advanceCi = () => {
      for (const repo of repos) {
        const head = forge.defaultHead(repo)
        if (head === undefined || mainsReported.has(`${repo}@${head}`)) continue
        mainsReported.add(`${repo}@${head}`)
        forge.report(repo, head, "success")
      }
      for (let i = pendingCi.length - 1; i >= 0; i--) {
        const entry = pendingCi[i]!
        if (entry.due > ticks) continue
        forge.report(entry.repo, entry.sha, entry.state)
        pendingCi.splice(i, 1)
      }
    }
    const tick = (on: Context.Context<Ports> = own) =>
      Effect.gen(function*() {
        if (virtual) yield* TestClock.adjust(Duration.millis(tickMillis))
        ticks++
        advanceCi()
        if (t3.protocol === 2) {
          const kind = FaultPlan.t3Socket(plan, t3)
          if (kind !== undefined) socketFaults.set(kind, (socketFaults.get(kind) ?? 0) + 1)
        }
        yield* reset
        const began = performance.now()
        const run = Tick.run(config).pipe(Effect.provide(on), Logger.withMinimumLogLevel(LogLevel.None))
        const report = yield* (virtual ? VirtualTime.drive(run) : run)
        const millis = performance.now() - began
        if (on !== own) yield* ended(on)
        return { report, tally: yield* tally, millis } satisfies Ticked
      })

    const writes = () => journals.tracker.entries.filter((entry) => entry.method !== "GET").length
    // A refused permission is remembered for the tracker's `untrustedTtl` (GitHub: 10 minutes by default), so
    // a fault that made one (an injected 404 on the permission check) holds its issue back that long after the
    // faults stop: on virtual time the world is at rest only once it has been quiet for longer than that.
    const refusalMillis = Duration.toMillis(Duration.decode(options.githubTracker?.untrustedTtl ?? "10 minutes"))
    const restingTicks = virtual ? Math.max(3, Math.ceil(refusalMillis / tickMillis) + 1) : 3
    const settle = (max: number) =>
      Effect.gen(function*() {
        let quiet = 0
        for (let n = 1; n <= max; n++) {
          const before = writes()
          yield* tick()
          quiet = writes() === before && pendingCi.length === 0 && t3.liveSessions() === 0 ? quiet + 1 : 0
          if (quiet >= restingTicks) return n
        }
        return max
      })

    const planned: Array<Planned> = []
    const addIssue = (repo: Domain.Repo, kind: Script.Kind, content: Content = {}): Planned => {
      const issueLabels = [
        ...(kind === "paused" ? [Forge.labels.ready, Forge.labels.paused] : [Forge.labels.ready]),
        ...(content.labels ?? [])
      ]
      const number = Forge.addIssue(forge, repo, {
        title: content.title ?? `Issue (${kind})`,
        body: content.body ??
          (kind === "blocked" ? "Needs the first one.\n\nBlocked by #1" : `Steps to reproduce ${kind}.`),
        labels: issueLabels,
        labelledBy: (
          label
        ) => (kind === "untrusted" && label === Forge.labels.ready ? Forge.driveBy : Forge.maintainer),
        at: new Date(start + ticks * tickMillis).toISOString()
      })
      const ref = new Domain.IssueRef({ repo, number })
      const issue: Planned = {
        repo,
        number,
        ref: `${repo}#${number}`,
        kind,
        eligible: Script.eligibleKinds.has(kind),
        threadId: Ids.threadId(Ids.runId(ref, 1))
      }
      agents.set(issue.ref.toLowerCase(), content.agent ?? Script.agentOf(kind))
      planned.push(issue)
      return issue
    }
    const comment = (issue: Planned, author: string, body: string) =>
      Forge.comment(forge, issue.repo, issue.number, author, body, new Date(start + ticks * tickMillis).toISOString())

    return {
      repos,
      config,
      forge,
      t3,
      socketFaults: () => new Map(socketFaults),
      slack,
      controls,
      journals,
      env: {
        ...forge.env,
        ...settingsEnv(options.config ?? {}),
        AFK_KILL_SWITCH: "false",
        AFK_ALLOWLIST: repos.join(","),
        AFK_T3_URL: t3.url,
        AFK_T3_TOKEN: t3.token(),
        AFK_T3_WORKSPACE_ROOT: workspaceRoot,
        SLACK_WEBHOOK_URL: slack.webhookUrl
      },
      ports,
      tick,
      settle,
      ticks: () => ticks,
      tally,
      reset,
      planned: () => planned,
      addIssue,
      comment
    } satisfies World
  })

/** The GitHub fake of a GitHub-shaped world, whose state the suites read and write directly. */
export const github = (world: World): GithubFake.GithubFake => {
  if (world.forge.github === undefined) throw new Error("this world's tracker is not GitHub-shaped")
  return world.forge.github
}

/** The decisions of both passes, by action, and the unexamined backlog (`dispatch: 3, refuse: 7, unexamined: 990`). */
export const decisions = (report: Tick.Report): string => {
  const counts = new Map<string, number>()
  for (const pass of [report.watch, report.poll]) {
    for (const d of pass.decisions) {
      counts.set(`${pass.pass} ${d.action}`, (counts.get(`${pass.pass} ${d.action}`) ?? 0) + 1)
    }
    if (pass.unexamined !== undefined) counts.set(`${pass.pass} unexamined`, pass.unexamined.count)
  }
  return [...counts.entries()].map(([action, n]) => `${action}: ${n}`).join(", ") || "none"
}

/** Every failure of both passes, one line each. */
export const failures = (report: Tick.Report): ReadonlyArray<string> =>
  [report.watch, report.poll].flatMap((pass: Pass.Report) =>
    pass.failures.map((f) => `${pass.pass} ${f.subject}: ${f.message}`)
  )
