/**
 * quality.md P6: the installed size of `afk-cli` and its dependencies, reported. The package itself as
 * `npm pack --dry-run --json -w afk-cli` packs it, plus the on-disk size of its production dependency
 * closure: `dependencies`, installed `optionalDependencies` and non-optional `peerDependencies`, resolved
 * from node_modules the way Node does, each package counted once, nested node_modules counted as their own
 * packages. Sizes are file sizes in bytes (MB = 10^6 bytes); `du`-style block usage is shown beside them.
 *
 * Run: node bench/p6-size.mjs [--json FILE]
 */
import { execFileSync } from "node:child_process"
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
const cliDir = join(root, "packages/afk-cli")

const npm = process.platform === "win32" ? "npm.cmd" : "npm"
const pack = JSON.parse(
  execFileSync(npm, ["pack", "--dry-run", "--json", "-w", "afk-cli"], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"]
  })
)[0]

/** Bytes and 512-byte blocks of a directory, not following links, leaving nested node_modules out. */
const sizeOf = (dir) => {
  let bytes = 0
  let blocks = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules") continue
    const path = join(dir, entry.name)
    const stat = lstatSync(path)
    bytes += stat.size
    blocks += stat.blocks
    if (entry.isDirectory()) {
      const inner = sizeOf(path)
      bytes += inner.bytes
      blocks += inner.blocks
    }
  }
  return { bytes, blocks }
}

/** Node's lookup: `<dir>/node_modules/<name>` from `from` up to the file system root. */
const resolve = (name, from) => {
  for (let dir = from;; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name)
    if (existsSync(join(candidate, "package.json"))) return realpathSync(candidate)
    if (dirname(dir) === dir) return undefined
  }
}

const manifest = (dir) => JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))

const closure = new Map()
const missing = []
const visit = (dir, isRoot) => {
  const pkg = manifest(dir)
  const optionalPeers = new Set(
    Object.entries(pkg.peerDependenciesMeta ?? {}).filter(([, meta]) => meta.optional).map(([name]) => name)
  )
  const wanted = [
    ...Object.keys(pkg.dependencies ?? {}).map((name) => [name, true]),
    ...Object.keys(pkg.optionalDependencies ?? {}).map((name) => [name, false]),
    ...Object.keys(pkg.peerDependencies ?? {}).filter((name) => !optionalPeers.has(name)).map((name) => [name, false])
  ]
  if (!isRoot) closure.set(dir, { name: pkg.name, version: pkg.version, ...sizeOf(dir) })
  for (const [name, required] of wanted) {
    const found = resolve(name, dir)
    if (found === undefined) {
      if (required) missing.push(`${name} (needed by ${pkg.name})`)
      continue
    }
    if (!closure.has(found) && found !== realpathSync(cliDir)) visit(found, false)
  }
}
visit(realpathSync(cliDir), true)

const packages = [...closure.values()].sort((a, b) => b.bytes - a.bytes)
const deps = packages.reduce((sum, p) => ({ bytes: sum.bytes + p.bytes, blocks: sum.blocks + p.blocks }), {
  bytes: 0,
  blocks: 0
})
const bundle = join(cliDir, "dist/bin.js")
const packed = new Set(pack.files.map((file) => file.path))
const bundleBytes = existsSync(bundle) ? lstatSync(bundle).size : 0
const bundleMissing = !packed.has("dist/bin.js")
const installed = pack.unpackedSize + (bundleMissing ? bundleBytes : 0) + deps.bytes

const mb = (bytes) => `${(bytes / 1e6).toFixed(2)} MB`
const lines = [
  `afk-cli as npm packs it: ${pack.entryCount} files, ${(pack.size / 1e3).toFixed(1)} kB packed, ` +
  `${(pack.unpackedSize / 1e3).toFixed(1)} kB unpacked.`,
  bundleMissing
    ? `dist/bin.js (${(bundleBytes / 1e3).toFixed(1)} kB, what bin/afk-cli.js loads) is NOT in the pack: dist/ is in ` +
      ".gitignore and package.json has no `files` field (src/ and test/ are packed instead)."
    : "dist/bin.js is in the pack.",
  `Production dependency closure: ${packages.length} packages, ${mb(deps.bytes)} (${mb(deps.blocks * 512)} in blocks).`,
  ...(missing.length > 0 ? [`Not installed: ${missing.join(", ")}`] : []),
  "",
  "| package | version | MB |",
  "|---------|---------|----|",
  ...packages.map((p) => `| ${p.name} | ${p.version} | ${(p.bytes / 1e6).toFixed(2)} |`)
]
console.log(`P6: installed size of afk-cli and its dependencies\n\n${lines.join("\n")}`)

const reported = (name, bytes) => ({
  id: "P6",
  name,
  measured: Number((bytes / 1e6).toFixed(3)),
  unit: "MB",
  goal: "reported",
  status: "reported"
})
const figures = [
  reported(
    `afk-cli package, npm pack unpacked (${pack.entryCount} files${bundleMissing ? ", no dist/" : ""})`,
    pack.unpackedSize
  ),
  reported("afk-cli bundle dist/bin.js", bundleBytes),
  reported(`production dependencies (${packages.length} packages) on disk`, deps.bytes),
  reported("installed total (package + bundle + dependencies)", installed)
]
const at = process.argv.indexOf("--json")
if (at >= 0 && process.argv[at + 1] !== undefined) writeFileSync(process.argv[at + 1], JSON.stringify(figures))
