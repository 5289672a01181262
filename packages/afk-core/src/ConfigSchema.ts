/**
 * The strict parsing derived from the one table of AFK's settings (`ConfigTable`, re-exported here: file key,
 * env name, kind, default, secret?, description). Internal to `Config`, which builds `describe`, `settings` and
 * the JSON Schema of `afk.config.json` from the same table, so docs, schema, env parsing and `describe` cannot
 * drift apart. The kinds of value (how each parses, is shown and is schema-typed) are in `ConfigKinds`.
 */
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type { AfkConfig } from "./Config.js"
import { redactCredentials } from "./ConfigKinds.js"
import { type Setting, table } from "./ConfigTable.js"

export { type Setting, table } from "./ConfigTable.js"

/** A configuration value that was refused; `value` is never set for a secret. */
export class ConfigError extends Schema.TaggedError<ConfigError>()("ConfigError", {
  key: Schema.String,
  value: Schema.optional(Schema.String),
  source: Schema.String,
  detail: Schema.String
}) {
  override get message(): string {
    const value = this.value === undefined ? "" : `=${JSON.stringify(this.value)}`
    return `Invalid configuration: ${this.key}${value} (${this.source}): ${this.detail}`
  }
}

/** Where a raw value came from: the source (`env`, `file <path>`, `dir <path>`, `override`) and its key there. */
export interface Origin {
  readonly source: string
  readonly key: string
}

type Values<T> = { readonly [K in keyof T]: T[K] extends Setting<infer A> ? A : Values<T[K]> }

/** Every setting with its path in `AfkConfig` / `afk.config.json`, in table order. */
export interface Entry {
  readonly path: ReadonlyArray<string>
  readonly setting: Setting<unknown>
}

export const isSetting = (node: unknown): node is Setting<unknown> =>
  typeof node === "object" && node !== null && (node as { readonly _tag?: unknown })._tag === "Setting"

const flatten = (node: object, path: ReadonlyArray<string>): ReadonlyArray<Entry> =>
  Object.entries(node).flatMap(([key, child]) =>
    isSetting(child) ? [{ path: [...path, key], setting: child }] : flatten(child as object, [...path, key])
  )

export const entries: ReadonlyArray<Entry> = flatten(table, [])

export const byEnv: ReadonlyMap<string, Setting<unknown>> = new Map(entries.map((e) => [e.setting.env, e.setting]))

const build = (node: object, value: (setting: Setting<unknown>) => unknown): unknown =>
  Object.fromEntries(
    Object.entries(node).map(([key, child]) => [key, isSetting(child) ? value(child) : build(child as object, value)])
  )

const assemble = (value: (setting: Setting<unknown>) => unknown): AfkConfig =>
  build(table, value) as Values<typeof table>

/** The built-in defaults: disarmed (kill switch on, empty allowlist). */
export const defaults: AfkConfig = assemble((setting) => setting.default)

const clip = (value: string): string => (value.length > 200 ? `${value.slice(0, 200)}…` : value)

/**
 * The refusal of `text` for `setting`: names the key, the value (never a secret's, and without any credential a URL
 * in it carries), the source and what is accepted.
 */
export const refuse = (setting: Setting<unknown>, origin: Origin, text: string, problem: string): ConfigError =>
  new ConfigError({
    key: origin.key,
    ...(setting.secret ? {} : { value: clip(redactCredentials(text)) }),
    source: origin.source,
    detail: `${problem}; accepted: ${setting.accepts}`
  })

/** Parses one raw value strictly; blank (after trimming) means unset, i.e. the default. */
export const decodeValue = (
  setting: Setting<unknown>,
  raw: string | Redacted.Redacted,
  origin: Origin
): Either.Either<unknown, ConfigError> => {
  const trimmed = (Redacted.isRedacted(raw) ? Redacted.value(raw) : raw).trim()
  if (trimmed === "") return Either.right(setting.default)
  return Either.mapLeft(setting.decode(trimmed), (problem) => refuse(setting, origin, trimmed, problem))
}

const labels: ReadonlyArray<Setting<string>> = [table.readyLabel, table.lockLabel, table.humanLabel, table.pausedLabel]

const whence = (origin: Origin | undefined): string =>
  origin === undefined
    ? "built-in default"
    : byEnv.has(origin.key)
    ? origin.source
    : `${origin.key} in ${origin.source}`

/**
 * The lock, ready, human and paused labels must be four different labels, compared as the forges and the
 * policy compare them (trimmed, any case): one label in two roles would, say, make every claim a hand-over.
 */
const sameLabels = (
  value: (setting: Setting<string>) => string,
  originOf: (setting: Setting<string>) => Origin | undefined
): Option.Option<ConfigError> => {
  for (const [i, a] of labels.entries()) {
    for (const b of labels.slice(i + 1)) {
      const [first, second] = [value(a).trim(), value(b).trim()]
      if (first.toLowerCase() !== second.toLowerCase()) continue
      const both = first === second
        ? JSON.stringify(first)
        : `${JSON.stringify(first.toLowerCase())} once trimmed and lower-cased (${JSON.stringify(first)} and ${
          JSON.stringify(second)
        })`
      return Option.some(
        new ConfigError({
          key: `${a.env} and ${b.env}`,
          source: `${a.env}: ${whence(originOf(a))}; ${b.env}: ${whence(originOf(b))}`,
          detail:
            `are both ${both}; a label must name one thing, so give one of them another value (labels compare case-insensitively)`
        })
      )
    }
  }
  return Option.none()
}

/**
 * Builds a whole `AfkConfig` from raw env-style values, failing on the first refused value in table order, then
 * on two roles given one label.
 */
export const decodeAll = (
  raw: ReadonlyMap<string, string | Redacted.Redacted>,
  originOf: (env: string) => Origin
): Either.Either<AfkConfig, ConfigError> => {
  const decoded = new Map<Setting<unknown>, unknown>()
  const given = new Map<Setting<unknown>, Origin>()
  for (const { setting } of entries) {
    const value = raw.get(setting.env)
    if (value === undefined) continue
    const result = decodeValue(setting, value, originOf(setting.env))
    if (Either.isLeft(result)) return Either.left(result.left)
    decoded.set(setting, result.right)
    if ((Redacted.isRedacted(value) ? "" : value).trim() !== "") given.set(setting, originOf(setting.env))
  }
  const valueOf = (setting: Setting<unknown>) => (decoded.has(setting) ? decoded.get(setting) : setting.default)
  const clash = sameLabels((setting) => valueOf(setting) as string, (setting) => given.get(setting))
  if (Option.isSome(clash)) return Either.left(clash.value)
  const config = assemble(valueOf)
  const conflict = githubCredentials(config)
  return conflict === undefined ? Either.right(config) : Either.left(conflict)
}

const together = (key: string, detail: string) => new ConfigError({ key, source: "configuration", detail })

/**
 * GitHub credentials that are valid one by one but not together: a token and a GitHub App (exactly one is
 * wanted), or an App without its id or its private key, or with its key given twice.
 */
const githubCredentials = ({ tracker }: AfkConfig): ConfigError | undefined => {
  if (tracker.kind !== "github") return undefined
  const app: ReadonlyArray<readonly [string, Option.Option<unknown>]> = [
    ["AFK_GITHUB_APP_ID", tracker.githubAppId],
    ["AFK_GITHUB_APP_PRIVATE_KEY", tracker.githubAppPrivateKey],
    ["AFK_GITHUB_APP_PRIVATE_KEY_FILE", tracker.githubAppPrivateKeyFile],
    ["AFK_GITHUB_APP_INSTALLATION_ID", tracker.githubAppInstallationId]
  ]
  const set = app.filter(([, value]) => Option.isSome(value)).map(([key]) => key)
  if (set.length === 0) return undefined
  if (Option.isSome(tracker.githubToken)) {
    return together(
      "GITHUB_TOKEN",
      `is set, and so is a GitHub App (${set.join(", ")}); configure exactly one: unset GITHUB_TOKEN to act as ` +
        "the App, or unset the AFK_GITHUB_APP_* settings to use the token"
    )
  }
  const key = Option.isSome(tracker.githubAppPrivateKey) || Option.isSome(tracker.githubAppPrivateKeyFile)
  if (Option.isNone(tracker.githubAppId)) {
    return together(
      "AFK_GITHUB_APP_ID",
      `is not set, and ${set.join(", ")} ${set.length === 1 ? "is" : "are"}; a GitHub App needs its id ` +
        "(\"App ID\" on the App's settings page)"
    )
  }
  if (!key) {
    return together(
      "AFK_GITHUB_APP_PRIVATE_KEY",
      "is not set, and AFK_GITHUB_APP_ID is; a GitHub App needs its private key: set AFK_GITHUB_APP_PRIVATE_KEY " +
        "(the PEM, in the environment or the secret directory) or AFK_GITHUB_APP_PRIVATE_KEY_FILE (its path)"
    )
  }
  if (Option.isSome(tracker.githubAppPrivateKey) && Option.isSome(tracker.githubAppPrivateKeyFile)) {
    return together(
      "AFK_GITHUB_APP_PRIVATE_KEY_FILE",
      "is set, and so is AFK_GITHUB_APP_PRIVATE_KEY (the key itself); set only one of them"
    )
  }
  return undefined
}
