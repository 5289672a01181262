/**
 * `demo`: the whole loop on this machine, with no credentials and nothing outside the demo world armed.
 * It ticks until nothing is in flight and a tick changes nothing, showing each decision, each checklist
 * as it changes, every notification, what was refused and why, and a summary (`demo/Play`, loaded only
 * when it runs). Reads no configuration. `--t3-protocol 2` plays it against a protocol-2 T3 Code fake.
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
      ),
      t3Protocol: Options.choice("t3-protocol", ["1", "2"]).pipe(
        Options.withDescription(
          "The orchestration protocol the demo's T3 Code fake speaks: 1 (T3 up to 0.0.45, HTTP commands) or " +
            "2 (0.0.46 and later, commands over a WebSocket). AFK negotiates it from the server's descriptor."
        ),
        Options.withDefault("1" as const)
      )
    },
    (options) =>
      Outcome.guard(
        Effect.flatMap(
          Effect.promise(() => import("../demo/Play.js")),
          (Play) => Play.play(wiring, options.t3Protocol === "2" ? 2 : 1)
        )
      ).pipe(
        Effect.provide(Settings.logger(Option.getOrElse(options.logFormat, () => "none" as const)))
      )
  ).pipe(Command.withDescription("Run the whole loop on a simulated world, on this machine, with no credentials."))
