import { defineConfig } from "tsup"

export default defineConfig({
  entry: {
    index: "src/index.ts",
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
