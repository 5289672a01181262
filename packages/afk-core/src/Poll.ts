/**
 * `poll`: queues new work. Reads the ready and locked issues of every allowlisted repo, screens out what
 * the labels alone refuse, then works out trust (who applied the ready label last) and blockers for the
 * rest in policy order, only until every free slot is decided; asks the pure `DispatchPolicy` what may
 * start, and claims each decision through `Run.claim`. Disarmed: no I/O at all, decided first.
 */
import * as Arr from "effect/Array"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Config from "./Config.js"
import * as DispatchPolicy from "./DispatchPolicy.js"
import type { Issue, Repo } from "./Domain.js"
import * as Pass from "./Pass.js"
import * as Run from "./Run.js"
import { Tracker, type TrackerError } from "./Tracker.js"

/** How many candidates are read at once (their label events, trust and blockers). */
const readBatch = 8

interface RepoView {
  readonly repo: Repo
  readonly ready: ReadonlyArray<Issue>
  readonly locked: ReadonlyArray<Issue>
}

/**
 * Per-pass caches: trust per (repo, actor) and blocker states, each read once — concurrent lookups share
 * one request, and a failed read fails every issue that needed it this pass (they are retried next pass).
 */
const makeCandidate = Effect.gen(function*() {
  const tracker = yield* Tracker
  const trust = new Map<string, Effect.Effect<boolean, TrackerError>>()
  const states = new Map<string, Effect.Effect<DispatchPolicy.Blocker["state"], TrackerError>>()
  const memo = <A>(
    cache: Map<string, Effect.Effect<A, TrackerError>>,
    key: string,
    make: () => Effect.Effect<A, TrackerError>
  ): Effect.Effect<A, TrackerError> =>
    Effect.suspend(() => {
      const hit = cache.get(key)
      if (hit !== undefined) return hit
      return Effect.flatMap(Effect.cached(make()), (shared) => {
        cache.set(key, shared)
        return shared
      })
    })
  const stateOf = (ref: DispatchPolicy.Blocker["ref"]) =>
    memo(states, String(ref), () =>
      tracker.getIssue(ref.repo, ref.number).pipe(
        Effect.map((issue): DispatchPolicy.Blocker["state"] => issue.state),
        Effect.catchIf(
          (error) => error.status === 404,
          () => Effect.succeed("missing" as const)
        )
      ))
  return (config: Config.AfkConfig, issue: Issue): Effect.Effect<DispatchPolicy.Candidate, TrackerError> =>
    Effect.gen(function*() {
      if (issue.labels.includes(config.humanLabel) || issue.labels.includes(config.pausedLabel)) {
        return { issue, trusted: false, blockers: [] }
      }
      const events = yield* tracker.labelEvents(issue.repo, issue.number)
      const applied = events.filter((e) => e.label === config.readyLabel && e.action === "added").at(-1)
      const trusted = applied === undefined
        ? false
        : yield* memo(trust, `${issue.repo} ${applied.actor}`, () => tracker.isTrusted(issue.repo, applied.actor))
      const blockers = yield* Effect.forEach(
        DispatchPolicy.blockersOf(issue),
        (ref) => Effect.map(stateOf(ref), (state) => ({ ref, state }))
      )
      return { issue, trusted, blockers }
    })
})

/** One poll pass. */
export const run = (config: Config.AfkConfig) =>
  Effect.gen(function*() {
    const opened = yield* Run.open("poll", config)
    if (opened._tag === "Left") return opened.left
    const ctx = opened.right
    const { journal } = ctx
    const tracker = yield* Tracker
    const candidate = yield* makeCandidate
    const views: Array<RepoView> = []
    yield* Effect.forEach(
      config.allowlist,
      (repo) =>
        Pass.isolate(
          journal,
          repo
        )(
          Effect.map(
            Effect.all([
              tracker.listOpenIssues(repo, config.readyLabel),
              tracker.listOpenIssues(repo, config.lockLabel)
            ]),
            ([ready, locked]) => views.push({ repo, ready, locked })
          )
        ),
      { concurrency: 8, discard: true }
    )
    const lockedRepos = new Set(views.filter((view) => view.locked.length > 0).map((view) => view.repo))
    const inFlight = views.reduce((sum, view) => sum + view.locked.length, 0)
    const slots = Math.max(0, config.maxConcurrentRuns - inFlight)
    const ordered = views.flatMap((view) => view.ready).sort((a, b) =>
      DispatchPolicy.compare(a, b, config.defaultPriority)
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
    const unread = new Set<Issue>()
    const read: Array<DispatchPolicy.Candidate> = []
    const policyInput = () => ({
      candidates: read.filter((c) => !unsettled.has(c.issue.repo)),
      lockedRepos,
      inFlight,
      config
    })
    let decision = DispatchPolicy.decide(policyInput())
    const winnerIn = (repo: Repo) => decision.dispatch.find((d) => d.issue.repo === repo)?.issue
    let next = 0
    while (decision.dispatch.length < slots && next < pending.length) {
      const batch: Array<Issue> = []
      for (; next < pending.length && batch.length < readBatch; next++) {
        const issue = pending[next]!
        if (unsettled.has(issue.repo)) continue
        if (winnerIn(issue.repo) !== undefined) unread.add(issue)
        else batch.push(issue)
      }
      const results = yield* Effect.forEach(
        batch,
        (issue) =>
          candidate(config, issue).pipe(
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
      decision = DispatchPolicy.decide(policyInput())
    }
    for (const issue of pending.slice(next)) unread.add(issue)
    for (const issue of unread) {
      if (!unsettled.has(issue.repo)) {
        refused.push(DispatchPolicy.unexamined(issue, winnerIn(issue.repo), { inFlight, config }))
      }
    }
    for (const repo of unsettled) {
      yield* journal.decide(repo, "wait", "an issue of this repo could not be read; no dispatch here this pass")
    }
    refused.push(...decision.refused)
    refused.sort((a, b) => DispatchPolicy.compare(a.issue, b.issue, config.defaultPriority))
    // The issues left unread are refused the same way every pass while the slots stay full: debug, not info.
    for (const refusal of refused) {
      const level = unread.has(refusal.issue) ? "debug" : "info"
      yield* journal.decide(String(refusal.issue.ref), "refuse", `${refusal.reason}: ${refusal.detail}`, level)
    }
    yield* Effect.forEach(
      Object.values(Arr.groupBy(decision.dispatch, (d) => d.issue.repo)),
      (decisions) =>
        Effect.forEach(
          decisions,
          (d) => Pass.isolate(journal, String(d.issue.ref))(Run.claim(ctx, d.issue, d.reason)),
          { discard: true }
        ),
      { concurrency: 8, discard: true }
    )
    return yield* journal.report
  }).pipe(Effect.withSpan("afk.poll"))
