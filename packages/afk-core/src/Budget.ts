/**
 * The daily token budget (`AFK_DAILY_MAX_TOKENS`): what all runs spent on the current UTC day, read from the
 * run records on the issues with no database. A run that spent tokens today either still holds its lock or
 * ended today, and ending moved its issue's update time (the lock's removal, the close), so the issues read
 * are those carrying the lock and those updated since the day began (`Tracker.listUpdatedSince`); each run
 * counts the share its newest record says it spent today (`Usage.spentOn`). Read only when the budget is set.
 */
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { AfkConfig } from "./Config.js"
import * as RunRecord from "./RunRecord.js"
import { Tracker, type TrackerError } from "./Tracker.js"
import * as Usage from "./Usage.js"

/** The day's budget as read: no limit, a limit that cannot be read (fail closed), or the day's spend. */
export type Daily =
  | { readonly _tag: "Unlimited" }
  | { readonly _tag: "Unreadable"; readonly reason: string }
  | { readonly _tag: "Read"; readonly day: string; readonly spent: number; readonly max: number }

/** Why new runs may not start today, if the budget forbids it. */
export const exhausted = (daily: Daily): Option.Option<string> => {
  switch (daily._tag) {
    case "Unlimited":
      return Option.none()
    case "Unreadable":
      return Option.some(daily.reason)
    case "Read":
      return daily.spent >= daily.max
        ? Option.some(
          `the daily token budget is spent: ${Usage.format(daily.spent)} used on ${daily.day} (UTC) of ${
            Usage.format(daily.max)
          } (AFK_DAILY_MAX_TOKENS); new runs start on the next UTC day or when the budget is raised`
        )
        : Option.none()
  }
}

/** One line for `status` and `doctor`. */
export const describe = (daily: Daily): string => {
  switch (daily._tag) {
    case "Unlimited":
      return "no daily token budget (AFK_DAILY_MAX_TOKENS unset)"
    case "Unreadable":
      return daily.reason
    case "Read":
      return `${Usage.format(daily.spent)} of ${Usage.format(daily.max)} used on ${daily.day} (UTC)`
  }
}

/**
 * Reads today's spend across the allowlist for `config.dailyMaxTokens` (nothing is read without one). Who the
 * bot is (`bot`) is asked only when there are run records to count, alongside their comments.
 */
export const read = (
  config: AfkConfig,
  bot: Effect.Effect<string, TrackerError>
): Effect.Effect<Daily, TrackerError, Tracker> =>
  Effect.gen(function*() {
    if (Option.isNone(config.dailyMaxTokens)) return { _tag: "Unlimited" } as const
    const max = config.dailyMaxTokens.value
    const tracker = yield* Tracker
    const listUpdatedSince = tracker.listUpdatedSince
    if (listUpdatedSince === undefined) {
      return {
        _tag: "Unreadable",
        reason:
          "AFK_DAILY_MAX_TOKENS is set but this tracker cannot list the issues updated today (listUpdatedSince), so the day's spend cannot be read and no run starts; unset it or use a tracker that offers it"
      } as const
    }
    const now = yield* DateTime.now
    const day = Usage.dayOf(now)
    const start = DateTime.unsafeMake(Date.parse(`${day}T00:00:00.000Z`))
    const perRepo = yield* Effect.forEach(
      config.allowlist,
      (repo) =>
        Effect.all([listUpdatedSince(repo, start), tracker.listOpenIssues(repo, config.lockLabel)], {
          concurrency: 2
        }),
      { concurrency: 8 }
    )
    const issues = new Map(
      perRepo.flatMap(([updated, locked]) => [...updated, ...locked]).map((i) => [String(i.ref), i])
    )
    if (issues.size === 0) return { _tag: "Read", day, spent: 0, max } as const
    const [login, threads] = yield* Effect.all([
      bot,
      Effect.forEach([...issues.values()], (issue) => tracker.listComments(issue.repo, issue.number), {
        concurrency: 8
      })
    ], { concurrency: 2 })
    let spent = 0
    for (const comments of threads) {
      for (const record of RunRecord.newestByRun(comments, login).values()) spent += Usage.spentOn(record.usage, day)
    }
    return { _tag: "Read", day, spent, max } as const
  })
