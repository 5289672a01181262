/**
 * What `tick`, `poll` and `watch` do once armed (loaded only then, so a disarmed pass never loads the
 * adapters or the programs): build the ports and run the pass. `--dry-run` performs every read, logs every
 * decision and every write it would make, lists those writes, and makes none.
 */
import type * as Config from "afk-core/Config"
import * as DryRun from "afk-core/DryRun"
import * as Pass from "afk-core/Pass"
import * as Poll from "afk-core/Poll"
import * as Tick from "afk-core/Tick"
import * as Watch from "afk-core/Watch"
import * as Effect from "effect/Effect"
import * as Ports from "../Ports.js"
import type { PassName, PassResult } from "../Programs.js"
import type { Wiring } from "../Wiring.js"

const program = (name: PassName, config: Config.AfkConfig): Effect.Effect<PassResult, never, Ports.Ports> => {
  if (name === "tick") {
    return Effect.map(Tick.run(config), (r) => ({ command: name, reports: [r.watch, r.poll], failed: r.failed }))
  }
  return Effect.map(name === "poll" ? Poll.run(config) : Watch.run(config), (report) => ({
    command: name,
    reports: [report],
    failed: Pass.failed(report)
  }))
}

/** Runs the pass `name` with an armed `config` over the configured ports (recording, not making, writes if `dryRun`). */
export const run = (
  name: PassName,
  config: Config.AfkConfig,
  wiring: Wiring,
  dryRun: boolean
): Effect.Effect<PassResult, Config.ConfigError> => {
  const ports = Ports.layer(config, wiring.http, wiring.webSocket)
  if (!dryRun) return Effect.provide(program(name, config), ports)
  const recorded = Effect.gen(function*() {
    const result = yield* program(name, config)
    const writes = yield* DryRun.Writes
    return { ...result, writes: writes.list() }
  })
  return Effect.provide(recorded, Ports.dryRun(ports))
}
