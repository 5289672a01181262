/**
 * Runs the built CLI as a user does — `node dist/bin.js …` in a fresh process — with a clean environment
 * (only PATH and HOME from the host, never its AFK_* variables) in an empty working directory.
 */
import * as Effect from "effect/Effect"
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll } from "vitest"

export const bin = fileURLToPath(new URL("../../bin/afk-cli.js", import.meta.url))

export interface Result {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  /** stdout and stderr together, for "appears nowhere" checks. */
  readonly all: string
}

const made: Array<string> = []
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** A new empty directory (no afk.config.json in it), removed after the test file. */
export const scratch = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "afk-cli-test-"))
  made.push(dir)
  return dir
}

export const run = (
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string>> = {},
  options: { readonly cwd?: string } = {}
): Effect.Effect<Result> =>
  Effect.async<Result>((resume) => {
    const home = scratch()
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: options.cwd ?? home,
      env: { PATH: process.env.PATH ?? "", HOME: home, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8")
    })
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8")
    })
    child.on("close", (code) => resume(Effect.succeed({ code, stdout, stderr, all: `${stdout}\n${stderr}` })))
    return Effect.sync(() => child.kill("SIGKILL"))
  })
