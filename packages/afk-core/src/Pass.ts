/**
 * What one pass (poll or watch) did and decided: one line per decision, the failures that were isolated to
 * one issue or repo, and why nothing happened when the loop is disarmed. Shared by the programs, the CLI
 * and the demo, so every surface prints the same thing.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import { type AfkConfig, describeArming } from "./Config.js"
import type { Repo } from "./Domain.js"
import * as Memo from "./Memo.js"
import * as PullRequests from "./PullRequests.js"
import * as RepoPolicy from "./RepoPolicy.js"
import { Tracker, type TrackerError } from "./Tracker.js"

export interface Decision {
  /** `owner/repo#n`, or `owner/repo` for repo-level decisions. */
  readonly subject: string
  readonly action: string
  readonly reason: string
}

export interface Failure {
  readonly subject: string
  readonly message: string
}

/**
 * The ready issues a poll pass refused without reading them, because every free slot was decided before
 * them: summed up, not one decision each (a full backlog over thousands of repositories is tens of thousands
 * of issues, refused the same way every pass while the slots stay full).
 */
export interface Unexamined {
  readonly count: number
  /** How many for each refusal reason (`at-capacity`, `repo-busy`). */
  readonly reasons: Readonly<Record<string, number>>
  /** Across how many repositories. */
  readonly repos: number
  /** The first few (`owner/repo#n`), in policy order. */
  readonly first: ReadonlyArray<string>
}

export interface Report {
  readonly pass: "poll" | "watch"
  /** Present when the loop is disarmed: why, and then nothing else happened. */
  readonly disarmed?: ReadonlyArray<string> | undefined
  readonly decisions: ReadonlyArray<Decision>
  readonly failures: ReadonlyArray<Failure>
  /** Present when a poll pass left ready issues unexamined: they are refused, and not among `decisions`. */
  readonly unexamined?: Unexamined | undefined
}

/** Decisions taken, by pass and action (`dispatch`, `Close`, `Escalate`, `refuse`, …). */
export const decisions = Metric.counter("afk_decisions_total", { description: "decisions taken by poll and watch" })

/** Failures isolated to one issue or repo. */
export const failures = Metric.counter("afk_failures_total", { description: "failures isolated to one issue or repo" })

/** The mutable journal one pass writes into. */
export interface Journal {
  /** Records a decision; logged at info, or not at all (`none`) when the pass sums it up in a line of its own. */
  readonly decide: (subject: string, action: string, reason: string, level?: "info" | "none") => Effect.Effect<void>
  /** Records the unexamined backlog, refused as a whole (counted as that many `refuse` decisions). */
  readonly unexamined: (backlog: Unexamined) => Effect.Effect<void>
  readonly fail: (subject: string, message: string) => Effect.Effect<void>
  readonly report: Effect.Effect<Report>
}

export const journal = (pass: Report["pass"]): Effect.Effect<Journal> =>
  Effect.sync(() => {
    const decided: Array<Decision> = []
    const failed: Array<Failure> = []
    let backlog: Unexamined | undefined
    const counters = new Map<string, Metric.Metric.Counter<number>>()
    const counter = (action: string) => {
      let tagged = counters.get(action)
      if (tagged === undefined) {
        tagged = Metric.tagged(Metric.tagged(decisions, "pass", pass), "action", action)
        counters.set(action, tagged)
      }
      return tagged
    }
    return {
      decide: (subject, action, reason, level = "info") =>
        Effect.sync(() => decided.push({ subject, action, reason })).pipe(
          Effect.zipRight(Metric.increment(counter(action))),
          Effect.zipRight(
            level === "none"
              ? Effect.void
              : Effect.logInfo(`${subject}: ${action} (${reason})`).pipe(Effect.annotateLogs({ pass, subject, action }))
          )
        ),
      unexamined: (summed) =>
        Effect.suspend(() => {
          backlog = summed.count === 0 ? undefined : summed
          return Metric.incrementBy(counter("refuse"), summed.count)
        }),
      fail: (subject, message) =>
        Effect.sync(() => failed.push({ subject, message })).pipe(
          Effect.zipRight(Metric.increment(Metric.tagged(failures, "pass", pass))),
          Effect.zipRight(
            Effect.logWarning(`${subject}: failed (${message})`).pipe(Effect.annotateLogs({ pass, subject }))
          )
        ),
      report: Effect.sync(() => ({
        pass,
        decisions: [...decided],
        failures: [...failed],
        ...(backlog === undefined ? {} : { unexamined: backlog })
      }))
    }
  })

/**
 * Runs `effect` for one subject so that its failure (or defect) is recorded and never stops the others.
 * Interruption is not caught: a stopped tick stops.
 */
export const isolate =
  (journal: Journal, subject: string) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<void, never, R> =>
    Effect.matchCauseEffect(effect, {
      onFailure: (cause) =>
        Cause.isInterruptedOnly(cause)
          ? Effect.failCause(cause as Cause.Cause<never>)
          : journal.fail(
            subject,
            Cause.squash(cause) instanceof Error ? (Cause.squash(cause) as Error).message : Cause.pretty(cause)
          ),
      onSuccess: () => Effect.void
    })

/** The report of a pass that did nothing because the loop is disarmed (decided before any I/O). */
export const disarmed = (pass: Report["pass"], reasons: ReadonlyArray<string>): Report => ({
  pass,
  disarmed: reasons,
  decisions: [],
  failures: []
})

/** Whether the pass failed somewhere (a repo or an issue it could not handle). */
export const failed = (report: Report): boolean => report.failures.length > 0

/** What every step of a pass works with: the configuration, the bot identity, the journal, trust and policy. */
export interface Context {
  readonly config: AfkConfig
  /**
   * Who the bot is, asked of the tracker only when a step needs it (an idle pass never asks) and then once
   * per pass (concurrent asks share one request; a failure is not kept, so it fails only the work that
   * asked and the next ask reads again).
   */
  readonly bot: Effect.Effect<string, TrackerError>
  readonly journal: Journal
  /**
   * Whether `login` may approve runs in `repo`, asked of the tracker once per pass (concurrent asks share one
   * request; a failure is not kept). Lives only as long as the pass, in memory.
   */
  readonly isTrusted: (repo: Repo, login: string) => Effect.Effect<boolean, TrackerError>
  /**
   * The repository's policy file (`.afk.json`) laid over the configuration, or why the file is refused; read
   * only when a step needs it (a repository with work), then once per pass (a failure is not kept).
   */
  readonly policy: (repo: Repo) => Effect.Effect<Either.Either<RepoPolicy.Applied, string>, TrackerError>
}

/**
 * Opens a pass: when disarmed, the report saying why (decided before any I/O); otherwise the context. No I/O
 * here: the bot identity is read when a step first needs it.
 */
/**
 * What a pass asks again after a failure: only a transient one (a timeout, a 5xx, a rate limit). A refusal
 * (401, 403, 404, 422) fails every later ask of the pass for the same thing without sending it again.
 */
const retryTransient = (error: TrackerError) => error.transient

export const open = (pass: Report["pass"], config: AfkConfig) =>
  Effect.gen(function*() {
    const arming = describeArming(config)
    if (!arming.armed) return Either.left(disarmed(pass, arming.reasons))
    const tracker = yield* Tracker
    const log = yield* journal(pass)
    const identity = yield* Memo.make<string, TrackerError>("retry", retryTransient)
    const trust = yield* Memo.make<boolean, TrackerError>("retry", retryTransient)
    const isTrusted = (repo: Repo, login: string) =>
      trust.get(`${repo.toLowerCase()} ${login.toLowerCase()}`, tracker.isTrusted(repo, login))
    const policies = yield* Memo.make<Either.Either<RepoPolicy.Applied, string>, TrackerError>("retry", retryTransient)
    const { policyFile } = tracker
    const pulls = yield* Effect.serviceOption(PullRequests.PullRequests)
    // Pull-request delivery with no port to open the pull request: nothing may start that could not deliver.
    const deliverable = (applied: RepoPolicy.Applied): Either.Either<RepoPolicy.Applied, string> =>
      applied.config.delivery === "pull-request" && Option.isNone(pulls)
        ? Either.left(
          "pull-request delivery is configured, but this runtime provides no PullRequests port to open and merge " +
            "pull requests: provide the forge's PullRequests layer (afk-cli's GitHub and Forgejo forges do), or " +
            "use push delivery"
        )
        : Either.right(applied)
    const policy = (repo: Repo) =>
      policies.get(
        repo.toLowerCase(),
        Effect.map(
          policyFile === undefined
            ? Effect.succeed(RepoPolicy.resolve(config, Option.none()))
            : Effect.map(policyFile(repo), (text) => RepoPolicy.resolve(config, text)),
          Either.flatMap(deliverable)
        )
      )
    return Either.right<Context>({
      config,
      bot: identity.get("whoami", tracker.whoami),
      journal: log,
      isTrusted,
      policy
    })
  })
