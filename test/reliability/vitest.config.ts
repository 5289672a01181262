import { defineProject } from "vitest/config"

const full = process.env.AFK_RELIABILITY_FULL === "1"

export default defineProject({
  // Resolve the workspace packages to their sources (the "source" export condition), as tsc does.
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    name: "reliability",
    include: ["**/*.test.ts"],
    globalSetup: ["support/build.ts"],
    testTimeout: full ? 3_600_000 : 120_000,
    hookTimeout: 120_000
  }
})
