/**
 * Vitest global setup: the CLI suites run `afk-cli` exactly as a user does, from its bundle. CI builds it
 * before `npm test`; when `dist/bin.js` is missing (a fresh checkout), it is built here once.
 */
import { execFileSync } from "node:child_process"
import { existsSync } from "node:fs"
import { createRequire } from "node:module"
import { fileURLToPath } from "node:url"

export default function setup(): void {
  const cli = fileURLToPath(new URL("../../../packages/afk-cli", import.meta.url))
  if (existsSync(`${cli}/dist/bin.js`)) return
  const tsup = createRequire(import.meta.url).resolve("tsup/dist/cli-default.js")
  execFileSync(process.execPath, [tsup], { cwd: cli, stdio: "pipe" })
  execFileSync(process.execPath, ["bin/warm-cache.js"], { cwd: cli, stdio: "pipe" })
}
