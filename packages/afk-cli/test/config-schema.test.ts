import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Config } from "../src/Core.js"
import * as Cli from "./support/Cli.js"

describe("config schema", () => {
  it.live("prints the JSON Schema of afk.config.json", () =>
    Effect.gen(function*() {
      const result = yield* Cli.run(["config", "schema"])
      expect(result.code).toBe(0)
      expect(JSON.parse(result.stdout)).toEqual(JSON.parse(JSON.stringify(Config.jsonSchema)))
    }))
})
