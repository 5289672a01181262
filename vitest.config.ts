import { availableParallelism } from "node:os"
import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    projects: ["packages/*", "test/reliability"],
    // Vitest's default, one worker fewer than the CPUs, runs one file at a time on a 2-CPU machine (CI's),
    // while much of the suite waits on child processes, loopback sockets and timers: at least two.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    reporters: ["default"]
  }
})
