/**
 * How the configuration sources (`Flags`, or the options of `api.ts`) become an `AfkConfig` (defaults < file <
 * directory < env < flags), and the logger they choose. Secrets are refused as flags: a flag shows in the
 * process list.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Config from "afk-core/Config"
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as AppKey from "./AppKey.js"

export interface Parsed {
  readonly config: Option.Option<string>
  readonly configDir: Option.Option<string>
  readonly set: Option.Option<HashMap.HashMap<string, string>>
}

/** The configuration and where it came from (for `doctor`). */
export interface Loaded {
  readonly config: Config.AfkConfig
  readonly sources: ReadonlyArray<string>
}

const secretEnvs = new Set(Config.settings.filter((s) => s.secret).map((s) => s.env))

const defaultFile = "afk.config.json"

/**
 * Reads every source strictly; any refused value fails with a `ConfigError` naming its key. A GitHub App's
 * private key is read and checked here too, so a broken one is refused before anything else happens.
 */
export const load = (
  parsed: Parsed,
  env: Record<string, string | undefined>
): Effect.Effect<Loaded, Config.ConfigError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const overrides = Object.fromEntries(Option.match(parsed.set, { onNone: () => [], onSome: HashMap.toEntries }))
    for (const key of Object.keys(overrides)) {
      if (secretEnvs.has(key)) {
        return yield* new Config.ConfigError({
          key,
          source: "flag --set",
          detail:
            `is a secret and is not accepted as a flag (the process list shows flags); set ${key} in the environment or as a file in --config-dir`
        })
      }
    }
    const file = Option.isSome(parsed.config)
      ? parsed.config.value
      : (yield* Effect.orElseSucceed(fs.exists(defaultFile), () => false))
      ? defaultFile
      : undefined
    const dir = Option.getOrUndefined(parsed.configDir)
    const config = yield* Config.loadFrom({
      ...(file === undefined ? {} : { file }),
      ...(dir === undefined ? {} : { dir }),
      env,
      overrides
    })
    if (config.tracker.kind === "github") yield* AppKey.read(config.tracker)
    const sources = [
      "built-in defaults",
      ...(file === undefined ? [] : [`file ${file}`]),
      ...(dir === undefined ? [] : [`directory ${dir}`]),
      "environment variables",
      ...(Object.keys(overrides).length === 0 ? [] : [`flags (--set ${Object.keys(overrides).sort().join(", ")})`])
    ]
    return { config, sources }
  })

const onlyMessage = <M, O>(logger: Logger.Logger<M, O>) =>
  Logger.mapInputOptions(logger, (options: Logger.Logger.Options<M>) => ({ ...options, annotations: HashMap.empty() }))

/**
 * The logger for `--log-format`: both formats write to stderr, so stdout carries only the command's output;
 * `none` writes nothing.
 */
export const logger = (format: "pretty" | "json" | "none") =>
  format === "none"
    ? Logger.remove(Logger.defaultLogger)
    : Logger.replace(
      Logger.defaultLogger,
      format === "json"
        ? Logger.withConsoleError(Logger.jsonLogger)
        : onlyMessage(Logger.prettyLogger({ stderr: true, mode: "tty" }))
    )
