/**
 * `config schema`: prints the JSON Schema of `afk.config.json` (for editors and CI validation). Reads no
 * configuration and makes no request.
 */
import * as Command from "@effect/cli/Command"
import * as Config from "afk-core/Config"
import * as Console from "effect/Console"

const schema = Command.make("schema", {}, () => Console.log(JSON.stringify(Config.jsonSchema, null, 2))).pipe(
  Command.withDescription("Print the JSON Schema of afk.config.json.")
)

export const command = Command.make("config").pipe(
  Command.withDescription("Configuration helpers."),
  Command.withSubcommands([schema])
)
