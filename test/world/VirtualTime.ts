/**
 * Runs an effect under `TestClock` while it makes real loopback requests: every wait the program asks for
 * (a retry backoff, a `Retry-After`) is granted at once by moving the test clock to exactly when the
 * sleeper wakes, so no wall time is spent, and the clock still shows how long each wait was. Sleeps
 * further away than `horizon` (request timeouts) are never advanced to; while nothing is due, the event
 * loop is given a turn so loopback I/O completes.
 */
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"

const eventLoopTurn = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

/** Runs `effect` to its end, granting every sleep within `horizon` instantly in virtual time. */
export const drive = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  horizon: Duration.DurationInput = "10 minutes"
): Effect.Effect<A, E, R> =>
  Effect.gen(function*() {
    const limit = Duration.toMillis(Duration.decode(horizon))
    const fiber = yield* Effect.fork(effect)
    while (true) {
      for (let i = 0; i < 4; i++) yield* Effect.yieldNow()
      const exit = yield* Fiber.poll(fiber)
      if (Option.isSome(exit)) return yield* exit.value
      const now = yield* TestClock.currentTimeMillis
      const due = Chunk.toReadonlyArray(yield* TestClock.sleeps()).filter((at) => at - now <= limit)
      if (due.length > 0) yield* TestClock.setTime(Math.min(...due))
      else yield* eventLoopTurn
    }
  })
