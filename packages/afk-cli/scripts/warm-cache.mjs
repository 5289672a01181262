/**
 * Writes `dist/bin.v8cache`, the V8 code cache shipped next to the bundle: runs `afk-cli --help` and a
 * disarmed `afk-cli tick` once each with AFK_CLI_BUILD_CACHE=1, in an empty directory with no AFK setting
 * in the environment (so the tick is disarmed by the defaults and does no I/O). A first start on a machine
 * running the same Node version is then warm (bench P5); any other version rejects it and falls back.
 * Part of `npm run build`; a CLI that cannot run these two commands fails the build.
 */
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const bin = fileURLToPath(new URL("../bin/afk-cli.js", import.meta.url))
const cache = fileURLToPath(new URL("../dist/bin.v8cache", import.meta.url))
const cwd = mkdtempSync(join(tmpdir(), "afk-cli-warm-"))
const env = { PATH: process.env.PATH ?? "", HOME: cwd, NO_COLOR: "1", AFK_CLI_BUILD_CACHE: "1" }
try {
  for (const args of [["--help"], ["tick"]]) {
    const result = spawnSync(process.execPath, [bin, ...args], { cwd, env, encoding: "utf8" })
    if (result.status !== 0) {
      console.error(`afk-cli ${args.join(" ")} exited ${result.status} while warming the code cache:\n${result.stderr}`)
      process.exit(1)
    }
  }
} finally {
  rmSync(cwd, { recursive: true, force: true })
}
if (!existsSync(cache)) {
  console.error(
    "the code cache was not written (dist/bin.v8cache); the CLI still works, only its first start is slower"
  )
  process.exit(1)
}
console.log(`dist/bin.v8cache: ${(statSync(cache).size / 1024).toFixed(0)} KiB, for Node ${process.version}`)
