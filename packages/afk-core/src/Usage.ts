/**
 * Token usage and the budgets on it. The agent runtime reports a thread's usage as running counts (T3: the
 * latest `context-window.updated` of the thread); a run folds each report into its record — the run's
 * totals, and the share spent on the current UTC day — so both budgets are decided from the run records on
 * the issues alone, with no database. A count lower than the last one seen (a restarted session) is read as
 * a new count from zero, never as negative spend.
 */
import * as DateTime from "effect/DateTime"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { TokenUsage } from "./Domain.js"

const Count = Schema.Int.pipe(Schema.nonNegative())

/** A run's token usage, as its record keeps it. */
export class RunUsage extends Schema.Class<RunUsage>("RunUsage")({
  /** The run's totals over all its turns and threads. */
  input: Count,
  output: Count,
  total: Count,
  /** The current thread's latest report, from which the next report's spend is counted. */
  seen: TokenUsage,
  /** The UTC day (YYYY-MM-DD) of the latest spend, and the tokens spent on it. */
  day: Schema.String,
  today: Count
}) {}

const zero = new TokenUsage({ input: 0, output: 0, total: 0 })

const spent = (now: number, before: number): number => (now >= before ? now - before : now)

/** The UTC day of `at`, YYYY-MM-DD. */
export const dayOf = (at: DateTime.Utc): string => DateTime.formatIso(at).slice(0, 10)

/** `previous` with the thread's new report `reported` folded in at `now`. */
export const fold = (previous: RunUsage | undefined, reported: TokenUsage, now: DateTime.Utc): RunUsage => {
  const seen = previous?.seen ?? zero
  const delta = {
    input: spent(reported.input, seen.input),
    output: spent(reported.output, seen.output),
    total: spent(reported.total, seen.total)
  }
  const day = dayOf(now)
  return new RunUsage({
    input: (previous?.input ?? 0) + delta.input,
    output: (previous?.output ?? 0) + delta.output,
    total: (previous?.total ?? 0) + delta.total,
    seen: reported,
    day,
    today: (previous?.day === day ? previous.today : 0) + delta.total
  })
}

/** The usage carried onto a new thread (a redispatch): the totals stay, the new thread counts from zero. */
export const newThread = (usage: RunUsage | undefined): RunUsage | undefined =>
  usage === undefined ? undefined : new RunUsage({ ...usage, seen: zero })

/** Whether folding `reported` would change what the record holds. */
export const changes = (previous: RunUsage | undefined, reported: TokenUsage): boolean =>
  previous === undefined
    ? reported.total > 0 || reported.input > 0 || reported.output > 0
    : !(previous.seen.input === reported.input && previous.seen.output === reported.output &&
      previous.seen.total === reported.total)

/** The tokens a run spent on `day`. */
export const spentOn = (usage: RunUsage | undefined, day: string): number =>
  usage !== undefined && usage.day === day ? usage.today : 0

/** `12,345 tokens`. */
export const format = (tokens: number): string => `${tokens.toLocaleString("en-US")} tokens`

/** `12,345 tokens (input 10,000, output 2,345)`, for checklists, status and notifications. */
export const describe = (usage: RunUsage): string =>
  `${format(usage.total)} (input ${usage.input.toLocaleString("en-US")}, output ${
    usage.output.toLocaleString("en-US")
  })`

/**
 * Why a run may not get another turn under `max` (AFK_RUN_MAX_TOKENS): its usage is at or over it, or another
 * turn, estimated as the average of its `turns` so far, would take it over.
 */
export const overRunBudget = (total: number, turns: number, max: Option.Option<number>): Option.Option<string> =>
  Option.filterMap(max, (limit) => {
    const next = turns > 0 ? Math.ceil(total / turns) : 0
    if (total >= limit) {
      return Option.some(
        `The run has used ${format(total)}, at or over its budget of ${
          format(limit)
        } (AFK_RUN_MAX_TOKENS), so it gets no further turn and a human takes over.`
      )
    }
    return total + next > limit
      ? Option.some(
        `The run has used ${format(total)}; another turn (about ${format(next)}, its average) would take it over ${
          format(limit)
        } (AFK_RUN_MAX_TOKENS), so it gets no further turn and a human takes over.`
      )
      : Option.none()
  })
