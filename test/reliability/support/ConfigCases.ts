/**
 * The bad configurations of the R4 suite: a value every kind of setting refuses, in each source the CLI
 * reads (env, `afk.config.json`, a ConfigMap-style directory, `--set`), unknown keys and malformed files,
 * each with the key its error must name and the files to lay out before the run.
 */
import { Config } from "afk-core"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import * as Scale from "./Scale.js"

export type Source = "env" | "file" | "dir" | "set"

export interface Case {
  readonly label: string
  /** What the error must name. */
  readonly names: string
  readonly args: ReadonlyArray<string>
  readonly env: Record<string, string>
  /** Files to create in the working directory before the run (`name` → content; a trailing `/` makes a directory). */
  readonly files: Readonly<Record<string, string>>
  /** Only at full counts (close to a case the afk-core or afk-cli unit tests already pin). */
  readonly fullOnly?: boolean
}

/** A value each kind of setting refuses: as env-style text, and as a JSON value in the file. */
const badValues = (setting: Config.SettingInfo): { readonly text?: string; readonly json: unknown } => {
  const accepts = setting.accepts
  if (accepts.startsWith("1, true")) return { text: "maybe", json: "no" }
  if (accepts.startsWith("a whole number")) return { text: "many", json: "3" }
  if (accepts.startsWith("a port number")) return { text: "http", json: 70_000 }
  if (accepts.startsWith("an absolute http")) return { text: "ftp://example.com/x", json: 42 }
  if (accepts.startsWith("one of")) return { text: "gitlab", json: "gitlab" }
  if (accepts.includes("owner/name")) return { text: "acme/app, not-a-repo", json: ["not-a-repo"] }
  if (accepts.startsWith("a comma-separated list")) return { json: "a,b" }
  if (accepts.startsWith("a GitHub App")) return { text: "app-one", json: "app-one" }
  if (accepts.startsWith("a PEM private key")) return { text: "not-a-key", json: "not-a-key" }
  return { json: 42 }
}

const fileFor = (key: string, value: unknown): string => {
  const path = key.split(".")
  const nested = path.reduceRight<unknown>((inner, part) => ({ [part]: inner }), value)
  return JSON.stringify(nested, null, 2)
}

const settingCase = (setting: Config.SettingInfo, source: Source): Case | undefined => {
  const bad = badValues(setting)
  const label = `${setting.key} from ${source}`
  if (source === "file") {
    if (setting.secret) return undefined
    return {
      label,
      names: setting.key,
      args: ["--config", "afk.config.json"],
      env: {},
      files: { "afk.config.json": fileFor(setting.key, bad.json) }
    }
  }
  if (bad.text === undefined) return undefined
  const text = setting.secret ? `${bad.text} SECRET` : bad.text
  if (source === "env") return { label, names: setting.env, args: [], env: { [setting.env]: text }, files: {} }
  if (source === "dir") {
    return {
      label,
      names: setting.env,
      args: ["--config-dir", "conf"],
      env: {},
      files: { "conf/": "", [`conf/${setting.env}`]: text }
    }
  }
  if (setting.secret) return undefined
  return { label, names: setting.env, args: ["--set", `${setting.env}=${text}`], env: {}, files: {} }
}

export const sources: ReadonlyArray<Source> = ["env", "file", "dir", "set"]

/** Full: every setting from every source. CI: every kind of setting once, the sources taking turns. */
export const matrix = (): ReadonlyArray<Case> => {
  if (Scale.full) {
    return Config.settings.flatMap((setting) => sources.flatMap((source) => settingCase(setting, source) ?? []))
  }
  const byKind = new Map<string, Config.SettingInfo>()
  for (const setting of Config.settings) {
    const kind = `${setting.accepts}${setting.secret}`
    if (!byKind.has(kind)) byKind.set(kind, setting)
  }
  return [...byKind.values()].flatMap((setting, i) => {
    for (let k = 0; k < sources.length; k++) {
      const found = settingCase(setting, sources[(i + k) % sources.length]!)
      if (found !== undefined) return [found]
    }
    return []
  })
}

export const specials: ReadonlyArray<Case> = [
  {
    label: "unknown env key",
    names: "AFK_ALLOWLST",
    args: [],
    env: { AFK_ALLOWLST: "acme/app" },
    files: {},
    fullOnly: true
  },
  {
    label: "unknown file key",
    names: "allowList",
    args: ["--config", "c.json"],
    env: {},
    files: { "c.json": "{\"allowList\": []}" },
    fullOnly: true
  },
  {
    label: "unknown nested file key",
    names: "t3.urll",
    args: ["--config", "c.json"],
    env: {},
    files: { "c.json": "{\"t3\": {\"urll\": \"http://x\"}}" }
  },
  {
    label: "unknown directory entry",
    names: "AFK_MAX_RUNS",
    args: ["--config-dir", "d"],
    env: {},
    files: { "d/": "", "d/AFK_MAX_RUNS": "2" }
  },
  { label: "unknown flag key", names: "AFK_NOPE", args: ["--set", "AFK_NOPE=1"], env: {}, files: {}, fullOnly: true },
  {
    label: "file with a trailing comma",
    names: "c.json",
    args: ["--config", "c.json"],
    env: {},
    files: { "c.json": "{\"killSwitch\": false,}" },
    fullOnly: true
  },
  {
    label: "empty file",
    names: "c.json",
    args: ["--config", "c.json"],
    env: {},
    files: { "c.json": "" },
    fullOnly: true
  },
  {
    label: "file holding an array",
    names: "(top level)",
    args: ["--config", "c.json"],
    env: {},
    files: { "c.json": "[]" },
    fullOnly: true
  },
  {
    label: "a group that is not an object",
    names: "t3",
    args: ["--config", "c.json"],
    env: {},
    files: { "c.json": "{\"t3\": 5}" }
  },
  {
    label: "a secret in the file",
    names: "tracker.githubToken",
    args: ["--config", "c.json"],
    env: {},
    files: { "c.json": "{\"tracker\": {\"githubToken\": \"ghp_x\"}}" }
  },
  {
    label: "a directory as --config",
    names: "--config",
    args: ["--config", "c.json"],
    env: {},
    files: { "c.json/": "" },
    fullOnly: true
  },
  {
    label: "a file as --config-dir",
    names: "d",
    args: ["--config-dir", "d"],
    env: {},
    files: { d: "x" },
    fullOnly: true
  },
  {
    label: "a directory entry that is a directory",
    names: "AFK_KILL_SWITCH",
    args: ["--config-dir", "d"],
    env: {},
    files: { "d/": "", "d/AFK_KILL_SWITCH/": "" }
  },
  {
    label: "terminal escapes in a value",
    names: "AFK_KILL_SWITCH",
    args: [],
    env: { AFK_KILL_SWITCH: "no\u001b[2J\u001b]0;pwned\u0007\nyes" },
    files: {}
  },
  {
    label: "a 100 kB value",
    names: "AFK_MAX_CONCURRENT_RUNS",
    args: [],
    env: { AFK_MAX_CONCURRENT_RUNS: "9".repeat(100_000) },
    files: {}
  }
]

export const materialise = (dir: string, files: Readonly<Record<string, string>>) => {
  for (const [name, content] of Object.entries(files)) {
    if (name.endsWith("/")) mkdirSync(join(dir, name), { recursive: true })
    else writeFileSync(join(dir, name), content)
  }
}
