/**
 * This example's test (`npm test`; the repository's pack check runs it against the packed packages):
 *
 * - the workflow runs on a schedule, in one concurrency group that never cancels a tick in progress, with a
 *   time limit;
 * - it runs on Node 22 or later, with the `afk-cli` a step without secrets installed from the packed tarball
 *   committed next to the workflow (the version installed here; install scripts off); no step runs `npx`,
 *   which would fetch whatever the registry holds under a name, and the tick step runs `afk-cli tick`;
 * - the checkout reads only the tarball's folder, keeps no credentials, and `contents: read` is the only
 *   permission;
 * - every variable it sets is a setting afk-core's Config knows; secret settings come from `secrets.*`, and
 *   only they do;
 * - AFK_CACHE_DIR is not off, and the Actions cache carries it from run to run: restored before the tick (its
 *   restore-keys a fixed prefix of the save's key, so the newest entry comes back), saved after it under a key
 *   holding the run's id and attempt (an entry is immutable, so each run saves a new one) even when the tick
 *   failed, neither step with an env;
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
const require = createRequire(import.meta.url)
const installed = require("afk-cli/package.json").version
const tarball = `afk-cli-${installed}.tgz`
/** @param {Record<string, unknown>} s */
const runOf = (s) => (typeof s["run"] === "string" ? s["run"].trim() : "")
for (const s of steps) if (/\bnpx\b/.test(runOf(s))) fail(`no step may run npx (it fetches by name): ${runOf(s)}`)

/** @param {string} action */
const uses = (action) => steps.findIndex((s) => typeof s["uses"] === "string" && s["uses"].startsWith(`${action}@`))
const setupNode = steps[uses("actions/setup-node")] ?? fail("no actions/setup-node step")
const nodeVersion = text(at(setupNode, ["with", "node-version"]), "node-version")
if (!(Number.parseInt(nodeVersion, 10) >= 22)) fail(`node-version should be 22 or later, not ${nodeVersion}`)

const install = steps.findIndex((s) => /\bnpm (install|i)\b/.test(runOf(s)))
const installRun = runOf(steps[install] ?? {}).split(/\s+/)
const path = installRun.find((word) => word.endsWith(`/${tarball}`))
if (!installRun.includes("--global") || !installRun.includes("--ignore-scripts") || path === undefined) {
  fail(`a step should run npm install --global --ignore-scripts ./<folder>/${tarball}, not: ${installRun.join(" ")}`)
}
if (steps[install]?.["env"] !== undefined) fail("the install step should have no env: no secret near an install")
const checkout = steps[uses("actions/checkout")] ?? fail("no actions/checkout step (the tarball is in the repository)")
const folder = path.replace(/^\.\//, "").split("/").slice(0, -1).join("/")
if (text(at(checkout, ["with", "sparse-checkout"]), "sparse-checkout").trim() !== folder) {
  fail(`the checkout should fetch only ${folder} (sparse-checkout)`)
}
if (at(checkout, ["with", "persist-credentials"]) !== false) fail("the checkout should set persist-credentials: false")
const permissions = mapping(at(workflow, ["permissions"]), "permissions")
if (JSON.stringify(permissions) !== JSON.stringify({ contents: "read" })) {
  fail(`permissions should be { contents: read } only, not ${JSON.stringify(permissions)}`)
}
const tickAt = steps.findIndex((s) => /\bafk-cli\b/.test(runOf(s)) && !/\bnpm\b/.test(runOf(s)))
const step = steps[tickAt] ?? fail("no afk-cli step")
if (!(uses("actions/checkout") < install && uses("actions/setup-node") < install && install < tickAt)) {
  fail("the steps should be: checkout and setup-node, install afk-cli, then the tick")
}
const run = /^afk-cli (tick(?: .*)?)$/.exec(runOf(step))
if (run === null) fail(`the step should run afk-cli tick, not ${step["run"]}`)

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

// The cache: a fresh runner per run, so GitHub's answers reach the next run only through the Actions cache.
// Restored before the tick (the newest entry under the key's prefix), saved after it under a key no earlier run
// used (an entry is immutable), even when the tick failed.
const cacheDir = env["AFK_CACHE_DIR"] ?? ".afk-cache"
if (cacheDir.trim() === "" || cacheDir === "off") {
  fail(`AFK_CACHE_DIR is "${cacheDir}": each run would pay rate-limit points for every read again`)
}
/** @param {Record<string, unknown>} s @param {string} what */
const cachePath = (s, what) => {
  const path = text(at(s, ["with", "path"]), `${what} path`).trim()
  if (path !== cacheDir && !/^\$\{\{\s*env\.AFK_CACHE_DIR\s*\}\}$/.test(path)) {
    fail(`${what} should hold AFK_CACHE_DIR (${cacheDir}), not ${path}`)
  }
  if (s["env"] !== undefined) fail(`${what} should have no env: no secret near the cache`)
}
const restore = steps[uses("actions/cache/restore")] ??
  fail("no actions/cache/restore step: each run starts on a fresh runner and would pay for every read again")
const save = steps[uses("actions/cache/save")] ?? fail("no actions/cache/save step: the next run would find nothing")
if (!(uses("actions/cache/restore") < tickAt && tickAt < uses("actions/cache/save"))) {
  fail("the cache should be restored before the tick and saved after it")
}
cachePath(restore, "the cache restore")
cachePath(save, "the cache save")
const saveKey = text(at(save, ["with", "key"]), "the cache save's key")
if (!/\$\{\{\s*github\.run_id\s*\}\}/.test(saveKey) || !/\$\{\{\s*github\.run_attempt\s*\}\}/.test(saveKey)) {
  fail(`the cache save's key should hold github.run_id and github.run_attempt (an entry is immutable): ${saveKey}`)
}
const prefixes = text(at(restore, ["with", "restore-keys"]), "the cache restore's restore-keys").split("\n")
  .map((line) => line.trim())
  .filter((line) => line !== "")
if (!prefixes.some((prefix) => saveKey.startsWith(prefix) && !prefix.includes("${{"))) {
  fail(
    `the cache restore's restore-keys should hold a fixed prefix of the save's key ${saveKey}, so the newest is restored`
  )
}
if (!/(\balways|!\s*cancelled)\(\)/.test(String(save["if"] ?? ""))) {
  fail("the cache save should run even when the tick failed: if: ${{ !cancelled() }}")
}

const bin = join(dirname(require.resolve("afk-cli/package.json")), "bin", "afk-cli.js")
const args = (run[1] ?? "").split(" ")
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
