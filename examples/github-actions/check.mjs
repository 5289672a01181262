/**
 * This example's test (`npm test`; the repository's pack check runs it against the packed packages):
 *
 * - the workflow runs on a schedule, in one concurrency group that never cancels a tick in progress, with a
 *   time limit;
 * - its step runs `npx afk-cli tick`, pinned to the afk-cli version installed here;
 * - every variable it sets is a setting afk-core's Config knows; secret settings come from `secrets.*`, and
 *   only they do;
 * - that step, run here with the installed afk-cli and every `${{ … }}` unset (a repository that set none),
 *   exits 0 and says it is disarmed: nothing is read or sent.
 */
import { Config } from "afk-core"
import { spawnSync } from "node:child_process"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { at, list, mapping, readDocument, text } from "../yaml-subset.mjs"

/** @param {string} message @returns {never} */
const fail = (message) => {
  throw new Error(`github-actions example: ${message}`)
}

const workflow = await readDocument(new URL("afk-tick.yml", import.meta.url))

const crons = list(at(workflow, ["on", "schedule"]), "on.schedule").map((entry) => text(at(entry, ["cron"]), "cron"))
if (crons.length === 0 || !crons.every((cron) => cron.trim().split(/\s+/).length === 5)) fail("no valid schedule")
const concurrency = mapping(at(workflow, ["concurrency"]), "concurrency")
if (text(at(workflow, ["concurrency", "group"]), "concurrency.group").trim() === "") {
  fail("the concurrency group is empty")
}
if (concurrency["cancel-in-progress"] !== false) fail("cancel-in-progress must be false: a tick is never cut short")

const jobs = Object.values(mapping(at(workflow, ["jobs"]), "jobs")).map((job) => mapping(job, "job"))
if (jobs.length !== 1) fail(`one job, not ${jobs.length}: two jobs would tick side by side`)
const job = jobs[0] ?? fail("no job")
if (typeof job["timeout-minutes"] !== "number") fail("the job needs timeout-minutes")
const steps = list(at(job, ["steps"]), "steps").map((step) => mapping(step, "step"))
const step = steps.find((s) => typeof s["run"] === "string" && /\bafk-cli\b/.test(s["run"])) ?? fail("no afk-cli step")
const run = /^npx (?:--yes )?(afk-cli@\S+) (tick(?: .*)?)$/.exec(text(step["run"], "run").trim())
if (run === null) fail(`the step should run npx afk-cli@<version> tick, not ${step["run"]}`)
const require = createRequire(import.meta.url)
const installed = require("afk-cli/package.json").version
if (run[1] !== `afk-cli@${installed}`) fail(`the step should pin afk-cli@${installed}, not ${run[1]}`)

const settings = new Map(Config.settings.map((setting) => [setting.env, setting]))
/** @type {Record<string, string>} */
const env = {}
for (const scope of [workflow, job, step]) {
  for (const [key, value] of Object.entries(mapping(scope["env"] ?? {}, "env"))) {
    const setting = settings.get(key) ?? fail(`${key} is not an AFK setting`)
    const expression = text(value, key)
    if (setting.secret !== /^\$\{\{\s*secrets\./.test(expression)) {
      fail(`${key} ${setting.secret ? "is a secret: take it from secrets.*" : "is not a secret: take it from vars.*"}`)
    }
    // As on a repository that set none of these variables and secrets: GitHub passes an empty string.
    env[key] = expression.replaceAll(/\$\{\{[^}]*\}\}/g, "")
  }
}
for (const key of ["AFK_KILL_SWITCH", "AFK_ALLOWLIST", "GITHUB_TOKEN", "AFK_T3_TOKEN"]) {
  if (!(key in env)) fail(`the step should set ${key}`)
}

const bin = join(dirname(require.resolve("afk-cli/package.json")), "bin", "afk-cli.js")
const args = (run[2] ?? "").split(" ")
const tick = spawnSync(process.execPath, [bin, ...args], {
  encoding: "utf8",
  env: { PATH: process.env["PATH"] ?? "", ...env },
  timeout: 60_000
})
if (tick.status !== 0 || !tick.stdout.includes("AFK is disarmed")) {
  fail(`afk-cli ${args.join(" ")} exited ${tick.status}:\n${tick.stdout}${tick.stderr}`)
}
console.log(
  `github-actions example: ok (${Object.keys(env).length} settings known; afk-cli@${installed} ${args.join(" ")} ` +
    "exits 0 disarmed)"
)
