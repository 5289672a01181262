/**
 * `tick`: one reconciliation pass — watch (drive runs in flight, releasing finished locks) then poll
 * (queue new work). The two are isolated: either can fail without stopping the other, and the tick fails
 * only when both did (prior-art §8.22).
 */
import * as Effect from "effect/Effect"
import type * as Config from "./Config.js"
import * as Pass from "./Pass.js"
import * as Poll from "./Poll.js"
import * as Watch from "./Watch.js"

export interface Report {
  readonly watch: Pass.Report
  readonly poll: Pass.Report
  /** True only when both passes failed. */
  readonly failed: boolean
}

const guard = (pass: Pass.Report["pass"]) => <R>(effect: Effect.Effect<Pass.Report, never, R>) =>
  effect.pipe(
    Effect.catchAllDefect((defect) =>
      Effect.succeed<Pass.Report>({
        pass,
        decisions: [],
        failures: [{ subject: pass, message: defect instanceof Error ? defect.message : String(defect) }]
      })
    )
  )

export const run = (config: Config.AfkConfig) =>
  Effect.gen(function*() {
    const watch = yield* guard("watch")(Watch.run(config))
    const poll = yield* guard("poll")(Poll.run(config))
    return { watch, poll, failed: Pass.failed(watch) && Pass.failed(poll) } satisfies Report
  }).pipe(Effect.withSpan("afk.tick"))
