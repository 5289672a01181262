/**
 * The steps of one run, each idempotent, in the order that keeps a crash at any point convergent
 * (PRODUCT §6–7): the run record and checklist written in place (`save`), escalation, and the terminal steps
 * (decisive state → terminal record → notify → release the lock); the claim that starts a run is `Claim`.
 * Poll and watch both call these; neither holds state between passes — everything lives on the issue.
 */
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { AgentRuntime, type Interrupted } from "./AgentRuntime.js"
import * as Checklist from "./Checklist.js"
import { type Check, type Comment, hasLabel, type Issue, Notification } from "./Domain.js"
import { Notifier, type NotifierError } from "./Notifier.js"
import type * as Pass from "./Pass.js"
import * as RunRecord from "./RunRecord.js"
import { Tracker, type TrackerError } from "./Tracker.js"
import * as Usage from "./Usage.js"

/** What the checklist shows besides the record itself. */
export interface View {
  readonly reached: Checklist.Step
  readonly status: string
  readonly checks?: ReadonlyArray<Check>
  readonly outcome?: { readonly kind: RunRecord.OutcomeKind; readonly reason: string }
}

/** The body of the run comment: the checklist, then the hidden record. */
export const body = (
  ctx: Pass.Context,
  issue: Issue,
  record: RunRecord.RunRecord,
  view: View,
  threadUrl: Option.Option<string>
) =>
  `${
    Checklist.render({
      issue: issue.ref,
      title: issue.title,
      ordinal: record.ordinal,
      reached: view.reached,
      threadUrl,
      // A pull-request run's CI is read on the pull request's head, which someone else may have moved.
      commit: Option.fromNullable(
        record.pull?.mergeSha === undefined ? record.pull?.headSha ?? record.commit : record.commit
      ),
      checks: view.checks ?? [],
      attempts: record.attempts,
      maxAttempts: ctx.config.fixForwardMaxAttempts,
      showDeployed: ctx.config.deployChecks.length > 0,
      status: view.status,
      outcome: Option.fromNullable(view.outcome),
      tokens: record.usage === undefined ? undefined : Usage.describe(record.usage),
      pull: record.pull === undefined ? undefined : {
        branch: record.pull.branch,
        number: record.pull.number,
        url: record.pull.url,
        rounds: record.pull.rounds ?? 0,
        maxRounds: ctx.config.reviewMaxRounds,
        mergeSha: record.pull.mergeSha,
        blocked: record.pull.blocked
      }
    })
  }\n\n${RunRecord.footer(record)}`

/** Writes `record` into the run comment and leaves the checklist above it as it stands. */
const saveRecord = (issue: Issue, found: RunRecord.Found, record: RunRecord.RunRecord) =>
  Effect.gen(function*() {
    const next = RunRecord.withRecord(found.comment.body, record)
    yield* (yield* Tracker).editComment(issue.repo, found.comment.id, next)
    return { record, comment: { ...found.comment, body: next } as Comment } satisfies RunRecord.Found
  })

/** Writes the run comment (edit in place; a no-op when nothing changed). */
export const save = (
  ctx: Pass.Context,
  issue: Issue,
  found: RunRecord.Found,
  record: RunRecord.RunRecord,
  view: View
) =>
  Effect.gen(function*() {
    const tracker = yield* Tracker
    const agent = yield* AgentRuntime
    const next = body(ctx, issue, record, view, Option.fromNullable(yield* agent.threadUrl(record.threadId)))
    if (next === found.comment.body) return found
    yield* tracker.editComment(issue.repo, found.comment.id, next)
    return { record, comment: { ...found.comment, body: next } as Comment } satisfies RunRecord.Found
  })

/** The key one pass of a process holds while it drives or claims an issue (`IssueGuard`). */
export const guardKey = (issue: Issue): string => `${issue.repo.toLowerCase()}#${issue.number}`

export const notification = (
  issue: Issue,
  record: RunRecord.RunRecord,
  kind: Notification["kind"],
  headline: string,
  details: ReadonlyArray<string>,
  threadUrl: Option.Option<string>,
  checks: ReadonlyArray<Check> = []
) =>
  new Notification({
    kind,
    issue: issue.ref,
    title: issue.title,
    issueUrl: issue.url,
    headline,
    details: [...details],
    threadUrl: Option.getOrUndefined(threadUrl),
    commit: record.commit,
    checks: [...checks],
    thread: record.notifyThread
  })

/** How old another pass's mark on a run record must be before a pass that finds it notifies in its place. */
export const markStaleSeconds = 600

/**
 * Whose turn it is to send a terminal notification: the mark on the run record (`Tracker.markComment`) is a
 * test-and-set at the forge, so of overlapping passes in any processes only the one that made it sends.
 * Another pass's mark older than `markStaleSeconds` with the record still unnotified means that pass stopped
 * before it sent (or recorded) it, so this pass sends it. A tracker without marks, or a forge that refuses the
 * mark for good (a reaction its admin disallowed): always this pass's turn, as before marks.
 */
const notifyingTurn = (issue: Issue, found: RunRecord.Found) =>
  Effect.gen(function*() {
    const tracker = yield* Tracker
    if (tracker.markComment === undefined) return "mine" as const
    const marked = yield* Effect.either(tracker.markComment(issue.repo, found.comment.id))
    if (marked._tag === "Left") {
      if (marked.left.transient) return yield* Effect.fail(marked.left)
      yield* Effect.logWarning(
        `${issue.ref}: the run record cannot be marked (${marked.left.message}); notifying without the mark`
      )
      return "mine" as const
    }
    const mark = marked.right
    if (mark.created) return "mine" as const
    const age = DateTime.distance(mark.at, yield* DateTime.now)
    return age >= markStaleSeconds * 1000 ? "mine" as const : "theirs" as const
  })

/** The checklist line of a run handed over, saying what the interrupt did. */
const handedOver = (interrupted: Interrupted) =>
  interrupted === "settled"
    ? "handed to a human; the agent's turn was interrupted and has stopped"
    : "handed to a human"

/**
 * An interrupt the agent had not acknowledged within the runtime's bound: the run keeps its lock (the
 * agent may still be writing) and says so; the next pass interrupts and waits again.
 */
const stillRunning = (ctx: Pass.Context, issue: Issue, found: RunRecord.Found, why: string) =>
  Effect.gen(function*() {
    yield* save(ctx, issue, found, found.record, {
      reached: "dispatched",
      status: `${why}: the agent's turn was interrupted but is still running, so the lock is kept until it stops`
    })
    yield* ctx.journal.decide(
      String(issue.ref),
      "wait",
      `${why}; the interrupted turn is still running, so the lock is kept until it stops`
    )
  })

/** An escalation: what ends, how it is recorded, and what the checklist shows. */
export interface Escalation {
  /** The run's record as it stands (a pending `handover` in it is replaced by `outcome`). */
  readonly record: RunRecord.RunRecord
  /** The outcome the terminal record carries. */
  readonly outcome: RunRecord.Outcome
  /** The reason the checklist shows, when it differs from the outcome's. */
  readonly shown?: string | undefined
  /** Whether the agent's turn is interrupted first. */
  readonly interrupt: boolean
  /** Whether AFK adds the human label (its own decision), or a person already acted (label, close, pause). */
  readonly addHumanLabel: boolean
  readonly reached: Checklist.Step
  readonly checks?: ReadonlyArray<Check>
}

/**
 * Hands a run to a human, every step in one place for watch's decisions and a person's: interrupt the turn
 * when asked (a turn still running keeps the lock and says so; the next pass tries again); for AFK's own
 * decision, record the outcome as `handover` before adding the human label, so a crash between the two keeps
 * the reason; then write the terminal `escalated` record and `finish`.
 */
export const escalate = (ctx: Pass.Context, issue: Issue, found: RunRecord.Found, escalation: Escalation) =>
  Effect.gen(function*() {
    const { checks = [], outcome } = escalation
    const { handover: _h, ...record } = escalation.record
    const interrupted = escalation.interrupt
      ? yield* (yield* AgentRuntime).interrupt(record.runId, record.threadId)
      : "no-turn"
    if (interrupted === "still-running") return yield* stillRunning(ctx, issue, found, RunRecord.describe(outcome))
    const view: View = {
      reached: escalation.reached,
      checks,
      status: handedOver(interrupted),
      outcome: { kind: outcome.kind, reason: escalation.shown ?? outcome.reason }
    }
    let current = found
    if (escalation.addHumanLabel) {
      current = yield* save(ctx, issue, found, new RunRecord.RunRecord({ ...record, handover: outcome }), {
        ...view,
        status: "handing to a human"
      })
      yield* (yield* Tracker).addLabel(issue.repo, issue.number, ctx.config.humanLabel)
    }
    const terminal = new RunRecord.RunRecord({
      ...record,
      phase: "escalated",
      ending: outcome,
      endedAt: yield* DateTime.now
    })
    yield* finish(ctx, issue, yield* save(ctx, issue, current, terminal, view), checks)
  })

/**
 * Finishes a run whose terminal record is written: close (for `done`, once: the record then says when, so an
 * issue a person reopens afterwards is never closed again on old proof), remove the ready label (a new run
 * needs a fresh approval), notify, stop the agent's session (archiving the thread of a run closed with proof, when
 * configured), release the lock. Safe to repeat: the notification is sent by the pass that marks the record
 * (`notifyingTurn`) and recorded (`notifiedAt`), so a repeated or overlapping pass never sends it again. One
 * that cannot be delivered keeps the lock (and so the step) for the next pass when the failure is transient,
 * and is recorded on the issue when it is not; so does an agent session that cannot be stopped yet (the agent
 * server is down or dropped the answer, or the turn is still running): a session is never left holding the
 * provider once the lock is gone.
 */
export const finish = (ctx: Pass.Context, issue: Issue, terminal: RunRecord.Found, checks: ReadonlyArray<Check> = []) =>
  Effect.gen(function*() {
    const tracker = yield* Tracker
    const notifier = yield* Notifier
    const agent = yield* AgentRuntime
    const { config } = ctx
    let found = terminal
    const done = found.record.phase === "done"
    const kind = done ? "done" : found.record.ending?.kind === "frozen" ? "frozen" : "needs-human"
    const view = (status: string): View => ({
      reached: done ? "done" : "dispatched",
      checks,
      status,
      outcome: { kind, reason: found.record.outcome ?? "" }
    })
    let reopened = false
    if (done && found.record.closedAt === undefined) {
      if (issue.state === "open") yield* tracker.closeIssue(issue.repo, issue.number)
      const closedAt = yield* DateTime.now
      found = yield* save(
        ctx,
        issue,
        found,
        new RunRecord.RunRecord({ ...found.record, closedAt }),
        view("closed with proof")
      )
    } else if (done && issue.state === "open") {
      reopened = true
    }
    if (hasLabel(issue.labels, config.readyLabel)) {
      yield* tracker.removeLabel(issue.repo, issue.number, config.readyLabel)
    }
    const record = found.record
    const headline = done
      ? `Closed with proof: ${record.commit?.slice(0, 12) ?? "commit"} is green.`
      : `Handed to a human: ${record.outcome ?? "the run stopped"}.`
    const turn = record.notifiedAt !== undefined ? "sent" : yield* notifyingTurn(issue, found)
    if (turn === "theirs") {
      return yield* ctx.journal.decide(
        String(issue.ref),
        "wait",
        `${kind}: another pass marked the run record and is sending the notification; it releases the lock`
      )
    }
    const sent = turn === "sent" ? true : yield* notifier
      .notify(
        notification(
          issue,
          record,
          kind,
          headline,
          [record.outcome ?? "", record.usage === undefined ? "" : `Tokens used: ${Usage.describe(record.usage)}`]
            .filter((l) => l !== ""),
          Option.fromNullable(yield* agent.threadUrl(record.threadId)),
          checks
        )
      )
      .pipe(
        Effect.zipRight(
          Effect.flatMap(
            DateTime.now,
            (notifiedAt) => saveRecord(issue, found, new RunRecord.RunRecord({ ...record, notifiedAt }))
          )
        ),
        Effect.as(true),
        Effect.catchAll(
          (error): Effect.Effect<boolean, NotifierError | TrackerError, Tracker | AgentRuntime> =>
            error._tag === "TrackerError" || error.transient
              ? Effect.fail(error)
              : Effect.as(
                Effect.flatMap(DateTime.now, (notifiedAt) =>
                  save(
                    ctx,
                    issue,
                    found,
                    new RunRecord.RunRecord({
                      ...record,
                      notifiedAt,
                      ending: new RunRecord.Outcome({
                        kind,
                        reason: `${record.ending?.reason ?? ""} (notification failed: ${error.message})`
                      })
                    }),
                    view("the notification could not be delivered")
                  )),
                false
              )
        )
      )
    const stopped = yield* Effect.either(
      agent.release({ runId: record.runId, threadId: record.threadId, archive: done && config.t3.archiveOnDone })
    )
    const held = Either.match(stopped, {
      onLeft: (error) =>
        error.transient
          ? `the agent's session could not be stopped yet (${error.message}), so the lock is kept and the next pass stops it`
          : undefined,
      onRight: (outcome) =>
        outcome === "still-running"
          ? "the agent's turn is still running, so the lock is kept and a later pass stops its session once the turn ends"
          : undefined
    })
    if (held !== undefined) {
      return yield* ctx.journal.decide(
        String(issue.ref),
        "wait",
        `${kind} ${sent ? "notified" : "notification lost and recorded"}; ${held}`
      )
    }
    const released = Either.match(stopped, {
      onLeft: (error) => `; the agent's session was not stopped (${error.message})`,
      onRight: (outcome) => outcome === "released" ? "; agent session stopped" : ""
    })
    yield* tracker.removeLabel(issue.repo, issue.number, config.lockLabel)
    yield* ctx.journal.decide(
      String(issue.ref),
      "release",
      `${
        turn === "sent"
          ? `${kind} notified earlier`
          : sent
          ? `${kind} notified`
          : `${kind}; notification lost and recorded`
      }${released}; lock released${
        reopened ? "; the issue was reopened after AFK closed it, so AFK leaves it open" : ""
      }`
    )
  })
