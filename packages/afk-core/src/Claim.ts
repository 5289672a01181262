/**
 * The claim that starts a run (PRODUCT §6–7), each step idempotent and in the order that keeps a crash at any
 * point convergent: lock → re-read and prove the approval again (`Approval`) → record `claimed` → settle
 * contention with older claims in the repo → dispatch to the agent → record `dispatched`. Poll claims what the
 * dispatch policy picked; watch re-drives a claim that never finished (`recover`).
 */
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import { AgentRuntime } from "./AgentRuntime.js"
import * as Approval from "./Approval.js"
import * as DispatchPolicy from "./DispatchPolicy.js"
import { type Comment, hasLabel, type Issue, type IssueEdit, type LabelEvent, sameLogin } from "./Domain.js"
import * as Ids from "./Ids.js"
import { Notifier } from "./Notifier.js"
import type * as Pass from "./Pass.js"
import * as Prompt from "./Prompt.js"
import * as PullRequests from "./PullRequests.js"
import * as Run from "./Run.js"
import * as RunRecord from "./RunRecord.js"
import { Tracker, type TrackerError } from "./Tracker.js"

const newRecord = (issue: Issue, ordinal: number, now: DateTime.Utc, delivery: "push" | "pull-request") => {
  const runId = Ids.runId(issue.ref, ordinal)
  return new RunRecord.RunRecord({
    v: 1,
    runId,
    ordinal,
    phase: "claimed",
    threadId: Ids.threadId(runId),
    startedAt: now,
    turnStartedAt: now,
    attempts: 0,
    redispatches: 0,
    ...(delivery === "pull-request"
      ? { pull: new RunRecord.PullRecord({ branch: PullRequests.branchFor(issue.number, ordinal) }) }
      : {})
  })
}

/** Whether my claim stands against another locked issue of the same repo (and its latest record). */
const outranks = (
  ctx: Pass.Context,
  mine: { readonly issue: Issue; readonly found: RunRecord.Found },
  other: { readonly issue: Issue; readonly found: Option.Option<RunRecord.Found> }
) => {
  if (Option.isNone(other.found)) return true
  const theirs = other.found.value
  if (RunRecord.isTerminal(theirs.record)) return true
  if (theirs.record.phase === "dispatched") return false
  const a = mine.found.comment.createdAt.epochMillis
  const b = theirs.comment.createdAt.epochMillis
  if (a !== b) return a < b
  return DispatchPolicy.compare(mine.issue, other.issue, ctx.config.defaultPriority) < 0
}

/** How a claim ended. */
export type Claimed =
  /** The agent was dispatched (or an earlier attempt's dispatch adopted). */
  | "dispatched"
  /** Another issue of the repo holds an older claim; this lock was released. */
  | "yielded"
  /** What was read after the lock does not approve a run (see the decision line); nothing was created. */
  | "refused"
  /** Another pass already dispatched this run; watch drives it. */
  | "in-flight"

/** The text a pass proved (the issue as it read it) and the last edit it was proved on. */
export interface Proved {
  readonly issue: Issue
  readonly edit: Option.Option<IssueEdit>
}

/**
 * The edit that decides the claim: the one read after the lock, unless the text read then is exactly the
 * text this pass proved before taking it — then the text sent is the text approved, whatever happened in
 * between, and the edit the proof was made on stands, so the last edit is not read again. (Forgejo infers
 * edits from any activity, the claim's own lock label included, and would refuse every claim otherwise.)
 */
const decisiveEdit = (
  fresh: Issue,
  proved: Proved | undefined,
  read: Effect.Effect<Option.Option<IssueEdit>, TrackerError>
): Effect.Effect<Option.Option<IssueEdit>, TrackerError> =>
  proved !== undefined && proved.issue.title === fresh.title && proved.issue.body === fresh.body
    ? Effect.succeed(proved.edit)
    : read

/**
 * Why `issue`, as just re-read, may not start a run now (null when it may): it must be open, ready, neither
 * handed to a human nor paused, and its latest ready label must approve a run (`Approval.prove`).
 */
const refusal = (
  ctx: Pass.Context,
  bot: string,
  issue: Issue,
  comments: ReadonlyArray<Comment>,
  events: ReadonlyArray<LabelEvent>,
  edit: Option.Option<IssueEdit>
) =>
  Effect.gen(function*() {
    const { config } = ctx
    if (issue.state !== "open") return `${issue.ref} is closed`
    if (!hasLabel(issue.labels, config.readyLabel)) return `${issue.ref} no longer carries ${config.readyLabel}`
    if (hasLabel(issue.labels, config.humanLabel)) return `${issue.ref} carries ${config.humanLabel}`
    if (hasLabel(issue.labels, config.pausedLabel)) return `${issue.ref} carries ${config.pausedLabel}`
    const proof = yield* Approval.prove(
      { issue, events, edit, previousEnd: Approval.previousEnd(comments, bot) },
      config,
      bot,
      (login) => ctx.isTrusted(issue.repo, login)
    )
    return Either.isLeft(proof) ? `${proof.left.reason}: ${proof.left.detail}` : null
  })

/**
 * Claims `issue` for a run and dispatches it, adopting whatever an earlier (crashed or concurrent) attempt
 * already wrote. The lock label is added first unless the listing showed it; then the issue, its comments
 * and its label history are read again (its last edit too, unless the text is the one `proved`) and the
 * approval proved on what was read, before anything is created — a tick that stalled never acts on old
 * reads, and the run ordinal comes from the fresh records. `proved` (poll's) is what the pass proved before
 * the lock (see `decisiveEdit`). The prompt is built from the text that was proved. A refused claim releases
 * the lock it added (a lock that was already there is the caller's to judge). Returns without dispatching when
 * another issue of the repo holds an older claim (that claim wins; this lock is released).
 */
export const claim = (ctx: Pass.Context, listed: Issue, reason: string, proved?: Proved) =>
  Effect.gen(function*() {
    const tracker = yield* Tracker
    const agent = yield* AgentRuntime
    const subject = String(listed.ref)
    const { config } = ctx
    // Read before the lock is taken: a claim that cannot know who the bot is, or whose repository's policy
    // file is refused, takes nothing.
    const bot = yield* ctx.bot
    const policy = yield* ctx.policy(listed.repo)
    if (Either.isLeft(policy)) {
      yield* ctx.journal.decide(subject, "refuse", policy.left)
      return "refused" as Claimed
    }
    const tookLock = !hasLabel(listed.labels, config.lockLabel)
    if (tookLock) yield* tracker.addLabel(listed.repo, listed.number, config.lockLabel)
    const lastEdit = tracker.lastEdit(listed.repo, listed.number)
    // Without a proof (watch's recovery) the last edit always decides: it is read beside the rest.
    const [issue, comments, events, unproved] = yield* Effect.all([
      tracker.getIssue(listed.repo, listed.number),
      tracker.listComments(listed.repo, listed.number),
      tracker.labelEvents(listed.repo, listed.number),
      proved === undefined ? Effect.asSome(lastEdit) : Effect.succeedNone
    ], { concurrency: 4 })
    const edit = Option.isSome(unproved) ? unproved.value : yield* decisiveEdit(issue, proved, lastEdit)
    const refused = yield* refusal(ctx, bot, issue, comments, events, edit)
    if (refused !== null) {
      // The lock this claim added is released, unless a live run (another pass's claim) holds it.
      const live = Option.exists(RunRecord.latest(comments, bot), (found) => !RunRecord.isTerminal(found.record))
      const release = tookLock && !live
      if (release) yield* tracker.removeLabel(issue.repo, issue.number, config.lockLabel)
      yield* ctx.journal.decide(subject, "refuse", `${refused}${release ? "; the lock taken for it is released" : ""}`)
      return "refused" as Claimed
    }
    const ordinal = RunRecord.terminalRuns(comments, bot) + 1
    const now = yield* DateTime.now
    const fresh = newRecord(issue, ordinal, now, policy.right.config.delivery)
    const earlier = RunRecord.forRun(comments, bot, fresh.runId)
    if (Option.isSome(earlier) && earlier.value.record.phase !== "claimed") {
      yield* ctx.journal.decide(
        subject,
        "skip",
        `run ${ordinal} is already ${earlier.value.record.phase}; watch drives it`
      )
      return "in-flight" as Claimed
    }
    // The runtime readies itself (T3: the repo's project) while the claim settles; joined before dispatch.
    const prepared = yield* Effect.fork(
      Effect.ignore(agent.prepare?.({ runId: fresh.runId, issue: issue.ref }) ?? Effect.void)
    )
    let found = yield* Option.match(earlier, {
      onSome: Effect.succeed,
      onNone: () =>
        Effect.map(
          tracker.postComment(
            issue.repo,
            issue.number,
            Run.body(ctx, issue, fresh, { reached: "claimed", status: "claimed; dispatching the agent" }, Option.none())
          ),
          (comment) => ({ record: fresh, comment })
        )
    })
    const locked = yield* tracker.listOpenIssues(issue.repo, config.lockLabel)
    for (const other of locked) {
      if (other.number === issue.number) continue
      const theirs = RunRecord.latest(yield* tracker.listComments(other.repo, other.number), bot)
      if (!outranks(ctx, { issue, found }, { issue: other, found: theirs })) {
        yield* Fiber.interrupt(prepared)
        yield* tracker.removeLabel(issue.repo, issue.number, config.lockLabel)
        yield* ctx.journal.decide(
          subject,
          "yield",
          `${other.repo}#${other.number} holds an earlier claim on the repo`
        )
        return "yielded" as Claimed
      }
    }
    const record = found.record
    yield* Fiber.join(prepared)
    yield* agent.dispatch({
      runId: record.runId,
      threadId: record.threadId,
      issue: issue.ref,
      title: Prompt.threadTitle(issue),
      prompt: Prompt.firstTurn({
        issue,
        preamble: config.preamble,
        instructions: policy.right.instructions,
        branch: record.pull?.branch
      }),
      // The record was posted just now, so no earlier attempt dispatched this run (it dispatches only
      // after its record exists): the runtime need not look for a thread.
      fresh: Option.isNone(earlier)
    })
    const dispatched = new RunRecord.RunRecord({ ...record, phase: "dispatched" })
    found = yield* Run.save(ctx, issue, found, dispatched, { reached: "dispatched", status: "the agent is working" })
    yield* ctx.journal.decide(subject, "dispatch", reason)
    if (config.notifyDispatched) {
      const notifier = yield* Notifier
      const receipt = yield* notifier.notify(
        Run.notification(
          issue,
          found.record,
          "dispatched",
          "An agent picked up the issue.",
          [reason],
          Option.fromNullable(yield* agent.threadUrl(record.threadId))
        )
      )
      if (receipt.thread !== undefined && receipt.thread !== found.record.notifyThread) {
        yield* Run.save(ctx, issue, found, new RunRecord.RunRecord({ ...found.record, notifyThread: receipt.thread }), {
          reached: "dispatched",
          status: "the agent is working"
        })
      }
    }
    return "dispatched" as Claimed
  })

/**
 * Re-drives a locked issue whose claim never finished (no record yet, or a `claimed` one). Only a lock the
 * bot applied is adopted, only while the runs in flight stay within the cap, and only through `Claim.claim`,
 * which proves the approval again on what it reads. A refused claim keeps its lock while a concurrent claim
 * may still be writing (the grace period), except on a closed issue; then the lock is released.
 */
export const recover = (ctx: Pass.Context, bot: string, issue: Issue, inFlight: number) =>
  Effect.gen(function*() {
    const tracker = yield* Tracker
    const subject = String(issue.ref)
    const { config } = ctx
    const events = yield* tracker.labelEvents(issue.repo, issue.number)
    const lockedBy = Approval.latestAdded(events, config.lockLabel)
    if (Option.isSome(lockedBy) && !sameLogin(lockedBy.value.actor, bot)) {
      return yield* ctx.journal.decide(
        subject,
        "skip",
        `${config.lockLabel} was applied by ${lockedBy.value.actor}, not by AFK: a lock nobody else may set is never adopted, and no run is started from it`
      )
    }
    if (inFlight > config.maxConcurrentRuns) {
      return yield* ctx.journal.decide(
        subject,
        "wait",
        `an unfinished claim, but ${inFlight} issues carry ${config.lockLabel} and the cap is ${config.maxConcurrentRuns}`
      )
    }
    const claimed = yield* claim(ctx, issue, "re-driving an unfinished claim")
    if (claimed !== "refused") return
    const now = yield* DateTime.now
    const age = Option.match(lockedBy, { onNone: () => Infinity, onSome: (e) => DateTime.distance(e.at, now) })
    if (issue.state === "open" && age < config.claimGraceSeconds * 1000) {
      return yield* ctx.journal.decide(
        subject,
        "wait",
        "an unfinished claim that may not start; within the grace period"
      )
    }
    yield* tracker.removeLabel(issue.repo, issue.number, config.lockLabel)
    yield* ctx.journal.decide(subject, "release", "an unfinished claim that may not start; no run was dispatched")
  })
