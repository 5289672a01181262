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
 *   scripts off), writes afk-cli's code cache for its Node with the package's own `bin/warm-cache.js` (what
 *   the postinstall does) and runs as a user other than root;
 * - its command, run with the installed afk-cli on that directory, exits 0 and says it is disarmed (nothing
 *   is read or sent), and exits 2 once an unknown AFK_* key is added;
 * - the cache survives from one tick's pod to the next: AFK_CACHE_DIR is a folder inside (not at the root of) a
 *   writable volume the CronJob mounts from a ReadWriteOnce PersistentVolumeClaim listed in kustomization.yaml,
 *   the pod runs as a user with an fsGroup (so it can write the volume) and `fsGroupChangePolicy:
 *   OnRootMismatch` (so the kubelet does not make the cache group-writable at each mount: afk-cli would refuse
 *   it); serve mounts a volume of its own there, not the CronJob's claim;
 * - the Deployment runs two replicas of that image with `afk-cli serve` on the same directory (the ConfigMap
 *   makes it listen on 0.0.0.0 at the container's port, the Secret holds AFK_WEBHOOK_SECRET), probes /healthz
 *   and /readyz on that port, and the Service selects its pods; serve, run on the directory, answers /healthz
 *   200 and /readyz 503 saying it is disarmed, and exits 0 on SIGTERM.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { Config } from "afk-core"
import * as Effect from "effect/Effect"
import { spawn, spawnSync } from "node:child_process"
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { dirname, join, posix } from "node:path"
import { clearTimeout, setTimeout } from "node:timers"
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
const deployment = await documentOf("deployment.yaml")
const service = await documentOf("service.yaml")
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
// Scripts off, it writes afk-cli's code cache for the image's Node itself, before the pods' user takes over.
const warmAt = instructions.findIndex((line) =>
  /^RUN node "\$\(npm root --global\)\/afk-cli\/bin\/warm-cache\.js"$/.test(line)
)
if (warmAt < 0 || !existsSync(require.resolve("afk-cli/package.json").replace(/package\.json$/, "bin/warm-cache.js"))) {
  fail(
    "the Dockerfile should write afk-cli's code cache for its Node: RUN node \"$(npm root --global)/afk-cli/bin/warm-cache.js\""
  )
}
const user = instructions.filter((line) => line.startsWith("USER ")).at(-1)
if (user === undefined || /^USER (root|0)\b/.test(user)) {
  fail(`the image should run as a user other than root, not ${user}`)
}
if (instructions.lastIndexOf(user) < warmAt) {
  fail(`the code cache should be written before ${user}: the pods' user cannot`)
}
const configDir = command.includes("--config-dir")
  ? text(command[command.indexOf("--config-dir") + 1] ?? null, "--config-dir")
  : fail("the command has no --config-dir")
/** Fails unless `spec` (a pod spec) mounts the ConfigMap and the Secret, projected, at `configDir`. */
const projectsBoth = (/** @type {import("../yaml-subset.mjs").Yaml} */ spec, /** @type {string} */ what) => {
  const mounts = list(at(spec, ["containers", 0, "volumeMounts"]), "volumeMounts").map((m) => mapping(m, "mount"))
  const mount = mounts.find((m) => m["mountPath"] === configDir) ?? fail(`${what}: nothing is mounted at ${configDir}`)
  const volume = list(at(spec, ["volumes"]), "volumes")
    .map((v) => mapping(v, "volume"))
    .find((v) => v["name"] === mount["name"]) ?? fail(`${what}: no volume ${mount["name"]}`)
  const sources = list(at(volume, ["projected", "sources"]), "projected sources").map((s) => mapping(s, "source"))
  for (const [kind, document] of /** @type {const} */ ([["configMap", configMap], ["secret", secret]])) {
    const name = at(document, ["metadata", "name"])
    if (!sources.some((source) => source[kind] !== undefined && at(source, [kind, "name"]) === name)) {
      fail(`${what}: the volume at ${configDir} does not project the ${kind} ${name}`)
    }
  }
}
projectsBoth(pod, "the CronJob")

// The Deployment: two replicas of the same image serving on that directory, probed on the port it listens on.
if (at(deployment, ["spec", "replicas"]) !== 2) fail("the Deployment should run 2 replicas")
const servePod = at(deployment, ["spec", "template", "spec"])
const serveCommand = list(at(servePod, ["containers", 0, "command"]), "command").map((arg) => text(arg, "command"))
if (serveCommand[0] !== "afk-cli" || serveCommand[1] !== "serve" || serveCommand.includes("--set")) {
  fail(`the Deployment should run afk-cli serve: ${serveCommand.join(" ")}`)
}
if (serveCommand[serveCommand.indexOf("--config-dir") + 1] !== configDir) {
  fail(`the Deployment should read --config-dir ${configDir}`)
}
if (at(servePod, ["containers", 0, "image"]) !== image) fail(`the Deployment should run ${image}`)
projectsBoth(servePod, "the Deployment")
if (files["AFK_SERVE_HOST"] !== "0.0.0.0") {
  fail("AFK_SERVE_HOST should be \"0.0.0.0\": in a pod, 127.0.0.1 is unreachable")
}
if (files["AFK_WEBHOOK_SECRET"] === undefined) fail("the Secret should hold AFK_WEBHOOK_SECRET")
const servePort = Number(files["AFK_SERVE_PORT"] ?? "8787")
const ports = list(at(servePod, ["containers", 0, "ports"]), "ports").map((p) => mapping(p, "port"))
const http = ports.find((p) => p["containerPort"] === servePort) ?? fail(`no containerPort ${servePort}`)
for (const [probe, path] of [["livenessProbe", "/healthz"], ["readinessProbe", "/readyz"]]) {
  const get = mapping(at(servePod, ["containers", 0, probe, "httpGet"]), probe)
  if (get["path"] !== path || (get["port"] !== http["name"] && get["port"] !== servePort)) {
    fail(`the ${probe} should GET ${path} on port ${servePort}`)
  }
}
const podLabels = mapping(at(deployment, ["spec", "template", "metadata", "labels"]), "pod labels")
for (const [key, value] of Object.entries(mapping(at(service, ["spec", "selector"]), "Service selector"))) {
  if (podLabels[key] !== value) fail(`the Service selects ${key}=${value}, which the serve pods do not carry`)
}
const target = at(service, ["spec", "ports", 0, "targetPort"])
if (target !== http["name"] && target !== servePort) fail(`the Service should target the serve port, not ${target}`)
const resources = await Promise.all(
  list(at(kustomization, ["resources"]), "resources").map((resource) => {
    const file = new URL(text(resource, "resource"), import.meta.url)
    return existsSync(file) ? documentOf(file.href) : fail(`kustomization lists ${resource}, which is missing`)
  })
)

// The cache. Each tick is a new pod, so only a PersistentVolumeClaim keeps GitHub's answers (and their ETags)
// for the next one, whose unchanged reads are then free 304s. afk-cli refuses a cache directory that group or
// world can write: fsGroup makes the volume's root group-writable, so the cache is a folder afk-cli creates
// (0700) inside it, and `fsGroupChangePolicy: OnRootMismatch` keeps the kubelet from making it group-writable
// again at every mount.
const cacheDir = files["AFK_CACHE_DIR"] ??
  fail("the ConfigMap should set AFK_CACHE_DIR to a folder in the cache volume")
if (cacheDir === "off" || !posix.isAbsolute(cacheDir)) {
  fail(
    `AFK_CACHE_DIR is "${cacheDir}": every tick is a new pod, so each would pay rate-limit points for every read ` +
      "again; set it to a folder inside the CronJob's PersistentVolumeClaim (e.g. /var/cache/afk/cache)"
  )
}
/** The writable volume of `spec` (a pod spec) that AFK_CACHE_DIR lies inside, not at its root. */
const cacheVolume = (/** @type {import("../yaml-subset.mjs").Yaml} */ spec, /** @type {string} */ what) => {
  const mounts = list(at(spec, ["containers", 0, "volumeMounts"]), "volumeMounts").map((m) => mapping(m, "mount"))
  const inside = (/** @type {Record<string, unknown>} */ m) => {
    const relative = posix.relative(text(m["mountPath"] ?? null, "mountPath"), cacheDir)
    return !relative.startsWith("..") && !posix.isAbsolute(relative)
  }
  const mount =
    mounts.filter(inside).sort((a, b) => String(b["mountPath"]).length - String(a["mountPath"]).length)[0] ??
      fail(`${what}: no volume is mounted where AFK_CACHE_DIR ${cacheDir} is (the root filesystem is read-only)`)
  if (mount["mountPath"] === cacheDir) {
    fail(
      `${what}: AFK_CACHE_DIR ${cacheDir} is the root of a volume, which fsGroup makes group-writable and ` +
        "afk-cli refuses; set it to a folder inside the volume"
    )
  }
  if (mount["readOnly"] === true) fail(`${what}: the volume at ${mount["mountPath"]} holds the cache: not read-only`)
  return list(at(spec, ["volumes"]), "volumes")
    .map((v) => mapping(v, "volume"))
    .find((v) => v["name"] === mount["name"]) ?? fail(`${what}: no volume ${mount["name"]}`)
}
const claimName = at(
  cacheVolume(pod, "the CronJob")["persistentVolumeClaim"] ??
    fail(
      "the CronJob's cache volume should be a persistentVolumeClaim: each tick is a new pod, and an emptyDir goes with it"
    ),
  ["claimName"]
)
const claim =
  resources.find((r) => r["kind"] === "PersistentVolumeClaim" && at(r, ["metadata", "name"]) === claimName) ??
    fail(`the CronJob's cache volume claims ${claimName}: no such PersistentVolumeClaim in kustomization`)
if (!list(at(claim, ["spec", "accessModes"]), "accessModes").includes("ReadWriteOnce")) {
  fail("the cache's PersistentVolumeClaim should be ReadWriteOnce: one tick at a time mounts it")
}
text(at(claim, ["spec", "resources", "requests", "storage"]), "the PersistentVolumeClaim's storage request")
const security = mapping(at(pod, ["securityContext"]), "the CronJob's pod securityContext")
if (typeof security["runAsUser"] !== "number" || typeof security["fsGroup"] !== "number") {
  fail("the CronJob's pod should set runAsUser and fsGroup, so the user it runs as can write the cache volume")
}
if (security["fsGroupChangePolicy"] !== "OnRootMismatch") {
  fail(
    "the CronJob's pod should set fsGroupChangePolicy: OnRootMismatch: otherwise the kubelet makes every file of " +
      "the volume group-writable at each mount, and afk-cli refuses the cache"
  )
}
const serveCache = cacheVolume(servePod, "the Deployment")
if (serveCache["persistentVolumeClaim"] !== undefined) {
  fail("the Deployment's replicas should not share the CronJob's ReadWriteOnce claim: give serve an emptyDir")
}

/**
 * `afk-cli serve` on `from` (on 127.0.0.1 and a free port instead of the pod's 0.0.0.0:8787): /healthz 200,
 * /readyz 503 saying it is disarmed, exit 0 on SIGTERM. @param {string} bin @param {string} from
 */
const serveDisarmed = async (bin, from) => {
  const child = spawn(
    process.execPath,
    [bin, ...serveCommand.slice(1).map((arg) => (arg === configDir ? from : arg))],
    {
      env: { PATH: process.env["PATH"] ?? "", AFK_SERVE_HOST: "127.0.0.1", AFK_SERVE_PORT: "0" },
      stdio: ["ignore", "ignore", "pipe"]
    }
  )
  const exited = new Promise((resolve) => child.on("close", resolve))
  let log = ""
  try {
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not listen within 30 s:\n${log}`)), 30_000)
      child.stderr.on("data", (chunk) => {
        log += chunk
        const listening = /listening on (http:\/\/[\d.]+:\d+)/.exec(log)
        if (listening !== null) resolve((clearTimeout(timer), listening[1]))
      })
      void exited.then((code) => reject(new Error(`serve exited ${code}:\n${log}`)))
    })
    const health = await globalThis.fetch(`${url}/healthz`)
    const ready = await globalThis.fetch(`${url}/readyz`)
    const reason = await ready.text()
    if (health.status !== 200 || ready.status !== 503 || !reason.includes("AFK is disarmed")) {
      fail(`serve answered /healthz ${health.status}, /readyz ${ready.status} ${reason}`)
    }
  } finally {
    child.kill("SIGTERM")
  }
  const code = await exited
  if (code !== 0) fail(`serve exited ${code} on SIGTERM:\n${log}`)
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
  await serveDisarmed(bin, dir)
  console.log(
    `kubernetes example: ok (${Object.keys(files).length} keys load through Config; the CronJob keeps its cache ` +
      `in ${cacheDir} on the claim ${claimName}; afk-cli@${installed} tick ` +
      `--config-dir exits 0 disarmed, 2 on an unknown key; serve answers its probes and stops on SIGTERM)`
  )
} finally {
  rmSync(dir, { recursive: true, force: true })
}
