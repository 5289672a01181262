import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    name: "afk-cli",
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/build.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000
  }
})
