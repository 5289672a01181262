import { defineProject } from "vitest/config"

export default defineProject({
  // Resolve the workspace packages to their sources (the "source" export condition), as tsc does.
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    name: "afk-adapter-slack",
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000
  }
})
