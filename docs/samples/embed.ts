/**
 * Embedding AFK in a long-running process: GitHub for issues and CI, T3 Code for the agent, the console
 * for notifications, one tick every five minutes. The layers read their tokens when the program starts;
 * disarmed (the default), every tick returns at once without a request.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { GithubAuth, GithubForge } from "afk-adapter-github"
import { Config as AfkConfig, ConsoleNotifier, T3, Tick } from "afk-core"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"

// Tracker + Ci over one GitHub client.
const Github = GithubForge.layerConfig({
  auth: Config.map(Config.redacted("GITHUB_TOKEN"), GithubAuth.token),
  baseUrl: Config.string("AFK_GITHUB_API").pipe(Config.withDefault("https://api.github.com"))
})

// AgentRuntime on T3 Code.
const Agent = T3.layerConfig({
  url: Config.string("AFK_T3_URL").pipe(Config.withDefault("http://127.0.0.1:3773")),
  token: Config.redacted("AFK_T3_TOKEN"),
  model: Config.string("AFK_T3_MODEL").pipe(Config.withDefault("claude-sonnet-5")),
  workspaceRoot: Config.string("AFK_T3_WORKSPACE_ROOT").pipe(Config.withDefault("/data/{owner}__{repo}"))
})

const Ports = Layer.mergeAll(Github, Agent, ConsoleNotifier.layer).pipe(Layer.provide(NodeHttpClient.layerUndici))

const tick = Effect.gen(function*() {
  // The same strict settings as afk-cli (AFK_KILL_SWITCH, AFK_ALLOWLIST, …), from the environment.
  const config = yield* AfkConfig.load
  // Each decision is logged as it is taken (`owner/repo#n: <action> (<reason>)`).
  const report = yield* Tick.run(config)
  if (report.poll.disarmed !== undefined) yield* Effect.logInfo(`disarmed: ${report.poll.disarmed.join("; ")}`)
})

tick.pipe(Effect.repeat(Schedule.spaced("5 minutes")), Effect.provide(Ports), NodeRuntime.runMain)
