#!/usr/bin/env node
/**
 * The packed-tarball check: does what an outside user does with the published packages, and fails loudly.
 *
 * 1. `npm pack` every package (after `npm run build`) into a temporary folder outside the repository, and
 *    check each tarball: ESM `dist/*.js` with `.d.ts` (afk-cli: one self-contained bundle, no dependencies,
 *    with the bundled packages' licences), README.md, LICENSE, no sources or tests, every `exports` target
 *    (a `./*` pattern: one per module of `src/`) and `bin` present, and the manifest (`engines`,
 *    `sideEffects`, peers).
 * 2. Create a fresh project there (no workspace, no links) and `npm install` the tarballs, plus `effect`,
 *    `@effect/platform` and `@effect/platform-node` from the registry at the repository's versions, and the
 *    tools the examples use (typescript, @types/node, vitest, @effect/vitest), also at the repository's
 *    versions (`--prefer-offline`: the npm cache serves what it has).
 * 3. In that project: afk-cli's postinstall wrote its code cache for the installing Node; one copy each of
 *    effect, @effect/platform and afk-core; every public entry point's declarations type-check with
 *    `skipLibCheck` off, and it loads in Node; the packed CLI's `demo` runs; then every folder of `examples/`
 *    (but those `embed-check.mjs` installs alone), copied in, runs its `build` (tsc) and `test` scripts, and
 *    `start` where listed. About a minute, most of it `npm install` and the compilers (run side by side).
 *
 * Usage: `node scripts/pack-check.mjs [--keep]` (keeps the temporary folder; it is always kept on failure).
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { conclude, fail, readJson, root, run, scratch } from "./check-kit.mjs"

const keep = process.argv.includes("--keep")
const started = Date.now()

/** The packages, in dependency order, and what each tarball must hold besides its exports and bin. */
const packages = [
  { dir: "packages/afk-core", library: true },
  { dir: "packages/adapter-github", library: true },
  { dir: "packages/adapter-forgejo", library: true },
  { dir: "packages/adapter-slack", library: true },
  { dir: "packages/afk-cli", library: false }
]

/** Where the project lives: every manifest's repository, homepage and bugs point here. */
const home = "https://github.com/afk-dev/afk"

/** Examples installed on their own, each from the afk-cli tarball alone, by `embed-check.mjs`. */
const installedAlone = new Set(["embed-plain", "embed-effect4"])

/** Scripts run per example after `build` and `test` (each must terminate on its own). */
const extraScripts = { "custom-tracker": ["start"] }

/** Installed from the registry next to the tarballs, pinned to the versions in the repository's lock. */
const fromRegistry = [
  "effect",
  "@effect/platform",
  "@effect/platform-node",
  "typescript",
  "@types/node",
  "vitest",
  "@effect/vitest"
]

const work = scratch("afk-pack-check-")

/** The modules a `./*` export serves: each `src/*.ts` of the package, built to `dist/<Module>.js` and `.d.ts`. */
const modulesOf = (dir) =>
  readdirSync(join(root, dir, "src")).filter((file) => file.endsWith(".ts")).map((file) => file.slice(0, -3))

const substitute = (entry, name) =>
  typeof entry === "string"
    ? entry.replace("*", name)
    : Object.fromEntries(Object.entries(entry).map(([key, target]) => [key, substitute(target, name)]))

/** Each `exports` path with its entry, a pattern (`./*`) expanded to one path per module of the package. */
const subpaths = (dir, exports) =>
  Object.entries(exports ?? {}).flatMap(([path, entry]) =>
    path.includes("*")
      ? modulesOf(dir).map((name) => [path.replace("*", name), substitute(entry, name)])
      : [[path, entry]]
  )

/** Every file path an `exports` entry may resolve to outside the workspace (the `source` condition is dev-only). */
const exportTargets = (entry) => {
  if (typeof entry === "string") return [entry]
  if (entry === null || typeof entry !== "object") return []
  return Object.entries(entry).flatMap(([condition, target]) => (condition === "source" ? [] : exportTargets(target)))
}

const checkTarball = (pkg, packed) => {
  const manifest = readJson(join(root, pkg.dir, "package.json"))
  const files = new Set(packed.files.map((file) => file.path))
  const where = `${packed.name}@${packed.version} (${packed.filename})`
  const problems = []
  const expect = (ok, problem) => ok || problems.push(problem)

  for (const file of ["package.json", "README.md", "LICENSE"]) expect(files.has(file), `${file} is missing`)
  for (const file of files) {
    expect(!/(^|\/)(src|test|tests|bench)\//.test(file) && !/\.test\.[cm]?[jt]s$/.test(file), `${file} is packed`)
  }
  expect([...files].some((file) => /^dist\/.+\.js$/.test(file)), "no dist/*.js")
  for (const target of subpaths(pkg.dir, manifest.exports).flatMap(([, entry]) => exportTargets(entry))) {
    expect(files.has(target.replace(/^\.\//, "")), `exports target ${target} is not in the tarball`)
  }
  for (const target of Object.values(manifest.bin ?? {})) {
    expect(files.has(target.replace(/^\.\//, "")), `bin ${target} is not in the tarball`)
  }
  expect(manifest.type === "module", "type is not module")
  expect(manifest.sideEffects === false, "sideEffects is not false")
  expect(manifest.engines?.node === ">=20.19", "engines.node is not >=20.19")
  expect(manifest.license === "MIT", "license is not MIT")
  const repository = manifest.repository ?? {}
  expect(
    repository.type === "git" && repository.url === `git+${home}.git` && repository.directory === pkg.dir,
    `repository should be { type: git, url: git+${home}.git, directory: ${pkg.dir} }`
  )
  expect(
    manifest.homepage === `${home}/tree/main/${pkg.dir}#readme`,
    `homepage should be ${home}/tree/main/${pkg.dir}#readme`
  )
  expect(manifest.bugs?.url === `${home}/issues`, `bugs.url should be ${home}/issues`)
  if (pkg.library) {
    expect([...files].some((file) => /^dist\/.+\.d\.ts$/.test(file)), "no dist/*.d.ts")
    for (const [path, entry] of Object.entries(manifest.exports ?? {})) {
      if (path.endsWith(".json")) {
        // Data, not a module (the manifest, a published JSON Schema): one file, no conditions.
        expect(typeof entry === "string", `exports ${path} is a JSON file and should be a plain path`)
        continue
      }
      const keys = Object.keys(entry ?? {})
      expect(
        keys.join(",") === "source,types,default",
        `exports ${path} should list source, types, default (in that order), not ${keys.join(", ")}`
      )
    }
    const peers = ["effect", "@effect/platform", ...(manifest.name === "afk-core" ? [] : ["afk-core"])]
    for (const peer of peers) {
      expect(manifest.peerDependencies?.[peer] !== undefined, `${peer} is not a peer dependency`)
      expect(manifest.devDependencies?.[peer] !== undefined, `${peer} is not a dev dependency (tests need it)`)
      expect(manifest.dependencies?.[peer] === undefined, `${peer} is a dependency: the host would get two copies`)
    }
  }
  if (!pkg.library) {
    expect(manifest.dependencies === undefined, "has dependencies, but dist/bin.js bundles everything it runs")
    expect(files.has("dist/THIRD-PARTY-NOTICES.md"), "dist/THIRD-PARTY-NOTICES.md (the bundled licences) is missing")
  }
  if (problems.length > 0) fail(`${where}:\n  - ${problems.join("\n  - ")}`)
  console.log(`  ok  ${where}: ${files.size} files, ${(packed.size / 1024).toFixed(0)} kB`)
}

const main = async () => {
  console.log(`pack check in ${work}`)
  for (const pkg of packages) {
    const dist = join(root, pkg.dir, "dist")
    if (!existsSync(dist) || readdirSync(dist).length === 0) {
      fail(`${pkg.dir}/dist is empty: run \`npm run build\` first`)
    }
  }

  // 1. Pack, from the repository, exactly what `npm publish` would upload.
  const tarballs = join(work, "tarballs")
  mkdirSync(tarballs)
  const workspaces = packages.flatMap((pkg) => ["-w", pkg.dir])
  const packedJson = await run("npm pack (5 packages)", "npm", [
    "pack",
    ...workspaces,
    "--json",
    "--pack-destination",
    tarballs,
    "--loglevel=error"
  ], { cwd: root })
  const packed = JSON.parse(packedJson)
  if (packed.length !== packages.length) fail(`npm pack packed ${packed.length} packages, not ${packages.length}`)
  packages.forEach((pkg, i) => checkTarball(pkg, packed[i]))

  // 2. A fresh project outside the repository: the tarballs, and the rest from the registry.
  const project = join(work, "project")
  mkdirSync(project)
  const lock = readJson(join(root, "package-lock.json"))
  // The repository's own pins (e.g. rollup under vitest) apply here too.
  const overrides = readJson(join(root, "package.json")).overrides ?? {}
  const versionOf = (name) => lock.packages[`node_modules/${name}`]?.version ?? fail(`${name} is not in the lock`)
  const dependencies = Object.fromEntries([
    ...packed.map((p) => [p.name, `file:${join(tarballs, p.filename)}`]),
    ...fromRegistry.map((name) => [name, versionOf(name)])
  ])
  writeFileSync(
    join(project, "package.json"),
    `${JSON.stringify({ name: "afk-outside-user", private: true, type: "module", dependencies, overrides }, null, 2)}\n`
  )
  await run("npm install (tarballs + registry, --prefer-offline)", "npm", [
    "install",
    "--prefer-offline",
    "--no-audit",
    "--no-fund",
    "--loglevel=error"
  ], { cwd: project })

  // afk-cli's postinstall wrote its shipped code cache for the Node that installed it (bin/warm-cache.js).
  const cli = join(project, "node_modules", "afk-cli", "dist")
  const cacheKey = readFileSync(join(cli, "bin.v8cache"), "latin1").slice(0, 200).split("\n")[0]
  if (cacheKey !== `${statSync(join(cli, "bin.js")).size}|${process.version}`) {
    fail(`afk-cli's dist/bin.v8cache is not for the installing Node ${process.version}: ${cacheKey}`)
  }

  // One copy of Effect and of afk-core in the host: the packages peer on them.
  const query = await run("one effect, @effect/platform and afk-core", "npm", [
    "query",
    "#effect, [name=@effect/platform], #afk-core",
    "--loglevel=error"
  ], { cwd: project })
  const copies = JSON.parse(query).map((node) => `${node.name}@${node.version} at ${node.location}`)
  if (copies.length !== 3) fail(`expected one copy each, found:\n  ${copies.join("\n  ")}`)

  // 3a. Every public entry point: its declarations type-check strictly (skipLibCheck off), and it loads in
  // Node (not the conformance suite, which needs vitest's runner: the custom-tracker example runs it).
  const entries = packed.flatMap((p, i) => {
    const manifest = readJson(join(project, "node_modules", p.name, "package.json"))
    return subpaths(packages[i].dir, manifest.exports)
      .map(([path]) => path)
      .filter((path) => path !== "./package.json")
      .map((path) => `${p.name}${path.slice(1)}`)
  })
  // A published JSON file (the policy file's schema) is data: it loads as JSON, it is not type-checked.
  const jsonEntries = entries.filter((entry) => entry.endsWith(".json"))
  entries.splice(0, entries.length, ...entries.filter((entry) => !entry.endsWith(".json")))
  const typecheck = join(work, "project", "typecheck")
  mkdirSync(typecheck)
  writeFileSync(
    join(typecheck, "entries.ts"),
    entries.map((entry, i) => `export * as Entry${i} from ${JSON.stringify(entry)}\n`).join("")
  )
  writeFileSync(
    join(typecheck, "tsconfig.json"),
    `${
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          lib: ["ES2022"],
          module: "NodeNext",
          moduleResolution: "NodeNext",
          types: ["node"],
          strict: true,
          exactOptionalPropertyTypes: true,
          noEmit: true,
          skipLibCheck: false
        },
        include: ["entries.ts"]
      })
    }\n`
  )
  const typechecked = run(`tsc, skipLibCheck off: ${entries.length} entry points`, process.execPath, [
    join(project, "node_modules", "typescript", "bin", "tsc"),
    "-p",
    typecheck
  ], { cwd: project })
  typechecked.catch(() => {}) // awaited with the examples' builds below; this only marks it handled meanwhile
  const loadable = entries.filter((entry) => !entry.endsWith("/conformance"))
  const importAll = [
    ...loadable.map((entry) => `await import(${JSON.stringify(entry)})`),
    ...jsonEntries.map((entry) => `await import(${JSON.stringify(entry)}, { with: { type: "json" } })`)
  ].join("; ")
  await run(
    `node imports ${loadable.length} entry points and ${jsonEntries.length} JSON file(s)`,
    process.execPath,
    ["--input-type=module", "-e", importAll],
    {
      cwd: project
    }
  )
  const demo = await run("afk-cli demo (the packed bundle)", process.execPath, [
    join(project, "node_modules", "afk-cli", "bin", "afk-cli.js"),
    "demo"
  ], { cwd: project, env: { PATH: process.env.PATH } })
  if (!demo.includes("the world has settled")) fail(`afk-cli demo did not settle:\n${demo}`)

  // 3b. The examples, copied in as a user would, each built and tested there.
  const examples = join(project, "examples")
  cpSync(join(root, "examples"), examples, {
    recursive: true,
    filter: (source) => !/(^|[\\/])(node_modules|dist)$/.test(source)
  })
  const installed = new Set(Object.keys(dependencies))
  const names = readdirSync(examples).filter((name) =>
    existsSync(join(examples, name, "package.json")) && !installedAlone.has(name)
  )
  if (names.length === 0) fail("no examples found")
  const script = (name, which) => {
    const manifest = readJson(join(examples, name, "package.json"))
    if (manifest.scripts?.[which] === undefined) fail(`examples/${name} has no "${which}" script`)
    return run(`examples/${name}: npm run ${which}`, "npm", ["run", which, "--silent"], {
      cwd: join(examples, name),
      env: { PATH: process.env.PATH, HOME: process.env.HOME ?? work }
    }).then((output) => process.env.PACK_CHECK_VERBOSE === "1" && console.log(output))
  }
  for (const name of names) {
    const manifest = readJson(join(examples, name, "package.json"))
    const declared = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies })
    const missing = declared.filter((dep) => !installed.has(dep))
    if (missing.length > 0) fail(`examples/${name} needs ${missing.join(", ")}: add it to this check's installs`)
  }
  // The compilers run side by side (the declarations' strict check too); then each example's own checks.
  await Promise.all([typechecked, ...names.map((name) => script(name, "build"))])
  for (const name of names) {
    for (const extra of ["test", ...(extraScripts[name] ?? [])]) await script(name, extra)
  }
}

conclude("pack check", main, { work, keep, started })
