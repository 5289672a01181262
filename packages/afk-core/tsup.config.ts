import { readdirSync } from "node:fs"
import { defineConfig } from "tsup"

/** Each module of `src/` is an entry of its own (`dist/<Module>.js`, exported as `./<Module>`), beside the index. */
const modules = Object.fromEntries(
  readdirSync("src").filter((file) => file.endsWith(".ts")).map((file) => [file.slice(0, -3), `src/${file}`])
)

export default defineConfig({
  entry: {
    ...modules,
    testing: "src/testing/index.ts",
    conformance: "src/testing/TrackerConformance.ts"
  },
  format: ["esm"],
  target: "node20",
  platform: "node",
  dts: { compilerOptions: { composite: false, incremental: false } },
  clean: true,
  sourcemap: true
})
