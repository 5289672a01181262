/**
 * `poll`: queues new work. Reads the ready and locked issues of every allowlisted repo, screens out what
 * the labels alone refuse, then works out trust (who applied the ready label last) and blockers for the
 * rest in policy order, only until every free slot is decided; asks the pure `DispatchPolicy` what may
 * start, and claims each decision through `Claim.claim` before it journals a single refusal. The issues
 * left unread are summed up in one line and the `unexamined` gauge. Disarmed: no I/O at all, decided first.
 */
import * as Arr from "effect/Array"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Approval from "./Approval.js"
import * as Budget from "./Budget.js"
import * as Claim from "./Claim.js"
import type * as Config from "./Config.js"
import * as DispatchPolicy from "./DispatchPolicy.js"
import { type Comment, type Issue, type LabelEvent, type Repo, sameLogin } from "./Domain.js"
import * as IssueGuard from "./IssueGuard.js"
import * as Lanes from "./Lanes.js"
import * as Memo from "./Memo.js"
import * as Pass from "./Pass.js"
import * as Run from "./Run.js"
import { openOnly, Tracker, type TrackerError } from "./Tracker.js"

/** How many candidates are read at once (their label events, trust and blockers): a host's lanes. */
const readBatch = 8

/**
 * The candidates the next batch reads while `left` slots are undecided. Each candidate's first round is two
 * requests at once (label events, last edit), so eight would take two rounds of a host's eight lanes: while
 * half a batch could fill every slot left, half a batch is read, in one round.
 */
const batchFor = (left: number) => (left <= readBatch / 2 ? readBatch / 2 : readBatch)

interface RepoView {
  readonly repo: Repo
  readonly ready: ReadonlyArray<Issue>
  readonly locked: ReadonlyArray<Issue>
}

/**
 * Reads one candidate: its approval (`Approval.prove`, trust asked once per pass through the context) and
 * its blockers' states, each read once per pass — concurrent lookups share one request, and a failed read
 * fails every issue that needed it this pass (they are retried next pass). Remembers what each approved
 * issue's proof was made of, for its claim.
 */
const makeCandidate = Effect.gen(function*() {
  const tracker = yield* Tracker
  const states = yield* Memo.make<DispatchPolicy.Blocker["state"], TrackerError>("remember")
  const stateOf = (ref: DispatchPolicy.Blocker["ref"]) =>
    states.get(
      String(ref),
      tracker.getIssue(ref.repo, ref.number).pipe(
        Effect.map((issue): DispatchPolicy.Blocker["state"] => issue.state),
        Effect.catchIf(
          (error) => error.status === 404,
          () => Effect.succeed("missing" as const)
        )
      )
    )
  const proofs = new Map<Issue, Claim.Proved>()
  /** The policy file read ahead, unless the tracker knows `actor` is refused (then the issue cannot win). */
  const policyAhead = (ctx: Pass.Context, repo: Repo, actor: string) =>
    Effect.flatMap(
      tracker.knownUntrusted?.(repo, actor) ?? Effect.succeed(false),
      (refused) => refused ? Effect.void : Effect.ignore(ctx.policy(repo))
    )
  /**
   * What the proof needs once the label history is in, asked while the last edit is still being read: the
   * records, when the issue ever carried the lock (only then can it have had a run), and whether the latest
   * ready label's author is trusted (the pass remembers the answer the proof then asks; a failure here is the
   * proof's to meet), so neither waits a round for the edit. For a likely winner (`ahead`) the repository's
   * policy file is read beside the trust too, through the pass's memo the dispatch decision and the claim
   * then ask: the claim's chain loses a round, and a labeller who turns out refused costs one read (none
   * when the tracker already knows the refusal, `knownUntrusted`).
   */
  const afterEvents = (ctx: Pass.Context, issue: Issue, events: ReadonlyArray<LabelEvent>, ahead: boolean) => {
    // Each ignored on its own: a failed read must not interrupt the other (the proof and the claim ask again).
    const trustAhead = Option.match(Approval.latestAdded(events, ctx.config.readyLabel), {
      onNone: () => Effect.void,
      onSome: ({ actor }) =>
        Effect.flatMap(Effect.option(ctx.bot), (bot) =>
          Option.isNone(bot) || sameLogin(actor, bot.value)
            ? Effect.void
            : Effect.all([
              Effect.ignore(ctx.isTrusted(issue.repo, actor)),
              ahead ? policyAhead(ctx, issue.repo, actor) : Effect.void
            ], { concurrency: 2, discard: true }))
    })
    const records = Approval.everAdded(events, ctx.config.lockLabel)
      ? tracker.listComments(issue.repo, issue.number)
      : Effect.succeed<ReadonlyArray<Comment>>([])
    return Effect.map(Effect.all([records, trustAhead], { concurrency: 2 }), ([comments]) => comments)
  }
  /** Reads `issue` as a candidate; `ahead` when it is among the first in policy order to fill the free slots. */
  const read = (
    ctx: Pass.Context,
    issue: Issue,
    ahead: boolean
  ): Effect.Effect<DispatchPolicy.Candidate, TrackerError> =>
    Effect.gen(function*() {
      const [[events, comments], edit, bot] = yield* Effect.all([
        Effect.flatMap(
          tracker.labelEvents(issue.repo, issue.number),
          (events) => Effect.map(afterEvents(ctx, issue, events, ahead), (comments) => [events, comments] as const)
        ),
        tracker.lastEdit(issue.repo, issue.number),
        ctx.bot
      ], { concurrency: 3 })
      const proof = yield* Approval.prove(
        { issue, events, edit, previousEnd: Approval.previousEnd(comments, bot) },
        ctx.config,
        bot,
        (login) => ctx.isTrusted(issue.repo, login)
      )
      if (Either.isLeft(proof)) return { issue, trusted: false, unapproved: proof.left, blockers: [] }
      proofs.set(issue, { issue, edit })
      const blockers = yield* Effect.forEach(
        DispatchPolicy.blockersOf(issue),
        (ref) => Effect.map(stateOf(ref), (state) => ({ ref, state }))
      )
      return { issue, trusted: true, blockers }
    })
  /** The text this pass proved for `issue` and the edit it was proved on, for the claim. */
  const proved = (issue: Issue): Claim.Proved | undefined => proofs.get(issue)
  return { read, proved }
})

/** Ready issues the latest poll pass left unexamined because every free slot was decided before them. */
export const unexamined = Metric.gauge("afk_poll_unexamined", {
  description: "ready issues the latest poll pass left unexamined (every free slot decided before them)"
})

const shown = 3

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`

/**
 * The issues a pass left unread (`unexamined`), summed up as they are refused in policy order: how many, by
 * refusal reason, across how many repos, the first few. Nothing is kept of each issue but its repository.
 */
const tally = () => {
  const reasons = new Map<string, number>()
  const repos = new Set<string>()
  const first: Array<string> = []
  let count = 0
  return {
    add: (refusal: DispatchPolicy.Refusal) => {
      count++
      reasons.set(refusal.reason, (reasons.get(refusal.reason) ?? 0) + 1)
      repos.add(refusal.issue.repo.toLowerCase())
      if (first.length < shown) first.push(String(refusal.issue.ref))
    },
    sum: (): Pass.Unexamined => ({
      count,
      reasons: Object.fromEntries([...reasons].sort(([a], [b]) => (a < b ? -1 : 1))),
      repos: repos.size,
      first
    })
  }
}

/** Journals the unexamined backlog as one decision in one info line, and sets the `unexamined` gauge. */
const backlog = (journal: Pass.Journal, summed: Pass.Unexamined) =>
  Effect.gen(function*() {
    yield* Metric.set(unexamined, summed.count)
    yield* journal.unexamined(summed)
    if (summed.count === 0) return
    const counts = Object.entries(summed.reasons).map(([reason, n]) => `${reason} ${n}`)
    yield* Effect.logInfo(
      `poll: ${plural(summed.count, "ready issue")} not examined this pass, every slot decided before them ` +
        `(${counts.join(", ")}) across ${plural(summed.repos, "repo")}; first: ${summed.first.join(", ")}${
          summed.count > shown ? ", …" : ""
        }`
    ).pipe(Effect.annotateLogs({ pass: "poll", subject: "backlog", action: "refuse" }))
  })

/** One poll pass. */
export const run = (config: Config.AfkConfig) =>
  Effect.gen(function*() {
    const opened = yield* Pass.open("poll", config)
    if (opened._tag === "Left") return opened.left
    const ctx = opened.right
    const { journal } = ctx
    const tracker = yield* Tracker
    // The daily token budget, when set, is read first: spent or unreadable, this pass starts nothing.
    const daily = yield* Effect.either(Budget.read(config, ctx.bot))
    if (daily._tag === "Left") {
      yield* journal.fail("daily token budget", `${daily.left.message}; no run starts until it can be read`)
      return yield* journal.report
    }
    const spent = Budget.exhausted(daily.right)
    if (Option.isSome(spent)) {
      yield* journal.decide("poll", "wait", spent.value)
      return yield* journal.report
    }
    const candidate = yield* makeCandidate
    const views: Array<RepoView> = []
    yield* Lanes.forEach(
      config.allowlist,
      8,
      (repo) =>
        Pass.isolate(
          journal,
          repo
        )(
          // Both lists run to their end even when one fails: they are shared with watch (see Watch.run). One
          // after the other: a tick has asked every list already (`Tick.prefetch`), so these are the shared
          // answers, and a concurrent `Effect.all` costs tens of microseconds of fibers a call for nothing (about
          // 30 ms before the first candidate at 50 repositories). Alone, eight repositories still read at once.
          Effect.flatMap(Effect.either(tracker.listOpenIssues(repo, config.readyLabel)), (ready) =>
            Effect.flatMap(Effect.either(openOnly(tracker, repo, config.lockLabel)), (locked) => {
              if (Either.isLeft(ready)) return Effect.fail(ready.left)
              if (Either.isLeft(locked)) {
                return Effect.fail(locked.left)
              }
              views.push({ repo, ready: ready.right, locked: locked.right })
              return Effect.void
            }))
        )
    )
    const lockedRepos = new Set(
      views.filter((view) =>
        view.locked.length > 0
      ).map((view) => view.repo.toLowerCase() as Repo)
    )
    const inFlight = views.reduce((sum, view) => sum + view.locked.length, 0)
    const slots = Math.max(0, config.maxConcurrentRuns - inFlight)
    const ordered = DispatchPolicy.inOrder(
      views.flatMap((view) => view.ready),
      (issue) => issue,
      config.defaultPriority
    )
    const refused: Array<DispatchPolicy.Refusal> = []
    const pending: Array<Issue> = []
    for (const issue of ordered) {
      const screened = DispatchPolicy.screen(issue, lockedRepos, config)
      if (Option.isSome(screened)) refused.push({ issue, ...screened.value })
      else pending.push(issue)
    }
    // Read candidates in policy order, a batch at a time, until every slot is decided: what is read is
    // always a prefix of the order, so the policy decides exactly as it would with everything read.
    const unsettled = new Set<Repo>()
    // In policy order: they are added as the order is walked.
    const unread: Array<Issue> = []
    const refusedRepos = new Set<Repo>()
    const checked = new Set<Repo>()
    const skipped = (repo: Repo) => unsettled.has(repo) || refusedRepos.has(repo)
    const read: Array<DispatchPolicy.Candidate> = []
    const policyInput = () => ({
      candidates: read.filter((c) => !skipped(c.issue.repo)),
      lockedRepos,
      inFlight,
      config
    })
    let decision = DispatchPolicy.decide(policyInput())
    const winnerIn = (repo: Repo) => decision.dispatch.find((d) => d.issue.repo === repo)?.issue
    // A repository's policy file is read only when one of its issues would be dispatched, so an idle
    // repository, or one whose ready issues are all refused (untrusted labels), costs nothing; a refused file
    // is one decision for the repository, and the policy decides again without it.
    const checkPolicies = (repos: ReadonlyArray<Repo>) =>
      Effect.forEach(
        repos,
        (repo) =>
          Effect.sync(() => checked.add(repo)).pipe(
            Effect.zipRight(ctx.policy(repo)),
            Effect.flatMap((policy) =>
              Either.isRight(policy)
                ? Effect.void
                : Effect.sync(() => refusedRepos.add(repo)).pipe(
                  Effect.zipRight(journal.decide(repo, "refuse", policy.left))
                )
            ),
            Effect.catchAll((error) =>
              Effect.sync(() => unsettled.add(repo)).pipe(Effect.zipRight(journal.fail(repo, error.message)))
            )
          ),
        { concurrency: readBatch, discard: true }
      )
    const settle = Effect.gen(function*() {
      for (;;) {
        decision = DispatchPolicy.decide(policyInput())
        const unchecked = decision.dispatch.map((d) => d.issue.repo).filter((repo) => !checked.has(repo))
        if (unchecked.length === 0) return
        yield* checkPolicies(unchecked)
      }
    })
    let next = 0
    while (decision.dispatch.length < slots && next < pending.length) {
      const batch: Array<Issue> = []
      const size = batchFor(slots - decision.dispatch.length)
      for (; next < pending.length && batch.length < size; next++) {
        const issue = pending[next]!
        if (skipped(issue.repo)) continue
        if (winnerIn(issue.repo) !== undefined) unread.push(issue)
        else batch.push(issue)
      }
      // The first repositories of the batch, one per free slot, win if their labellers are trusted: their
      // policy files are read ahead (see `afterEvents`), in the lanes the batch's second round leaves free
      // (each repository then asks its labeller's trust, usually one maintainer's; the last edits went out
      // with the label events); the rest only once they win. A read ahead that would queue behind the batch's
      // own reads gains nothing, so none is made.
      const repos = Arr.dedupe(batch.map((issue) => issue.repo))
      const room = Math.max(0, readBatch - repos.length)
      const likely = new Set(repos.slice(0, Math.min(slots - decision.dispatch.length, room)))
      const results = yield* Effect.forEach(
        batch,
        (issue) =>
          candidate.read(ctx, issue, likely.has(issue.repo) && !checked.has(issue.repo)).pipe(
            Effect.map(Option.some),
            Effect.catchAll((error) =>
              Effect.sync(() => unsettled.add(issue.repo)).pipe(
                Effect.zipRight(journal.fail(String(issue.ref), error.message)),
                Effect.as(Option.none<DispatchPolicy.Candidate>())
              )
            )
          ),
        { concurrency: readBatch }
      )
      read.push(...Arr.getSomes(results))
      yield* settle
    }
    for (; next < pending.length; next++) unread.push(pending[next]!)
    // The claims come first: they are what a concurrent process races for; every refusal is journalled after.
    // The policy dispatches at most one issue per repo, so the claims never contend with each other.
    yield* Effect.forEach(
      decision.dispatch,
      (d) =>
        Pass.isolate(journal, String(d.issue.ref))(
          Effect.flatMap(IssueGuard.IssueGuard, (guard) =>
            guard.exclusive(
              Run.guardKey(d.issue),
              () => Claim.claim(ctx, d.issue, d.reason, candidate.proved(d.issue))
            ))
        ),
      { concurrency: 8, discard: true }
    )
    for (const repo of unsettled) {
      yield* journal.decide(repo, "wait", "an issue of this repo could not be read; no dispatch here this pass")
    }
    // The issues left unread are refused the same way every pass while the slots stay full: one line for all.
    const left = tally()
    for (const issue of unread) {
      if (!skipped(issue.repo)) left.add(DispatchPolicy.unexamined(issue, winnerIn(issue.repo), { inFlight, config }))
    }
    refused.push(...decision.refused)
    const rank = new Map<Issue, number>(refused.map((refusal) => [refusal.issue, 0]))
    ordered.forEach((issue, i) => {
      if (rank.has(issue)) rank.set(issue, i)
    })
    refused.sort((a, b) => rank.get(a.issue)! - rank.get(b.issue)!)
    // One text per distinct refusal, shared by the decisions that give it (see DispatchPolicy's texts).
    const texts = new Map<string, Map<string, string>>()
    const textOf = (refusal: DispatchPolicy.Refusal) => {
      const byDetail = texts.get(refusal.reason) ?? new Map<string, string>()
      texts.set(refusal.reason, byDetail)
      const known = byDetail.get(refusal.detail)
      if (known !== undefined) return known
      const text = `${refusal.reason}: ${refusal.detail}`
      byDetail.set(refusal.detail, text)
      return text
    }
    for (const refusal of refused) yield* journal.decide(String(refusal.issue.ref), "refuse", textOf(refusal))
    yield* backlog(journal, left.sum())
    return yield* journal.report
  }).pipe(Effect.withSpan("afk.poll"))
