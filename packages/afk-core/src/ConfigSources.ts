/**
 * Reads AFK's configuration sources — `afk.config.json`, a ConfigMap-style directory, env vars and
 * programmatic overrides — into env-style values. Every value is checked against the settings table as it is
 * read, so an error names the key as written in its own source. Internal to `Config`.
 */
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { byEnv, ConfigError, decodeValue, isSetting, type Origin, refuse, type Setting, table } from "./ConfigSchema.js"
import * as JsonKeys from "./JsonKeys.js"

/** One accepted raw value: the env-style key it sets, its trimmed text, and where it came from. */
export interface Value {
  readonly env: string
  readonly text: string
  readonly origin: Origin
}

const envNames = [...byEnv.keys()]

const distance = (a: string, b: string): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]!
}

const hint = (name: string, known: ReadonlyArray<string>): string => {
  const ranked = known
    .map((candidate) => ({ candidate, cost: distance(name.toLowerCase(), candidate.toLowerCase()) }))
    .sort((a, b) => a.cost - b.cost)
  const best = ranked[0]
  return best !== undefined && best.cost <= 3 ? `did you mean ${best.candidate}?` : `known: ${known.join(", ")}`
}

const unknown = (key: string, source: string, known: ReadonlyArray<string>): ConfigError =>
  new ConfigError({ key, source, detail: `is not a known setting; ${hint(key, known)}` })

const isAfkName = (name: string): boolean => name.toUpperCase().startsWith("AFK_")

const accept = (
  setting: Setting<unknown>,
  text: string,
  origin: Origin
): Either.Either<ReadonlyArray<Value>, ConfigError> => {
  const trimmed = text.trim()
  if (trimmed === "") return Either.right([])
  return Either.map(decodeValue(setting, trimmed, origin), () => [{ env: setting.env, text: trimmed, origin }])
}

const collect = (
  results: ReadonlyArray<Either.Either<ReadonlyArray<Value>, ConfigError>>
): Either.Either<ReadonlyArray<Value>, ConfigError> => Either.map(Either.all(results), (values) => values.flat())

const pairs = (
  record: Record<string, string | undefined>,
  source: string,
  strict: boolean
): Either.Either<ReadonlyArray<Value>, ConfigError> => {
  const results: Array<Either.Either<ReadonlyArray<Value>, ConfigError>> = []
  for (const name of Object.keys(record).sort()) {
    const text = record[name]
    const setting = byEnv.get(name)
    if (text === undefined || (setting === undefined && !strict && !isAfkName(name))) continue
    const result = setting === undefined
      ? Either.left(unknown(name, source, envNames))
      : accept(setting, text, { source, key: name })
    if (Either.isLeft(result)) return result
    results.push(result)
  }
  return collect(results)
}

/** Env vars: known names are read; an unknown `AFK_*` name (any case) is an error; anything else is ignored. */
export const env = (record: Record<string, string | undefined>) => pairs(record, "env", false)

/** Programmatic overrides (the CLI's flags): every name must be a known env-style key. */
export const overrides = (record: Record<string, string>) => pairs(record, "override", true)

const baseName = (path: string): string =>
  path
    .replace(/[\\/]+$/, "")
    .split(/[\\/]/)
    .pop() ?? path

const unreadable = (key: string, source: string) => (error: PlatformError) =>
  new ConfigError({
    key,
    source,
    detail: `cannot be read (${error._tag === "SystemError" ? error.reason : "bad argument"})`
  })

/**
 * A ConfigMap-style directory (also how a Kubernetes Secret is mounted): one file per env-style key, content
 * trimmed. Dotfiles such as `..data` are ignored; an unknown `AFK_*` file name is an error.
 */
export const directory = (dir: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const source = `dir ${dir}`
    const names = yield* Effect.mapError(fs.readDirectory(dir), unreadable(baseName(dir), source))
    const values: Array<Value> = []
    for (const name of names.filter((name) => !name.startsWith(".")).sort()) {
      const setting = byEnv.get(name)
      if (setting === undefined && !isAfkName(name)) continue
      if (setting === undefined) return yield* Effect.fail(unknown(name, source, envNames))
      const path = `${dir.replace(/[\\/]+$/, "")}/${name}`
      const info = yield* Effect.mapError(fs.stat(path), unreadable(name, source))
      if (info.type !== "File") {
        return yield* Effect.fail(new ConfigError({ key: name, source, detail: "is not a regular file" }))
      }
      const text = yield* Effect.mapError(fs.readFileString(path), unreadable(name, source))
      values.push(...(yield* accept(setting, text, { source, key: name })))
    }
    return values
  })

const lineAndColumn = (content: string, offset: number): { line: number; column: number } => {
  const lines = content.slice(0, offset).split("\n")
  return { line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 }
}

const position = (content: string, error: unknown) => {
  const match = /position (\d+)/.exec(error instanceof Error ? error.message : "")
  return lineAndColumn(content, match?.[1] === undefined ? content.length : Number(match[1]))
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** A file value as JSON text for an error; a value nested too deeply for `JSON.stringify` is described. */
const shown = (value: unknown): string => {
  try {
    return JSON.stringify(value)
  } catch {
    return "(a value nested too deeply to show)"
  }
}

const walk = (
  json: unknown,
  node: object,
  path: ReadonlyArray<string>,
  source: string
): Either.Either<ReadonlyArray<Value>, ConfigError> => {
  const here = path.join(".")
  if (!isObject(json)) {
    return Either.left(new ConfigError({ key: here || "(top level)", source, detail: "expected a JSON object" }))
  }
  const children = node as Record<string, unknown>
  const results: Array<Either.Either<ReadonlyArray<Value>, ConfigError>> = []
  for (const [name, value] of Object.entries(json)) {
    if (path.length === 0 && name === "$schema") continue
    const child = children[name]
    const key = [...path, name].join(".")
    const known = Object.keys(children).filter((k) => !(isSetting(children[k]) && children[k].secret))
    let result: Either.Either<ReadonlyArray<Value>, ConfigError>
    if (child === undefined) {
      result = Either.left(
        unknown(
          key,
          source,
          known.map((k) => [...path, k].join("."))
        )
      )
    } else if (!isSetting(child)) {
      result = walk(value, child as object, [...path, name], source)
    } else if (child.secret) {
      const detail =
        `secrets are not allowed in the config file; set ${child.env} in the environment or as a file named ${child.env} in the secret directory`
      result = Either.left(new ConfigError({ key, source, detail }))
    } else {
      const origin = { source, key }
      result = Either.flatMap(
        Either.mapLeft(child.fromJson(value), (problem) => refuse(child, origin, shown(value), problem)),
        (text) => accept(child, text, origin)
      )
    }
    if (Either.isLeft(result)) return result
    results.push(result)
  }
  return collect(results)
}

const duplicateKey = (content: string, source: string): Either.Either<void, ConfigError> =>
  Option.match(JsonKeys.duplicate(content), {
    onNone: () => Either.void,
    onSome: ({ offset, path }) => {
      const { column, line } = lineAndColumn(content, offset)
      return Either.left(
        new ConfigError({
          key: path.join("."),
          source,
          detail:
            `appears more than once in one object (line ${line}, column ${column}); JSON would keep only the last one silently, so remove the other`
        })
      )
    }
  })

/**
 * `afk.config.json`: camelCase keys mirroring `AfkConfig`, checked against the table the JSON Schema is built
 * from. Unknown keys, secrets and a key given twice in one object are errors; malformed JSON is reported with
 * its line and column.
 */
export const file = (path: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const source = `file ${path}`
    const key = baseName(path)
    const content = (yield* Effect.mapError(fs.readFileString(path), unreadable(key, source))).replace(/^\uFEFF/, "")
    const json = yield* Either.try({
      try: (): unknown => JSON.parse(content),
      catch: (error) => {
        const { line, column } = position(content, error)
        return new ConfigError({ key, source, detail: `is not valid JSON (line ${line}, column ${column})` })
      }
    })
    yield* duplicateKey(content, source)
    return yield* walk(json, table, [], source)
  })
