/**
 * The read behind `status`, loaded only when there is an allowlist to read: afk-core's `Status` program
 * over the configured ports.
 */
import type * as Config from "afk-core/Config"
import * as Status from "afk-core/Status"
import * as Effect from "effect/Effect"
import * as Ports from "../Ports.js"
import type { Wiring } from "../Wiring.js"

/** Every run in flight across the allowlist, and what could not be read. */
export const read = (config: Config.AfkConfig, wiring: Wiring): Effect.Effect<Status.Report, Config.ConfigError> =>
  Status.run(config).pipe(Effect.provide(Ports.layer(config, wiring.http, wiring.webSocket)))
