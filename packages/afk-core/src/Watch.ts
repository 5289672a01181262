/**
 * `watch`: drives every run in flight (every open issue carrying the lock label in an allowlisted repo).
 * Reads the run record and the world (agent turn, declared commit, CI), asks the pure `RunMachine` for one
 * action, and applies it with ordered, idempotent writes. A pull-request run's pull request, reviews and merge
 * are `PullRun`'s; a redispatch is `Redispatch`'s. Locked issues whose claim never finished are re-driven
 * through the claim (`Claim.recover`), never escalated as orphans.
 */
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { AgentRuntime } from "./AgentRuntime.js"
import { Ci } from "./Ci.js"
import * as Claim from "./Claim.js"
import type * as Config from "./Config.js"
import * as Declaration from "./Declaration.js"
import { type Check, type CiVerdict, type Comment, hasLabel, type Issue, TurnStatus } from "./Domain.js"
import * as IssueGuard from "./IssueGuard.js"
import * as Lanes from "./Lanes.js"
import * as Pass from "./Pass.js"
import * as Prompt from "./Prompt.js"
import { PullRequests } from "./PullRequests.js"
import * as PullRun from "./PullRun.js"
import * as Redispatch from "./Redispatch.js"
import * as Run from "./Run.js"
import * as RunMachine from "./RunMachine.js"
import * as RunRecord from "./RunRecord.js"
import { openAndClosed, Tracker } from "./Tracker.js"
import * as Usage from "./Usage.js"

const short = (sha: string) => sha.slice(0, 12)

const verdictLine = (verdict: CiVerdict) =>
  verdict.checks.length === 0
    ? "nothing reported yet"
    : verdict.checks.map((check) => `${check.name}: ${check.state}`).join(", ")

const observeCommit = (
  bot: string,
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
  return Option.orElse(fromText, () => Declaration.fromComments(comments, bot, record.turnStartedAt))
}

/** Drives one dispatched run by one step. */
const drive = (
  ctx: Pass.Context,
  bot: string,
  issue: Issue,
  foundAtStart: RunRecord.Found,
  comments: ReadonlyArray<Comment>
) =>
  Effect.gen(function*() {
    const agent = yield* AgentRuntime
    const ci = yield* Ci
    const pulls = yield* Effect.serviceOption(PullRequests)
    const { config } = ctx
    const subject = String(issue.ref)
    const now = yield* DateTime.now
    let found = foundAtStart
    // A handover left by an escalation whose human label never landed is decided afresh below.
    const { handover: _h, ...current } = foundAtStart.record
    let record = new RunRecord.RunRecord(current)
    const status = yield* agent
      .status(record.threadId)
      .pipe(Effect.catchAll((error) => Effect.succeed(new TurnStatus({ state: "unknown", detail: error.message }))))
    // Usage is folded in once the turn is not running, so a working turn does not rewrite the record each pass.
    if (status.state !== "running" && status.usage !== undefined && Usage.changes(record.usage, status.usage)) {
      record = new RunRecord.RunRecord({ ...record, usage: Usage.fold(record.usage, status.usage, now) })
    }
    const commit = observeCommit(bot, record, status, comments, now)
    if (Option.isSome(commit) && record.commit === undefined) {
      record = new RunRecord.RunRecord({
        ...record,
        commit: commit.value.sha,
        commitDeclaredAt: commit.value.declaredAt
      })
    }
    const live = status.state === "running" || status.state === "blocked"
    // How a pull-request step hands the run to a person: AFK's own decision, so it adds the human label.
    const handOver =
      (reached: "pushed" | "ci", shown: ReadonlyArray<Check>): PullRun.Escalate => (f, r, kind, reason, interrupt) =>
        Run.escalate(ctx, issue, f, {
          record: r,
          outcome: new RunRecord.Outcome({ kind, reason }),
          interrupt,
          addHumanLabel: true,
          reached,
          checks: shown
        })
    // Pull-request delivery: CI is read on the pull request's head (opened now if needed), then on the merge.
    let target: Extract<PullRun.Target, { _tag: "Read" }> | undefined
    if (record.pull !== undefined && (Option.isSome(commit) || record.pull.number !== undefined)) {
      if (Option.isNone(pulls)) {
        return yield* Run.escalate(ctx, issue, found, {
          record,
          outcome: new RunRecord.Outcome({
            kind: "needs-human",
            reason:
              "the run delivers through a pull request, but this runtime provides no PullRequests port: provide the forge's PullRequests layer"
          }),
          interrupt: live,
          addHumanLabel: true,
          reached: "dispatched"
        })
      }
      const read = yield* PullRun.target(
        ctx,
        pulls.value,
        issue,
        found,
        record,
        commit,
        status.state,
        handOver("pushed", [])
      )
      if (read._tag === "Over") return
      target = read
      found = read.found
      record = read.record
    }
    const ciCommit = target?.commit ?? commit
    let verdict = Option.none<CiVerdict>()
    if (Option.isSome(ciCommit)) {
      const read = yield* Effect.either(
        ci.verdict(
          issue.repo,
          ciCommit.value.sha,
          target?.requirements ?? { required: config.requiredChecks, deploy: config.deployChecks }
        )
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
        commit: ciCommit,
        ci: verdict,
        attempts: record.attempts,
        redispatches: record.redispatches,
        lastFailure: Option.fromNullable(record.lastFailure),
        startedAt: record.startedAt,
        turnStartedAt: record.turnStartedAt,
        now,
        finalText: status.state === "succeeded" ? status.lastAssistantText : undefined,
        tokens: record.usage?.total ?? 0,
        turns: 1 + record.attempts + record.redispatches,
        failure: status.state === "failed" ? status.detail : undefined
      },
      config
    )
    const checks = Option.match(verdict, { onNone: () => [], onSome: (v) => v.checks })
    const reached = Option.match(verdict, {
      onNone: () => (Option.isSome(ciCommit) ? "pushed" : "dispatched"),
      onSome: (v) => (v.state === "green" ? (v.deployed ? "deployed" : "ci") : "pushed")
    }) as "dispatched" | "pushed" | "ci" | "deployed"
    const escalate = (kind: "needs-human" | "frozen", reason: string, interrupt: boolean) =>
      Run.escalate(ctx, issue, found, {
        record,
        outcome: new RunRecord.Outcome({ kind, reason }),
        interrupt,
        addHumanLabel: true,
        reached,
        checks
      })
    yield* ctx.journal.decide(subject, action._tag, action.reason)
    switch (action._tag) {
      case "Wait": {
        const line = Option.match(verdict, {
          onNone: () =>
            Option.isSome(ciCommit)
              ? `pushed ${short(ciCommit.value.sha)}; waiting for CI`
              : status.state === "unknown"
              ? "the agent runtime did not answer; waiting"
              : status.state === "blocked"
              ? "the agent is waiting for input"
              : "the agent is working",
          onSome: (v) =>
            `${target?.merged === true ? "merged as" : "pushed"} ${
              short(Option.match(ciCommit, {
                onNone: () => "",
                onSome: (c) => c.sha
              }))
            }; CI ${v.state} (${verdictLine(v)})`
        })
        yield* Run.save(ctx, issue, found, record, { reached, checks, status: line })
        return
      }
      case "Close": {
        if (target !== undefined && !target.merged && Option.isSome(target.pull)) {
          return yield* PullRun.gate(
            ctx,
            pulls.pipe(Option.getOrThrow),
            issue,
            found,
            record,
            target.pull.value,
            checks,
            live,
            handOver("ci", checks)
          )
        }
        const reason = target?.merged === true
          ? `Pull request #${record.pull?.number ?? "?"} (${record.pull?.url ?? ""}) was merged as ${
            short(record.pull?.mergeSha ?? "")
          }. ${action.reason}`
          : action.reason
        const terminal = new RunRecord.RunRecord({
          ...record,
          phase: "done",
          ending: new RunRecord.Outcome({ kind: "done", reason }),
          endedAt: now
        })
        const saved = yield* Run.save(ctx, issue, found, terminal, {
          reached: "done",
          checks,
          status: "closed with proof",
          outcome: { kind: "done", reason }
        })
        return yield* Run.finish(ctx, issue, saved, checks)
      }
      case "Escalate":
        return yield* escalate("needs-human", action.reason, action.interrupt)
      case "EscalateNoVerdict":
        return yield* escalate("needs-human", action.reason, false)
      case "Freeze":
        // Frozen past the defer ceiling while the turn is live: the turn is interrupted, never left working.
        return yield* escalate("frozen", action.reason, status.state === "running" || status.state === "blocked")
      case "FixForward": {
        if (target?.merged === true) {
          // The merge commit is on the default branch, where the agent may not push: a person decides.
          return yield* escalate(
            "frozen",
            `CI is red on the merge commit ${short(record.pull?.mergeSha ?? "")} of pull request #${
              record.pull?.number ?? "?"
            } (${action.signature || "no failing check named"}); the default branch is a person's to fix or revert`,
            false
          )
        }
        const attempt = record.attempts + 1
        yield* agent.followUp({
          runId: record.runId,
          threadId: record.threadId,
          step: `fix-forward-${attempt}`,
          text: Prompt.fixForward({
            issue,
            attempt,
            maxAttempts: config.fixForwardMaxAttempts,
            commit: Option.match(ciCommit, { onNone: () => record.commit ?? "", onSome: (c) => c.sha }),
            failing: action.failing,
            branch: record.pull?.branch
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
      case "Redispatch":
        return yield* Redispatch.redispatch(ctx, bot, issue, found, record, comments, (reason) =>
          escalate("needs-human", reason, false))
    }
  })

/** One locked issue: finish, recover, hand over, or drive. `inFlight`: open issues carrying the lock, all repos. */
const handle = (pass: Pass.Context, issue: Issue, inFlight: number) =>
  Effect.gen(function*() {
    const tracker = yield* Tracker
    const [comments, bot] = yield* Effect.all([tracker.listComments(issue.repo, issue.number), pass.bot], {
      concurrency: 2
    })
    const latest = RunRecord.latest(comments, bot)
    if (Option.isNone(latest)) return yield* Claim.recover(pass, bot, issue, inFlight)
    const found = latest.value
    // A run goes on under its repository's policy file; one refused since it started goes on under the
    // operator's configuration (a new start, claim or redispatch, is refused instead).
    const policy = yield* pass.policy(issue.repo)
    const ctx: Pass.Context = Either.isRight(policy) ? { ...pass, config: policy.right.config } : pass
    const { config } = ctx
    // A run that ended is only ever finished: starting another one needs a fresh approval, through poll.
    if (RunRecord.isTerminal(found.record)) return yield* Run.finish(ctx, issue, found)
    const paused = hasLabel(issue.labels, config.pausedLabel)
    if (issue.state === "closed" || hasLabel(issue.labels, config.humanLabel) || paused) {
      // AFK's own escalation that stopped after the label (its reason is in `handover`), or a person who
      // closed the issue or handed it to a human: the turn is stopped and the run ends here.
      const { handover } = found.record
      const byPerson = issue.state === "closed"
        ? "a person closed the issue"
        : hasLabel(issue.labels, config.humanLabel)
        ? "a person handed the issue to a human"
        : `a person paused the issue (${config.pausedLabel})`
      return yield* Run.escalate(ctx, issue, found, {
        record: found.record,
        outcome: handover ?? new RunRecord.Outcome({ kind: "needs-human", reason: byPerson }),
        shown: handover === undefined && byPerson === "a person handed the issue to a human"
          ? "a person added the human label"
          : undefined,
        interrupt: true,
        addHumanLabel: false,
        reached: "dispatched"
      })
    }
    if (found.record.phase === "claimed") return yield* Claim.recover(ctx, bot, issue, inFlight)
    return yield* drive(ctx, bot, issue, found, comments)
  })

/**
 * `handle`, one pass of this process at a time per issue. A pass that waited for another re-reads the issue
 * first: the other pass may have finished the run (and released the lock) meanwhile.
 */
const guarded = (ctx: Pass.Context, listed: Issue, inFlight: number) =>
  Effect.flatMap(
    IssueGuard.IssueGuard,
    (guard) =>
      guard.exclusive(Run.guardKey(listed), (contended) =>
        Effect.gen(function*() {
          if (!contended) return yield* handle(ctx, listed, inFlight)
          const tracker = yield* Tracker
          const issue = yield* tracker.getIssue(listed.repo, listed.number)
          if (!hasLabel(issue.labels, ctx.config.lockLabel)) {
            return yield* ctx.journal.decide(String(issue.ref), "skip", "another pass of this process just handled it")
          }
          return yield* handle(ctx, issue, inFlight)
        }))
  )

/** One watch pass over every allowlisted repo. Disarmed: no I/O at all. */
export const run = (config: Config.AfkConfig) =>
  Effect.gen(function*() {
    const opened = yield* Pass.open("watch", config)
    if (opened._tag === "Left") return opened.left
    const ctx = opened.right
    const { journal } = ctx
    const tracker = yield* Tracker
    const locked: Array<ReadonlyArray<Issue>> = []
    yield* Lanes.forEach(
      config.allowlist,
      8,
      (repo) =>
        Pass.isolate(journal, repo)(
          // Shared with poll (open ones) through the tick's memo.
          Effect.map(openAndClosed(tracker, repo, config.lockLabel), (issues) => {
            locked.push(issues)
          })
        )
    )
    // The cap counts every open issue carrying the lock, in every repo, before any of them is handled.
    const inFlight = locked.reduce((sum, issues) => sum + issues.filter((issue) => issue.state === "open").length, 0)
    yield* Effect.forEach(
      locked,
      (issues) =>
        Effect.forEach(issues, (issue) => Pass.isolate(journal, String(issue.ref))(guarded(ctx, issue, inFlight)), {
          discard: true
        }),
      { concurrency: 8, discard: true }
    )
    return yield* journal.report
  }).pipe(Effect.withSpan("afk.watch"))
