/**
 * `doctor`: where the configuration came from and what it says (secrets as `<redacted>`), exactly why the
 * loop is armed or not, and — because an operator asked for a diagnosis — the network checks of the
 * tracker, T3 Code and Slack. Exits 1 when a check fails (each says what to do), 2 when the
 * configuration itself is refused. The probes (and with them the adapters) are loaded only when it runs.
 */
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Config from "afk-core/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Flags from "../Flags.js"
import * as Outcome from "../Outcome.js"
import type * as Probes from "../Probes.js"
import * as Settings from "../Settings.js"
import type { Wiring } from "../Wiring.js"

const checks = ["tracker", "t3", "slack"] as const

const checkNames = (text: string) => {
  const names = text
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "")
  const unknown = names.find((name) => !(checks as ReadonlyArray<string>).includes(name))
  return unknown === undefined
    ? Effect.succeed(names as ReadonlyArray<(typeof checks)[number]>)
    : Effect.fail(
      ValidationError.invalidValue(HelpDoc.p(`--skip: unknown check "${unknown}"; use ${checks.join(", ")}`))
    )
}

const marks: Record<Probes.Level, string> = { ok: "ok  ", warn: "warn", fail: "FAIL", skip: "skip" }

const configLines = (config: Config.AfkConfig): ReadonlyArray<string> => {
  const defaults = new Map(Config.describe(Config.defaults).map((entry) => [entry.key, entry.value]))
  const rows = Config.describe(config)
  const width = Math.max(...rows.map((row) => row.key.length))
  return rows.map(
    (row) => `  ${row.key.padEnd(width)}  ${row.value}${defaults.get(row.key) === row.value ? "" : "   (set)"}`
  )
}

const armingLines = (config: Config.AfkConfig): ReadonlyArray<string> => {
  const arming = Config.describeArming(config)
  return arming.armed
    ? [`  ARMED: ${arming.reasons.join("; ")}.`]
    : [
      `  disarmed: ${arming.reasons.join("; ")}.`,
      "  To arm it, set AFK_KILL_SWITCH=false and AFK_ALLOWLIST=owner/name[,owner/name…] — both are needed."
    ]
}

const checkLines = (checks: ReadonlyArray<Probes.Check>): ReadonlyArray<string> =>
  checks.flatMap((c) => [
    `  ${marks[c.level]}  ${c.name}: ${c.summary}`,
    ...(c.fix === undefined || c.level === "ok" || c.level === "skip" ? [] : [`        → ${c.fix}`])
  ])

export const command = (wiring: Wiring) =>
  Command.make(
    "doctor",
    {
      ...Flags.options,
      skip: Options.text("skip").pipe(
        Options.withDescription("Leave out network checks: tracker, t3 and/or slack, comma-separated."),
        Options.mapEffect(checkNames),
        Options.withDefault([])
      )
    },
    (options) =>
      Outcome.guard(
        Effect.gen(function*() {
          const { config, sources } = yield* Settings.load(options, wiring.env)
          const armed = Config.isArmed(config)
          const probes = yield* Effect.promise(() => import("../Probes.js"))
          const skipped = new Set<string>(options.skip)
          const run = (name: "tracker" | "t3" | "slack", probe: () => Effect.Effect<ReadonlyArray<Probes.Check>>) =>
            skipped.has(name)
              ? Effect.succeed([{ name, level: "skip" as const, summary: "skipped (--skip)" }])
              : probe()
          const checks = [
            ...(yield* run("tracker", () => probes.tracker(config, wiring.http, armed))),
            ...(yield* run("t3", () => probes.t3(config, wiring.http, wiring.webSocket, armed))),
            ...(yield* run("slack", () => probes.slack(config, wiring.http)))
          ]
          const failed = checks.filter((c) => c.level === "fail").length
          yield* Console.log(
            [
              `Configuration, read from: ${sources.join(" < ")} (later wins)`,
              ...configLines(config),
              "",
              "Arming",
              ...armingLines(config),
              "",
              "Checks",
              ...checkLines(checks),
              "",
              failed === 0 ? "No problems found." : `${failed} problem${failed === 1 ? "" : "s"} found: see → above.`
            ].join("\n")
          )
          if (failed > 0) return yield* new Outcome.Failed({ code: 1 })
        })
      ).pipe(Effect.provide(Settings.logger(options.logFormat)))
  ).pipe(Command.withDescription("Check the configuration, credentials and reachability; say why AFK is (dis)armed."))
