/**
 * `npm run bench`: builds `afk-cli`, runs P1–P6 and issue 20's steady-state, whole-process, rate-limit and
 * scaling figures one after another (each in its own process, so no figure inherits another's heap or warm
 * JIT), and prints ONE table — figure, measured, floor / goal, ratio, pass / miss — with the machine it ran
 * on. Each benchmark's full output goes to bench/results/<id>.txt and the table to bench/results/latest.md.
 * Misses are reported, not failed on; a benchmark that cannot run makes the command fail.
 *
 * Run: npm run bench
 */
import { spawnSync } from "node:child_process"
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import { join } from "node:path"
import { root } from "./cli.js"
import * as Report from "./report.js"

const results = join(root, "bench/results")
const viteNode = join(root, "node_modules/.bin/vite-node")
const viteConfig = ["--config", "bench/vite.config.ts"]

interface Step {
  readonly id: string
  readonly title: string
  readonly command: string
  readonly args: ReadonlyArray<string>
  /** A Node line whose binary (`nodeBinary`) is the step's last argument. */
  readonly node?: string
  /** Figures from the step's output (when it does not write them with `--json`). */
  readonly parse?: (stdout: string) => ReadonlyArray<Report.Figure>
}

/**
 * P5 from `cold-start.mjs`'s table: `| afk-cli --help | 312 ms | 2.91× |`, against `node -e 0`'s row, named by
 * the Node that ran it. Judged (≤ 4×): warm starts and a first start as installed (the postinstall wrote the
 * cache for that Node). Reported: every code cache off, and a first start with install scripts off on a Node
 * other than the one that packed the cache (V8 refuses it there; the Kubernetes image writes its own).
 */
const coldStart = (stdout: string): ReadonlyArray<Report.Figure> => {
  const header = /^Node (v\S+) .*the cache packed in dist\/ is for (\S+)$/m.exec(stdout)
  if (header === null) throw new Error(`cold-start.mjs printed no Node line:\n${stdout}`)
  const [, version, packedFor] = header
  const rows = [...stdout.matchAll(/^\| (.+?) +\| +([\d.]+) ms +\| +([\d.]+)× +\|$/gm)].map((m) => ({
    name: (m[1] ?? "").trim(),
    millis: Number(m[2])
  }))
  const node = rows.find((r) => r.name === "node -e 0")
  if (node === undefined) throw new Error(`cold-start.mjs printed no node -e 0 row:\n${stdout}`)
  return rows
    .filter((r) => r !== node)
    .map((r) =>
      r.name.includes("caches off") || (r.name.includes("install scripts off") && packedFor !== version)
        ? Report.reported(
          "P5",
          `Node ${version}, ${r.name}: ${(r.millis / node.millis).toFixed(2)}× node -e 0`,
          r.millis,
          "ms"
        )
        : Report.ratio("P5", `Node ${version}, ${r.name}: cold start (median of 10)`, r.millis, "ms", node.millis, 4)
    )
}

/** The other Node lines P5 runs on (the one running this script first), from the npm registry's `node`. */
const otherNodeLines = ["22", "24"]

/**
 * A Node binary of `line`: `AFK_BENCH_NODE_<line>` if set, else the npm registry's `node@<line>` through npx
 * (downloaded once into npm's cache); an error naming both when neither gives one.
 */
const nodeBinary = (line: string): string | Error => {
  const set = process.env[`AFK_BENCH_NODE_${line}`]
  if (set !== undefined && set !== "") return set
  const found = spawnSync("npx", ["--yes", "--package", `node@${line}`, "--", "node", "-p", "process.execPath"], {
    encoding: "utf8",
    timeout: 300_000
  })
  const path = (found.stdout ?? "").trim()
  if (found.status === 0 && path !== "") return path
  const why = `npx --package node@${line} exited ${found.status}: ${(found.stderr ?? "").trim().slice(-300)}`
  return new Error(`no Node ${line} (${why}); set AFK_BENCH_NODE_${line} to a Node ${line} binary`)
}

const steps: ReadonlyArray<Step> = [
  { id: "build", title: "npm run build -w afk-cli", command: "npm", args: ["run", "build", "-w", "afk-cli"] },
  { id: "p1", title: "P1 idle tick", command: viteNode, args: [...viteConfig, "bench/p1-idle.ts"] },
  { id: "p2", title: "P2 dispatching tick", command: viteNode, args: [...viteConfig, "bench/p2-dispatch.ts"] },
  {
    id: "p2g",
    title: "P2 dispatching tick, GraphQL lists (afk-cli's default)",
    command: viteNode,
    args: [...viteConfig, "bench/p2-dispatch.ts", "--lists", "graphql"]
  },
  { id: "p2pr", title: "P2 pull-request run", command: viteNode, args: [...viteConfig, "bench/p2-pull.ts"] },
  { id: "p3", title: "P3 tick wall time", command: viteNode, args: [...viteConfig, "bench/p3-tick.ts"] },
  { id: "p4", title: "P4 tick RSS (afk-cli)", command: viteNode, args: [...viteConfig, "bench/p4-rss.ts"] },
  { id: "p9", title: "P2 per T3 Code protocol", command: viteNode, args: [...viteConfig, "bench/p9-t3-dispatch.ts"] },
  { id: "p7", title: "afk-cli serve", command: viteNode, args: [...viteConfig, "bench/p7-serve.ts"] },
  { id: "p8", title: "serve soak (a simulated day)", command: viteNode, args: [...viteConfig, "bench/p8-soak.ts"] },
  {
    id: "p5",
    title: `P5 cold start, Node ${process.version}`,
    command: process.execPath,
    args: ["packages/afk-cli/bench/cold-start.mjs", "10"],
    parse: coldStart
  },
  ...otherNodeLines.map((line): Step => ({
    id: `p5-node${line}`,
    title: `P5 cold start, Node ${line}`,
    command: process.execPath,
    args: ["packages/afk-cli/bench/cold-start.mjs", "10", "--node"],
    node: line,
    parse: coldStart
  })),
  { id: "p6", title: "P6 installed size", command: process.execPath, args: ["bench/p6-size.mjs"] },
  // Issue 20's honest figures: P1 over steady-state ticks, P3 as the whole process at 50 and 1,000
  // repositories (GraphQL lists, the default, and REST lists), rate-limit points per hour (both ways), the
  // scaling table with its memory goals (both ways), and CPU per request against a bare fetch (REST lists,
  // where the replay sends the tick's own requests).
  {
    id: "p1s",
    title: "P1 steady state",
    command: viteNode,
    args: [...viteConfig, "bench/p1-steady.ts", "--lists", "graphql"]
  },
  {
    id: "p3w",
    title: "P3 whole process, GraphQL lists",
    command: viteNode,
    args: [...viteConfig, "bench/p3-process.ts"]
  },
  {
    id: "p3wr",
    title: "P3 whole process, REST lists",
    command: viteNode,
    args: [...viteConfig, "bench/p3-process.ts", "--env", "AFK_GITHUB_LISTS=rest"]
  },
  {
    id: "ph",
    title: "points per hour, GraphQL lists",
    command: viteNode,
    args: [...viteConfig, "bench/points-hour.ts", "--repos", "50,1000,4000", "--lists", "graphql"]
  },
  {
    id: "phr",
    title: "points per hour, REST lists",
    command: viteNode,
    args: [...viteConfig, "bench/points-hour.ts", "--repos", "50,1000,4000", "--lists", "rest"]
  },
  { id: "sc", title: "scaling, GraphQL lists", command: viteNode, args: [...viteConfig, "bench/scale-cli.ts"] },
  {
    id: "scr",
    title: "scaling and CPU per request, REST lists",
    command: viteNode,
    args: [...viteConfig, "bench/scale-cli.ts", "--env", "AFK_GITHUB_LISTS=rest"]
  }
]

const machine = () => {
  const cpus = os.cpus()
  const load = os.loadavg().map((n) => n.toFixed(2)).join(" ")
  return `${os.availableParallelism()} CPUs (${cpus[0]?.model.trim() ?? "unknown"}), ` +
    `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory, Node ${process.version}, ${os.type()} ${os.release()}; ` +
    `load average ${load}`
}

rmSync(results, { recursive: true, force: true })
mkdirSync(results, { recursive: true })
const started = new Date()
const before = machine()
const figures: Array<Report.Figure> = []
const broken: Array<string> = []
for (const step of steps) {
  const json = join(results, `${step.id}.json`)
  const binary = step.node === undefined ? undefined : nodeBinary(step.node)
  if (binary instanceof Error) {
    process.stderr.write(`bench: ${step.title} … not run: ${binary.message}\n`)
    broken.push(`${step.title}: ${binary.message}`)
    continue
  }
  const args = [
    ...(step.parse === undefined && step.id !== "build" ? [...step.args, "--json", json] : step.args),
    ...(binary === undefined ? [] : [binary])
  ]
  const start = performance.now()
  process.stderr.write(`bench: ${step.title} … `)
  const ran = spawnSync(step.command, args, { cwd: root, encoding: "utf8", maxBuffer: 64 * 2 ** 20 })
  const seconds = ((performance.now() - start) / 1000).toFixed(1)
  const output = `${ran.stdout ?? ""}\n${ran.stderr ?? ""}${ran.error === undefined ? "" : `\n${String(ran.error)}`}`
  writeFileSync(join(results, `${step.id}.txt`), `$ ${step.title}\n\n${output}`)
  if (ran.status !== 0) {
    process.stderr.write(`failed after ${seconds} s (bench/results/${step.id}.txt)\n`)
    broken.push(`${step.title}: exit ${ran.status ?? ran.signal}\n${output.trim().slice(-1500)}`)
    continue
  }
  process.stderr.write(`${seconds} s\n`)
  if (step.id === "build") continue
  try {
    figures.push(
      ...(step.parse === undefined
        ? (JSON.parse(readFileSync(json, "utf8")) as ReadonlyArray<Report.Figure>)
        : step.parse(ran.stdout))
    )
  } catch (error) {
    broken.push(`${step.title}: ${String(error)}`)
  }
}

const order = ["P1", "PH", "P2", "P3", "P4", "P5", "P6", "SC", "CPU"]
const sorted = [...figures].sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id))
const minutes = ((Date.now() - started.getTime()) / 60000).toFixed(1)
const text = [
  `AFK benchmarks (quality.md §2), ${started.toISOString()}, ${minutes} min`,
  `Machine: ${before}`,
  `After:   load average ${os.loadavg().map((n) => n.toFixed(2)).join(" ")}`,
  "Command: npm run bench",
  "",
  Report.figures(sorted),
  ...(broken.length > 0 ? ["", "Benchmarks that did not run:", ...broken] : [])
].join("\n")
writeFileSync(join(results, "latest.md"), `${text}\n`)
console.log(text)
if (broken.length > 0) process.exitCode = 1
