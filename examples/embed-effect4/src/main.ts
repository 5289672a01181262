/**
 * A service on Effect 4 that runs AFK's tick through `afk-cli/api`. AFK carries its own Effect inside its
 * bundle, and its API is Promises and plain JSON, so the two Effect versions never meet: the tick is one
 * `Effect.tryPromise` in this program, an `AfkError` becomes this program's own tagged error, and the
 * schedule is this program's `Schedule`. AFK reads its settings as `afk-cli` does (the environment,
 * ./afk.config.json, `CONFIG_DIR`); it is disarmed until they arm it.
 *
 * - `TICK_SECONDS` unset: one tick, its result printed as one JSON line on stdout; the exit code is 0,
 *   1 when the tick failed, 2 when the configuration is refused (the message names the setting).
 * - `TICK_SECONDS=n`: a tick every n seconds (`Schedule.spaced`), never two at once, until SIGTERM or SIGINT.
 */
import * as Afk from "afk-cli/api"
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"

class AfkFailed extends Data.TaggedError("AfkFailed")<{
  readonly code: Afk.ErrorCode
  readonly message: string
}> {}

const tick = Effect.tryPromise({
  try: () => Afk.tick({ configDir: process.env["CONFIG_DIR"], logFormat: "json" }),
  catch: (error) =>
    error instanceof Afk.AfkError
      ? new AfkFailed({ code: error.code, message: error.message })
      : new AfkFailed({ code: "unexpected", message: String(error) })
})

/** One tick, printed; its exit code. */
const once: Effect.Effect<number> = tick.pipe(
  Effect.tap((result) => Console.log(JSON.stringify(result))),
  Effect.map((result) => (result.failed ? 1 : 0)),
  Effect.catchTag(
    "AfkFailed",
    (error) => Console.error(`afk: ${error.message}`).pipe(Effect.as(error.code === "config" ? 2 : 1))
  )
)

const seconds = Number(process.env["TICK_SECONDS"] ?? 0)
if (seconds > 0) {
  const fiber = Effect.runFork(Effect.repeat(once, Schedule.spaced(Duration.seconds(seconds))))
  const stop = () => void Effect.runPromise(Fiber.interrupt(fiber))
  process.once("SIGTERM", stop)
  process.once("SIGINT", stop)
} else {
  process.exitCode = await Effect.runPromise(once)
}
