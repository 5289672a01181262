/**
 * `demo`: the whole loop on this machine, with no credentials and nothing outside the demo world armed.
 * It ticks until nothing is in flight and a tick changes nothing, showing each decision, each checklist
 * as it changes, every notification, what was refused and why, and a summary (`demo/Play`, loaded only
 * when it runs). Reads no configuration.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Flags from "../Flags.js"
import * as Outcome from "../Outcome.js"
import * as Settings from "../Settings.js"
import type { Wiring } from "../Wiring.js"

export const command = (wiring: Wiring) =>
  Command.make(
    "demo",
    {
      logFormat: Flags.logFormat.pipe(
        Options.withDescription("Also show the programs' log lines on stderr, in this format."),
        Options.optional
      )
    },
    (options) =>
      Outcome.guard(Effect.flatMap(Effect.promise(() => import("../demo/Play.js")), (Play) => Play.play(wiring))).pipe(
        Effect.provide(Settings.logger(Option.getOrElse(options.logFormat, () => "none" as const)))
      )
  ).pipe(Command.withDescription("Run the whole loop on a simulated world, on this machine, with no credentials."))
