/**
 * One line of `doctor`'s report (`Check`: a name, a level, a summary and a fix) and what every network check
 * of `Probes` shares: its time limit (no answer within it is a failed check, never a hang) and the line for a
 * credential the configuration lacks.
 */
import type * as Config from "afk-core/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

export type Level = "ok" | "warn" | "fail" | "skip"

/** One line of the doctor's report; `fix` says what to do when it is not ok. */
export interface Check {
  readonly name: string
  readonly level: Level
  readonly summary: string
  readonly fix?: string | undefined
}

export const check = (name: string, level: Level, summary: string, fix?: string): Check => ({
  name,
  level,
  summary,
  fix
})

const timeLimit = Duration.seconds(30)

export const limited = <R>(name: string, effect: Effect.Effect<ReadonlyArray<Check>, never, R>) =>
  effect.pipe(
    Effect.timeoutTo({
      duration: timeLimit,
      onSuccess: (checks) => checks,
      onTimeout: () => [
        check(
          name,
          "fail",
          `no answer within ${Duration.format(timeLimit)}`,
          "check that it is up and reachable from here"
        )
      ]
    })
  )

export const missingCredential = (name: string, error: Config.ConfigError, armed: boolean): Check =>
  check(
    name,
    armed ? "fail" : "warn",
    error.message,
    armed ? "the loop is armed and cannot run without it" : "needed before the loop is armed"
  )
