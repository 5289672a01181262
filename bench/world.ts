/**
 * The simulated world of quality.md §1, for the benchmarks and the reliability suites: a backlog on the
 * adapters' own tracker fakes (GitHub- or Forgejo-shaped, real wire formats), the T3 fake on 127.0.0.1
 * with a scripted agent, CI reported on the forge when the agent pushes, and the Slack fake. Knobs: repos,
 * issues per repo, ready fraction, per-request latency, fault rate and kinds, agent behaviour. The ports
 * are the real adapters; the same world is served over loopback to `afk-cli` (`env`).
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import { SlackNotifier } from "afk-adapter-slack"
import { SlackFake } from "afk-adapter-slack/testing"
import { AgentRuntime, type Ci, Config, Domain, Notifier, type Pass, T3, Tick, type Tracker } from "afk-core"
import { T3Fake } from "afk-core/testing"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { createHash } from "node:crypto"
import * as Forge from "./world-forge.js"
import * as Wire from "./world-wire.js"

export { Forge, Wire }

/** What the agent does with each turn it is given. */
export type Agent = Data.TaggedEnum<{
  /** Completes after `afterPolls` polls and declares the commit it pushed; the first `red` turns' commits fail CI. */
  Push: { readonly afterPolls: number; readonly red: number }
  /** The thread is deleted after `afterPolls` polls. */
  Vanish: { readonly afterPolls: number }
  /** Waits on a question to the user, forever. */
  Block: { readonly afterPolls: number }
  /** Completes after `afterPolls` polls without pushing anything. */
  NeverPush: { readonly afterPolls: number }
}>

export const Agent = Data.taggedEnum<Agent>()

export interface Options {
  /** GitHub-shaped (default) or Forgejo-shaped tracker and CI. */
  readonly forge?: "github" | "forgejo" | undefined
  readonly repos: number
  readonly issuesPerRepo: number
  /** The share of issues carrying the ready label. */
  readonly readyFraction: number
  /** The share of ready issues labelled by an untrusted drive-by; 0 by default. */
  readonly untrustedFraction?: number | undefined
  /** Before every request to the tracker (both ways), and to T3 and Slack from the in-process ports. */
  readonly latency?: Duration.DurationInput | undefined
  /** Injected on the same requests as the latency. */
  readonly faults?: Wire.Faults | undefined
  /** One script for every issue, or one per issue; pushes green after one poll by default. */
  readonly agent?: Agent | ((issue: Domain.IssueRef) => Agent) | undefined
  /** Settings over the armed defaults (kill switch off, every repo allowlisted). */
  readonly config?: Partial<Config.AfkConfig> | undefined
}

/** P3 and P4's world: 50 repos × 200 issues, 10 % ready (a trusted maintainer's label), 50 ms per request. */
export const bigTick = { repos: 50, issuesPerRepo: 200, readyFraction: 0.1, latency: "50 millis" } as const

/** The four ports the programs need. */
export type Ports = Tracker.Tracker | Ci.Ci | AgentRuntime.AgentRuntime | Notifier.Notifier

/** Requests since the last `reset`. */
export interface Tally {
  /** Requests put on the wire to the tracker host (tracker and CI; faulted ones included). */
  readonly tracker: number
  /** GitHub rate-limit points spent, and conditional GETs answered 304 (absent on Forgejo). */
  readonly points: number | undefined
  readonly notModified: number | undefined
  readonly t3: number
  readonly slack: number
  /** Tracker and T3 requests by kind, most frequent first. */
  readonly kinds: ReadonlyArray<readonly [string, number]>
  /** Milliseconds from the first tracker request to the last tracker answer (0 without requests). */
  readonly span: number
}

export interface World {
  readonly repos: ReadonlyArray<Domain.Repo>
  /** Armed for every repo of the world. */
  readonly config: Config.AfkConfig
  /** Fresh adapters over the world: a new tracker client (so an empty conditional-request cache) each time. */
  readonly ports: (options?: { readonly cacheDirectory?: string }) => Effect.Effect<Context.Context<Ports>>
  readonly tally: Effect.Effect<Tally>
  readonly reset: Effect.Effect<void>
  /** The environment that arms `afk-cli` for this world (tracker over loopback, T3, Slack webhook). */
  readonly env: Record<string, string>
  readonly forge: Forge.Forge
  readonly t3: T3Fake.T3Fake
  readonly slack: SlackFake.Service
}

const workspaceRoot = "/srv/afk-world/{owner}__{repo}"

const t3Kind = (request: T3Fake.LoggedRequest): string => {
  const path = (request.path.split("?")[0] ?? "").replace("/api/orchestration/", "").replace(
    /^threads\/.+/,
    "threads/:id"
  )
  const body = request.body
  const type = typeof body === "object" && body !== null && "type" in body ? ` ${String(body.type)}` : ""
  return `T3 ${request.method} ${path}${type}`
}

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

const behaviour = (forge: Forge.Forge, agentOf: (issue: Domain.IssueRef) => Agent): T3Fake.Behaviour => (turn) => {
  const match = /^([^#\s]+)#(\d+):/.exec(turn.title)
  const issue = match === null
    ? undefined
    : new Domain.IssueRef({ repo: Domain.repo(match[1] ?? ""), number: Number(match[2]) })
  const agent = issue === undefined ? Agent.NeverPush({ afterPolls: 1 }) : agentOf(issue)
  return Agent.$match(agent, {
    Push: ({ afterPolls, red }) => {
      const sha = createHash("sha1").update(`${turn.threadId}:${turn.turnIndex}`).digest("hex")
      if (issue !== undefined) forge.report(issue.repo, sha, turn.turnIndex <= red ? "failure" : "success")
      return T3Fake.complete(`I fixed it test-first and pushed to the default branch.\n\nPushed-Commit: ${sha}`, {
        afterPolls
      })
    },
    Vanish: ({ afterPolls }) => T3Fake.vanish(afterPolls),
    Block: ({ afterPolls }) => T3Fake.block("user-input", afterPolls),
    NeverPush: ({ afterPolls }) =>
      T3Fake.complete("I looked into it and pushed nothing: the cause is in an upstream library.", { afterPolls })
  })
}

/** Starts the world on 127.0.0.1; every server stops when the scope closes. */
export const make = (options: Options): Effect.Effect<World, never, Scope.Scope> =>
  Effect.gen(function*() {
    const latency = Duration.decode(options.latency ?? 0)
    const draw = Wire.drawer(options.faults)
    const repos = Array.from({ length: options.repos }, (_, i) => Domain.repo(`org/repo-${i + 1}`))
    const backlog: Forge.Backlog = {
      issuesPerRepo: options.issuesPerRepo,
      readyFraction: options.readyFraction,
      untrustedFraction: options.untrustedFraction ?? 0
    }
    const seeds = repos.map((repo) => Forge.seed(repo, backlog))

    let served: HttpClient.HttpClient | undefined
    const url = yield* Wire.serve(() => served)
    const forge = options.forge === "forgejo" ? yield* Forge.forgejo(url, seeds) : Forge.github(url, seeds)
    const kinds = new Map<string, number>()
    let span = { first: 0, last: 0 }
    const trackerHttp = Wire.observe(
      Wire.shape(forge.client, { latency, draw, inject: forge.inject }),
      (request) => {
        const kind = Wire.kindOf(request.method, new URL(request.url), forge.prefix)
        if (kinds.size === 0) span = { first: performance.now(), last: performance.now() }
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1)
      },
      () => {
        span = { ...span, last: performance.now() }
      }
    )
    served = trackerHttp

    const agent = options.agent ?? Agent.Push({ afterPolls: 1, red: 0 })
    const t3 = yield* T3Fake.start({ behaviour: behaviour(forge, typeof agent === "function" ? agent : () => agent) })
    const slack = yield* SlackFake.make()
    const t3Origin = new URL(t3.url).origin
    const node = Context.get(yield* Layer.build(NodeHttpClient.layerUndici), HttpClient.HttpClient)
    const agentHttp = Wire.shape(node, {
      latency,
      draw,
      inject: (kind, _request, target) =>
        target.origin === t3Origin
          ? Effect.sync(() => t3.failNext(1, kind === "429" ? 429 : 503))
          : slack.failNext(
            kind === "429"
              ? SlackFake.Fault.RateLimited({ retryAfter: 1 })
              : SlackFake.Fault.HttpStatus({ status: 503, body: "upstream connect error" })
          )
    })

    let baseline = { t3: 0, slack: 0 }
    const reset = Effect.gen(function*() {
      kinds.clear()
      span = { first: 0, last: 0 }
      forge.resetCounters()
      baseline = { t3: t3.requests().length, slack: (yield* slack.received).length }
    })
    const tally = Effect.gen(function*() {
      const t3Requests = t3.requests().slice(baseline.t3)
      const trackerTotal = [...kinds.values()].reduce((sum, n) => sum + n, 0)
      const all = new Map(kinds)
      for (const request of t3Requests) all.set(t3Kind(request), (all.get(t3Kind(request)) ?? 0) + 1)
      const points = forge.points()
      return {
        tracker: trackerTotal,
        points: points?.points,
        notModified: points?.notModified,
        t3: t3Requests.length,
        slack: (yield* slack.received).length - baseline.slack,
        kinds: [...all.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
        span: span.last - span.first
      } satisfies Tally
    })

    const config: Config.AfkConfig = { ...Config.defaults, killSwitch: false, allowlist: repos, ...options.config }
    const ports = (portOptions: { readonly cacheDirectory?: string } = {}) =>
      Effect.gen(function*() {
        const trackerPorts = yield* forge.ports(trackerHttp, portOptions)
        const runtime = yield* T3.make({
          url: t3.url,
          token: Effect.sync(() => Redacted.make(t3.token())),
          model: "claude-sonnet-5",
          workspaceRoot
        })
        const notifier = yield* SlackNotifier.make({ webhookUrl: Redacted.make(slack.webhookUrl) })
        return trackerPorts.pipe(
          Context.add(AgentRuntime.AgentRuntime, runtime),
          Context.add(Notifier.Notifier, notifier)
        )
      }).pipe(Effect.provideService(HttpClient.HttpClient, agentHttp))

    return {
      repos,
      config,
      ports,
      tally,
      reset,
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
      forge,
      t3,
      slack
    }
  })

/** What one measured tick did. */
export interface Ticked {
  readonly report: Tick.Report
  readonly tally: Tally
  readonly millis: number
}

/** One `Tick.run` over `ports`, logs off, with the requests it made and its wall time. */
export const tick = (world: World, ports: Context.Context<Ports>): Effect.Effect<Ticked> =>
  Effect.gen(function*() {
    yield* world.reset
    const start = performance.now()
    const report = yield* Tick.run(world.config).pipe(Effect.provide(ports), Logger.withMinimumLogLevel(LogLevel.None))
    const millis = performance.now() - start
    return { report, tally: yield* world.tally, millis }
  })

/** The decisions of both passes, by action (`dispatch: 3, refuse: 997`). */
export const decisions = (report: Tick.Report): string => {
  const counts = new Map<string, number>()
  for (const pass of [report.watch, report.poll]) {
    for (const d of pass.decisions) {
      counts.set(`${pass.pass} ${d.action}`, (counts.get(`${pass.pass} ${d.action}`) ?? 0) + 1)
    }
  }
  return [...counts.entries()].map(([action, n]) => `${action}: ${n}`).join(", ") || "none"
}

/** Every failure of both passes, one line each. */
export const failures = (report: Tick.Report): ReadonlyArray<string> =>
  [report.watch, report.poll].flatMap((pass: Pass.Report) =>
    pass.failures.map((f) => `${pass.pass} ${f.subject}: ${f.message}`)
  )
