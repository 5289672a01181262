#!/usr/bin/env node
/* global require, __dirname, Buffer */
/* eslint-disable @typescript-eslint/no-require-imports */
// The installed `afk-cli` command. It runs the bundle `dist/bin.js` (built by `npm run build -w afk-cli`,
// which the repository's `prepare` script runs on `npm ci`); it is a committed file so that npm links the
// command at install time, before the bundle exists. CommonJS (bin/package.json), because Node starts a
// CommonJS entry point faster than an ES module.
//
// The bundle is one CommonJS script, compiled here with a V8 code cache of its own rather than Node's
// `module.enableCompileCache` (Node 22.1+; not on Node 20, and it does not cover `vm`): measured on Node 22
// and 24, a warm start with Node's cache took 12–18 % more CPU than with this one, which is written at exit
// and so also holds the functions the command ran (bench/RESULTS.md, P5). Compiled code is stored in a
// directory of this user's own (mode 0700, checked) under the OS temp dir, so later starts skip most parsing
// and compiling. It is keyed by the bundle's path, size and mtime and by Node's version (V8 also rejects data
// that does not fit), one file per command, written after the command's first run, so it holds what that
// command compiles. One file for all commands was rewritten by whichever command ran last, holding what that
// process had compiled while still listing the others: `--help` and `tick` then took it over the shipped
// cache and started cold every time. Any cache problem only costs speed and is ignored.
// NODE_DISABLE_COMPILE_CACHE=1 turns it off, as it does Node's own.
const { isAscii } = require("node:buffer")
const {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync
} = require("node:fs")
const { createRequire } = require("node:module")
const { tmpdir } = require("node:os")
const { dirname, join } = require("node:path")
const { setFlagsFromString } = require("node:v8")
const { Script } = require("node:vm")

// Two V8 heuristics that cost a command on the network memory and buy it nothing (bench/RESULTS.md, "peak
// memory"): V8 compiles undici's HTTP parser (WebAssembly) a second time with its optimising compiler, a
// ~25 MB passing peak for no measured CPU gain on a tick; and it learns to allocate parsed answers straight
// in the old generation because most of a list survives, which keeps the answers' discarded rest there until
// the first full collection (20-30 MB at 1,000 repositories). Both flags are read while the program runs, so
// they are turned off here, when the bundle is about to load its HTTP client (it calls this hook first); they
// change speed, never behaviour. Not at start: V8 folds its flags into every code cache's check, Node's own
// included, so a start with them set compiles Node's internal modules afresh (about 10 % more CPU for
// `--help`). For the same reason they are set back before this launcher writes its cache. NODE_OPTIONS cannot
// carry them, and a second process to pass them would cost every start its time.
// Each flag with what sets it back: `--liftoff-only` also turned off the two tiering flags it implies.
const networkFlags = [
  ["--liftoff-only", ["--no-liftoff-only", "--wasm-tier-up", "--wasm-dynamic-tiering"]],
  ["--no-allocation-site-pretenuring", ["--allocation-site-pretenuring"]]
]
let networkFlagsSet = false
globalThis[Symbol.for("afk-cli/before-network")] = () => {
  if (networkFlagsSet) return
  networkFlagsSet = true
  for (const [set] of networkFlags) setFlagsFromString(set)
}
const restoreFlags = () => {
  if (!networkFlagsSet) return
  networkFlagsSet = false
  for (const [, resets] of networkFlags) for (const reset of resets) setFlagsFromString(reset)
}

const bundle = join(__dirname, "..", "dist", "bin.js")

let source
try {
  const bytes = readFileSync(bundle)
  source = bytes.toString(isAscii(bytes) ? "latin1" : "utf8")
} catch (error) {
  if (error?.code !== "ENOENT") throw error
  console.error("afk-cli is not built yet: run `npm run build -w afk-cli` (or `npm ci` at the repository root).")
  process.exit(1)
}

const command = process.argv.slice(2).find((arg) => !arg.startsWith("-")) ?? process.argv[2] ?? ""

const disabled = process.env.NODE_DISABLE_COMPILE_CACHE === "1"

const userCache = () => {
  // A command's own file: named by the command, if it looks like one (anything else runs on the shipped cache).
  if (disabled || !/^(?:--)?[a-z][a-z0-9-]{0,31}$/.test(command)) return undefined
  try {
    const uid = process.getuid?.()
    const dir = join(tmpdir(), uid === undefined ? "afk-cli-compile-cache" : `afk-cli-compile-cache-${uid}`)
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const info = lstatSync(dir)
    if (!info.isDirectory() || (uid !== undefined && (info.uid !== uid || (info.mode & 0o077) !== 0))) return undefined
    let hash = 0x811c9dc5
    for (let i = 0; i < bundle.length; i++) hash = Math.imul(hash ^ bundle.charCodeAt(i), 0x01000193) >>> 0
    const { size, mtimeMs } = statSync(bundle)
    return {
      path: join(dir, `${hash.toString(16)}-${command}.v8cache`),
      key: `${bundle}|${size}|${mtimeMs}|${process.version}`
    }
  } catch {
    return undefined
  }
}

// The cache written next to the bundle (`bin/warm-cache.js` runs --help and a disarmed tick with
// AFK_CLI_BUILD_CACHE=1: the build, then the package's postinstall for the Node that installs it, or an image
// build with install scripts off, as examples/kubernetes/Dockerfile does), so the first start on a machine — a
// fresh pod, a CI runner — is warm too when it runs that Node version; V8 rejects it otherwise, and the
// per-user cache takes over.
const shippedCache = () => {
  if (disabled) return undefined
  try {
    return { path: join(__dirname, "..", "dist", "bin.v8cache"), key: `${statSync(bundle).size}|${process.version}` }
  } catch {
    return undefined
  }
}

/** The cached data and the commands whose runs it holds, if the file is there and made for this bundle. */
const readCache = (cache) => {
  try {
    const file = readFileSync(cache.path)
    const keyEnd = file.indexOf(10)
    const commandsEnd = file.indexOf(10, keyEnd + 1)
    if (keyEnd < 0 || commandsEnd < 0 || file.toString("utf8", 0, keyEnd) !== cache.key) return undefined
    return {
      data: file.subarray(commandsEnd + 1),
      commands: file.toString("utf8", keyEnd + 1, commandsEnd).split("\0")
    }
  } catch {
    return undefined
  }
}

// A per-user cache file no start has written for 30 days goes when another is written: each install, npx
// directory or worktree of afk-cli has files of its own (named by its bundle's path), and without this the
// directory only grows. A file still in use is at worst written again by its next start.
const pruneAfterMs = 30 * 24 * 60 * 60 * 1000
const prune = (dir) => {
  const before = Date.now() - pruneAfterMs
  for (const name of readdirSync(dir)) {
    if (!/\.v8cache(?:\.\d+)?$/.test(name)) continue // a cache file, or one a killed start left half-written
    try {
      const path = join(dir, name)
      if (lstatSync(path).mtimeMs < before) unlinkSync(path)
    } catch {
      // Another start's file, or one already gone.
    }
  }
}

const writeCache = (cache, commands, script) => {
  try {
    const temporary = `${cache.path}.${process.pid}`
    const header = Buffer.from(`${cache.key}\n${commands.join("\0")}\n`)
    // The shipped cache is read by whoever runs the installed CLI; a per-user one only by its owner.
    const mode = cache === shipped ? 0o644 : 0o600
    restoreFlags() // the cache must match a start, which runs with V8's own flags
    writeFileSync(temporary, Buffer.concat([header, script.createCachedData()]), { mode })
    renameSync(temporary, cache.path)
    if (cache !== shipped) prune(dirname(cache.path))
  } catch {
    // Only the next start's speed depends on it.
  }
}

const shipped = shippedCache()
const building = process.env.AFK_CLI_BUILD_CACHE === "1"
delete process.env.AFK_CLI_BUILD_CACHE // the launcher's own switch, not a setting of the CLI
const cache = building ? shipped : userCache()
const own = cache === undefined ? undefined : readCache(cache)
const cached = own ?? (shipped === undefined || shipped === cache ? undefined : readCache(shipped))
const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
  filename: bundle,
  cachedData: cached?.data
})
const warm = cached !== undefined && script.cachedDataRejected !== true && cached.commands.includes(command)
if (cache !== undefined && !warm) {
  // The shipped cache lists the commands the build ran; a per-user file holds its own command only.
  const commands = cache === shipped && cached !== undefined && script.cachedDataRejected !== true
    ? [...new Set([...cached.commands, command])]
    : [command]
  // At exit, so that the cache also holds the functions this command compiled on the way.
  process.once("exit", () => writeCache(cache, commands, script))
}
const bundled = { exports: {} }
script.runInThisContext()(bundled.exports, createRequire(bundle), bundled, bundle, join(__dirname, "..", "dist"))
