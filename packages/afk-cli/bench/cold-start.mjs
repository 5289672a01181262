/**
 * quality.md P5: cold-start wall time of `afk-cli --help` and of a disarmed `afk-cli tick`, each as a
 * ratio to `node -e 0` measured in the same run, interleaved round by round (goal: ≤ 4×). Each command runs
 * once before the rounds, which fills the launcher's per-user V8 code cache as any first run does. The
 * "first start" row runs with an empty TMPDIR each time (a fresh pod or CI runner: only the cache the build
 * ships next to the bundle); the last row, with every code cache off, is reported. Also prints the size of the
 * bundle. Run `npm run build -w afk-cli` first.
 *
 * Usage: `node bench/cold-start.mjs [rounds] [--node <binary>] [--cpu]`. `--node` runs that Node binary (for
 * `node -e 0` and the CLI alike) instead of the one running the script. `--cpu` measures CPU time (user +
 * system, every thread: `perf stat -e task-clock`) instead of wall time, a steadier figure on a busy machine.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const bin = fileURLToPath(new URL("../bin/afk-cli.js", import.meta.url))
const bundle = fileURLToPath(new URL("../dist/bin.js", import.meta.url))
const argv = process.argv.slice(2)
const nodeAt = argv.indexOf("--node")
const node = nodeAt === -1 ? process.execPath : argv.splice(nodeAt, 2)[1]
const cpu = argv.includes("--cpu")
const rounds = Number(argv.find((arg) => !arg.startsWith("--")) ?? 10)
if (node === undefined || !Number.isInteger(rounds) || rounds < 1) {
  throw new Error("usage: node bench/cold-start.mjs [rounds] [--node <binary>] [--cpu]")
}
const nodeVersion = spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim()
if (!nodeVersion.startsWith("v")) throw new Error(`${node} --version printed no version`)
const cwd = mkdtempSync(join(tmpdir(), "afk-cold-start-"))
const env = { PATH: process.env.PATH ?? "", HOME: cwd, NO_COLOR: "1" }

const subjects = [
  { name: "node -e 0", args: ["-e", "0"] },
  { name: "afk-cli --help", args: [bin, "--help"] },
  { name: "afk-cli tick (disarmed)", args: [bin, "tick"] },
  { name: "afk-cli tick, first start (empty TMPDIR)", args: [bin, "tick"], fresh: true },
  { name: "afk-cli tick, code caches off", args: [bin, "tick"], env: { NODE_DISABLE_COMPILE_CACHE: "1" } }
]

/** Milliseconds of wall time, or of CPU time with `--cpu` (perf's task-clock of the child). */
const time = ({ args, env: extra, fresh }) => {
  const temp = fresh ? mkdtempSync(join(cwd, "tmp-")) : undefined
  const start = process.hrtime.bigint()
  const [command, commandArgs] = cpu ? ["perf", ["stat", "-x,", "-e", "task-clock", "--", node, ...args]] : [node, args]
  const result = spawnSync(command, commandArgs, {
    cwd,
    env: { ...env, ...extra, ...(temp === undefined ? {} : { TMPDIR: temp }) },
    stdio: ["ignore", "ignore", cpu ? "pipe" : "ignore"],
    encoding: "utf8"
  })
  const millis = cpu
    ? Number(/([\d.]+),msec,task-clock/.exec(result.stderr ?? "")?.[1])
    : Number(process.hrtime.bigint() - start) / 1e6
  if (temp !== undefined) rmSync(temp, { recursive: true, force: true })
  if (result.status !== 0) throw new Error(`${args.join(" ")} exited ${result.status}: ${result.error ?? ""}`)
  if (Number.isNaN(millis)) throw new Error(`perf stat printed no task-clock:\n${result.stderr}`)
  return millis
}

/** The Node version the build's `dist/bin.v8cache` was made with, from its first line. */
const shippedFor = () => {
  try {
    const head = readFileSync(fileURLToPath(new URL("../dist/bin.v8cache", import.meta.url)), "latin1").slice(0, 200)
    return head.split("\n")[0].split("|").at(-1)
  } catch {
    return "none (no dist/bin.v8cache)"
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 0 ? (sorted[mid - 1] + sorted[mid]) / 2 : sorted[mid]
}

for (const subject of subjects) time(subject)
const samples = subjects.map(() => [])
for (let round = 0; round < rounds; round++) {
  for (const [i, subject] of subjects.entries()) samples[i].push(time(subject))
}

const floor = median(samples[0])
const rows = subjects.map((subject, i) => {
  const m = median(samples[i])
  return [subject.name, `${m.toFixed(0)} ms`, `${(m / floor).toFixed(2)}×`]
})
const header = ["command", `median of ${rounds}${cpu ? ", CPU" : ""}`, "vs node -e 0"]
const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)))
const line = (cells) => `| ${cells.map((cell, c) => cell.padEnd(widths[c])).join(" | ")} |`
console.log(`Node ${nodeVersion} (${node}); the shipped cache is for ${shippedFor()}\n`)
console.log(line(header))
console.log(line(widths.map((w) => "-".repeat(w))))
for (const row of rows) console.log(line(row))
console.log(`\ndist/bin.js: ${(statSync(bundle).size / 1024).toFixed(1)} KiB (everything bundled, minified)`)
console.log(`goal (quality.md P5): afk-cli --help and tick (disarmed) ≤ 4.00× node -e 0`)
rmSync(cwd, { recursive: true, force: true })
