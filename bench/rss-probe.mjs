/**
 * Preloaded into a child process with `node --import`: when the process exits, writes to the file named by
 * BENCH_MAX_RSS_FILE its peak resident set size (`process.resourceUsage().maxRSS`, KiB), its CPU time
 * (µs) and the V8 heap as it is at exit (bytes), as JSON.
 */
import { writeFileSync } from "node:fs"

const file = process.env.BENCH_MAX_RSS_FILE
if (file !== undefined && file !== "") {
  process.on("exit", () => {
    const usage = process.resourceUsage()
    const memory = process.memoryUsage()
    writeFileSync(
      file,
      JSON.stringify({
        maxRssKiB: usage.maxRSS,
        userMicros: usage.userCPUTime,
        systemMicros: usage.systemCPUTime,
        heapUsed: memory.heapUsed,
        heapTotal: memory.heapTotal,
        external: memory.external
      })
    )
  })
}
