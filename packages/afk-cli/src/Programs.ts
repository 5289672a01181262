/**
 * What `tick`, `poll`, `watch` and `status` compute, apart from how it is printed: the commands print it, and
 * the programmatic entry point (`api.ts`) returns it. Disarmed, a pass builds and reads nothing: the modules
 * that would (`PassesArmed`, and `StatusRead` for an empty allowlist) are not even loaded.
 */
import * as Config from "afk-core/Config"
import type * as DryRun from "afk-core/DryRun"
import type * as Pass from "afk-core/Pass"
import type * as Status from "afk-core/Status"
import * as Effect from "effect/Effect"
import type { Wiring } from "./Wiring.js"

export type PassName = "tick" | "poll" | "watch"

/** One pass's outcome: its reports (tick: watch then poll), or why it did nothing. */
export interface PassResult {
  readonly command: PassName
  /** Present when the loop is disarmed: each closed gate, naming its setting; then nothing was read or written. */
  readonly disarmed?: ReadonlyArray<string>
  readonly reports: ReadonlyArray<Pass.Report>
  /** A poll or watch failed somewhere; a tick fails only when both did. */
  readonly failed: boolean
  /** Dry run only: the writes it would have made, none of them made. */
  readonly writes?: ReadonlyArray<DryRun.Write>
}

/** Runs the pass `name` with `config`; with `dryRun`, every read and no write. */
export const pass = (
  name: PassName,
  config: Config.AfkConfig,
  wiring: Wiring,
  dryRun: boolean
): Effect.Effect<PassResult, Config.ConfigError> => {
  const arming = Config.describeArming(config)
  if (!arming.armed) return Effect.succeed({ command: name, disarmed: arming.reasons, reports: [], failed: false })
  return Effect.flatMap(
    Effect.promise(() => import("./commands/PassesArmed.js")),
    (PassesArmed) => PassesArmed.run(name, config, wiring, dryRun)
  )
}

/** Every run in flight across the allowlist, and what could not be read (nothing is read for an empty one). */
export const status = (config: Config.AfkConfig, wiring: Wiring): Effect.Effect<Status.Report, Config.ConfigError> =>
  config.allowlist.length === 0
    ? Effect.succeed({ rows: [], failures: [] })
    : Effect.flatMap(
      Effect.promise(() => import("./commands/StatusRead.js")),
      (StatusRead) => StatusRead.read(config, wiring)
    )
