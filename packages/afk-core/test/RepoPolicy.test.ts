import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { readFileSync } from "node:fs"
import * as Config from "../src/Config.js"
import * as RepoPolicy from "../src/RepoPolicy.js"

const refusal = (value: unknown): string =>
  Either.match(RepoPolicy.decode(JSON.stringify(value)), {
    onLeft: (reason) => reason,
    onRight: (policy) => `accepted ${JSON.stringify(policy)}`
  })

describe("RepoPolicy.decode", () => {
  it("accepts every key, $schema included, and an empty object", () => {
    const file = {
      $schema: "https://example.test/afk-policy.schema.json",
      delivery: "push",
      mergeMethod: "squash",
      requiredApprovals: 1,
      requiredChecks: ["ci/*"],
      deployChecks: ["deploy/production"],
      fixForwardMaxAttempts: 2,
      reviewMaxRounds: 3,
      instructions: "Run `make check` before pushing."
    }
    expect(RepoPolicy.decode(JSON.stringify(file))).toEqual(Either.right(file))
    expect(RepoPolicy.decode("{}")).toEqual(Either.right({}))
  })

  it("refuses an unknown key, naming it and the keys allowed", () => {
    expect(refusal({ requiredCheck: ["ci"] })).toBe(
      ".afk.json is refused: unknown key \"requiredCheck\": remove it (allowed: $schema, delivery, mergeMethod, " +
        "requiredApprovals, requiredChecks, deployChecks, fixForwardMaxAttempts, reviewMaxRounds, instructions)"
    )
  })

  it("names every unknown key at once, and the keys allowed once", () => {
    expect(refusal({ armed: true, allowlist: ["evil/repo"], fixForwardMaxAttempts: -1 })).toBe(
      ".afk.json is refused: unknown keys \"armed\", \"allowlist\": remove them (allowed: $schema, delivery, " +
        "mergeMethod, requiredApprovals, requiredChecks, deployChecks, fixForwardMaxAttempts, reviewMaxRounds, " +
        "instructions); \"fixForwardMaxAttempts\": expected an integer from 0 to 20"
    )
  })

  it("has no key that could arm the loop, widen the allowlist, change labels, trust or secrets", () => {
    for (
      const key of ["armed", "killSwitch", "allowlist", "readyLabel", "lockLabel", "trusted", "githubToken", "preamble"]
    ) {
      expect(refusal({ [key]: key === "armed" ? true : ["x"] })).toContain(`unknown key "${key}": remove it`)
    }
  })

  it("refuses a bad value, naming the key and what it accepts", () => {
    expect(refusal({ fixForwardMaxAttempts: 99 })).toBe(
      ".afk.json is refused: \"fixForwardMaxAttempts\": expected an integer from 0 to 20"
    )
    expect(refusal({ requiredApprovals: 1.5 })).toContain("\"requiredApprovals\": expected an integer from 0 to 10")
    expect(refusal({ reviewMaxRounds: 0 })).toContain("\"reviewMaxRounds\": expected an integer from 1 to 20")
    expect(refusal({ mergeMethod: "fast-forward" })).toContain(
      "\"mergeMethod\": expected one of \"squash\", \"merge\", \"rebase\""
    )
    expect(refusal({ requiredChecks: ["a,b"] })).toContain("\"requiredChecks.[0]\": each pattern must be")
    expect(refusal({ deployChecks: "deploy" })).toContain("\"deployChecks\"")
  })

  it("takes pull-request delivery and its settings over the operator's, and refuses a bad merge method", () => {
    const applied = RepoPolicy.resolve(
      Config.defaults,
      Option.some(
        JSON.stringify({ delivery: "pull-request", mergeMethod: "rebase", requiredApprovals: 2, reviewMaxRounds: 5 })
      )
    )
    expect(Either.map(applied, ({ config }) => [
      config.delivery,
      config.mergeMethod,
      config.requiredApprovals,
      config.reviewMaxRounds
    ])).toEqual(Either.right(["pull-request", "rebase", 2, 5]))
    expect(refusal({ mergeMethod: "fast-forward" })).toBe(
      ".afk.json is refused: \"mergeMethod\": expected one of \"squash\", \"merge\", \"rebase\""
    )
  })

  it("refuses oversized instructions, saying how long they are", () => {
    expect(refusal({ instructions: "x".repeat(RepoPolicy.maxInstructionsChars) })).toMatch(/^accepted/)
    expect(refusal({ instructions: "x".repeat(RepoPolicy.maxInstructionsChars + 1) })).toBe(
      ".afk.json is refused: \"instructions\": at most 8000 characters (this has 8001): shorten it"
    )
  })

  it("refuses text that is not a JSON object", () => {
    expect(RepoPolicy.decode("{ \"delivery\": ")).toEqual(Either.left(".afk.json is not valid JSON: fix its syntax"))
    const notObject = ".afk.json must be a JSON object ({ … }): make it one, or remove the file"
    expect(RepoPolicy.decode("[]")).toEqual(Either.left(notObject))
    expect(RepoPolicy.decode("null")).toEqual(Either.left(notObject))
  })

  it("reads a file an editor saved with a byte order mark", () => {
    expect(RepoPolicy.decode("\uFEFF{ \"fixForwardMaxAttempts\": 1 }")).toEqual(
      Either.right({ fixForwardMaxAttempts: 1 })
    )
  })
})

describe("RepoPolicy.apply", () => {
  const config = { ...Config.defaults, requiredChecks: ["build"], deployChecks: ["deploy"], fixForwardMaxAttempts: 5 }

  it("keeps the operator's values where the file is silent, and there is no file", () => {
    expect(RepoPolicy.apply(config, RepoPolicy.empty)).toEqual({ config, instructions: Option.none() })
    expect(RepoPolicy.resolve(config, Option.none())).toEqual(Either.right({ config, instructions: Option.none() }))
  })

  it("replaces each value the file sets, an empty list included, and nothing else", () => {
    const applied = RepoPolicy.resolve(
      config,
      Option.some(
        JSON.stringify({ requiredChecks: [], deployChecks: ["prod"], fixForwardMaxAttempts: 0, instructions: "x" })
      )
    )
    expect(applied).toEqual(Either.right({
      config: { ...config, requiredChecks: [], deployChecks: ["prod"], fixForwardMaxAttempts: 0 },
      instructions: Option.some("x")
    }))
  })

  it("a refused file is the reason, never the operator's configuration", () => {
    expect(RepoPolicy.resolve(config, Option.some("{\"allowlist\": [\"evil/repo\"]}"))).toEqual(
      Either.left(expect.stringContaining("unknown key \"allowlist\""))
    )
  })
})

describe("RepoPolicy.jsonSchema", () => {
  it("the published afk-policy.schema.json is the one generated (npm run policy-schema -w afk-core)", () => {
    const published = JSON.parse(readFileSync(new URL("../afk-policy.schema.json", import.meta.url), "utf8"))
    expect(published).toEqual(JSON.parse(JSON.stringify(RepoPolicy.jsonSchema)))
  })

  it("is strict: no key beyond the schema's own", () => {
    const schema = RepoPolicy.jsonSchema as { additionalProperties?: boolean; properties?: object }
    expect(schema.additionalProperties).toBe(false)
    expect(Object.keys(schema.properties ?? {})).toEqual(Object.keys(RepoPolicy.RepoPolicy.fields))
  })
})
