/**
 * Vitest global setup: builds `dist/bin.js` (and its code cache) once, so the tests run the CLI exactly as a user does.
 */
import { execFileSync } from "node:child_process"
import { createRequire } from "node:module"
import { fileURLToPath } from "node:url"

export default function setup(): void {
  const tsup = createRequire(import.meta.url).resolve("tsup/dist/cli-default.js")
  const cwd = fileURLToPath(new URL("../..", import.meta.url))
  // As `npm run build -w afk-cli`: the bundle, then the code cache shipped next to it.
  execFileSync(process.execPath, [tsup], { cwd, stdio: "pipe" })
  execFileSync(process.execPath, ["bin/warm-cache.js"], { cwd, stdio: "pipe" })
}
