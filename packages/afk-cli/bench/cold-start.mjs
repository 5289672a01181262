/**
 * quality.md P5: cold-start wall time of `afk-cli --help` and of a disarmed `afk-cli tick`, each as a
 * ratio to `node -e 0` measured in the same run, interleaved round by round (goal: ≤ 4×). Each command runs
 * once before the rounds, which fills the launcher's per-user V8 code cache as any first run does. The
 * "first start" rows run with an empty TMPDIR each time (a fresh pod or CI runner: only the cache shipped next
 * to the bundle): once from a copy of the package installed as npm installs it, its postinstall
 * (`bin/warm-cache.js --install`) run by the Node measured, and once with the cache as the build packed it (an
 * install with scripts off; the same on the Node that built it, refused by V8 on any other). The last row,
 * with every code cache off, is reported. Also prints the size of the bundle. Run `npm run build -w afk-cli`
 * first.
 *
 * Usage: `node bench/cold-start.mjs [rounds] [--node <binary>] [--cpu]`. `--node` runs that Node binary (for
 * `node -e 0` and the CLI alike) instead of the one running the script. `--cpu` measures CPU time (user +
 * system, every thread: `perf stat -e task-clock`) instead of wall time, a steadier figure on a busy machine.
 */
import { spawnSync } from "node:child_process"
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs"
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

/** The Node version a package's `dist/bin.v8cache` was made with, from its first line (`<size>|<version>`). */
const shippedFor = (dist = fileURLToPath(new URL("../dist", import.meta.url))) => {
  try {
    return readFileSync(join(dist, "bin.v8cache"), "latin1").slice(0, 200).split("\n")[0].split("|").at(-1)
  } catch {
    return "none (no dist/bin.v8cache)"
  }
}

// The package as npm installs it on this Node: its files copied, then its postinstall run by this Node.
const installed = join(cwd, "installed")
for (const part of ["bin", "dist", "package.json"]) {
  cpSync(fileURLToPath(new URL(`../${part}`, import.meta.url)), join(installed, part), { recursive: true })
}
const postinstall = spawnSync(node, [join(installed, "bin", "warm-cache.js"), "--install"], {
  cwd,
  env,
  encoding: "utf8"
})
if (postinstall.status !== 0 || shippedFor(join(installed, "dist")) !== nodeVersion) {
  throw new Error(`the postinstall wrote no cache for ${nodeVersion}: ${postinstall.stderr}`)
}
const packedFor = shippedFor()

const subjects = [
  { name: "node -e 0", args: ["-e", "0"] },
  { name: "afk-cli --help", args: [bin, "--help"] },
  { name: "afk-cli tick (disarmed)", args: [bin, "tick"] },
  {
    name: "afk-cli tick, first start after npm install (empty TMPDIR)",
    args: [join(installed, "bin", "afk-cli.js"), "tick"],
    fresh: true
  },
  {
    name: `afk-cli tick, first start, install scripts off (cache packed on ${packedFor})`,
    args: [bin, "tick"],
    fresh: true
  },
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
console.log(`Node ${nodeVersion} (${node}); the cache packed in dist/ is for ${packedFor}\n`)
console.log(line(header))
console.log(line(widths.map((w) => "-".repeat(w))))
for (const row of rows) console.log(line(row))
console.log(`\ndist/bin.js: ${(statSync(bundle).size / 1024).toFixed(1)} KiB (everything bundled, minified)`)
console.log(`goal (quality.md P5): afk-cli --help and tick (disarmed) ≤ 4.00× node -e 0`)
rmSync(cwd, { recursive: true, force: true })
