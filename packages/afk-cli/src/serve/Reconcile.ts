/**
 * The reconcile loop of `afk-cli serve`: one worker runs passes one after another, so two passes of this
 * process never overlap. A full tick runs at start and then every interval, whatever the webhooks say (the net
 * for lost deliveries); a hint asks for a pass sooner. Hints that arrive while a pass runs are coalesced into
 * one follow-up pass — a tick if any of them asked for one, else a watch pass. On shutdown the pass in
 * progress is let finish, up to a bound, so no run is left between two of its writes.
 */
import type * as Pass from "afk-core/Pass"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Metric from "effect/Metric"
import * as Queue from "effect/Queue"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import * as Metrics from "./Metrics.js"
import type { Hint } from "./Webhook.js"

/** What `/readyz` answers. */
export interface Readiness {
  readonly ready: boolean
  readonly reason: string
}

/** What one pass returns: its reports, and whether it failed as a whole. */
export interface Result {
  readonly reports: ReadonlyArray<Pass.Report>
  readonly failed: boolean
}

export interface Loop {
  /** Asks for a pass soon, after forgetting what is remembered of `repo` (the delivery's); never waits. */
  readonly hint: (hint: Hint, repo?: string) => Effect.Effect<void>
  readonly readiness: Effect.Effect<Readiness>
}

export interface Options {
  readonly intervalSeconds: number
  /** Runs one pass: a full tick or a watch pass. */
  readonly pass: (kind: Hint) => Effect.Effect<Result>
  /** How long shutdown waits for the pass in progress before stopping it. */
  readonly grace: Duration.DurationInput
  /**
   * Drops what the tracker remembers of a repository a delivery named, so the pass it asks for reads the
   * change (the tracker's memos would otherwise answer for a few seconds more).
   */
  readonly forget?: (repo: string) => Effect.Effect<void>
  /** Called after each pass with its result (the summary log line). */
  readonly report?: (kind: Hint, result: Result) => Effect.Effect<void>
}

/** A loop that never runs a pass (AFK is disarmed), and says why on `/readyz`. */
export const disarmed = (reasons: ReadonlyArray<string>): Loop => ({
  hint: () => Effect.void,
  readiness: Effect.succeed({ ready: false, reason: `AFK is disarmed: ${reasons.join("; ")}` })
})

const failure = (kind: Hint, result: Result): string => {
  const first = result.reports.flatMap((report) => report.failures)[0]
  return `the last ${kind} failed${first === undefined ? "" : `: ${first.subject}: ${first.message}`}`
}

/** Starts the worker in the scope (stopped, after the pass in progress, when the scope closes). */
export const start = (options: Options): Effect.Effect<Loop, never, Scope.Scope> =>
  Effect.gen(function*() {
    const pending = yield* Ref.make<Hint | undefined>("tick")
    const wake = yield* Queue.sliding<void>(1)
    const readiness = yield* Ref.make<Readiness>({ ready: true, reason: "listening; no pass has finished yet" })
    const grace = Duration.decode(options.grace)

    const settle = (kind: Hint, fiber: Fiber.RuntimeFiber<Result>) =>
      Effect.logInfo(`stopping: letting the ${kind} in progress finish (up to ${Duration.format(grace)})`).pipe(
        Effect.zipRight(Effect.timeout(Fiber.await(fiber), grace)),
        Effect.catchTag("TimeoutException", () =>
          Effect.logWarning(`the ${kind} did not finish within ${Duration.format(grace)}; it is stopped`).pipe(
            Effect.zipRight(Fiber.interrupt(fiber))
          ))
      )

    const once = (kind: Hint) =>
      Effect.gen(function*() {
        const started = yield* Clock.currentTimeMillis
        const fiber = yield* Effect.forkDaemon(options.pass(kind))
        const exit = yield* Effect.onInterrupt(Fiber.await(fiber), () =>
          settle(kind, fiber))
        const seconds = ((yield* Clock.currentTimeMillis) - started) / 1000
        yield* Metric.update(Metric.tagged(Metrics.passSeconds, "pass", kind), seconds)
        if (Exit.isFailure(exit)) {
          yield* Metric.increment(Metric.tagged(Metric.tagged(Metrics.passes, "pass", kind), "result", "failed"))
          return yield* Ref.set(readiness, { ready: false, reason: `the last ${kind} stopped unexpectedly` })
        }
        const result = exit.value
        yield* Metrics.record(result.reports)
        const outcome = result.failed ? "failed" : "ok"
        yield* Metric.increment(Metric.tagged(Metric.tagged(Metrics.passes, "pass", kind), "result", outcome))
        if (options.report !== undefined) {
          yield* options.report(kind, result)
        }
        yield* Ref.set(
          readiness,
          result.failed
            ? { ready: false, reason: failure(kind, result) }
            : { ready: true, reason: `the last ${kind} succeeded` }
        )
      })

    const worker = Effect.gen(function*() {
      let nextTick = yield* Clock.currentTimeMillis
      while (true) {
        const kind = yield* Ref.getAndSet(pending, undefined)
        if (kind !== undefined) {
          if (kind === "tick") {
            nextTick = (yield* Clock.currentTimeMillis) + options.intervalSeconds * 1000
          }
          yield* once(kind)
          continue
        }
        const wait = Math.max(0, nextTick - (yield* Clock.currentTimeMillis))
        const woken = yield* Effect.race(
          Effect.as(Queue.take(wake), "hint" as const),
          Effect.as(Effect.sleep(wait), "due" as const)
        )
        if (woken === "due") {
          yield* Ref.set(pending, "tick")
        }
      }
    })
    yield* Effect.forkScoped(worker)

    return {
      hint: (hint, repo) =>
        (repo === undefined || options.forget === undefined ? Effect.void : options.forget(repo)).pipe(
          Effect.zipRight(Ref.update(pending, (current) => (current === "tick" || hint === "tick" ? "tick" : "watch"))),
          Effect.zipRight(Queue.offer(wake, undefined)),
          Effect.asVoid
        ),
      readiness: Ref.get(readiness)
    } satisfies Loop
  })
