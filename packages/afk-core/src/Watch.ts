/**
 * `watch`: drives every run in flight (every open issue carrying the lock label in an allowlisted repo).
 * Reads the run record and the world (agent turn, declared commit, CI), asks the pure `RunMachine` for one
 * action, and applies it with ordered, idempotent writes. Locked issues whose claim never finished are
 * re-driven through the claim, never escalated as orphans.
 */
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { AgentRuntime } from "./AgentRuntime.js"
import { Ci } from "./Ci.js"
import type * as Config from "./Config.js"
import * as Declaration from "./Declaration.js"
import { type CiVerdict, type Comment, type Issue, TurnStatus } from "./Domain.js"
import * as Ids from "./Ids.js"
import * as Pass from "./Pass.js"
import * as Prompt from "./Prompt.js"
import * as Run from "./Run.js"
import * as RunMachine from "./RunMachine.js"
import * as RunRecord from "./RunRecord.js"
import { Tracker } from "./Tracker.js"

const short = (sha: string) => sha.slice(0, 12)

const verdictLine = (verdict: CiVerdict) =>
  verdict.checks.length === 0
    ? "nothing reported yet"
    : verdict.checks.map((check) => `${check.name}: ${check.state}`).join(", ")

/** Re-drives a locked issue that has no live run record: a claim that crashed before or after its record. */
const recover = (ctx: Run.Context, issue: Issue) =>
  Effect.gen(function*() {
    const tracker = yield* Tracker
    const subject = String(issue.ref)
    const { config } = ctx
    const eligible = issue.labels.includes(config.readyLabel) &&
      !issue.labels.includes(config.humanLabel) &&
      !issue.labels.includes(config.pausedLabel)
    if (eligible) return yield* Run.claim(ctx, issue, "re-driving an unfinished claim")
    const events = yield* tracker.labelEvents(issue.repo, issue.number)
    const lockedBy = events.filter((e) => e.label === config.lockLabel && e.action === "added").at(-1)
    if (lockedBy !== undefined && lockedBy.actor !== ctx.bot) {
      return yield* ctx.journal.decide(subject, "skip", `locked by ${lockedBy.actor}, not by AFK; leaving it alone`)
    }
    const now = yield* DateTime.now
    const age = lockedBy === undefined ? Infinity : DateTime.distance(lockedBy.at, now)
    if (age < config.claimGraceSeconds * 1000) {
      return yield* ctx.journal.decide(
        subject,
        "wait",
        "an unfinished claim of an issue that is no longer ready; within the grace period"
      )
    }
    yield* tracker.removeLabel(issue.repo, issue.number, config.lockLabel)
    yield* ctx.journal.decide(
      subject,
      "release",
      "an abandoned claim of an issue that is no longer ready; no run was dispatched"
    )
  })

const observeCommit = (
  ctx: Run.Context,
  record: RunRecord.RunRecord,
  status: TurnStatus,
  comments: ReadonlyArray<Comment>,
  now: DateTime.Utc
) => {
  if (record.commit !== undefined) {
    return Option.some({ sha: record.commit, declaredAt: record.commitDeclaredAt ?? record.turnStartedAt })
  }
  const fromText = status.state === "succeeded" && status.lastAssistantText !== undefined
    ? Option.map(Declaration.extract(status.lastAssistantText), (sha) => ({ sha, declaredAt: now }))
    : Option.none()
  return Option.orElse(fromText, () => Declaration.fromComments(comments, ctx.bot, record.turnStartedAt))
}

/** Drives one dispatched run by one step. */
const drive = (ctx: Run.Context, issue: Issue, found: RunRecord.Found, comments: ReadonlyArray<Comment>) =>
  Effect.gen(function*() {
    const tracker = yield* Tracker
    const agent = yield* AgentRuntime
    const ci = yield* Ci
    const { config } = ctx
    const subject = String(issue.ref)
    const now = yield* DateTime.now
    // A handover left by an escalation whose human label never landed is decided afresh below.
    const { handover: _h, ...current } = found.record
    let record = new RunRecord.RunRecord(current)
    const status = yield* agent
      .status(record.threadId)
      .pipe(Effect.catchAll((error) => Effect.succeed(new TurnStatus({ state: "unknown", detail: error.message }))))
    const commit = observeCommit(ctx, record, status, comments, now)
    if (Option.isSome(commit) && record.commit === undefined) {
      record = new RunRecord.RunRecord({
        ...record,
        commit: commit.value.sha,
        commitDeclaredAt: commit.value.declaredAt
      })
    }
    let verdict = Option.none<CiVerdict>()
    if (Option.isSome(commit)) {
      const read = yield* Effect.either(
        ci.verdict(issue.repo, commit.value.sha, { required: config.requiredChecks, deploy: config.deployChecks })
      )
      if (read._tag === "Left") {
        yield* Effect.logWarning(`${subject}: CI could not be read (${read.left.message}); counting it as no verdict`)
      } else {
        verdict = Option.some(read.right)
      }
    }
    const action = RunMachine.next(
      {
        turn: status.state,
        commit,
        ci: verdict,
        attempts: record.attempts,
        redispatches: record.redispatches,
        lastFailure: Option.fromNullable(record.lastFailure),
        startedAt: record.startedAt,
        turnStartedAt: record.turnStartedAt,
        now
      },
      config
    )
    const checks = Option.match(verdict, { onNone: () => [], onSome: (v) => v.checks })
    const reached = Option.match(verdict, {
      onNone: () => (Option.isSome(commit) ? "pushed" : "dispatched"),
      onSome: (v) => (v.state === "green" ? (v.deployed ? "deployed" : "ci") : "pushed")
    }) as "dispatched" | "pushed" | "ci" | "deployed"
    const escalate = (kind: "needs-human" | "frozen", reason: string, interrupt: boolean) =>
      Effect.gen(function*() {
        if (interrupt) yield* agent.interrupt(record.runId, record.threadId)
        const outcome = kind === "frozen" ? `frozen: ${reason}` : reason
        const view = { reached, checks, status: "handed to a human", outcome: { kind, reason } }
        const pending = yield* Run.save(ctx, issue, found, new RunRecord.RunRecord({ ...record, handover: outcome }), {
          ...view,
          status: "handing to a human"
        })
        yield* tracker.addLabel(issue.repo, issue.number, config.humanLabel)
        const { handover: _h, ...rest } = pending.record
        const terminal = new RunRecord.RunRecord({ ...rest, phase: "escalated", outcome })
        const saved = yield* Run.save(ctx, issue, pending, terminal, view)
        yield* Run.finish(ctx, issue, saved, checks)
      })
    yield* ctx.journal.decide(subject, action._tag, action.reason)
    switch (action._tag) {
      case "Wait": {
        const line = Option.match(verdict, {
          onNone: () =>
            Option.isSome(commit)
              ? `pushed ${short(commit.value.sha)}; waiting for CI`
              : status.state === "unknown"
              ? "the agent runtime did not answer; waiting"
              : status.state === "blocked"
              ? "the agent is waiting for input"
              : "the agent is working",
          onSome: (v) => `pushed ${short(record.commit ?? "")}; CI ${v.state} (${verdictLine(v)})`
        })
        yield* Run.save(ctx, issue, found, record, { reached, checks, status: line })
        return
      }
      case "Close": {
        const terminal = new RunRecord.RunRecord({ ...record, phase: "done", outcome: action.reason })
        const saved = yield* Run.save(ctx, issue, found, terminal, {
          reached: "done",
          checks,
          status: "closed with proof",
          outcome: { kind: "done", reason: action.reason }
        })
        return yield* Run.finish(ctx, issue, saved, checks)
      }
      case "Escalate":
        return yield* escalate("needs-human", action.reason, action.interrupt)
      case "EscalateNoVerdict":
        return yield* escalate("needs-human", action.reason, false)
      case "Freeze":
        return yield* escalate("frozen", action.reason, false)
      case "FixForward": {
        const attempt = record.attempts + 1
        yield* agent.followUp({
          runId: record.runId,
          threadId: record.threadId,
          step: `fix-forward-${attempt}`,
          text: Prompt.fixForward({
            issue,
            attempt,
            maxAttempts: config.fixForwardMaxAttempts,
            commit: record.commit ?? "",
            failing: action.failing
          })
        })
        const { commit: _c, commitDeclaredAt: _d, ...rest } = record
        const next = new RunRecord.RunRecord({
          ...rest,
          attempts: attempt,
          lastFailure: action.signature,
          turnStartedAt: now
        })
        yield* Run.save(ctx, issue, found, next, {
          reached: "pushed",
          checks,
          status: `CI went red on ${short(record.commit ?? "")}; fix-forward attempt ${attempt} sent`
        })
        return
      }
      case "Redispatch": {
        const redispatches = record.redispatches + 1
        const dispatchId = Ids.derive(record.runId, `redispatch-${redispatches}`)
        const threadId = Ids.threadId(dispatchId)
        yield* agent.dispatch({
          runId: dispatchId,
          threadId,
          issue: issue.ref,
          title: `${issue.repo}#${issue.number}: ${issue.title}`.slice(0, 200),
          prompt: Prompt.firstTurn({
            issue,
            preamble: config.preamble,
            note:
              "Your previous turn on this issue was lost before it pushed anything; start again from the latest default branch."
          })
        })
        const next = new RunRecord.RunRecord({ ...record, threadId, redispatches, turnStartedAt: now })
        yield* Run.save(ctx, issue, found, next, {
          reached: "dispatched",
          status: "the agent's thread vanished; redispatched once"
        })
        return
      }
    }
  })

/** One locked issue: finish, recover, hand over, or drive. */
const handle = (ctx: Run.Context, issue: Issue) =>
  Effect.gen(function*() {
    const tracker = yield* Tracker
    const { config } = ctx
    const subject = String(issue.ref)
    const comments = yield* tracker.listComments(issue.repo, issue.number)
    const latest = RunRecord.latest(comments, ctx.bot)
    if (Option.isNone(latest)) return yield* recover(ctx, issue)
    const found = latest.value
    if (RunRecord.isTerminal(found.record)) {
      const decisive = found.record.phase === "done" || issue.labels.includes(config.humanLabel)
      return yield* decisive ? Run.finish(ctx, issue, found) : recover(ctx, issue)
    }
    if (issue.labels.includes(config.humanLabel)) {
      // Either AFK's own escalation that stopped after the label (its reason is in `handover`), or a person.
      const agent = yield* AgentRuntime
      const { handover, ...rest } = found.record
      yield* agent.interrupt(rest.runId, rest.threadId)
      const outcome = handover ?? "a person handed the issue to a human"
      const frozen = outcome.startsWith("frozen: ")
      const terminal = new RunRecord.RunRecord({ ...rest, phase: "escalated", outcome })
      const saved = yield* Run.save(ctx, issue, found, terminal, {
        reached: "dispatched",
        status: "handed to a human",
        outcome: {
          kind: frozen ? "frozen" : "needs-human",
          reason: handover === undefined ? "a person added the human label" : outcome.replace(/^frozen: /, "")
        }
      })
      return yield* Run.finish(ctx, issue, saved)
    }
    if (issue.labels.includes(config.pausedLabel)) {
      return yield* ctx.journal.decide(
        subject,
        "paused",
        `the ${config.pausedLabel} label is on the issue; not driving the run`
      )
    }
    if (found.record.phase === "claimed") return yield* Run.claim(ctx, issue, "re-driving an unfinished claim")
    return yield* drive(ctx, issue, found, comments)
  })

/** One watch pass over every allowlisted repo. Disarmed: no I/O at all. */
export const run = (config: Config.AfkConfig) =>
  Effect.gen(function*() {
    const opened = yield* Run.open("watch", config)
    if (opened._tag === "Left") return opened.left
    const ctx = opened.right
    const { journal } = ctx
    const tracker = yield* Tracker
    yield* Effect.forEach(
      config.allowlist,
      (repo) =>
        Pass.isolate(
          journal,
          repo
        )(
          Effect.flatMap(tracker.listOpenIssues(repo, config.lockLabel), (locked) =>
            Effect.forEach(locked, (issue) => Pass.isolate(journal, String(issue.ref))(handle(ctx, issue)), {
              discard: true
            }))
        ),
      { concurrency: 8, discard: true }
    )
    return yield* journal.report
  }).pipe(Effect.withSpan("afk.watch"))
