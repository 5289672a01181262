/**
 * The redispatch of a run whose agent thread vanished before anything was pushed (`RunMachine`'s `Redispatch`):
 * a new agent on the issue's text, so the approval is proved again on what is read now and the repository's
 * policy file must still stand; otherwise the run is handed over with the reason.
 */
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { AgentRuntime } from "./AgentRuntime.js"
import * as Approval from "./Approval.js"
import type { Comment, Issue } from "./Domain.js"
import * as Ids from "./Ids.js"
import type * as Pass from "./Pass.js"
import * as Prompt from "./Prompt.js"
import * as Run from "./Run.js"
import * as RunRecord from "./RunRecord.js"
import { Tracker } from "./Tracker.js"
import * as Usage from "./Usage.js"

/** Starts the run's next thread (or hands the run over through `escalate`, saying why it may not). */
export const redispatch = <E, R>(
  ctx: Pass.Context,
  bot: string,
  issue: Issue,
  found: RunRecord.Found,
  record: RunRecord.RunRecord,
  comments: ReadonlyArray<Comment>,
  escalate: (reason: string) => Effect.Effect<void, E, R>
) =>
  Effect.gen(function*() {
    const tracker = yield* Tracker
    const agent = yield* AgentRuntime
    const { config } = ctx
    const now = yield* DateTime.now
    // A redispatch starts a new agent on the issue's text again: the approval is proved again first.
    const [fresh, events, edit] = yield* Effect.all([
      tracker.getIssue(issue.repo, issue.number),
      tracker.labelEvents(issue.repo, issue.number),
      tracker.lastEdit(issue.repo, issue.number)
    ], { concurrency: 3 })
    const proof = yield* Approval.prove(
      { issue: fresh, events, edit, previousEnd: Approval.previousEnd(comments, bot) },
      config,
      bot,
      (login) => ctx.isTrusted(issue.repo, login)
    )
    if (Either.isLeft(proof)) {
      return yield* escalate(`the agent's thread vanished and the issue may not be redispatched: ${proof.left.detail}`)
    }
    const policy = yield* ctx.policy(issue.repo)
    if (Either.isLeft(policy)) {
      return yield* escalate(`the agent's thread vanished and ${policy.left}`)
    }
    const redispatches = record.redispatches + 1
    const dispatchId = Ids.derive(record.runId, `redispatch-${redispatches}`)
    const threadId = Ids.threadId(dispatchId)
    yield* agent.dispatch({
      runId: dispatchId,
      threadId,
      issue: issue.ref,
      title: Prompt.threadTitle(fresh),
      prompt: Prompt.firstTurn({
        issue: fresh,
        preamble: config.preamble,
        instructions: policy.right.instructions,
        note:
          "Your previous turn on this issue was lost before it pushed anything; start again from the latest default branch.",
        branch: record.pull?.branch
      })
    })
    const next = new RunRecord.RunRecord({
      ...record,
      threadId,
      redispatches,
      turnStartedAt: now,
      usage: Usage.newThread(record.usage)
    })
    yield* Run.save(ctx, issue, found, next, {
      reached: "dispatched",
      status: "the agent's thread vanished; redispatched once"
    })
  })
