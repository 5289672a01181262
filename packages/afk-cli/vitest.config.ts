import { defineProject } from "vitest/config"

export default defineProject({
  // Resolve the workspace packages to their sources (the "source" export condition), as tsc does.
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    name: "afk-cli",
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/build.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000
  }
})
