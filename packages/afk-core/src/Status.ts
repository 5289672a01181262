/**
 * The "runs in flight" read model behind `afk-cli status`: every open issue carrying the lock label in an
 * allowlisted repo, with where its run stands (from the bot's run record), how old it is, the fix-forward
 * budget used, the CI verdict of its declared commit (each under its repo's policy file, `.afk.json`) and the
 * link to the agent's thread, and every repo whose policy file is refused, with why. Read-only: it
 * never writes, never talks to the agent runtime beyond building a link, and isolates a failing repo or
 * issue so the others still show.
 */
import * as Arr from "effect/Array"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { AgentRuntime } from "./AgentRuntime.js"
import * as Budget from "./Budget.js"
import { Ci } from "./Ci.js"
import type * as Config from "./Config.js"
import * as Declaration from "./Declaration.js"
import type { Issue, Repo, VerdictState } from "./Domain.js"
import type * as Pass from "./Pass.js"
import * as RepoPolicy from "./RepoPolicy.js"
import * as RunRecord from "./RunRecord.js"
import { Tracker } from "./Tracker.js"

/** Where a run stands: `claiming` = locked without a run record yet; then the checklist's steps. */
export type Phase = "claiming" | "claimed" | "dispatched" | "pushed" | "ci" | "deployed" | "done" | "escalated"

/** One run in flight. */
export interface Row {
  /** `owner/repo#n`. */
  readonly issue: string
  readonly title: string
  readonly url: string
  readonly phase: Phase
  /** Seconds since the run started; absent while claiming. */
  readonly ageSeconds: number | undefined
  readonly attempts: number
  readonly maxAttempts: number
  readonly commit: string | undefined
  /** The verdict of the declared commit; `unreadable` when CI could not be read; absent before a push. */
  readonly ci: VerdictState | "unreadable" | undefined
  readonly threadUrl: string | undefined
  /** Tokens the run has used so far, as its record says (absent before the runtime reported any). */
  readonly tokens: number | undefined
  /** Labels that change what watch does with the run (paused, handed to a human). */
  readonly notes: ReadonlyArray<string>
  /** Pull-request delivery: the run's branch, its pull request once opened, and the merge commit once merged. */
  readonly pull?: {
    readonly branch: string
    readonly number?: number | undefined
    readonly url?: string | undefined
    readonly mergeSha?: string | undefined
  } | undefined
}

export interface Report {
  readonly rows: ReadonlyArray<Row>
  /** Repos or issues that could not be read. */
  readonly failures: ReadonlyArray<Pass.Failure>
  /** The daily token budget in words, when one is set (`Budget.describe`). */
  readonly dailyBudget?: string | undefined
  /** Repos whose policy file (`.afk.json`) is refused, so poll starts nothing there, and why. */
  readonly refused?: ReadonlyArray<RefusedRepo> | undefined
}

/** A repo whose policy file is refused, with the reason poll gives. */
export interface RefusedRepo {
  readonly repo: Repo
  readonly reason: string
}

const phaseOf = (record: RunRecord.RunRecord, commit: string | undefined, ci: Row["ci"], deployed: boolean): Phase => {
  if (record.phase === "claimed" || record.phase === "done" || record.phase === "escalated") return record.phase
  if (commit === undefined) return "dispatched"
  if (ci !== "green") return "pushed"
  return deployed ? "deployed" : "ci"
}

const rowOf = (config: Config.AfkConfig, bot: string, now: DateTime.Utc, issue: Issue) =>
  Effect.gen(function*() {
    const tracker = yield* Tracker
    const ci = yield* Ci
    const agent = yield* AgentRuntime
    const notes = [
      ...(issue.labels.includes(config.pausedLabel) ? [`${config.pausedLabel}: watch leaves it alone`] : []),
      ...(issue.labels.includes(config.humanLabel) ? [`${config.humanLabel}: handed to a human`] : [])
    ]
    const base = {
      issue: String(issue.ref),
      title: issue.title,
      url: issue.url,
      maxAttempts: config.fixForwardMaxAttempts
    }
    const comments = yield* tracker.listComments(issue.repo, issue.number)
    const latest = RunRecord.latest(comments, bot)
    if (Option.isNone(latest)) {
      return {
        ...base,
        phase: "claiming",
        ageSeconds: undefined,
        attempts: 0,
        commit: undefined,
        ci: undefined,
        threadUrl: undefined,
        tokens: undefined,
        notes
      } satisfies Row
    }
    const { record } = latest.value
    const commit = record.commit ??
      Option.getOrUndefined(Option.map(Declaration.fromComments(comments, bot, record.turnStartedAt), (d) => d.sha))
    const verdict = commit === undefined
      ? undefined
      : yield* Effect.either(
        ci.verdict(issue.repo, commit, { required: config.requiredChecks, deploy: config.deployChecks })
      )
    const state: Row["ci"] = verdict === undefined
      ? undefined
      : verdict._tag === "Left"
      ? "unreadable"
      : verdict.right.state
    const deployed = verdict !== undefined && verdict._tag === "Right" && verdict.right.deployed
    return {
      ...base,
      phase: phaseOf(record, commit, state, deployed),
      ageSeconds: Math.max(0, Math.floor(DateTime.distance(record.startedAt, now) / 1000)),
      attempts: record.attempts,
      commit,
      ci: state,
      threadUrl: yield* agent.threadUrl(record.threadId),
      tokens: record.usage?.total,
      notes,
      ...(record.pull === undefined ? {} : {
        pull: {
          branch: record.pull.branch,
          number: record.pull.number,
          url: record.pull.url,
          mergeSha: record.pull.mergeSha
        }
      })
    } satisfies Row
  })

/**
 * Reads every run in flight across the allowlist. An empty allowlist reads nothing. The kill switch does
 * not hide runs: with it on, runs already in flight are exactly what an operator wants to see.
 */
export const run = (config: Config.AfkConfig) =>
  Effect.gen(function*() {
    if (config.allowlist.length === 0) return { rows: [], failures: [] } satisfies Report
    const tracker = yield* Tracker
    const failures: Array<Pass.Failure> = []
    const bot = yield* Effect.either(tracker.whoami)
    if (bot._tag === "Left") return { rows: [], failures: [{ subject: "tracker", message: bot.left.message }] }
    const now = yield* DateTime.now
    const refused: Array<RefusedRepo> = []
    const { policyFile } = tracker
    const policyOf = (repo: Repo) =>
      policyFile === undefined
        ? Effect.succeed(config)
        : Effect.map(policyFile(repo), (text) =>
          Either.match(RepoPolicy.resolve(config, text), {
            onLeft: (reason) => {
              refused.push({ repo, reason })
              return config
            },
            onRight: (applied) => applied.config
          }))
    const perRepo = yield* Effect.forEach(
      config.allowlist,
      (repo) =>
        Effect.all([tracker.listOpenIssues(repo, config.lockLabel), policyOf(repo)], { concurrency: 2 }).pipe(
          Effect.flatMap(([locked, repoConfig]) =>
            Effect.forEach(locked, (issue) =>
              rowOf(repoConfig, bot.right, now, issue).pipe(
                Effect.map(Option.some),
                Effect.catchAll((error) =>
                  Effect.sync(() => failures.push({ subject: String(issue.ref), message: error.message })).pipe(
                    Effect.as(Option.none<Row>())
                  )
                )
              ))
          ),
          Effect.catchAll((error) =>
            Effect.sync(() => failures.push({ subject: repo, message: error.message })).pipe(Effect.as([]))
          )
        ),
      { concurrency: 8 }
    )
    const daily = Option.isNone(config.dailyMaxTokens)
      ? undefined
      : yield* Budget.read(config, Effect.succeed(bot.right)).pipe(
        Effect.map(Budget.describe),
        Effect.catchAll((error) =>
          Effect.sync(() => failures.push({ subject: "daily token budget", message: error.message })).pipe(
            Effect.as(undefined)
          )
        )
      )
    return {
      rows: Arr.getSomes(perRepo.flat()),
      failures,
      ...(refused.length === 0 ? {} : { refused }),
      ...(daily === undefined ? {} : { dailyBudget: daily })
    } satisfies Report
  }).pipe(Effect.withSpan("afk.status"))
