/**
 * The build every library package shares: each module of `src/` an entry of its own (`dist/<Module>.js`,
 * exported as `./<Module>`) beside the index and the package's extra entries, ESM for Node 20, declarations
 * and source maps; Effect (and, for adapters, afk-core) stays external.
 */
import { readdirSync } from "node:fs"
import { defineConfig, type Options } from "tsup"

/** The package's build config, run from its directory. */
export const library = (extra: Record<string, string>, external: Options["external"] = []) =>
  defineConfig({
    entry: {
      ...Object.fromEntries(
        readdirSync("src").filter((file) => file.endsWith(".ts")).map((file) => [file.slice(0, -3), `src/${file}`])
      ),
      ...extra
    },
    format: ["esm"],
    target: "node20",
    platform: "node",
    dts: { compilerOptions: { composite: false, incremental: false } },
    clean: true,
    sourcemap: true,
    external
  })
