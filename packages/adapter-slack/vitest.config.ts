import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    name: "afk-adapter-slack",
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000
  }
})
