import { defineConfig } from "tsup"

/**
 * One executable ESM file, `dist/bin.js` (shebang kept). The workspace packages are bundled in, from their
 * sources (the `source` export condition), so the CLI builds without building them first; `effect` and
 * `@effect/*` stay external (they are this package's dependencies, so one copy is shared).
 */
export default defineConfig({
  entry: ["src/bin.ts"],
  format: ["esm"],
  target: "node20",
  platform: "node",
  splitting: false,
  clean: true,
  noExternal: [/^afk-/],
  external: ["@parcel/watcher"],
  esbuildOptions(options) {
    options.conditions = ["source"]
  }
})
