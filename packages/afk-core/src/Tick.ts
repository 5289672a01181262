/**
 * `tick`: one reconciliation pass — watch (drive runs in flight, releasing finished locks) then poll
 * (queue new work). The two are isolated: either can fail without stopping the other, and the tick fails
 * only when both did (prior-art §8.22).
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Config from "./Config.js"
import type { Issue, Repo } from "./Domain.js"
import * as Lanes from "./Lanes.js"
import * as Memo from "./Memo.js"
import * as Pass from "./Pass.js"
import * as Poll from "./Poll.js"
import { openAndClosed, type Service as TrackerService, Tracker, type TrackerError } from "./Tracker.js"
import * as Watch from "./Watch.js"

export interface Report {
  readonly watch: Pass.Report
  readonly poll: Pass.Report
  /** True only when both passes failed. */
  readonly failed: boolean
}

const guard = (pass: Pass.Report["pass"]) => <R>(effect: Effect.Effect<Pass.Report, never, R>) =>
  effect.pipe(
    Effect.catchAllDefect((defect) =>
      Effect.succeed<Pass.Report>({
        pass,
        decisions: [],
        failures: [{ subject: pass, message: defect instanceof Error ? defect.message : String(defect) }]
      })
    )
  )

/**
 * Within one tick a repo's issue lists and the bot identity (once asked) are read once and shared by watch
 * and poll. Any label change or close in a repo drops that repo's lists, so each pass still sees every
 * change made before it (the claim's re-list after taking the lock is always fresh). A failed read is not
 * kept: it is read again at the next ask (`Memo` with `"retry"`).
 */
const sharedReads = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R | Tracker> =>
  Effect.gen(function*() {
    const tracker = yield* Tracker
    const lists = yield* Memo.make<ReadonlyArray<Issue>, TrackerError>("retry")
    const bot = yield* Memo.make<string, TrackerError>("retry")
    const both = tracker.listOpenAndClosedIssues
    const dropping = <Args extends ReadonlyArray<unknown>>(
      write: (repo: Repo, ...args: Args) => Effect.Effect<void, TrackerError>
    ) =>
    (repo: Repo, ...args: Args) =>
      Effect.ensuring(write(repo, ...args), lists.forget((key) => key.startsWith(`${repo}\u0000`)))
    return yield* Effect.provideService(effect, Tracker, {
      ...tracker,
      whoami: bot.get("whoami", tracker.whoami),
      listOpenIssues: (repo, label) => lists.get(`${repo}\u0000${label}`, tracker.listOpenIssues(repo, label)),
      listClosedIssues: (repo, label) =>
        lists.get(`${repo}\u0000closed\u0000${label}`, tracker.listClosedIssues(repo, label)),
      listOpenAndClosedIssues: both === undefined
        ? undefined
        : (repo, label) => lists.get(`${repo}\u0000both\u0000${label}`, both(repo, label)),
      addLabel: dropping(tracker.addLabel),
      removeLabel: dropping(tracker.removeLabel),
      closeIssue: dropping(tracker.closeIssue)
    })
  })

/** `value` if it is a positive whole number. */
const positive = (value: number | undefined): number | undefined =>
  value !== undefined && Number.isInteger(value) && value > 0 ? value : undefined

/**
 * How many of a tick's `lists` a batching tracker is asked at once: all of them when they are at most its
 * `listsAllAtOnce`, else its `listsAtOnce` (each taken when a positive whole number).
 */
const listsAtOnce = (tracker: TrackerService, lists: number): number | "unbounded" => {
  const all = positive(tracker.listsAllAtOnce)
  return all !== undefined && lists <= all ? "unbounded" : positive(tracker.listsAtOnce) ?? "unbounded"
}

/**
 * Starts every read both passes begin with — each repo's locked and ready lists — at once, so they share
 * the per-host lanes instead of waiting for each other pass by pass. The bot identity is asked only once a
 * list shows a locked or ready issue (the passes need it only for those), and then at once, beside the lists
 * still being read: an idle tick never asks it, and a busy one does not wait a round trip for it later.
 * Nothing is decided here: the passes read the same shared entries (a failed read is forgotten and read
 * again there). A tracker that answers lists in batches is asked `listsAtOnce` lists at once (all of them if
 * it names no bound, or if they are no more than its `listsAllAtOnce`), so they share its queries.
 */
const prefetch = (config: Config.AfkConfig) =>
  Effect.gen(function*() {
    const tracker = yield* Tracker
    const work = yield* Deferred.make<boolean>()
    // The lock label's open and closed issues, as the passes ask them (one list or two), and the ready list.
    const locked = tracker.listOpenAndClosedIssues === undefined ? ["open", "closed"] as const : ["both"] as const
    const items = config.allowlist.flatMap((repo) => [
      ...locked.map((which) => [repo, which] as const),
      [repo, "ready"] as const
    ])
    const read = ([repo, which]: typeof items[number]) =>
      (which === "ready"
        ? tracker.listOpenIssues(repo, config.readyLabel)
        : which === "open"
        ? tracker.listOpenIssues(repo, config.lockLabel)
        : which === "closed"
        ? tracker.listClosedIssues(repo, config.lockLabel)
        : openAndClosed(tracker, repo, config.lockLabel)).pipe(
          Effect.match({
            onFailure: () => undefined,
            onSuccess: (issues) => {
              if (issues.length > 0) Deferred.unsafeDone(work, Exit.succeed(true))
            }
          })
        )
    const bound = tracker.listsInBatches === true ? listsAtOnce(tracker, items.length) : 8
    const lists = bound === "unbounded"
      ? Effect.forEach(items, read, { concurrency: bound, discard: true })
      : Lanes.forEach(items, bound, read)
    const identity = Effect.flatMap(
      Deferred.await(work),
      (found) => (found ? Effect.ignore(tracker.whoami) : Effect.void)
    )
    yield* Effect.all([identity, Effect.ensuring(lists, Deferred.succeed(work, false))], {
      concurrency: "unbounded",
      discard: true
    })
  })

export const run = (config: Config.AfkConfig) =>
  Effect.gen(function*() {
    if (Config.isArmed(config)) yield* Effect.forkScoped(prefetch(config))
    const watch = yield* guard("watch")(Watch.run(config))
    const poll = yield* guard("poll")(Poll.run(config))
    return { watch, poll, failed: Pass.failed(watch) && Pass.failed(poll) } satisfies Report
  }).pipe(
    Effect.scoped,
    (tick) => (Config.isArmed(config) ? sharedReads(tick) : tick),
    Effect.withSpan("afk.tick")
  )
