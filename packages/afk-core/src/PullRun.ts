/**
 * Pull-request delivery (`AFK_DELIVERY=pull-request`), the steps watch takes for a run past its first push:
 * open the pull request from the run's branch (or adopt the one a lost answer left), read CI on its head,
 * answer trusted reviewers with follow-up turns, merge on green with the verified head sha, delete the
 * branch, and read the deploy proof on the merge commit. Every write is adoptable — an open pull request
 * is found by its branch, a merge is read back from the pull request — so a crash between a write and the
 * record that notes it never opens two pull requests or merges twice. Reviews by anyone the forge does not
 * trust are never read into a turn.
 */
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { AgentRuntime } from "./AgentRuntime.js"
import type { Check, CiRequirements, Issue, TurnState } from "./Domain.js"
import type * as Pass from "./Pass.js"
import * as Prompt from "./Prompt.js"
import type * as PullRequests from "./PullRequests.js"
import * as Run from "./Run.js"
import * as RunMachine from "./RunMachine.js"
import * as RunRecord from "./RunRecord.js"

const short = (sha: string) => sha.slice(0, 12)

/** A commit as the run machine reads it. */
export interface Commit {
  readonly sha: string
  readonly declaredAt: DateTime.Utc
}

/** What watch reads CI on next, or that this pass is over (the step it took is saved). */
export type Target =
  | { readonly _tag: "Over" }
  | {
    readonly _tag: "Read"
    readonly found: RunRecord.Found
    readonly record: RunRecord.RunRecord
    /** The commit CI is read on: the pull request's head before the merge, the merge commit after. */
    readonly commit: Option.Option<Commit>
    readonly requirements: CiRequirements
    readonly merged: boolean
    /** The pull request as read this pass (before the merge). */
    readonly pull: Option.Option<PullRequests.PullRequest>
  }

/** How a step hands the run to a person (`Run.escalate`, with the record as this step left it). */
export type Escalate = (
  found: RunRecord.Found,
  record: RunRecord.RunRecord,
  kind: "needs-human" | "frozen",
  reason: string,
  interrupt: boolean
) => ReturnType<typeof Run.escalate>

const withPull = (record: RunRecord.RunRecord, pull: Partial<RunRecord.PullRecord>) =>
  new RunRecord.RunRecord({ ...record, pull: new RunRecord.PullRecord({ ...record.pull!, ...pull }) })

/** The pull request's body: it links the issue without a closing keyword, so merging never closes the issue. */
export const pullBody = (issue: Issue, runId: string): string =>
  [
    `AFK opened this pull request for ${issue.repo}#${issue.number} (run \`${runId}\`).`,
    "",
    "AFK merges it once CI is green, and closes the issue only after the deploy proof on the merge commit.",
    "Review it as usual: changes requested by a maintainer go back to the agent."
  ].join("\n")

/**
 * Where a pull-request run stands before its CI is read: the merge done (CI read on the merge commit, after
 * the branch is deleted when configured), the pull request merged or closed by someone else, or opened now
 * from the declared commit's branch.
 */
export const target = (
  ctx: Pass.Context,
  pulls: PullRequests.Service,
  issue: Issue,
  found: RunRecord.Found,
  record: RunRecord.RunRecord,
  commit: Option.Option<Commit>,
  turn: TurnState,
  escalate: Escalate
) =>
  Effect.gen(function*() {
    const { config } = ctx
    const live = turn === "running" || turn === "blocked"
    const pull = record.pull!
    const now = yield* DateTime.now
    if (pull.mergeSha !== undefined) return yield* afterMerge(ctx, pulls, issue, found, record)
    let justOpened: PullRequests.PullRequest | undefined
    if (pull.number === undefined) {
      if (Option.isNone(commit)) {
        return {
          _tag: "Read",
          found,
          record,
          commit,
          requirements: { required: config.requiredChecks, deploy: [] },
          merged: false,
          pull: Option.none()
        } satisfies Target as Target
      }
      const existing = yield* pulls.findOpen(issue.repo, pull.branch)
      const opened = yield* Option.match(existing, {
        onSome: (pr) => Effect.succeed(pr),
        onNone: () =>
          pulls.open(issue.repo, {
            head: pull.branch,
            title: Prompt.pullTitle(issue),
            body: pullBody(issue, record.runId)
          })
      }).pipe(Effect.either)
      if (opened._tag === "Left") {
        if (opened.left.transient) return yield* Effect.fail(opened.left)
        yield* escalate(
          found,
          record,
          "needs-human",
          `the agent declared ${
            short(commit.value.sha)
          }, but the pull request from \`${pull.branch}\` could not be opened (${opened.left.message})`,
          live
        )
        return { _tag: "Over" } satisfies Target as Target
      }
      // The pass goes on with the pull request as the forge answered it (no second read).
      justOpened = opened.right
      const next = withPull(record, { number: justOpened.number, url: justOpened.url })
      found = yield* Run.save(ctx, issue, found, next, {
        reached: "pushed",
        status: `opened pull request #${justOpened.number} from ${pull.branch}; waiting for CI`
      })
      yield* ctx.journal.decide(
        String(issue.ref),
        "open",
        `pull request #${justOpened.number} from ${pull.branch}`
      )
      record = next
      // A dry run's stand-in for an open it only recorded has no head, and is never read back.
      if (justOpened.headSha === "") return { _tag: "Over" } satisfies Target as Target
    }
    const pr = justOpened ?? (yield* pulls.get(issue.repo, record.pull!.number!))
    if (pr.state === "merged") {
      const merged = withPull(record, { mergeSha: pr.mergeSha ?? pr.headSha, mergedAt: now, blocked: undefined })
      const next = new RunRecord.RunRecord({ ...merged, commit: merged.pull!.mergeSha!, commitDeclaredAt: now })
      found = yield* Run.save(ctx, issue, found, next, {
        reached: "ci",
        status: `pull request #${pr.number} is merged as ${short(next.commit!)}; reading the deploy proof`
      })
      return yield* afterMerge(ctx, pulls, issue, found, next)
    }
    if (pr.state === "closed") {
      yield* escalate(
        found,
        record,
        "needs-human",
        `a person closed pull request #${pr.number} without merging it, so the run ends here`,
        live
      )
      return { _tag: "Over" } satisfies Target as Target
    }
    // A turn that ended without declaring a commit (a review answered without a change) leaves the pull
    // request as it was: its head stands for the run, declared when the turn started.
    const declared = Option.isNone(commit) && turn === "succeeded"
      ? Option.some({ sha: pr.headSha, declaredAt: record.turnStartedAt })
      : commit
    return {
      _tag: "Read",
      found,
      record: withPull(record, { headSha: pr.headSha }),
      commit: Option.map(declared, (c) => ({ sha: pr.headSha, declaredAt: c.declaredAt })),
      requirements: { required: config.requiredChecks, deploy: [] },
      merged: false,
      pull: Option.some(pr)
    } satisfies Target as Target
  })

/** After the merge: the branch deleted (when configured, once), then CI and the deploy read on the merge commit. */
const afterMerge = (
  ctx: Pass.Context,
  pulls: PullRequests.Service,
  issue: Issue,
  found: RunRecord.Found,
  record: RunRecord.RunRecord
) =>
  Effect.gen(function*() {
    const { config } = ctx
    const pull = record.pull!
    if (config.deleteBranch && pull.branchDeleted === undefined) {
      // A refusal for good (a ruleset on the branch, no permission to delete) is said once and kept out of the
      // way of the proof; a transient failure is tried again next pass.
      const deleted = yield* Effect.either(pulls.deleteBranch(issue.repo, pull.branch))
      if (deleted._tag === "Left" && deleted.left.transient) return yield* Effect.fail(deleted.left)
      if (deleted._tag === "Left") {
        yield* ctx.journal.decide(
          String(issue.ref),
          "keep",
          `the branch ${pull.branch} could not be deleted (${deleted.left.message}); it is left for a person`
        )
      }
      record = withPull(record, { branchDeleted: deleted._tag === "Right" })
    }
    return {
      _tag: "Read",
      found,
      record,
      commit: Option.some({ sha: pull.mergeSha!, declaredAt: pull.mergedAt ?? record.turnStartedAt }),
      requirements: { required: config.requiredChecks, deploy: config.deployChecks },
      merged: true,
      pull: Option.none()
    } satisfies Target as Target
  })

/** Whether `review` was answered in an earlier round (by the forge's times and ids, see `PullRecord`). */
const answered = (pull: RunRecord.PullRecord, review: PullRequests.Review): boolean =>
  pull.answeredAt !== undefined &&
  (DateTime.lessThan(review.submittedAt, pull.answeredAt) ||
    (DateTime.Equivalence(review.submittedAt, pull.answeredAt) && (pull.answeredIds ?? []).includes(review.id)))

/** The feedback to answer: not answered yet, by a trusted reviewer other than the bot. */
const feedback = (reviews: ReadonlyArray<PullRequests.Review>, pull: RunRecord.PullRecord) =>
  reviews.filter((review) =>
    !answered(pull, review) &&
    (review.state === "changes-requested" ||
      (review.state === "commented" && (review.body.trim() !== "" || review.comments.length > 0)))
  )

/** Each trusted reviewer's standing verdict: their latest approval or request for changes (a dismissal clears it). */
const standing = (reviews: ReadonlyArray<PullRequests.Review>) => {
  const latest = new Map<string, PullRequests.Review>()
  for (const review of reviews) {
    const key = review.author.toLowerCase()
    if (review.state === "dismissed") latest.delete(key)
    else if (review.state !== "commented") latest.set(key, review)
  }
  return [...latest.values()]
}

/**
 * The gate once CI is green on the pull request's head and the turn has ended: answer new trusted feedback
 * with a review turn (within `reviewMaxRounds`), wait for requested changes to be reviewed again and for the
 * required approvals (on the head commit), then merge with the verified head sha. A refused merge waits with
 * the forge's reason (escalating past `noVerdictMaxSeconds`); a conflict gets one turn to bring the branch up
 * to date. While the agent's turn is still live (past the defer ceiling) no turn is sent: feedback waits.
 */
export const gate = (
  ctx: Pass.Context,
  pulls: PullRequests.Service,
  issue: Issue,
  found: RunRecord.Found,
  record: RunRecord.RunRecord,
  pr: PullRequests.PullRequest,
  checks: ReadonlyArray<Check>,
  live: boolean,
  escalate: Escalate
) =>
  Effect.gen(function*() {
    const agent = yield* AgentRuntime
    const { config } = ctx
    const subject = String(issue.ref)
    const bot = yield* ctx.bot
    const pull = record.pull!
    const now = yield* DateTime.now
    const all = yield* pulls.reviews(issue.repo, pr.number)
    const trusted: Array<PullRequests.Review> = []
    const ignored = new Set<string>()
    for (const review of all) {
      if (review.author.toLowerCase() === bot.toLowerCase()) continue
      if (yield* ctx.isTrusted(issue.repo, review.author)) trusted.push(review)
      else ignored.add(review.author)
    }
    if (ignored.size > 0) {
      yield* ctx.journal.decide(
        subject,
        "ignore",
        `reviews by ${[...ignored].join(", ")} are ignored: only reviewers with write access steer the agent`,
        "none"
      )
    }
    const fresh = feedback(trusted, pull)
    const pending = (what: string) => {
      const waited = DateTime.distance(record.commitDeclaredAt ?? record.turnStartedAt, now) / 1000
      if (waited >= config.noVerdictMaxSeconds) {
        return escalate(
          found,
          record,
          "needs-human",
          `CI is green on ${short(pr.headSha)} but ${what} after ${
            RunMachine.formatSeconds(waited)
          }, so a person takes over pull request #${pr.number}`,
          false
        )
      }
      return Effect.zipRight(
        ctx.journal.decide(subject, "Wait", `CI is green on ${short(pr.headSha)}; ${what}`),
        Run.save(ctx, issue, found, record, { reached: "ci", checks, status: `CI green on #${pr.number}; ${what}` })
      )
    }
    const followUp = (step: string, text: string, next: Partial<RunRecord.PullRecord>, status: string) =>
      Effect.gen(function*() {
        yield* agent.followUp({ runId: record.runId, threadId: record.threadId, step, text })
        const { commit: _c, commitDeclaredAt: _d, ...rest } = withPull(record, next)
        yield* Run.save(ctx, issue, found, new RunRecord.RunRecord({ ...rest, turnStartedAt: now }), {
          reached: "ci",
          checks,
          status
        })
        yield* ctx.journal.decide(subject, step, status)
      })
    if (fresh.length > 0 && live) return yield* pending("new review feedback waits for the agent's turn to end")
    if (fresh.length > 0) {
      const rounds = pull.rounds ?? 0
      if (rounds >= config.reviewMaxRounds) {
        return yield* escalate(
          found,
          record,
          "needs-human",
          `reviewers asked for more changes on pull request #${pr.number} and the review rounds are spent (${rounds} of ${config.reviewMaxRounds}), so a person takes over`,
          false
        )
      }
      const round = rounds + 1
      const answeredAt = fresh.reduce(
        (latest, review) => DateTime.max(latest, review.submittedAt),
        fresh[0]!.submittedAt
      )
      const answeredIds = fresh.filter((review) => DateTime.Equivalence(review.submittedAt, answeredAt)).map((r) =>
        r.id
      )
      return yield* followUp(
        `review-${round}`,
        Prompt.reviewTurn({
          issue,
          round,
          maxRounds: config.reviewMaxRounds,
          pullUrl: pr.url,
          branch: pull.branch,
          reviews: fresh
        }),
        { rounds: round, answeredAt, answeredIds },
        `review round ${round} of ${config.reviewMaxRounds} sent to the agent`
      )
    }
    const verdicts = standing(trusted)
    const changes = verdicts.filter((review) => review.state === "changes-requested").map((review) => review.author)
    if (changes.length > 0) return yield* pending(`waiting for ${changes.join(", ")} to review again`)
    const approvals = verdicts.filter((review) =>
      review.state === "approved" && (review.commitSha === undefined || review.commitSha === pr.headSha)
    ).length
    if (approvals < config.requiredApprovals) {
      return yield* pending(`waiting for approvals on the head commit (${approvals} of ${config.requiredApprovals})`)
    }
    const merged = yield* pulls.merge(issue.repo, pr.number, {
      sha: pr.headSha,
      method: config.mergeMethod,
      title: `${Prompt.pullTitle(issue)} (#${pr.number})`
    })
    if (merged._tag === "Merged") {
      const next = new RunRecord.RunRecord({
        ...withPull(record, { mergeSha: merged.sha, mergedAt: now, blocked: undefined }),
        commit: merged.sha,
        commitDeclaredAt: now
      })
      yield* ctx.journal.decide(subject, "merge", `pull request #${pr.number} merged as ${short(merged.sha)}`)
      yield* Run.save(ctx, issue, found, next, {
        reached: "ci",
        checks,
        status: `pull request #${pr.number} merged as ${short(merged.sha)}; reading the deploy proof`
      })
      return
    }
    const refusal = merged.refusal
    switch (refusal._tag) {
      case "HeadMoved":
        return yield* ctx.journal.decide(
          subject,
          "Wait",
          `the head of #${pr.number} moved past ${short(pr.headSha)}; it is read again next pass`
        )
      case "Conflict": {
        if (live) {
          return yield* pending("the branch conflicts; the agent is asked to update it once its turn ends")
        }
        if ((pull.conflictTurns ?? 0) >= 1) {
          return yield* escalate(
            found,
            record,
            "needs-human",
            `pull request #${pr.number} still conflicts with the default branch after the agent's turn to bring it up to date`,
            false
          )
        }
        return yield* followUp(
          "conflict-1",
          Prompt.conflictTurn({ issue, pullUrl: pr.url, branch: pull.branch }),
          { conflictTurns: 1 },
          `pull request #${pr.number} conflicts with the default branch; the agent was asked to bring it up to date`
        )
      }
      case "Blocked": {
        record = withPull(record, { blocked: refusal.detail })
        return yield* pending(`the forge refused the merge (${refusal.detail})`)
      }
    }
  })
