/**
 * AFK inside the bot, as Effect layers: the four ports (production or offline), and an `Afk` service that
 * runs one tick at a time and remembers what the last one did. `main.ts` builds them into the bot's own
 * `ManagedRuntime` and drives ticks from its own `Schedule`.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { GithubAuth, GithubForge } from "afk-adapter-github"
import { SlackNotifier } from "afk-adapter-slack"
import { AgentRuntime, Ci, Config, ConsoleNotifier, Domain, Notifier, T3, Tick, Tracker } from "afk-core"
import { MemoryAgent, MemoryCi, MemoryNotifier, MemoryTracker } from "afk-core/testing"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"

export type Ports = Tracker.Tracker | AgentRuntime.AgentRuntime | Ci.Ci | Notifier.Notifier

const required = <A>(value: Option.Option<A>, key: string) =>
  Option.match(value, {
    onNone: () => Effect.fail(new Config.ConfigError({ key, source: "required", detail: "is not set" })),
    onSome: Effect.succeed
  })

/** Production: GitHub for issues and CI (one client), T3 Code for the agent, Slack when configured. */
export const live = (config: Config.AfkConfig): Layer.Layer<Ports, Config.ConfigError> =>
  Layer.unwrapEffect(
    Effect.gen(function*() {
      const githubToken = yield* required(config.tracker.githubToken, "GITHUB_TOKEN")
      const t3Token = yield* required(config.t3.token, "AFK_T3_TOKEN")
      const github = GithubForge.layer({ auth: GithubAuth.token(githubToken), baseUrl: config.tracker.githubApi })
      const agent = T3.layer({
        url: config.t3.url,
        token: Effect.succeed(t3Token),
        model: config.t3.model,
        workspaceRoot: config.t3.workspaceRoot
      })
      const notifier = Option.match(config.slack.webhookUrl, {
        onNone: () => ConsoleNotifier.layer,
        onSome: (webhookUrl) => SlackNotifier.layer({ webhookUrl })
      })
      return Layer.mergeAll(github, agent, notifier).pipe(Layer.provide(NodeHttpClient.layerUndici))
    })
  )

export const offlineRepo = Domain.repo("acme/app")

/**
 * Offline (`AFK_EXAMPLE_OFFLINE=1`): afk-core's in-memory fakes, with one issue a trusted maintainer
 * marked ready, and a configuration armed for that one repository in this process only. No network.
 */
export const offline = Effect.gen(function*() {
  const tracker = yield* MemoryTracker.make({
    bot: "afk-bot",
    repos: [{
      repo: offlineRepo,
      trusted: ["maintainer"],
      issues: [{
        number: 1,
        title: "Reply to /ping with pong",
        body: "The bot ignores /ping.",
        labels: ["ready-for-agent"],
        labeledBy: { "ready-for-agent": "maintainer" }
      }]
    }]
  })
  const agent = yield* MemoryAgent.make()
  const ci = yield* MemoryCi.make()
  const notifier = yield* MemoryNotifier.make
  const config: Config.AfkConfig = { ...Config.defaults, killSwitch: false, allowlist: [offlineRepo] }
  const ports = Layer.mergeAll(
    Layer.succeed(Tracker.Tracker, tracker.service),
    Layer.succeed(AgentRuntime.AgentRuntime, agent.service),
    Layer.succeed(Ci.Ci, ci.service),
    Layer.succeed(Notifier.Notifier, notifier.service)
  )
  return { config, ports, tracker, notifier }
})

export interface Status {
  readonly ticks: number
  readonly lastTickAt?: string
  readonly last?: Tick.Report
}

/** What the bot sees of AFK. */
export class Afk extends Context.Tag("embed-in-bot/Afk")<Afk, {
  /** One tick, unless one is already running (then `None`: ticks never overlap). */
  readonly tick: Effect.Effect<Option.Option<Tick.Report>>
  readonly status: Effect.Effect<Status>
}>() {}

export const layer = (config: Config.AfkConfig): Layer.Layer<Afk, never, Ports> =>
  Layer.effect(
    Afk,
    Effect.gen(function*() {
      const ports = yield* Effect.context<Ports>()
      const one = yield* Effect.makeSemaphore(1)
      const status = yield* Ref.make<Status>({ ticks: 0 })
      const tick = Tick.run(config).pipe(
        Effect.tap((report) =>
          Ref.update(status, (s) => ({ ticks: s.ticks + 1, lastTickAt: new Date().toISOString(), last: report }))
        ),
        Effect.provide(ports),
        one.withPermitsIfAvailable(1)
      )
      return { tick, status: Ref.get(status) }
    })
  )
