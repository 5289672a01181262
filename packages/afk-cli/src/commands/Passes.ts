/**
 * `tick`, `poll` and `watch`: one reconciliation pass each. Disarmed, they say why in one line and touch
 * nothing — the ports are not even built, nor the modules that build them loaded. Armed, `PassesArmed`
 * runs the pass (and `--dry-run` lists the writes it would make, making none).
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { Config } from "../Core.js"
import * as Outcome from "../Outcome.js"
import * as Settings from "../Settings.js"
import type { Wiring } from "../Wiring.js"
import type { Name } from "./PassesArmed.js"

const make = (name: Name, description: string, wiring: Wiring) =>
  Command.make(
    name,
    {
      ...Settings.options,
      dryRun: Options.boolean("dry-run").pipe(
        Options.withDescription("Read everything, print every decision and write it would make, make none.")
      )
    },
    (options) =>
      Outcome.guard(
        Effect.gen(function*() {
          const { config } = yield* Settings.load(options, wiring.env)
          const arming = Config.describeArming(config)
          if (!arming.armed) {
            return yield* Console.log(`AFK is disarmed: ${arming.reasons.join("; ")}. Nothing was read or written.`)
          }
          const PassesArmed = yield* Effect.promise(() => import("./PassesArmed.js"))
          return yield* PassesArmed.run(name, config, wiring, options.dryRun)
        })
      ).pipe(Effect.provide(Settings.logger(options.logFormat)))
  ).pipe(Command.withDescription(description))

/** `tick`: watch, then poll. */
export const tick = (wiring: Wiring) =>
  make(
    "tick",
    "One reconciliation pass: watch runs in flight, then poll for new work. Fails only if both fail.",
    wiring
  )

/** `poll` alone. */
export const poll = (wiring: Wiring) =>
  make("poll", "Queue new work: claim and dispatch the issues the policy allows.", wiring)

/** `watch` alone. */
export const watch = (wiring: Wiring) =>
  make("watch", "Drive the runs in flight one step each (close, fix forward, escalate, wait).", wiring)
