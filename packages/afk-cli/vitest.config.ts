import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    name: "afk-cli",
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000
  }
})
