import type { Plugin } from "esbuild"
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { defineConfig, type Plugin as TsupPlugin } from "tsup"

/**
 * Node modules that a start need not pay for: `node:crypto` initialises OpenSSL when it loads (about a sixth
 * of a disarmed tick's start), and `@effect/platform-node` imports it at the top of its file system for one
 * rarely used function (temporary file names), as it does `node:readline` for its terminal (prompts only).
 * A namespace import of either in a dependency becomes a proxy that loads the module on first use.
 */
const lazyBuiltins: Plugin = {
  name: "afk-lazy-builtins",
  setup(build) {
    const namespaceImport = /^import \* as (\w+) from "(?:node:)?(crypto|readline)";?$/gm
    build.onLoad({ filter: /[\\/]node_modules[\\/].*\.js$/ }, async (args) => {
      const text = await readFile(args.path, "utf8")
      const lazy = (_: string, name: string, module: string) =>
        `let ${name}$loaded; ` +
        `const ${name} = new Proxy({}, { get: (_, key) => (${name}$loaded ??= require("node:${module}"))[key] });`
      const contents = text.replace(namespaceImport, lazy)
      return contents === text ? undefined : { contents, loader: "js" }
    })
  }
}

/**
 * undici's HTTP/2 client (`client-h2.js`, and with it `node:http2`) loaded when a connection first negotiates
 * HTTP/2, not when undici loads: only a dispatcher made with `allowH2` ever does, and afk-cli makes none, so
 * every armed start compiled a module it never ran. The build fails if undici no longer loads it this way.
 */
const lazyHttp2: Plugin = {
  name: "afk-lazy-http2",
  setup(build) {
    build.onLoad({ filter: /[\\/]undici[\\/]lib[\\/]dispatcher[\\/]client\.js$/ }, async (args) => {
      const text = await readFile(args.path, "utf8")
      const eager = "const connectH2 = require('./client-h2.js')"
      if (!text.includes(eager)) throw new Error(`${args.path} no longer has \`${eager}\`: update afk-lazy-http2`)
      const lazy = "let connectH2$loaded; " +
        "const connectH2 = (...args) => (connectH2$loaded ??= require('./client-h2.js'))(...args)"
      return { contents: text.replace(eager, lazy), loader: "js" }
    })
  }
}

/**
 * The bundles carry code of other packages (Effect, …), so they ship their licences:
 * `dist/THIRD-PARTY-NOTICES.md` lists every package with code in `dist/bin.js`, `dist/api.js` or
 * `dist/undici.js`, with its licence text.
 */
const notices: Plugin = {
  name: "afk-third-party-notices",
  setup(build) {
    build.initialOptions.metafile = true
    build.onEnd(async (result) => {
      if (result.metafile === undefined || build.initialOptions.outdir === undefined) return
      const roots = new Set<string>()
      for (const output of Object.values(result.metafile.outputs)) {
        for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
          const root = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1]
          if (root !== undefined && bytesInOutput > 0) roots.add(root)
        }
      }
      const sections = await Promise.all(
        [...roots].sort().map(async (root) => {
          const manifest = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as {
            name: string
            version: string
            license?: string
          }
          const file = (await readdir(root)).find((name) => /^licen[cs]e/i.test(name))
          const text = file === undefined
            ? "(no licence file in the package)"
            : await readFile(join(root, file), "utf8")
          return `## ${manifest.name}@${manifest.version} (${manifest.license ?? "see below"})\n\n${text.trim()}\n`
        })
      )
      const header =
        "# Third-party notices\n\n`dist/bin.js`, `dist/api.js` and `dist/undici.js` include code from these packages, " +
        "under these licences.\n"
      await mkdir(build.initialOptions.outdir, { recursive: true })
      await writeFile(join(build.initialOptions.outdir, "THIRD-PARTY-NOTICES.md"), [header, ...sections].join("\n"))
    })
  }
}

/**
 * undici (the HTTP client: the part `src/undici.cjs` takes, ~0.3 MB) in a file of its own, `dist/undici.js`,
 * required by the bundles only when a command builds its HTTP client: kept inside `dist/bin.js` it made every
 * start read and load half a megabyte more, `--help` included.
 */
const undiciApart: Plugin = {
  name: "afk-undici-apart",
  setup(build) {
    build.onResolve({ filter: /^undici$/ }, () => ({ path: "./undici.js", external: true }))
  }
}

/**
 * The bundles in ASCII. esbuild escapes what is not ASCII in strings but keeps it in regular expression
 * literals (markdown-it's typographer has a `…` in one): a single such character makes `bin/afk-cli.js` read
 * the whole bundle as UTF-8 into a two-byte string, 2 MB of heap for as long as the process runs instead of 1.
 * A `\uXXXX` escape means the same character in a regular expression, a string or a comment alike.
 */
const asciiOnly: TsupPlugin = {
  name: "afk-ascii-only",
  renderChunk(code, chunk) {
    if (!chunk.path.endsWith(".js")) return
    // eslint-disable-next-line no-control-regex
    return { code: code.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`) }
  }
}

/**
 * The bundles are CommonJS in a package of ES modules: `dist/package.json` says so, for Node (which loads
 * `dist/api.js` through the package's `exports`) and for TypeScript alike.
 */
const commonJs: Plugin = {
  name: "afk-commonjs-dist",
  setup(build) {
    build.onEnd(async () => {
      if (build.initialOptions.outdir === undefined) return
      await mkdir(build.initialOptions.outdir, { recursive: true })
      await writeFile(join(build.initialOptions.outdir, "package.json"), "{ \"type\": \"commonjs\" }\n")
    })
  }
}

/**
 * Two self-contained, minified CommonJS files: the workspace packages from their sources (the `source` export
 * condition), `effect` and `@effect/*` included, so the published package has no dependencies.
 *
 * `dist/bin.js` is the command line. `bin/afk-cli.js` compiles it with a V8 code cache (a CommonJS script can
 * be compiled by `vm.Script`, an ES module cannot), so a start is mostly running the modules the command
 * needs; the commands' heavy parts are `import()`ed, which esbuild keeps in the same file, unevaluated until
 * they run. The sources import each workspace module by its subpath (`afk-core/Config`), never through a
 * package's index: esbuild wraps whatever an `import()` reaches in a lazy initialiser, and a barrel so
 * wrapped initialises every module it lists (`--help` would run all of afk-core).
 *
 * `dist/api.js` is the programmatic entry point `afk-cli/api` (`src/api.ts`): the same programs without the
 * command line, with its own copy of Effect and types written by hand (`api.d.cts`), so that a host needs no
 * Effect, or may have another version of it.
 */
export default defineConfig({
  entry: { bin: "src/bin.ts", api: "src/api.ts", undici: "src/undici.cjs" },
  format: ["cjs"],
  outExtension: () => ({ js: ".js" }),
  target: "node20",
  platform: "node",
  splitting: false,
  clean: true,
  // AFK_NO_MINIFY=1 keeps names readable for a CPU profile (`node --cpu-prof bin/afk-cli.js …`).
  minify: process.env.AFK_NO_MINIFY !== "1",
  shims: true,
  noExternal: [/./],
  external: ["@parcel/watcher"],
  esbuildPlugins: [undiciApart, lazyBuiltins, lazyHttp2, notices, commonJs],
  plugins: [asciiOnly],
  esbuildOptions(options) {
    options.conditions = ["source"]
  }
})
