/**
 * The command-line options every command that reads configuration shares (`--config`, `--config-dir`,
 * `--set`, `--log-format`); `Settings` turns what they parse into an `AfkConfig`. Kept apart from `Settings`
 * so that the programmatic entry point (`api.ts`), which reads the same sources, carries no command-line parser.
 */
import * as Options from "@effect/cli/Options"

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
