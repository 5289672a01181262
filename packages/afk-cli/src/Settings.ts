/**
 * The options every command that reads configuration shares (`--config`, `--config-dir`, `--set`,
 * `--log-format`), how they become an `AfkConfig` (defaults < file < directory < env < flags), and the
 * logger they choose. Secrets are refused as flags: a flag shows in the process list.
 */
import * as Options from "@effect/cli/Options"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as AppKey from "./AppKey.js"
import { Config } from "./Core.js"

/** `--log-format pretty|json`, without a default (the demo logs nothing unless asked). */
export const logFormat = Options.choice("log-format", ["pretty", "json"]).pipe(
  Options.withDescription("Log lines on stderr: pretty (one line each) or json.")
)

/** The shared options, to spread into a command's options. */
export const options = {
  config: Options.file("config").pipe(
    Options.withDescription("afk.config.json to read (default: ./afk.config.json when it exists)."),
    Options.optional
  ),
  configDir: Options.directory("config-dir").pipe(
    Options.withDescription("ConfigMap-style directory, one file per setting (also a mounted Secret)."),
    Options.optional
  ),
  set: Options.keyValueMap("set").pipe(
    Options.withDescription(
      "Override one setting by its env name, e.g. --set AFK_ALLOWLIST=acme/app (repeatable). Not for tokens: " +
        "flags show in the process list, so secrets go in the environment or --config-dir."
    ),
    Options.optional
  ),
  logFormat: logFormat.pipe(Options.withDefault("pretty" as const))
}

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

/** The logger for `--log-format`: both write to stderr, so stdout carries only the command's output. */
export const logger = (format: "pretty" | "json") =>
  Logger.replace(
    Logger.defaultLogger,
    format === "json"
      ? Logger.withConsoleError(Logger.jsonLogger)
      : onlyMessage(Logger.prettyLogger({ stderr: true, mode: "tty" }))
  )
