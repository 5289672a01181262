#!/usr/bin/env node
/**
 * The embedding check: `afk-cli/api` in a host program, installed as an outside user installs it.
 *
 * 1. `npm pack` afk-cli (after `npm run build`) into a temporary folder outside the repository.
 * 2. Each host example — `examples/embed-plain` (plain TypeScript, CommonJS, no Effect) and
 *    `examples/embed-effect4` (ES modules, `effect@4` from the registry) — is copied to a folder of its own
 *    there, its `afk-cli` dependency pointed at the tarball, and installed with one `npm install` (no
 *    `--legacy-peer-deps`, no `--force`: an ERESOLVE fails the check). Its Effect is counted (none, or one
 *    copy, of version 4), and `npm run build` (tsc, strict) compiles it against the api's declarations.
 * 3. For each, the CLI tests' world (`packages/afk-cli/test/support/Serve.ts`: the GitHub and T3 fakes on
 *    127.0.0.1, a ready issue from a maintainer and one from a drive-by) is started here, and the example
 *    runs one tick (`npm start`) with only that world's environment. Then: exit 0; its last stdout line is the
 *    tick's result, not failed, acme/app#1 dispatched and acme/app#2 refused; the fakes saw the claim label
 *    and one agent thread; no secret printed.
 *
 * Usage: `node scripts/embed-check.mjs [--keep]` (keeps the temporary folder; it is always kept on failure).
 */
import { spawn } from "node:child_process"
import { cpSync, existsSync, mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { clearTimeout, setTimeout } from "node:timers"
import { conclude, fail, readJson, root, run, scratch } from "./check-kit.mjs"

const keep = process.argv.includes("--keep")
const started = Date.now()
const work = scratch("afk-embed-check-")

/** Each example and the Effect it must end up with (`undefined`: none installed). */
const examples = [
  { name: "embed-plain", effect: undefined },
  { name: "embed-effect4", effect: /^4\./ }
]

/** The secrets the world's environment holds each contain this (`World.secrets`). */
const secretMark = "SECRET"

/**
 * Starts the loopback world in a process of its own; resolves to its armed environment and a `stop` that
 * resolves to what the fakes saw (`{ writes, threads }`).
 */
const startWorld = () =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [
      join(root, "node_modules", "vite-node", "vite-node.mjs"),
      "--config",
      "packages/afk-cli/vitest.config.ts",
      "packages/afk-cli/test/support/Serve.ts"
    ], { cwd: root, stdio: ["pipe", "pipe", "pipe"] })
    let stderr = ""
    child.stderr.on("data", (chunk) => {
      stderr += chunk
    })
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
    const next = async (what) => {
      const line = await lines.next()
      if (line.done) fail(`the loopback world ended before it printed ${what}:\n${stderr.trim()}`)
      return JSON.parse(line.value)
    }
    const closed = new Promise((done) => child.on("close", done))
    const timer = setTimeout(() => child.kill(), 120_000)
    const stop = async () => {
      child.stdin.end()
      const seen = await next("what the fakes saw")
      await closed
      clearTimeout(timer)
      return seen
    }
    const abort = () => {
      clearTimeout(timer)
      child.kill()
    }
    next("its environment").then(({ env }) => resolve({ env, stop, abort }), (error) => {
      abort()
      reject(error)
    })
  })

const prepare = async (example, tarball) => {
  const dir = join(work, example.name)
  cpSync(join(root, "examples", example.name), dir, {
    recursive: true,
    filter: (source) => !/(^|[\\/])(node_modules|dist)$/.test(source)
  })
  const manifest = readJson(join(dir, "package.json"))
  if (manifest.dependencies?.["afk-cli"] === undefined) fail(`examples/${example.name} does not depend on afk-cli`)
  manifest.dependencies["afk-cli"] = `file:${tarball}`
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`)
  const env = { PATH: process.env.PATH, HOME: process.env.HOME ?? work }
  await run(`${example.name}: npm install (the afk-cli tarball + the example's own)`, "npm", [
    "install",
    "--no-audit",
    "--no-fund",
    "--loglevel=error"
  ], { cwd: dir, env })
  const effects = JSON.parse(await run(`${example.name}: its Effect`, "npm", ["query", "#effect"], { cwd: dir, env }))
  const found = effects.map((node) => `effect@${node.version} at ${node.location}`)
  if (
    example.effect === undefined
      ? found.length !== 0
      : found.length !== 1 || !example.effect.test(effects[0].version)
  ) {
    fail(
      `${example.name} should have ${example.effect === undefined ? "no" : `one effect@${example.effect.source}`}: ${
        found.join(", ") || "none"
      }`
    )
  }
  await run(`${example.name}: npm run build (tsc)`, "npm", ["run", "build", "--silent"], { cwd: dir, env })
  return dir
}

const tickAgainstWorld = async (example, dir) => {
  const world = await startWorld()
  let output
  try {
    output = await run(
      `${example.name}: npm start, one tick against the loopback fakes`,
      "npm",
      [
        "start",
        "--silent"
      ],
      { cwd: dir, env: { PATH: process.env.PATH, HOME: dir, ...world.env } },
      { all: true }
    )
  } catch (error) {
    world.abort()
    throw error
  }
  const seen = await world.stop()
  const lines = output.stdout.trim().split("\n")
  const result = JSON.parse(lines[lines.length - 1])
  const decided = (subject, action) =>
    result.reports?.some((report) =>
      report.decisions.some((decision) => decision.subject === subject && decision.action === action)
    )
  const problems = [
    ...(result.command === "tick" ? [] : [`the result is not a tick's: ${result.command}`]),
    ...(result.failed === false ? [] : ["the tick failed"]),
    ...(decided("acme/app#1", "dispatch") ? [] : ["acme/app#1 (ready, labelled by the maintainer) was not dispatched"]),
    ...(decided("acme/app#2", "refuse") ? [] : ["acme/app#2 (labelled by a drive-by) was not refused"]),
    ...(seen.writes.includes("POST /repos/acme/app/issues/1/labels") ? [] : ["GitHub saw no claim label on #1"]),
    ...(seen.threads === 1 ? [] : [`T3 saw ${seen.threads} threads, not 1`]),
    ...(`${output.stdout}${output.stderr}`.includes(secretMark) ? ["a secret was printed"] : [])
  ]
  if (problems.length > 0) fail(`${example.name}:\n  - ${problems.join("\n  - ")}\nits stdout:\n${output.stdout}`)
  console.log(
    `  ok  ${example.name}: dispatched acme/app#1, refused acme/app#2; GitHub saw ${seen.writes.length} writes`
  )
}

const main = async () => {
  console.log(`embed check in ${work}`)
  const bundle = join(root, "packages", "afk-cli", "dist", "api.js")
  if (!existsSync(bundle)) fail("packages/afk-cli/dist/api.js is missing: run `npm run build` first")
  const tarballs = join(work, "tarballs")
  mkdirSync(tarballs)
  const packed = JSON.parse(
    await run("npm pack afk-cli", "npm", [
      "pack",
      "-w",
      "packages/afk-cli",
      "--json",
      "--pack-destination",
      tarballs,
      "--loglevel=error"
    ], { cwd: root })
  )
  const tarball = join(tarballs, packed[0].filename)
  const dirs = await Promise.all(examples.map((example) => prepare(example, tarball)))
  for (const [i, example] of examples.entries()) await tickAgainstWorld(example, dirs[i])
}

conclude("embed check", main, { work, keep, started })
