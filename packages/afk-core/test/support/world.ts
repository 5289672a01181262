/**
 * A small simulated world over the in-memory fakes, for the lifecycle, crash-point and overlap tests:
 * one armed config, the four ports as layers, `tick` and `settle` (tick until nothing changes).
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { AgentRuntime } from "../../src/AgentRuntime.js"
import { Ci } from "../../src/Ci.js"
import * as Config from "../../src/Config.js"
import { type Repo, repo } from "../../src/Domain.js"
import { Notifier } from "../../src/Notifier.js"
import * as PullRequests from "../../src/PullRequests.js"
import * as MemoryAgent from "../../src/testing/MemoryAgent.js"
import * as MemoryCi from "../../src/testing/MemoryCi.js"
import * as MemoryNotifier from "../../src/testing/MemoryNotifier.js"
import * as MemoryPullRequests from "../../src/testing/MemoryPullRequests.js"
import * as MemoryTracker from "../../src/testing/MemoryTracker.js"
import * as Tick from "../../src/Tick.js"
import { Tracker } from "../../src/Tracker.js"

export const app = repo("acme/app")
export const lib = repo("acme/lib")
export const bot = "afk-bot"

export const armed = (overrides: Partial<Config.AfkConfig> = {}): Config.AfkConfig => ({
  ...Config.defaults,
  killSwitch: false,
  allowlist: [app, lib],
  ...overrides
})

/** An issue a trusted maintainer labelled ready. */
export const ready = (number: number, extra: Partial<MemoryTracker.SeedIssue> = {}): MemoryTracker.SeedIssue => ({
  number,
  title: `Fix bug ${number}`,
  body: `Steps to reproduce bug ${number}.`,
  labels: ["ready-for-agent"],
  labeledBy: { "ready-for-agent": "maintainer" },
  ...extra
})

export interface WorldOptions {
  readonly issues?: Readonly<Partial<Record<Repo, ReadonlyArray<MemoryTracker.SeedIssue>>>>
  readonly behaviour?: (turn: MemoryAgent.TurnContext) => MemoryAgent.Behaviour
  readonly ci?: MemoryCi.Script
  /** A runtime without the PullRequests port (an integrator's that never added it). */
  readonly noPulls?: boolean
  /** Replaces the in-memory agent (e.g. by the T3 runtime over the T3 fake). */
  readonly agentLayer?: Layer.Layer<AgentRuntime>
}

export interface World {
  readonly tracker: MemoryTracker.MemoryTracker
  readonly agent: MemoryAgent.MemoryAgent
  readonly ci: MemoryCi.MemoryCi
  readonly notifier: MemoryNotifier.MemoryNotifier
  /** The forge's pull requests; the scripted agent pushes to the branch its turn's text names. */
  readonly pulls: MemoryPullRequests.MemoryPullRequests
  readonly layer: Layer.Layer<Tracker | AgentRuntime | Ci | Notifier | PullRequests.PullRequests>
  /** One tick after advancing the clock by `minutes` (default 2; 0 leaves the clock alone). */
  readonly tick: (config: Config.AfkConfig, minutes?: number) => Effect.Effect<Tick.Report>
  /** Ticks until a tick makes no write (or `max` ticks); returns the number of ticks run. */
  readonly settle: (config: Config.AfkConfig, max?: number) => Effect.Effect<number>
}

export const make = (options: WorldOptions = {}) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(Date.UTC(2026, 5, 1))
    const tracker = yield* MemoryTracker.make({
      bot,
      // acme/app and acme/lib, and any other repository `issues` names.
      repos: [...new Set([app, lib, ...Object.keys(options.issues ?? {}) as Array<Repo>])].map((r) => ({
        repo: r,
        trusted: ["maintainer"],
        issues: options.issues?.[r] ?? []
      }))
    })
    const agent = yield* MemoryAgent.make(options.behaviour)
    const ci = yield* MemoryCi.make(options.ci)
    const notifier = yield* MemoryNotifier.make
    // Branch protection counts only writers' approvals, as GitHub and Forgejo do.
    const pulls = yield* MemoryPullRequests.make({ bot, writers: ["maintainer"] })
    // The agent pushes where its turn's text tells it: the run's branch, or (naming none) the default branch.
    agent.onPush = (turn, sha) =>
      pulls.push(turn.issue.repo, Option.getOrElse(PullRequests.branchIn(turn.text), () => "main"), sha)
    const layer = Layer.mergeAll(
      Layer.succeed(Tracker, tracker.service),
      options.agentLayer ?? Layer.succeed(AgentRuntime, agent.service),
      Layer.succeed(Ci, ci.service),
      Layer.succeed(Notifier, notifier.service),
      options.noPulls === true ? Layer.empty : Layer.succeed(PullRequests.PullRequests, pulls.service)
    ) as Layer.Layer<Tracker | AgentRuntime | Ci | Notifier | PullRequests.PullRequests>
    const writeCount = () =>
      tracker.writes.length + agent.turnsStarted() + notifier.sent.length + pulls.opened() + pulls.merges()
    const tick = (config: Config.AfkConfig, minutes = 2) =>
      (minutes > 0 ? TestClock.adjust(`${minutes} minutes`) : Effect.void).pipe(
        Effect.zipRight(Effect.provide(Tick.run(config), layer))
      )
    const settle = (config: Config.AfkConfig, max = 60) =>
      Effect.gen(function*() {
        let quiet = 0
        for (let n = 1; n <= max; n++) {
          const before = writeCount()
          yield* tick(config)
          quiet = writeCount() === before ? quiet + 1 : 0
          if (quiet >= 3) return n
        }
        return max
      })
    return { tracker, agent, ci, notifier, pulls, layer, tick, settle } satisfies World
  })
