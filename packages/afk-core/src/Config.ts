/**
 * AFK's configuration: strict, layered and disarmed by default (PRODUCT §3). Two independent gates — the kill
 * switch (on by default) and the allowlist (empty by default) — so a fresh install does nothing. Sources, later
 * wins: built-in defaults < `afk.config.json` < a ConfigMap-style directory < env vars < programmatic overrides.
 * Built on Effect's `ConfigProvider`: `provider(sources)` merges and validates the sources, `load` reads through
 * whatever provider is current. Secrets stay `Redacted` and never appear in errors or `describe`.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as EffectConfig from "effect/Config"
import * as EffectConfigError from "effect/ConfigError"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as ConfigSchema from "./ConfigSchema.js"
import { ConfigError } from "./ConfigSchema.js"
import * as ConfigSources from "./ConfigSources.js"
import type { Repo } from "./Domain.js"

export { ConfigError }

/** The effective configuration. Env names and defaults in the settings table (`settings`). */
export interface AfkConfig {
  readonly killSwitch: boolean
  readonly allowlist: ReadonlyArray<Repo>
  readonly readyLabel: string
  readonly lockLabel: string
  readonly humanLabel: string
  readonly pausedLabel: string
  readonly maxConcurrentRuns: number
  readonly fixForwardMaxAttempts: number
  readonly closeDeferMaxSeconds: number
  readonly noVerdictMaxSeconds: number
  readonly turnMaxSeconds: number
  readonly claimGraceSeconds: number
  readonly maxRedispatches: number
  /** Tokens a run may use over all its turns before it gets no further turn; `None`: no limit. */
  readonly runMaxTokens: Option.Option<number>
  /** Tokens all runs may use per UTC day before poll starts nothing; `None`: no limit. */
  readonly dailyMaxTokens: Option.Option<number>
  readonly defaultPriority: number
  readonly requiredChecks: ReadonlyArray<string>
  readonly deployChecks: ReadonlyArray<string>
  /** `push` to the default branch, or `pull-request`: a branch per run, a pull request AFK merges on green. */
  readonly delivery: "push" | "pull-request"
  readonly mergeMethod: "squash" | "merge" | "rebase"
  readonly requiredApprovals: number
  readonly reviewMaxRounds: number
  readonly deleteBranch: boolean
  readonly preamble: Option.Option<string>
  readonly notifyDispatched: boolean
  /** Where short-lived processes keep tracker answers for conditional requests; `None` is off. */
  readonly cacheDir: Option.Option<string>
  readonly t3: {
    readonly url: string
    readonly token: Option.Option<Redacted.Redacted>
    readonly model: string
    readonly workspaceRoot: string
    readonly runtimeMode: "full-access" | "auto"
    readonly archiveOnDone: boolean
    readonly webUrl: Option.Option<string>
  }
  readonly tracker: {
    readonly kind: "github" | "forgejo"
    readonly githubApi: string
    readonly githubToken: Option.Option<Redacted.Redacted>
    /** How GitHub repositories are proven unchanged before remembered lists are served (`GithubChanges`). */
    readonly githubChangeProbe: "rest" | "graphql"
    /** How GitHub issue lists by label are read: one REST request per list, or batched GraphQL queries. */
    readonly githubLists: "rest" | "graphql"
    readonly githubAppId: Option.Option<string>
    readonly githubAppPrivateKey: Option.Option<Redacted.Redacted>
    readonly githubAppPrivateKeyFile: Option.Option<string>
    readonly githubAppInstallationId: Option.Option<string>
    readonly forgejoApi: Option.Option<string>
    readonly forgejoToken: Option.Option<Redacted.Redacted>
  }
  readonly slack: {
    readonly webhookUrl: Option.Option<Redacted.Redacted>
    readonly botToken: Option.Option<Redacted.Redacted>
    readonly channel: Option.Option<string>
    readonly mention: Option.Option<string>
  }
  /** `afk-cli serve`: where it listens, the webhook secret and the reconcile interval. */
  readonly serve: {
    readonly host: string
    readonly port: number
    readonly webhookSecret: Option.Option<Redacted.Redacted>
    readonly reconcileSeconds: number
  }
}

/** The built-in defaults: disarmed (kill switch on, empty allowlist). */
export const defaults: AfkConfig = ConfigSchema.defaults

/** One row of the settings table, for docs and `doctor`. */
export interface SettingInfo {
  /** The key in `afk.config.json` (dotted for nested groups). */
  readonly key: string
  readonly env: string
  readonly secret: boolean
  readonly default: string
  readonly accepts: string
  readonly description: string
}

/** Every setting, in table order; the same table drives parsing, `describe` and `jsonSchema`. */
export const settings: ReadonlyArray<SettingInfo> = ConfigSchema.entries.map(({ path, setting }) => ({
  key: path.join("."),
  env: setting.env,
  secret: setting.secret,
  default: setting.show(setting.default),
  accepts: setting.accepts,
  description: setting.description
}))

type Raw = ReadonlyMap<string, string | Redacted.Redacted>

const raw: EffectConfig.Config<Raw> = EffectConfig.all(
  ConfigSchema.entries.map(({ setting }) => {
    const text: EffectConfig.Config<string | Redacted.Redacted> = setting.secret
      ? EffectConfig.redacted(setting.env)
      : EffectConfig.string(setting.env)
    return EffectConfig.option(text).pipe(
      EffectConfig.map(Option.map((value): [string, string | Redacted.Redacted] => [setting.env, value]))
    )
  })
).pipe(EffectConfig.map((values) => new Map(values.flatMap(Option.toArray))))

const envOrigin = (env: string): ConfigSchema.Origin => ({ source: "env", key: env })

/** The `effect/Config` descriptor reading the env-style keys (`AFK_KILL_SWITCH`, `GITHUB_TOKEN`, …). */
export const config: EffectConfig.Config<AfkConfig> = EffectConfig.mapOrFail(
  raw,
  (values) =>
    Either.mapLeft(
      ConfigSchema.decodeAll(values, envOrigin),
      (error) => EffectConfigError.InvalidData([error.key], error.message)
    )
)

const fromProviderError = (error: EffectConfigError.ConfigError): ConfigError => {
  const path = "path" in error ? error.path : []
  const key = path.join(".") || "(config provider)"
  const secret = ConfigSchema.byEnv.get(key)?.secret ?? false
  return new ConfigError({
    key,
    source: "config provider",
    detail: secret ? `could not be read (${error._op})` : `could not be read: ${error.message}`
  })
}

const loadWith = (originOf: (env: string) => ConfigSchema.Origin): Effect.Effect<AfkConfig, ConfigError> =>
  raw.pipe(
    Effect.mapError(fromProviderError),
    Effect.flatMap((values) => ConfigSchema.decodeAll(values, originOf))
  )

/** Reads and validates the configuration through the current `ConfigProvider` (env vars unless replaced). */
export const load: Effect.Effect<AfkConfig, ConfigError> = loadWith(envOrigin)

/** Where to read configuration from; every source is optional and checked strictly. */
export interface Sources {
  /** Path to `afk.config.json`. */
  readonly file?: string
  /** ConfigMap-style directory (one file per env-style key; also a mounted Kubernetes Secret). */
  readonly dir?: string
  /** Env vars (e.g. `process.env`); omitted means no env layer. */
  readonly env?: Record<string, string | undefined>
  /** Env-style keys set programmatically (the CLI maps its flags to these). */
  readonly overrides?: Record<string, string>
}

/**
 * Reads and validates every source and merges them, later wins: defaults < file < dir < env < overrides. Blank
 * values are unset in their layer. Any refused value, unknown key or unreadable source fails the whole load.
 */
export const provider = (
  sources: Sources
): Effect.Effect<ConfigProvider.ConfigProvider, ConfigError, FileSystem.FileSystem> =>
  Effect.map(merged(sources), providerOf)

const merged = (sources: Sources) =>
  Effect.gen(function*() {
    const layers = [
      sources.file === undefined ? [] : yield* ConfigSources.file(sources.file),
      sources.dir === undefined ? [] : yield* ConfigSources.directory(sources.dir),
      yield* ConfigSources.env(sources.env ?? {}),
      yield* ConfigSources.overrides(sources.overrides ?? {})
    ]
    return new Map(layers.flat().map((value) => [value.env, value]))
  })

const providerOf = (values: ReadonlyMap<string, ConfigSources.Value>) =>
  ConfigProvider.fromMap(new Map([...values].map(([env, value]) => [env, value.text])))

/** `provider(sources)` then `load` through it; an error naming two settings says where each came from. */
export const loadFrom = (sources: Sources): Effect.Effect<AfkConfig, ConfigError, FileSystem.FileSystem> =>
  Effect.flatMap(merged(sources), (values) =>
    Effect.withConfigProvider(
      loadWith((env) => values.get(env)?.origin ?? envOrigin(env)),
      providerOf(values)
    ))

const groupDescriptions: Record<string, string> = {
  t3: "The T3 Code agent server.",
  tracker: "The issue tracker and its API.",
  slack: "Slack notifications.",
  serve: "The long-running `afk-cli serve`: its HTTP listener, webhooks and reconcile interval."
}

const valueAt = (config: AfkConfig, path: ReadonlyArray<string>): unknown =>
  path.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], config)

/** The effective values keyed by env name, secrets shown as `<redacted>` (for `doctor`). */
export const describe = (config: AfkConfig): ReadonlyArray<{ key: string; value: string }> =>
  ConfigSchema.entries.map(({ path, setting }) => ({ key: setting.env, value: setting.show(valueAt(config, path)) }))

const propertySchema = (setting: ConfigSchema.Setting<unknown>): Record<string, unknown> => {
  const fallback = setting.toJson(setting.default)
  return {
    ...setting.json,
    description: `${setting.description} Env: ${setting.env}.`,
    ...(fallback === undefined ? {} : { default: fallback })
  }
}

const objectSchema = (node: object): Record<string, unknown> => ({
  type: "object",
  additionalProperties: false,
  properties: Object.fromEntries(
    Object.entries(node).flatMap(([key, child]): Array<[string, unknown]> => {
      if (!ConfigSchema.isSetting(child)) {
        return [[key, { ...objectSchema(child as object), description: groupDescriptions[key] ?? key }]]
      }
      return child.secret ? [] : [[key, propertySchema(child)]]
    })
  )
})

const secretNames = ConfigSchema.entries.filter((entry) => entry.setting.secret).map((entry) => entry.setting.env)

/**
 * JSON Schema (draft 2020-12) of `afk.config.json`, derived from the settings table: types, defaults, descriptions,
 * no extra keys. Secrets are absent by design.
 */
export const jsonSchema: object = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  title: "afk.config.json",
  description:
    "AFK configuration file. Environment variables, a ConfigMap-style directory and CLI flags override it. " +
    `Secrets (${secretNames.join(", ")}) are not allowed here: set them in the environment or the secret directory.`,
  ...objectSchema(ConfigSchema.table),
  properties: {
    $schema: { type: "string", description: "The schema this file follows (for editors)." },
    ...(objectSchema(ConfigSchema.table).properties as object)
  }
}

/** True only with the kill switch off AND a non-empty allowlist. */
export const isArmed = (config: AfkConfig): boolean => !config.killSwitch && config.allowlist.length > 0

/** Exactly why the loop is or is not armed, naming each gate and its env var. */
export const describeArming = (
  config: AfkConfig
): { readonly armed: boolean; readonly reasons: ReadonlyArray<string> } => {
  const closed = [
    ...(config.killSwitch ? ["kill switch is on (AFK_KILL_SWITCH=true)"] : []),
    ...(config.allowlist.length === 0 ? ["allowlist is empty (AFK_ALLOWLIST)"] : [])
  ]
  if (closed.length > 0) return { armed: false, reasons: closed }
  const count = config.allowlist.length
  return {
    armed: true,
    reasons: [
      "kill switch is off (AFK_KILL_SWITCH=false)",
      `allowlist names ${count} ${count === 1 ? "repository" : "repositories"} (AFK_ALLOWLIST=${
        config.allowlist.join(",")
      })`
    ]
  }
}
