/**
 * `bin/afk-cli.js`, the launcher: it compiles the bundle with a V8 code cache kept in a directory of the user's
 * own under the temp dir, and starts from the one the build ships next to the bundle (quality P5). The cache may only ever cost speed: missing, corrupt or impossible, the
 * command runs the same. Before the build, it says how to build.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { spawnSync } from "node:child_process"
import {
  copyFileSync,
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

const { version } = createRequire(import.meta.url)("../package.json") as { version: string }

const cacheDirIn = (tmp: string) =>
  join(tmp, process.getuid === undefined ? "afk-cli-compile-cache" : `afk-cli-compile-cache-${process.getuid()}`)

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
