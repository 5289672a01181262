/**
 * What the packed-tarball checks share (`pack-check.mjs`, `embed-check.mjs`): a temporary folder outside the
 * repository, commands run to completion with their output shown only when they fail, and one way to end.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, relative } from "node:path"
import { fileURLToPath } from "node:url"

/** The repository's root folder. */
export const root = fileURLToPath(new URL("..", import.meta.url))

/** A failure that stops the check with its message (anything else is a bug in the check, thrown as is). */
export class CheckFailed extends Error {}

export const fail = (message) => {
  throw new CheckFailed(message)
}

export const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`

export const readJson = (path) => JSON.parse(readFileSync(path, "utf8"))

/** A new temporary folder, refused if it is inside the repository. */
export const scratch = (prefix) => {
  const work = mkdtempSync(join(tmpdir(), prefix))
  if (!relative(root, work).startsWith("..")) throw new Error(`the temporary folder ${work} is inside the repository`)
  return work
}

/**
 * Runs a command; on failure, shows its output and stops the check. Resolves to its stdout, or with `all`, to
 * `{ stdout, stderr }`.
 */
export const run = (label, command, args, options = {}, { all = false } = {}) =>
  new Promise((resolve, reject) => {
    const t0 = Date.now()
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options })
    let stdout = ""
    let stderr = ""
    let output = ""
    child.stdout.on("data", (chunk) => {
      stdout += chunk
      output += chunk
    })
    child.stderr.on("data", (chunk) => {
      stderr += chunk
      output += chunk
    })
    child.on("error", (error) => reject(new CheckFailed(`${label} could not start: ${error.message}`)))
    child.on("close", (code, signal) => {
      if (code !== 0) return reject(new CheckFailed(`${label} failed (exit ${code ?? signal}):\n${output.trim()}`))
      console.log(`  ok  ${label} (${seconds(t0)})`)
      resolve(all ? { stdout, stderr } : stdout)
    })
  })

/**
 * Runs the check `main`, then removes `work` (unless `keep`; it is always kept on failure) and says how it
 * went; a `CheckFailed` exits 1.
 */
export const conclude = (name, main, { work, keep, started }) =>
  main().then(
    () => {
      if (!keep) rmSync(work, { recursive: true, force: true })
      console.log(`${name} passed in ${seconds(started)}${keep ? `; kept ${work}` : ""}`)
    },
    (error) => {
      if (!(error instanceof CheckFailed)) throw error
      console.error(`\n${name} FAILED after ${seconds(started)}: ${error.message}\n(kept ${work})`)
      process.exit(1)
    }
  )
