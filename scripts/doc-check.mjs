#!/usr/bin/env node
/**
 * The docs' commands, run as a reader runs them: every shell block fenced as ```` ```sh checked ```` in
 * README.md and packages/*\/README.md runs, verbatim, in a fresh project outside the repository (a new
 * folder with only a minimal package.json, as `npm init -y` leaves it), against the packed tarballs of this
 * checkout; a command that fails fails the check.
 *
 * The only change made to a block: each word that is exactly one of this repository's package names
 * (`afk-core`, `afk-adapter-github`, `afk-adapter-forgejo`, `afk-adapter-slack`, `afk-cli`) becomes
 * `file:<that package's packed tarball>`, so `npm install afk-core effect@^3.22` installs this checkout's
 * afk-core, and `npx afk-cli --help` runs this checkout's afk-cli. A name with a version (`afk-core@0.1.0`)
 * is refused: it would not be substituted. Everything else (`effect`, `vitest`, …) comes from the registry
 * as the docs say. npx's "Ok to proceed?" prompt is answered yes (`npm_config_yes`), as a reader would.
 *
 * Shell blocks not marked `checked` are not run; each one with an `npm install` (or `npm i`) line fails the
 * check (an install command is always checkable), and each `npx afk-cli` line in them is listed as not run.
 *
 * Usage: `node scripts/doc-check.mjs [--tarballs <dir>] [--keep] [files…]` (default: the files above; packs
 * the packages with `npm pack` unless `--tarballs` names a folder holding them; run `npm run build` first).
 */
import { spawn } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, relative } from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
const started = Date.now()
const argv = process.argv.slice(2)
const flag = (name) => {
  const at = argv.indexOf(name)
  return at === -1 ? undefined : argv.splice(at, 2)[1]
}
const given = flag("--tarballs")
const keep = argv.includes("--keep")
const files = argv.filter((arg) => arg !== "--keep")

const packages = ["afk-core", "afk-adapter-github", "afk-adapter-forgejo", "afk-adapter-slack", "afk-cli"]
const shells = new Set(["sh", "bash", "shell", "console", "zsh"])
const installLine = /^\s*(?:\$\s*)?npm (?:install|i|add)\b/
const cliLine = /^\s*(?:\$\s*)?npx (?:--yes )?afk-cli\b/

const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`

class CheckFailed extends Error {}

/** Every fenced block of a Markdown file: its info string, its text and the line it starts on. */
const blocksOf = (markdown) => {
  const blocks = []
  let open
  markdown.split("\n").forEach((line, i) => {
    const fence = /^(`{3,}|~{3,})\s*(.*)$/.exec(line)
    if (open === undefined) {
      if (fence !== null) open = { fence: fence[1], info: fence[2].trim().split(/\s+/), line: i + 1, lines: [] }
    } else if (fence !== null && fence[1].startsWith(open.fence) && fence[2].trim() === "") {
      blocks.push({
        language: open.info[0] ?? "",
        checked: open.info.includes("checked"),
        line: open.line,
        text: open.lines.join("\n")
      })
      open = undefined
    } else {
      open.lines.push(line)
    }
  })
  return blocks
}

/** The block's text with each package name replaced by `file:<tarball>`; throws on a name with a version. */
const substitute = (text, tarballs) =>
  text.split("\n").map((line) =>
    line.replace(/(?<=^|\s)([a-z@][\w@./^~<>=-]*)(?=\s|$)/g, (word) => {
      if (tarballs[word] !== undefined) return `file:${tarballs[word]}`
      const pinned = packages.find((name) => word.startsWith(`${name}@`))
      if (pinned !== undefined) {
        throw new CheckFailed(`"${word}": name ${pinned} without a version, so that the check can use its tarball`)
      }
      return word
    })
  ).join("\n")

/** Runs `command` in `cwd`; resolves to its output, or fails the check with it. */
const run = (label, command, args, options) =>
  new Promise((resolve, reject) => {
    const t0 = Date.now()
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options })
    let output = ""
    child.stdout.on("data", (chunk) => (output += chunk))
    child.stderr.on("data", (chunk) => (output += chunk))
    child.on("error", (error) => reject(new CheckFailed(`${label} could not start: ${error.message}`)))
    child.on("close", (code, signal) => {
      if (code !== 0) {
        const tail = output.trim().split("\n").slice(-40).join("\n")
        return reject(new CheckFailed(`${label} failed (exit ${code ?? signal}); its output ends:\n${tail}`))
      }
      console.log(`  ok  ${label} (${seconds(t0)})`)
      resolve(output)
    })
  })

const defaultFiles = () => [
  "README.md",
  ...readdirSync(join(root, "packages"))
    .map((name) => join("packages", name, "README.md"))
    .filter((file) => existsSync(join(root, file)))
]

const pack = async (work) => {
  const dir = join(work, "tarballs")
  mkdirSync(dir)
  const workspaces = readdirSync(join(root, "packages")).flatMap((name) => ["-w", join("packages", name)])
  await run("npm pack", "npm", ["pack", ...workspaces, "--pack-destination", dir, "--loglevel=error"], { cwd: root })
  return dir
}

const work = mkdtempSync(join(tmpdir(), "afk-doc-check-"))
if (!relative(root, work).startsWith("..")) throw new Error(`the temporary folder ${work} is inside the repository`)

const main = async () => {
  console.log(`doc check in ${work}`)
  const dir = given ?? (await pack(work))
  const tarballs = Object.fromEntries(packages.map((name) => {
    const file = readdirSync(dir).find((f) => f.startsWith(`${name}-`) && /^\d/.test(f.slice(name.length + 1)))
    if (file === undefined) throw new CheckFailed(`no tarball of ${name} in ${dir}`)
    return [name, join(dir, file)]
  }))

  const jobs = []
  const problems = []
  for (const file of files.length > 0 ? files : defaultFiles()) {
    for (const block of blocksOf(readFileSync(join(root, file), "utf8"))) {
      if (!shells.has(block.language)) continue
      const where = `${file}:${block.line}`
      if (block.checked) {
        jobs.push({ where, script: substitute(block.text, tarballs) })
        continue
      }
      for (const line of block.text.split("\n")) {
        if (installLine.test(line)) {
          problems.push(`${where}: \`${line.trim()}\` is in a block not marked \`sh checked\``)
        } else if (cliLine.test(line)) console.log(`  --  ${where}: not run (needs a live setup): ${line.trim()}`)
      }
    }
  }
  if (problems.length > 0) throw new CheckFailed(problems.join("\n"))
  if (jobs.length === 0) throw new CheckFailed("no block is marked `sh checked`")

  const env = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? work,
    npm_config_yes: "true",
    npm_config_update_notifier: "false",
    npm_config_fund: "false",
    npm_config_audit: "false"
  }
  const runJob = async ({ where, script }, i) => {
    const project = join(work, `project-${i}`)
    mkdirSync(project)
    writeFileSync(
      join(project, "package.json"),
      `${JSON.stringify({ name: `doc-check-${i}`, version: "1.0.0", private: true }, null, 2)}\n`
    )
    const output = await run(`${where} (${script.split("\n").filter((l) => l.trim() !== "").length} lines)`, "sh", [
      "-ec",
      script
    ], { cwd: project, env })
    if (process.env.DOC_CHECK_VERBOSE === "1") console.log(output)
  }
  // Two at a time: most of each is `npm install`, waiting on the registry and the disk.
  const queue = jobs.map((job, i) => [job, i])
  const failures = []
  await Promise.all([0, 1].map(async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      await runJob(...next).catch((error) => {
        if (!(error instanceof CheckFailed)) throw error
        failures.push(error.message)
      })
    }
  }))
  if (failures.length > 0) throw new CheckFailed(failures.join("\n\n"))
  return jobs.length
}

main().then(
  (count) => {
    if (!keep) rmSync(work, { recursive: true, force: true })
    console.log(`doc check passed: ${count} blocks in ${seconds(started)}${keep ? `; kept ${work}` : ""}`)
  },
  (error) => {
    if (!(error instanceof CheckFailed)) throw error
    console.error(`\ndoc check FAILED after ${seconds(started)} (kept ${work}):\n${error.message}`)
    process.exit(1)
  }
)
