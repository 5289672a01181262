/**
 * afk-core/testing: the whole loop on in-memory fakes — a tracker with one issue a trusted maintainer
 * labelled, an agent that pushes on its second poll, CI that is green — armed for this program only.
 * Then the same world under `DryRun.layer`: every read happens, every write is recorded and not made.
 */
import { AgentRuntime, Ci, Config, Domain, DryRun, Notifier, Tick, Tracker } from "afk-core"
import { MemoryAgent, MemoryCi, MemoryNotifier, MemoryTracker } from "afk-core/testing"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

const repo = Domain.repo("acme/app")

const world = Effect.gen(function*() {
  const tracker = yield* MemoryTracker.make({
    bot: "afk-bot",
    repos: [{
      repo,
      trusted: ["maintainer"],
      issues: [{
        number: 1,
        title: "Fix the flaky test",
        labels: ["ready-for-agent"],
        labeledBy: { "ready-for-agent": "maintainer" }
      }]
    }]
  })
  const agent = yield* MemoryAgent.make(() => ({ _tag: "push", afterPolls: 1 }))
  const ci = yield* MemoryCi.make(MemoryCi.scripts.green())
  const notifier = yield* MemoryNotifier.make
  const ports = Layer.mergeAll(
    Layer.succeed(Tracker.Tracker, tracker.service),
    Layer.succeed(AgentRuntime.AgentRuntime, agent.service),
    Layer.succeed(Ci.Ci, ci.service),
    Layer.succeed(Notifier.Notifier, notifier.service)
  )
  return { tracker, agent, notifier, ports }
})

/** Armed for `acme/app` only; every other setting at its default. */
const config: Config.AfkConfig = { ...Config.defaults, killSwitch: false, allowlist: [repo] }

/** Four ticks (dispatch, wait, close, nothing left). Returns `{ state: "closed", notified: ["done"], threads: 1 }`. */
export const lifecycle = Effect.gen(function*() {
  const { agent, notifier, ports, tracker } = yield* world
  for (let tick = 1; tick <= 4; tick++) yield* Effect.provide(Tick.run(config), ports)
  return {
    state: tracker.issue(repo, 1).state,
    notified: notifier.sent.map((n) => n.kind),
    threads: agent.threadsCreated()
  }
})

/** One dry-run tick: the writes it would make (add label, post comment, dispatch, edit comment), none made. */
export const dryRun = Effect.gen(function*() {
  const { ports, tracker } = yield* world
  // DryRun.layer wraps Tracker, AgentRuntime and Notifier; Ci (read-only) is passed through.
  const recording = Layer.merge(DryRun.layer, Layer.effect(Ci.Ci, Ci.Ci)).pipe(Layer.provide(ports))
  const writes = yield* Effect.provide(
    Effect.zipRight(Tick.run(config), Effect.map(DryRun.Writes, (w) => w.list())),
    recording
  )
  return { wouldWrite: writes.map((w) => `${w.port}: ${w.op} ${w.target}`), made: tracker.writes.length }
})
