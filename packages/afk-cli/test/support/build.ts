/**
 * Vitest global setup: builds `dist/bin.js` once, so the tests run the CLI exactly as a user does.
 */
import { execFileSync } from "node:child_process"
import { createRequire } from "node:module"
import { fileURLToPath } from "node:url"

export default function setup(): void {
  const tsup = createRequire(import.meta.url).resolve("tsup/dist/cli-default.js")
  execFileSync(process.execPath, [tsup], { cwd: fileURLToPath(new URL("../..", import.meta.url)), stdio: "pipe" })
}
