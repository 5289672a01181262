/**
 * A bot with no Effect in it (plain TypeScript, CommonJS, as many Octokit and Probot bots are) that runs AFK
 * through `afk-cli/api`. AFK reads its settings as `afk-cli` does: the environment, ./afk.config.json when
 * there is one, and the ConfigMap-style directory `CONFIG_DIR` when set. It is disarmed until they arm it.
 *
 * - `TICK_SECONDS` unset: one tick, its result printed as one JSON line on stdout; the exit code is 0,
 *   1 when the tick failed, 2 when the configuration is refused (the message names the setting).
 * - `TICK_SECONDS=n`: a tick every n seconds, never two at once, until SIGTERM or SIGINT.
 */
import { AfkError, tick } from "afk-cli/api"

const configDir = process.env["CONFIG_DIR"]

/** One tick; its exit code. */
const once = async (): Promise<number> => {
  try {
    const result = await tick({ configDir, logFormat: "json" })
    console.log(JSON.stringify(result))
    return result.failed ? 1 : 0
  } catch (error) {
    if (!(error instanceof AfkError)) throw error
    console.error(`afk: ${error.message}`)
    return error.code === "config" ? 2 : 1
  }
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const timer = setTimeout(resolve, ms)
    signal.addEventListener("abort", () => {
      clearTimeout(timer)
      resolve()
    }, { once: true })
  })

const main = async (): Promise<void> => {
  const seconds = Number(process.env["TICK_SECONDS"] ?? 0)
  if (!(seconds > 0)) {
    process.exitCode = await once()
    return
  }
  const stop = new AbortController()
  process.once("SIGTERM", () => stop.abort())
  process.once("SIGINT", () => stop.abort())
  while (!stop.signal.aborted) {
    await once()
    await sleep(seconds * 1000, stop.signal)
  }
}

void main()
