/**
 * Runs a command in a child process (e.g. the built `afk-cli`) while this process keeps serving the world,
 * and reads back the child's peak RSS (through `rss-probe.mjs`) and its wall time.
 */
import * as Effect from "effect/Effect"
import { spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

export const root = fileURLToPath(new URL("..", import.meta.url))
export const afkCli = join(root, "packages/afk-cli/bin/afk-cli.js")
export const reference = join(root, "bench/reference.mjs")
const probe = new URL("./rss-probe.mjs", import.meta.url).href

/** What `rss-probe.mjs` read in the child as it exited. */
export interface Probe {
  readonly maxRssKiB: number
  readonly userMicros: number
  readonly systemMicros: number
  readonly heapUsed: number
  readonly heapTotal: number
  readonly external: number
}

export interface Ran {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  /** Peak resident set size of the child, MB (10^6 bytes, as quality.md counts). */
  readonly maxRssMB: number
  /** User + system CPU time of the child, ms. */
  readonly cpuMs: number
  readonly probe: Probe | undefined
  readonly wallMs: number
}

/** `node --import rss-probe.mjs ...args` in an empty directory, with only `env` (plus PATH and HOME). */
export const node = (
  args: ReadonlyArray<string>,
  env: Record<string, string> = {},
  nodeOptions: ReadonlyArray<string> = []
): Effect.Effect<Ran> =>
  Effect.acquireUseRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "afk-bench-child-"))),
    (cwd) =>
      Effect.async<Ran>((resume) => {
        const rssFile = join(cwd, "max-rss")
        const start = performance.now()
        const child = spawn(process.execPath, [...nodeOptions, "--import", probe, ...args], {
          cwd,
          env: { PATH: process.env.PATH ?? "", HOME: cwd, NO_COLOR: "1", ...env, BENCH_MAX_RSS_FILE: rssFile },
          stdio: ["ignore", "pipe", "pipe"]
        })
        const out: Array<Buffer> = []
        const err: Array<Buffer> = []
        child.stdout.on("data", (chunk: Buffer) => out.push(chunk))
        child.stderr.on("data", (chunk: Buffer) => err.push(chunk))
        child.on("close", (code) => {
          const wallMs = performance.now() - start
          const probe = existsSync(rssFile) ? (JSON.parse(readFileSync(rssFile, "utf8")) as Probe) : undefined
          resume(Effect.succeed({
            code,
            stdout: Buffer.concat(out).toString("utf8"),
            stderr: Buffer.concat(err).toString("utf8"),
            maxRssMB: probe === undefined ? NaN : (probe.maxRssKiB * 1024) / 1e6,
            cpuMs: probe === undefined ? NaN : (probe.userMicros + probe.systemMicros) / 1000,
            probe,
            wallMs
          }))
        })
      }),
    (cwd) => Effect.sync(() => rmSync(cwd, { recursive: true, force: true }))
  )
