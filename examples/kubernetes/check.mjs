/**
 * This example's test (`npm test`; the repository's pack check runs it against the packed packages):
 *
 * - every ConfigMap key is a setting afk-core's Config knows, and not a secret; every Secret key is a secret
 *   setting; every value is a string (Kubernetes refuses anything else);
 * - laid out as the CronJob mounts them (one file per key in one directory), they load strictly through
 *   `Config.loadFrom({ dir })`, and the example ships disarmed;
 * - the CronJob forbids overlapping runs, mounts that directory where its command reads it, and runs the
 *   image `Dockerfile` builds (`afk-cli:<the version installed here>`) with that image's own `afk-cli`;
 *   nothing is fetched by name when a pod with the secrets starts (no `npx`, no `npm install`);
 * - the Dockerfile starts from Node 22 or later, installs afk-cli from its packed tarball only (with install
 *   scripts off) and runs as a user other than root;
 * - its command, run with the installed afk-cli on that directory, exits 0 and says it is disarmed (nothing
 *   is read or sent), and exits 2 once an unknown AFK_* key is added.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { Config } from "afk-core"
import * as Effect from "effect/Effect"
import { spawnSync } from "node:child_process"
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { at, list, mapping, readDocument, text } from "../yaml-subset.mjs"

/** @param {string} message @returns {never} */
const fail = (message) => {
  throw new Error(`kubernetes example: ${message}`)
}

/** @param {string} file */
const documentOf = (file) => readDocument(new URL(file, import.meta.url))

const configMap = await documentOf("configmap.yaml")
const secret = await documentOf("secret.yaml")
const cronJob = await documentOf("cronjob.yaml")
const kustomization = await documentOf("kustomization.yaml")

// The keys: exactly the settings table's env-style names, secrets only in the Secret.
const settings = new Map(Config.settings.map((setting) => [setting.env, setting]))
/** @type {Record<string, string>} */
const files = {}
for (
  const [document, field, secretOnly]
    of /** @type {const} */ ([[configMap, "data", false], [secret, "stringData", true]])
) {
  const kind = text(at(document, ["kind"]), "kind")
  for (const [key, value] of Object.entries(mapping(at(document, [field]), `${kind} ${field}`))) {
    const setting = settings.get(key) ?? fail(`${kind} key ${key} is not an AFK setting`)
    if (setting.secret !== secretOnly) {
      fail(`${kind} key ${key} ${setting.secret ? "is a secret: it belongs in the Secret" : "is not a secret"}`)
    }
    files[key] = text(value, `${kind} ${key} (quote it: Kubernetes only takes strings)`)
  }
}

// The CronJob: no overlap, and the directory its command reads is the one holding both.
if (at(cronJob, ["spec", "concurrencyPolicy"]) !== "Forbid") fail("the CronJob must set concurrencyPolicy: Forbid")
const pod = at(cronJob, ["spec", "jobTemplate", "spec", "template", "spec"])
const command = list(at(pod, ["containers", 0, "command"]), "command").map((arg) => text(arg, "command"))
if (command.some((arg) => /\b(npx|npm)\b/.test(arg))) {
  fail(`the command fetches a package while the pod holds the secrets: ${command.join(" ")}; run the image's afk-cli`)
}
const cli = 0
if (command[cli] !== "afk-cli" || command[cli + 1] !== "tick") {
  fail(`the command should run afk-cli tick: ${command.join(" ")}`)
}
const require = createRequire(import.meta.url)
const installed = require("afk-cli/package.json").version
const image = text(at(pod, ["containers", 0, "image"]), "image")
if (image !== `afk-cli:${installed}`) {
  fail(`the CronJob should run the image Dockerfile builds, afk-cli:${installed}, not ${image}`)
}

// The image: Node 22+, afk-cli from its local tarball (never from the registry by name), not root.
const instructions = readFileSync(new URL("Dockerfile", import.meta.url), "utf8")
  .replaceAll(/\\\n/g, " ")
  .split("\n")
  .map((line) => line.trim().replaceAll(/\s+/g, " "))
  .filter((line) => line !== "" && !line.startsWith("#"))
const base = /^FROM node:(\d+)(?:\.[\d.]+)?-slim$/.exec(instructions[0] ?? "")
if (base === null || Number(base[1]) < 22) {
  fail(`the Dockerfile should start FROM node:22-slim or later, not ${instructions[0]}`)
}
const tarball = `afk-cli-${installed}.tgz`
if (!instructions.some((line) => line.startsWith("COPY ") && line.split(" ")[1] === tarball)) {
  fail(`the Dockerfile should COPY ${tarball} (from npm pack) into the image`)
}
const installs = instructions.filter((line) => /\bnpm (install|i)\b/.test(line))
const installsTarball = (line = "") =>
  ["--global", "--ignore-scripts"].every((flag) => line.split(" ").includes(flag)) &&
  line.split(" ").some((word) => word.endsWith(`/${tarball}`))
if (installs.length !== 1 || !installsTarball(installs[0])) {
  fail(`the Dockerfile should install only the tarball, with scripts off: ${installs.join(" | ") || "no npm install"}`)
}
if (instructions.some((line) => /\bnpx\b|afk-cli@/.test(line))) fail("the Dockerfile should not fetch afk-cli by name")
const user = instructions.filter((line) => line.startsWith("USER ")).at(-1)
if (user === undefined || /^USER (root|0)\b/.test(user)) {
  fail(`the image should run as a user other than root, not ${user}`)
}
const configDir = command.includes("--config-dir")
  ? text(command[command.indexOf("--config-dir") + 1] ?? null, "--config-dir")
  : fail("the command has no --config-dir")
const mounts = list(at(pod, ["containers", 0, "volumeMounts"]), "volumeMounts").map((m) => mapping(m, "volumeMount"))
const mount = mounts.find((m) => m["mountPath"] === configDir) ?? fail(`nothing is mounted at ${configDir}`)
const volume = list(at(pod, ["volumes"]), "volumes")
  .map((v) => mapping(v, "volume"))
  .find((v) => v["name"] === mount["name"]) ?? fail(`no volume ${mount["name"]}`)
const sources = list(at(volume, ["projected", "sources"]), "projected sources").map((s) => mapping(s, "source"))
for (const [kind, document] of /** @type {const} */ ([["configMap", configMap], ["secret", secret]])) {
  const name = at(document, ["metadata", "name"])
  if (!sources.some((source) => source[kind] !== undefined && at(source, [kind, "name"]) === name)) {
    fail(`the volume at ${configDir} does not project the ${kind} ${name}`)
  }
}
for (const resource of list(at(kustomization, ["resources"]), "resources")) {
  if (!existsSync(new URL(text(resource, "resource"), import.meta.url))) fail(`kustomization lists ${resource}`)
}

// The directory as the projected volume lays it out, loaded strictly.
const dir = mkdtempSync(join(tmpdir(), "afk-k8s-"))
try {
  for (const [key, value] of Object.entries(files)) writeFileSync(join(dir, key), value)
  const config = await Effect.runPromise(Config.loadFrom({ dir }).pipe(Effect.provide(NodeFileSystem.layer)))
  if (!config.killSwitch || config.allowlist.length === 0) fail("the example should ship disarmed, with an allowlist")

  // The CronJob's own command, on that directory, with the afk-cli installed here.
  const bin = join(dirname(require.resolve("afk-cli/package.json")), "bin", "afk-cli.js")
  /** @param {string} from */
  const tick = (from) =>
    spawnSync(process.execPath, [bin, ...command.slice(cli + 1).map((arg) => (arg === configDir ? from : arg))], {
      encoding: "utf8",
      env: { PATH: process.env["PATH"] ?? "" },
      timeout: 60_000
    })
  const disarmed = tick(dir)
  if (disarmed.status !== 0 || !disarmed.stdout.includes("AFK is disarmed")) {
    fail(`afk-cli tick exited ${disarmed.status}:\n${disarmed.stdout}${disarmed.stderr}`)
  }
  const typo = mkdtempSync(join(tmpdir(), "afk-k8s-typo-"))
  try {
    cpSync(dir, typo, { recursive: true })
    writeFileSync(join(typo, "AFK_KILL_SWICH"), "false")
    const refused = tick(typo)
    if (refused.status !== 2 || !refused.stderr.includes("AFK_KILL_SWICH")) {
      fail(`an unknown key should stop the tick with exit 2, got ${refused.status}:\n${refused.stderr}`)
    }
  } finally {
    rmSync(typo, { recursive: true, force: true })
  }
  console.log(
    `kubernetes example: ok (${Object.keys(files).length} keys load through Config; afk-cli@${installed} tick ` +
      `--config-dir exits 0 disarmed, 2 on an unknown key)`
  )
} finally {
  rmSync(dir, { recursive: true, force: true })
}
