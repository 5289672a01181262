/**
 * `bin/afk-cli.js`, the launcher: it compiles the bundle with a V8 code cache kept in a directory of the user's
 * own under the temp dir, and starts from the one the build ships next to the bundle (quality P5). The cache may only ever cost speed: missing, corrupt or impossible, the
 * command runs the same. Before the build, it says how to build.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { spawn, spawnSync } from "node:child_process"
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync
} from "node:fs"
import { createRequire } from "node:module"
import { join } from "node:path"
import * as Cli from "./support/Cli.js"
import * as Loopback from "./support/Loopback.js"

const { version } = createRequire(import.meta.url)("../package.json") as { version: string }

const cacheDirIn = (tmp: string) =>
  join(tmp, process.getuid === undefined ? "afk-cli-compile-cache" : `afk-cli-compile-cache-${process.getuid()}`)

/** A copy of the installed package (its `bin/`, `dist/` and package.json), as npm unpacks it. */
const installedCopy = (parts: ReadonlyArray<string> = ["bin", "dist", "package.json"]) => {
  const copy = Cli.scratch()
  for (const part of parts) cpSync(new URL(`../${part}`, import.meta.url), join(copy, part), { recursive: true })
  return copy
}

/** The shipped cache's key line: `<bundle size>|<Node version>`. */
const shippedKey = (copy: string) => readFileSync(join(copy, "dist", "bin.v8cache"), "latin1").split("\n")[0]

const warm = (copy: string, ...args: ReadonlyArray<string>) =>
  spawnSync(process.execPath, [join(copy, "bin", "warm-cache.js"), ...args], { encoding: "utf8" })

const versionIn = (tmp: string, env: Record<string, string> = {}) =>
  Effect.map(Cli.run(["--version"], { TMPDIR: tmp, ...env }), (result) => {
    expect(result.code, result.all).toBe(0)
    expect(result.stdout.trim()).toBe(version)
  })

describe("bin/afk-cli.js", () => {
  it.live("keeps a compile cache, and a corrupt one only costs a recompile", () =>
    Effect.gen(function*() {
      const tmp = Cli.scratch()
      yield* versionIn(tmp)
      const dir = cacheDirIn(tmp)
      const files = readdirSync(dir)
      expect(files).toHaveLength(1)
      const file = join(dir, files[0]!)
      expect(readFileSync(file, "latin1")).toContain(join("dist", "bin.js"))
      writeFileSync(file, "not a V8 code cache")
      yield* versionIn(tmp)
      expect(readFileSync(file).length).toBeGreaterThan(1000)
    }))

  it("P4: the bundles are ASCII, so the launcher holds the 1 MB bundle as a one-byte string, not a 2 MB one", () => {
    for (const name of ["bin.js", "api.js", "undici.js"]) {
      const text = readFileSync(new URL(`../dist/${name}`, import.meta.url), "utf8")
      // eslint-disable-next-line no-control-regex
      expect(text.match(/[^\x00-\x7f].{0,20}/)?.[0], name).toBeUndefined()
    }
  })

  it.live("P5: a first start uses the cache the build shipped (dist/bin.v8cache) and writes none of its own", () =>
    Effect.gen(function*() {
      expect(existsSync(new URL("../dist/bin.v8cache", import.meta.url))).toBe(true)
      const tmp = Cli.scratch()
      const result = yield* Cli.run(["--help"], { TMPDIR: tmp })
      expect(result.code, result.all).toBe(0)
      const dir = cacheDirIn(tmp)
      expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([])
    }))

  it.live("a command that went on the network writes a cache the next start takes (V8's flags set back first)", () =>
    Effect.gen(function*() {
      // `demo` talks HTTP to its T3 fake, so the launcher turned two V8 flags off for it; V8 checks a code
      // cache against its flags, so a cache written with them still off would be refused and rewritten.
      const tmp = Cli.scratch()
      const demo = Effect.map(Cli.run(["demo"], { TMPDIR: tmp }), (result) => expect(result.code, result.all).toBe(0))
      yield* demo
      const dir = cacheDirIn(tmp)
      const [name] = readdirSync(dir)
      const written = statSync(join(dir, name!))
      expect(readFileSync(join(dir, name!), "latin1").split("\n")[1]).toContain("demo")
      yield* demo
      const after = statSync(join(dir, name!))
      expect([after.ino, after.mtimeMs], "taken as it is, not refused and written again").toEqual([
        written.ino,
        written.mtimeMs
      ])
    }))

  it.live("each command keeps a cache of its own: a later command never rewrites another's", () =>
    Effect.gen(function*() {
      // One file for every command let another command rewrite it with only what that process had compiled,
      // still listing `--help` and `tick`, whose code it no longer held: both then started cold every time.
      const tmp = Cli.scratch()
      yield* versionIn(tmp)
      const dir = cacheDirIn(tmp)
      const [first] = readdirSync(dir)
      const written = statSync(join(dir, first!))
      const demo = yield* Cli.run(["demo"], { TMPDIR: tmp })
      expect(demo.code, demo.all).toBe(0)
      const files = readdirSync(dir).sort()
      expect(files).toHaveLength(2)
      const headers = files.map((name) => readFileSync(join(dir, name), "latin1").split("\n")[1])
      expect(headers.sort()).toEqual(["--version", "demo"])
      const after = statSync(join(dir, first!))
      expect([after.ino, after.mtimeMs]).toEqual([written.ino, written.mtimeMs])
    }))

  it.live("a cache file no start has written for 30 days goes when another is written", () =>
    Effect.gen(function*() {
      const tmp = Cli.scratch()
      const dir = cacheDirIn(tmp)
      mkdirSync(dir, { recursive: true, mode: 0o700 })
      const day = 24 * 60 * 60
      const aged = (name: string, days: number) => {
        writeFileSync(join(dir, name), "another install's cache")
        const at = Date.now() / 1000 - days * day
        utimesSync(join(dir, name), at, at)
      }
      aged("0badcafe-tick.v8cache", 31)
      aged("0badcafe-tick.v8cache.4242", 31)
      aged("1eafcafe-tick.v8cache", 29)
      aged("notes.txt", 400)
      yield* versionIn(tmp)
      const left = readdirSync(dir).sort()
      expect(left.filter((name) => !name.endsWith("---version.v8cache"))).toEqual([
        "1eafcafe-tick.v8cache",
        "notes.txt"
      ])
      expect(left).toHaveLength(3)
    }))

  it.live("runs the same when the cache directory cannot be made, or NODE_DISABLE_COMPILE_CACHE=1", () =>
    Effect.gen(function*() {
      const tmp = Cli.scratch()
      const file = join(tmp, "a-file")
      writeFileSync(file, "")
      yield* versionIn(file)
      yield* versionIn(tmp, { NODE_DISABLE_COMPILE_CACHE: "1" })
      expect(existsSync(cacheDirIn(tmp))).toBe(false)
    }))

  it("P5: installed on another Node, the postinstall rewrites the shipped cache for it and the first start takes it", () => {
    // A tarball packed on one Node and installed on another: V8 refuses the shipped cache, and every first
    // start (a fresh CI runner, a pod) compiled the whole bundle afresh: 6.7× `node -e 0` on Node 22.
    const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      scripts: Record<string, string>
    }
    expect(manifest.scripts.postinstall).toBe("node bin/warm-cache.js --install")
    const copy = installedCopy()
    const cache = join(copy, "dist", "bin.v8cache")
    const [key, ...rest] = readFileSync(cache, "latin1").split("\n")
    expect(key).toBe(`${statSync(join(copy, "dist", "bin.js")).size}|${process.version}`)
    writeFileSync(cache, [key!.replace(process.version, "v0.0.0-another-node"), ...rest].join("\n"), "latin1")
    const first = (tmp: string) => {
      const result = spawnSync(process.execPath, [join(copy, "bin", "afk-cli.js"), "tick"], {
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "", HOME: tmp, TMPDIR: tmp, NO_COLOR: "1" }
      })
      expect(result.status, result.stderr).toBe(0)
      return existsSync(cacheDirIn(tmp)) ? readdirSync(cacheDirIn(tmp)) : []
    }
    expect(first(Cli.scratch()), "cold: the start compiled afresh and wrote a cache of its own").toHaveLength(1)
    const installed = warm(copy, "--install")
    expect([installed.status, installed.stdout, installed.stderr]).toEqual([0, "", ""])
    expect(shippedKey(copy)).toBe(`${statSync(join(copy, "dist", "bin.js")).size}|${process.version}`)
    expect(readFileSync(cache, "latin1").split("\n")[1]).toBe("--help\0tick")
    expect(first(Cli.scratch()), "warm: it took the shipped cache and wrote none").toEqual([])
  })

  it("the postinstall never fails an install: nothing before the build, one line when the CLI cannot run", () => {
    const unbuilt = installedCopy(["bin", "package.json"])
    expect(warm(unbuilt, "--install")).toMatchObject({ status: 0, stdout: "", stderr: "" })
    const broken = installedCopy(["bin", "dist"]) // no package.json: the bundle cannot start
    const before = readFileSync(join(broken, "dist", "bin.v8cache"))
    const installed = warm(broken, "--install")
    expect(installed.status).toBe(0)
    expect(installed.stderr).toMatch(/^afk-cli: afk-cli --help exited 1 while writing the code cache:/)
    expect(installed.stderr).toContain("the CLI works the same, only its first start is slower")
    expect(readFileSync(join(broken, "dist", "bin.v8cache")).equals(before)).toBe(true)
    // The build's own run of it fails instead: a CLI that cannot start must not be packed.
    const built = warm(broken)
    expect(built.status).toBe(1)
    expect(built.stderr).toContain("afk-cli --help exited 1 while writing the code cache")
  })

  it.scopedLive("installing in an armed environment sends nothing: the postinstall's tick sees no AFK setting", () =>
    Effect.gen(function*() {
      // npm runs a postinstall with the installer's whole environment: a CI job or a bot's host may hold an
      // armed configuration and live credentials while it installs. The warm-up's commands get only PATH.
      const counter = yield* Loopback.counting
      const copy = installedCopy()
      const armed = {
        PATH: process.env.PATH ?? "",
        AFK_KILL_SWITCH: "false",
        AFK_ALLOWLIST: "acme/app",
        AFK_TRACKER: "github",
        AFK_GITHUB_API: counter.url,
        GITHUB_TOKEN: "ghp_installer-token",
        AFK_T3_URL: counter.url,
        AFK_T3_TOKEN: "t3-installer-token"
      }
      writeFileSync(join(copy, "afk.config.json"), JSON.stringify({ killSwitch: false, allowlist: ["acme/app"] }))
      const installed = yield* Effect.async<{ code: number | null; stderr: string }>((resume) => {
        const child = spawn(process.execPath, [join(copy, "bin", "warm-cache.js"), "--install"], {
          cwd: copy,
          env: armed
        })
        let stderr = ""
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
        child.on("close", (code) => resume(Effect.succeed({ code, stderr })))
      })
      expect(installed).toEqual({ code: 0, stderr: "" })
      expect(counter.requests()).toBe(0)
      expect(shippedKey(copy)).toBe(`${statSync(join(copy, "dist", "bin.js")).size}|${process.version}`)
    }))

  it("before the build, says how to build and exits 1", () => {
    const copy = Cli.scratch()
    mkdirSync(join(copy, "bin"))
    for (const name of ["afk-cli.js", "package.json"]) {
      copyFileSync(new URL(`../bin/${name}`, import.meta.url), join(copy, "bin", name))
    }
    const result = spawnSync(process.execPath, [join(copy, "bin", "afk-cli.js"), "--help"], { encoding: "utf8" })
    expect(result.status).toBe(1)
    expect(result.stderr).toContain("afk-cli is not built yet: run `npm run build -w afk-cli`")
  })
})
