/* global require, __dirname */
/* eslint-disable @typescript-eslint/no-require-imports */
// Writes `dist/bin.v8cache`, the V8 code cache shipped next to the bundle, for the Node running this script:
// runs `afk-cli --help` and a disarmed `afk-cli tick` once each with AFK_CLI_BUILD_CACHE=1 (the launcher's
// switch), in an empty temporary directory with only PATH from the environment, so no AFK setting, no config
// file and no credential reaches them: the tick is disarmed by the defaults and does no I/O. V8 takes a code
// cache only from the exact Node version that wrote it, so a first start on a fresh pod or CI runner is warm
// only on the Node the cache was written for (bench/RESULTS.md, P5).
//
// `node bin/warm-cache.js` is the build's last step (`npm run build`): a CLI that cannot run these two
// commands fails the build. `node bin/warm-cache.js --install` is the package's `postinstall`: it rewrites the
// cache for the Node that installs the package (a tarball packed on Node 20, installed on Node 22 or 24, would
// otherwise start its first run with every function compiled afresh), and it never fails an install: before
// the build (the repository's own `npm ci`), it does nothing; on any problem it says in one line that only
// the first start is slower. Installs with scripts off (`--ignore-scripts`) keep the cache as it was packed;
// an image build can run this file itself (examples/kubernetes/Dockerfile).
const { spawnSync } = require("node:child_process")
const { existsSync, mkdtempSync, readFileSync, rmSync, statSync } = require("node:fs")
const { tmpdir } = require("node:os")
const { join } = require("node:path")

const install = process.argv.includes("--install")
const bin = join(__dirname, "afk-cli.js")
const bundle = join(__dirname, "..", "dist", "bin.js")
const cache = join(__dirname, "..", "dist", "bin.v8cache")

/** Says what went wrong: the build stops on it; an install goes on, only the first start is slower. */
const problem = (message) => {
  if (!install) {
    console.error(message)
    process.exit(1)
  }
  console.error(`afk-cli: ${message}; the CLI works the same, only its first start is slower`)
  process.exit(0)
}

/** Whether the cache's first line (`<bundle size>|<Node version>`, the launcher's key) names this Node. */
const writtenForThisNode = () => {
  try {
    const key = readFileSync(cache, "latin1").slice(0, 200).split("\n")[0]
    return key === `${statSync(bundle).size}|${process.version}`
  } catch {
    return false
  }
}

if (!existsSync(bundle)) {
  if (install) process.exit(0) // the repository's own install: `prepare` builds, then writes the cache
  problem("dist/bin.js is missing: run `npm run build -w afk-cli`")
}

const cwd = mkdtempSync(join(tmpdir(), "afk-cli-warm-"))
const env = { PATH: process.env.PATH ?? "", HOME: cwd, NO_COLOR: "1", AFK_CLI_BUILD_CACHE: "1" }
try {
  for (const args of [["--help"], ["tick"]]) {
    const result = spawnSync(process.execPath, [bin, ...args], { cwd, env, encoding: "utf8", timeout: 60_000 })
    if (result.status !== 0) {
      const why = result.error === undefined ? `exited ${result.status ?? result.signal}` : String(result.error)
      problem(
        `afk-cli ${args.join(" ")} ${why} while writing the code cache:\n${(result.stderr ?? "").trim().slice(-800)}`
      )
    }
  }
} finally {
  rmSync(cwd, { recursive: true, force: true })
}
if (!writtenForThisNode()) problem(`the code cache (dist/bin.v8cache) was not written for Node ${process.version}`)
if (!install) {
  console.log(`dist/bin.v8cache: ${(statSync(cache).size / 1024).toFixed(0)} KiB, for Node ${process.version}`)
}
