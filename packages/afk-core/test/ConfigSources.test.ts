import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as FileSystem from "@effect/platform/FileSystem"
import { describe, expect, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Config from "../src/Config.js"

const token = "tok-3f9a1c77-SECRET-never-print"

/** The error of a load that must be refused; a load that succeeds fails the test with a short message. */
const refused = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<E, never, R> =>
  Effect.flatMap(
    Effect.either(effect),
    Either.match({
      onLeft: Effect.succeed,
      onRight: () => Effect.die(new Error("expected the configuration to be refused, but it loaded"))
    })
  )

const expectNoSecret = (...things: ReadonlyArray<unknown>) => {
  for (const thing of things) {
    expect(String(thing)).not.toContain(token)
    expect(JSON.stringify(thing)).not.toContain(token)
    if (thing instanceof Error) expect(`${thing.message} ${thing.stack}`).not.toContain(token)
  }
}

const schemaOf = (value: unknown) => value as JsonSchema
interface JsonSchema {
  readonly type?: string
  readonly properties?: Record<string, JsonSchema>
  readonly additionalProperties?: boolean
  readonly items?: JsonSchema
  readonly enum?: ReadonlyArray<unknown>
  readonly minimum?: number
  readonly pattern?: string
  readonly default?: unknown
}

const validate = (schema: JsonSchema, value: unknown, at = ""): ReadonlyArray<string> => {
  const problems: Array<string> = []
  if (schema.enum !== undefined && !schema.enum.includes(value)) problems.push(`${at}: not in enum`)
  if (schema.type === "object") {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return [`${at}: not an object`]
    for (const [key, child] of Object.entries(value)) {
      const property = schema.properties?.[key]
      if (property !== undefined) problems.push(...validate(property, child, `${at}/${key}`))
      else if (schema.additionalProperties === false) problems.push(`${at}/${key}: not allowed`)
    }
  } else if (schema.type === "array") {
    if (!Array.isArray(value)) return [`${at}: not an array`]
    problems.push(...value.flatMap((item, index) => validate(schema.items ?? {}, item, `${at}/${index}`)))
  } else if (schema.type === "integer") {
    if (!Number.isInteger(value)) return [`${at}: not an integer`]
    if (schema.minimum !== undefined && (value as number) < schema.minimum) problems.push(`${at}: below minimum`)
  } else if (schema.type === "boolean") {
    if (typeof value !== "boolean") return [`${at}: not a boolean`]
  } else if (schema.type === "string") {
    if (typeof value !== "string") return [`${at}: not a string`]
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) problems.push(`${at}: no match`)
  }
  return problems
}

const fullFile = {
  $schema: "./afk.config.schema.json",
  killSwitch: false,
  allowlist: ["acme/app", "acme/api"],
  readyLabel: "go",
  lockLabel: "busy",
  humanLabel: "help",
  pausedLabel: "hold",
  maxConcurrentRuns: 7,
  fixForwardMaxAttempts: 0,
  closeDeferMaxSeconds: 60,
  noVerdictMaxSeconds: 120,
  turnMaxSeconds: 180,
  claimGraceSeconds: 30,
  maxRedispatches: 2,
  defaultPriority: -1,
  requiredChecks: ["ci/*"],
  deployChecks: ["deploy/production"],
  preamble: "Be careful.",
  notifyDispatched: true,
  t3: { url: "https://t3.internal", model: "m", workspaceRoot: "/w/{repo}", webUrl: "https://t3.example" },
  tracker: { kind: "forgejo", githubApi: "https://ghe/api/v3", forgejoApi: "https://git.example/api/v1" },
  slack: { channel: "#afk", mention: "<!subteam^S123>" }
}

describe("JSON Schema", () => {
  const schema = schemaOf(Config.jsonSchema)

  it("is draft 2020-12, closed, and accepts a full valid file", () => {
    expect((Config.jsonSchema as { $schema?: string }).$schema).toBe("https://json-schema.org/draft/2020-12/schema")
    expect(schema.additionalProperties).toBe(false)
    expect(validate(schema, fullFile)).toEqual([])
  })

  it("rejects unknown keys, secrets and wrongly typed values", () => {
    expect(validate(schema, { killswitch: false })).toEqual(["/killswitch: not allowed"])
    expect(validate(schema, { tracker: { githubToken: token } })).toEqual(["/tracker/githubToken: not allowed"])
    expect(validate(schema, { killSwitch: "false", maxConcurrentRuns: 0, allowlist: ["nope"] })).toHaveLength(3)
    expect(validate(schema, { tracker: { kind: "gitlab" } })).toEqual(["/tracker/kind: not in enum"])
  })

  it("refuses a URL with user:password@", () => {
    expect(validate(schema, { t3: { url: `http://u:${token}@t3.internal` } })).toEqual(["/t3/url: no match"])
    expect(validate(schema, { t3: { url: "http://t3.internal:3773/x?y=1" } })).toEqual([])
  })

  it("documents every non-secret setting with its default and env name, and no secret", () => {
    for (const setting of Config.settings) {
      const property = setting.key.split(".").reduce<JsonSchema | undefined>((node, k) => node?.properties?.[k], schema)
      if (setting.secret) {
        expect(property).toBeUndefined()
        continue
      }
      expect(property, setting.key).toBeDefined()
      expect(JSON.stringify(property)).toContain(setting.env)
    }
    expect(schema.properties?.killSwitch?.default).toBe(true)
    expect(schema.properties?.allowlist?.default).toEqual([])
    expect(schema.properties?.t3?.properties?.url?.default).toBe("http://127.0.0.1:3773")
  })
})

layer(NodeFileSystem.layer)("sources", (it) => {
  const tempDir = Effect.flatMap(FileSystem.FileSystem, (fs) => fs.makeTempDirectoryScoped())
  const write = (path: string, content: string) =>
    Effect.flatMap(FileSystem.FileSystem, (fs) => fs.writeFileString(path, content))
  const configDir = (root: string, files: Record<string, string>) =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      yield* fs.makeDirectory(`${root}/..2024_01_01`, { recursive: true })
      for (const [name, content] of Object.entries(files)) {
        yield* write(`${root}/..2024_01_01/${name}`, content)
        yield* fs.symlink(`..data/${name}`, `${root}/${name}`)
      }
      yield* fs.symlink("..2024_01_01", `${root}/..data`)
      return root
    })

  it.scoped("the full valid file loads through the provider", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* write(`${dir}/afk.config.json`, JSON.stringify(fullFile))
      const config = yield* Config.loadFrom({ file: `${dir}/afk.config.json` })
      expect(config.allowlist).toEqual(["acme/app", "acme/api"])
      expect(config.t3.webUrl).toEqual(Option.some("https://t3.example"))
      expect(config.tracker.kind).toBe("forgejo")
      expect(config.defaultPriority).toBe(-1)
      expect(Config.isArmed(config)).toBe(true)
    }))

  it.scoped("precedence: defaults < file < dir < env < overrides", () =>
    Effect.gen(function*() {
      const root = yield* tempDir
      const file = `${root}/afk.config.json`
      yield* write(file, JSON.stringify({ readyLabel: "from-file", lockLabel: "file-lock", allowlist: ["o/r"] }))
      const dir = yield* configDir(`${root}/cm`, { AFK_READY_LABEL: "from-dir\n", AFK_KILL_SWITCH: "false\n" })
      const env = { AFK_READY_LABEL: "from-env", PATH: "/bin" }
      const overrides = { AFK_READY_LABEL: "from-override" }
      const label = (sources: Config.Sources) => Effect.map(Config.loadFrom(sources), (c) => c.readyLabel)
      expect(yield* label({})).toBe("ready-for-agent")
      expect(yield* label({ file })).toBe("from-file")
      expect(yield* label({ file, dir })).toBe("from-dir")
      expect(yield* label({ file, dir, env })).toBe("from-env")
      expect(yield* label({ file, dir, env, overrides })).toBe("from-override")
      const merged = yield* Config.loadFrom({ file, dir, env, overrides })
      expect([merged.lockLabel, merged.killSwitch, merged.allowlist]).toEqual(["file-lock", false, ["o/r"]])
      expect(yield* label({ file, env: { AFK_READY_LABEL: "  " } })).toBe("from-file")
    }))

  it.scoped("the provider works for embedders through Effect.withConfigProvider", () =>
    Effect.gen(function*() {
      const provider = yield* Config.provider({ env: { AFK_KILL_SWITCH: "off", AFK_ALLOWLIST: "o/r" } })
      const config = yield* Effect.withConfigProvider(Config.load, provider)
      expect(Config.isArmed(config)).toBe(true)
    }))

  it.scoped("the directory: dotfiles and foreign files ignored, content trimmed, secrets allowed", () =>
    Effect.gen(function*() {
      const root = yield* tempDir
      const dir = yield* configDir(root, { AFK_ALLOWLIST: "o/r, o/s\n", GITHUB_TOKEN: `${token}\n`, README: "x" })
      yield* write(`${root}/.hidden`, "AFK_KILL_SWITCH=false")
      const config = yield* Config.loadFrom({ dir })
      expect(config.allowlist).toEqual(["o/r", "o/s"])
      expect(config.tracker.githubToken.pipe(Option.map(Redacted.value))).toEqual(Option.some(token))
      expect(config.killSwitch).toBe(true)
    }))

  it.scoped("unknown keys are refused in file, dir, env and overrides, with a suggestion when close", () =>
    Effect.gen(function*() {
      const root = yield* tempDir
      const file = `${root}/afk.config.json`
      yield* write(file, JSON.stringify({ t3: { modle: "m" } }))
      const fromFile = yield* refused(Config.loadFrom({ file }))
      expect([fromFile.key, fromFile.source]).toEqual(["t3.modle", `file ${file}`])
      expect(fromFile.message).toContain("did you mean t3.model?")
      const dir = yield* configDir(`${root}/cm`, { AFK_ALOWLIST: "o/r" })
      const fromDir = yield* refused(Config.loadFrom({ dir }))
      expect([fromDir.key, fromDir.source]).toEqual(["AFK_ALOWLIST", `dir ${dir}`])
      expect(fromDir.message).toContain("did you mean AFK_ALLOWLIST?")
      const fromEnv = yield* refused(Config.loadFrom({ env: { AFK_KILLSWITCH: "false" } }))
      expect([fromEnv.key, fromEnv.source]).toEqual(["AFK_KILLSWITCH", "env"])
      expect(fromEnv.message).toContain("did you mean AFK_KILL_SWITCH?")
      const lower = yield* refused(Config.loadFrom({ env: { afk_kill_switch: "false" } }))
      expect(lower.message).toContain("did you mean AFK_KILL_SWITCH?")
      const fromOverride = yield* refused(Config.loadFrom({ overrides: { killSwitch: "false" } }))
      expect([fromOverride.key, fromOverride.source]).toEqual(["killSwitch", "override"])
    }))

  it.scoped("secrets in the file are refused, pointing at env or the secret directory, without the value", () =>
    Effect.gen(function*() {
      const root = yield* tempDir
      const file = `${root}/afk.config.json`
      yield* write(file, JSON.stringify({ tracker: { githubToken: token } }))
      const error = yield* refused(Config.loadFrom({ file }))
      expect(error.key).toBe("tracker.githubToken")
      expect(error.value).toBeUndefined()
      expect(error.message).toContain("set GITHUB_TOKEN in the environment or as a file named GITHUB_TOKEN")
      expectNoSecret(error)
      yield* write(file, JSON.stringify({ tracker: { githubTokn: token } }))
      expectNoSecret(yield* refused(Config.loadFrom({ file })))
      const unknownEnv = yield* refused(Config.loadFrom({ env: { AFK_T3_TOKN: token } }))
      expect(unknownEnv.key).toBe("AFK_T3_TOKN")
      expectNoSecret(unknownEnv)
    }))

  it.scoped("a credential in a URL of the file is refused with the file key, the URL shown without it", () =>
    Effect.gen(function*() {
      const root = yield* tempDir
      const file = `${root}/afk.config.json`
      yield* write(file, JSON.stringify({ tracker: { githubApi: `https://x:${token}@ghe.example/api/v3` } }))
      const error = yield* refused(Config.loadFrom({ file }))
      expect([error.key, error.value]).toEqual(["tracker.githubApi", "https://***@ghe.example/api/v3"])
      expect(error.detail).toContain("put the token in GITHUB_TOKEN")
      expectNoSecret(error)
    }))

  it.scoped("malformed JSON names the file and the position, never echoing content", () =>
    Effect.gen(function*() {
      const root = yield* tempDir
      const file = `${root}/afk.config.json`
      const bad = `  "preamble": "${token}" oops`
      yield* write(file, `{\n  "killSwitch": false,\n${bad}\n}`)
      const error = yield* refused(Config.loadFrom({ file }))
      expect([error.key, error.source]).toEqual(["afk.config.json", `file ${file}`])
      expect(error.detail).toBe(`is not valid JSON (line 3, column ${bad.indexOf("oops") + 1})`)
      expectNoSecret(error)
    }))

  it.scoped("a key twice in one object, at any depth, is refused with its path and position", () =>
    Effect.gen(function*() {
      const root = yield* tempDir
      const file = `${root}/afk.config.json`
      const refusedText = (text: string) => Effect.zipRight(write(file, text), refused(Config.loadFrom({ file })))
      const top = yield* refusedText(`{"killSwitch": true,\n "killSwitch": false}`)
      expect([top.key, top.source]).toEqual(["killSwitch", `file ${file}`])
      expect(top.detail).toBe(
        "appears more than once in one object (line 2, column 2); JSON would keep only the last one silently, so remove the other"
      )
      expect((yield* refusedText(`{"t3": {"url": "http://a", "model": "m", "url": "http://b"}}`)).key).toBe("t3.url")
      expect((yield* refusedText(`{"killSwitch": true, "kill\\u0053witch": false}`)).key).toBe("killSwitch")
      expect((yield* refusedText(`{"tracker": {}, "slack": {}, "tracker": {"kind": "github"}}`)).key).toBe("tracker")
      expect((yield* refusedText(`{"allowlist": [{"a": 1, "a": 2}]}`)).key).toBe("allowlist.0.a")
      const nested = `${"[".repeat(20_000)}${"]".repeat(20_000)}`
      expect((yield* refusedText(`{"allowlist": ${nested}}`)).detail).toContain("expected an array of strings")
      yield* write(file, `{"t3": {"url": "http://a"}, "tracker": {"url": 1}, "slack": {"channel": "x"}}`)
      expect((yield* refused(Config.loadFrom({ file }))).key).toBe("tracker.url")
      yield* write(
        file,
        `{"t3": {"url": "http://a", "model": "url"}, "allowlist": ["o/r", "o/s"], "preamble": "{\\"a\\":1,\\"a\\":2}"}`
      )
      expect((yield* Config.loadFrom({ file })).t3.model).toBe("url")
    }))

  it.scoped("file values are typed and checked like env values, naming the file key", () =>
    Effect.gen(function*() {
      const root = yield* tempDir
      const file = `${root}/afk.config.json`
      const refusedFile = (content: unknown) =>
        Effect.zipRight(write(file, JSON.stringify(content)), refused(Config.loadFrom({ file })))
      const typed = yield* refusedFile({ killSwitch: "false" })
      expect([typed.key, typed.value, typed.source]).toEqual(["killSwitch", "\"false\"", `file ${file}`])
      expect((yield* refusedFile({ allowlist: ["o/r", "bad"] })).detail).toContain("entry \"bad\" is not owner/name")
      expect((yield* refusedFile({ maxConcurrentRuns: 1.5 })).detail).toContain("is not a whole number")
      expect((yield* refusedFile({ requiredChecks: ["build (a, b)"] })).detail).toContain("use a * wildcard")
      expect((yield* refusedFile({ t3: "x" })).key).toBe("t3")
      expect((yield* refusedFile([])).key).toBe("(top level)")
    }))

  it.scoped("two labels spelt alike name where each came from: file key, directory, env, flag or default", () =>
    Effect.gen(function*() {
      const root = yield* tempDir
      const file = `${root}/afk.config.json`
      yield* write(file, JSON.stringify({ humanLabel: "Paused" }))
      const fromFile = yield* refused(Config.loadFrom({ file }))
      expect(fromFile.key).toBe("AFK_HUMAN_LABEL and AFK_PAUSED_LABEL")
      expect(fromFile.source).toBe(`AFK_HUMAN_LABEL: humanLabel in file ${file}; AFK_PAUSED_LABEL: built-in default`)
      const dir = yield* configDir(`${root}/cm`, { AFK_LOCK_LABEL: "go\n" })
      const mixed = yield* refused(Config.loadFrom({ file, dir, overrides: { AFK_READY_LABEL: "GO" } }))
      expect(mixed.source).toBe(`AFK_READY_LABEL: override; AFK_LOCK_LABEL: dir ${dir}`)
      const fixed = yield* Config.loadFrom({ file, dir, env: { AFK_PAUSED_LABEL: "hold" } })
      expect([fixed.lockLabel, fixed.humanLabel, fixed.pausedLabel]).toEqual(["go", "Paused", "hold"])
    }))

  it.scoped("nothing half-loaded: a refused value anywhere, even overridden, fails the whole load", () =>
    Effect.gen(function*() {
      const root = yield* tempDir
      const file = `${root}/afk.config.json`
      yield* write(file, JSON.stringify({ killSwitch: false, allowlist: ["o/r"], maxConcurrentRuns: 0 }))
      const exit = yield* Effect.exit(Config.loadFrom({ file, overrides: { AFK_MAX_CONCURRENT_RUNS: "2" } }))
      expect(Exit.isFailure(exit)).toBe(true)
      const missing = yield* refused(Config.loadFrom({ file: `${root}/nope.json` }))
      expect(missing.detail).toBe("cannot be read (NotFound)")
      const badDir = yield* refused(Config.loadFrom({ dir: `${root}/nope` }))
      expect(badDir.source).toBe(`dir ${root}/nope`)
    }))
})
