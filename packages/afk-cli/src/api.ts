/**
 * The programmatic entry point, `afk-cli/api` (`dist/api.js`, its types hand-written in `api.d.cts`): the
 * commands' own programs (`Programs`) behind Promises, for a host with another Effect version or none. Each
 * call loads the configuration as a command does (`Settings.load`, without flags), runs on Node's file system
 * and HTTP client (undici) as `bin.ts` does, and resolves with the result as plain JSON, or rejects with an `AfkError`
 * carrying the message the CLI prints.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import type * as Config from "afk-core/Config"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type * as Api from "../api.cjs"
import * as Outcome from "./Outcome.js"
import * as Programs from "./Programs.js"
import * as Settings from "./Settings.js"
import { nodeHttp, nodeWebSocket, type Wiring } from "./Wiring.js"

/** Why a call rejected: `config` where the CLI exits 2, `unexpected` where it exits 1. */
export const AfkError: typeof Api.AfkError = class AfkError extends Error {
  override readonly name = "AfkError"
  constructor(readonly code: Api.ErrorCode, message: string) {
    super(message)
  }
}

const run = <A>(
  options: Api.Options | undefined,
  program: (config: Config.AfkConfig, wiring: Wiring) => Effect.Effect<A, Config.ConfigError>
): Promise<A> => {
  const wiring: Wiring = { http: nodeHttp, webSocket: nodeWebSocket, env: { ...(options?.env ?? process.env) } }
  const sources: Settings.Parsed = {
    config: Option.fromNullable(options?.configFile),
    configDir: Option.fromNullable(options?.configDir),
    set: Option.none()
  }
  const effect = Settings.load(sources, wiring.env).pipe(
    Effect.flatMap(({ config }) => program(config, wiring)),
    // Nothing exports a span from here: tracing off spares every request its span and trace headers.
    Effect.withTracerEnabled(false),
    Effect.provide(NodeFileSystem.layer),
    Effect.provide(Settings.logger(options?.logFormat ?? "pretty"))
  )
  return Effect.runPromiseExit(effect).then((exit) => {
    if (Exit.isSuccess(exit)) return JSON.parse(JSON.stringify(exit.value)) as A
    const { config, message } = Outcome.describe(Cause.squash(exit.cause))
    throw new AfkError(config ? "config" : "unexpected", message)
  })
}

const pass = (name: Programs.PassName) => (options?: Api.PassOptions): Promise<Api.PassResult> =>
  run(options, (config, wiring) => Programs.pass(name, config, wiring, options?.dryRun ?? false))

/** One reconciliation pass: watch, then poll. */
export const tick: typeof Api.tick = pass("tick")

/** Claim and dispatch the issues the policy allows. */
export const poll: typeof Api.poll = pass("poll")

/** Drive the runs in flight one step each. */
export const watch: typeof Api.watch = pass("watch")

/** Every run in flight across the allowlist. */
export const status: typeof Api.status = (options) => run(options, Programs.status)
