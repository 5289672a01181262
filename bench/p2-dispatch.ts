/**
 * quality.md P2: requests of a tick that dispatches k issues (k repos, one ready issue each, a trusted
 * maintainer's label, `maxConcurrentRuns` = k), tracker and T3 together, against the minimum the claim
 * protocol needs (PRODUCT §7.2; derivation in `floor` and bench/RESULTS.md). Goal: ≤ 1.2 × floor.
 *
 * Run: npx vite-node --config bench/vite.config.ts bench/p2-dispatch.ts [--lists graphql|rest] (how the GitHub
 *      tracker reads its lists: its own default, REST, without it; `afk-cli`'s default is GraphQL)
 */
import * as Effect from "effect/Effect"
import * as Script from "../test/world/Script.js"
import * as World from "../test/world/World.js"
import * as Report from "./report.js"
import * as Steady from "./steady.js"

const { lists, name: listsName } = Steady.listsArg()
/** Figures of a run with `--lists` name its lists; the plain run keeps its names. */
const named = lists === undefined ? "" : `, ${listsName}`

/** The protocol's minimum for a tick that dispatches `k` issues in `k` fresh repos (one ready issue each). */
export const floor = (k: number) => {
  const steps: ReadonlyArray<readonly [string, string, number]> = [
    ["who the bot is (GET /user)", "tick", 1],
    ["read the repo's ready and locked issues (P1's floor: one list)", "repo", k],
    ["who applied the ready label, title renames (issue events)", "candidate", k],
    ["the body's last edit (GraphQL)", "candidate", k],
    ["is that actor trusted (collaborator permission)", "repo × actor", k],
    ["add the lock label", "dispatch", k],
    ["re-read the issue after the lock (trust boundary)", "dispatch", k],
    ["re-read its events after the lock (trust boundary)", "dispatch", k],
    ["re-read the body's last edit after the lock (trust boundary)", "dispatch", k],
    ["read the comments (run ordinal, a record to adopt)", "dispatch", k],
    ["re-list the repo's locked issues (contention, §7.2)", "dispatch", k],
    ["post the run record `claimed`", "dispatch", k],
    ["T3 environment id, for the thread link (once per process)", "tick", 1],
    ["T3 project.create (first run in a repo)", "repo", k],
    ["T3 thread.create", "dispatch", k],
    ["T3 thread.turn.start", "dispatch", k],
    ["edit the record to `dispatched` (+ checklist)", "dispatch", k]
  ]
  return { steps, total: steps.reduce((sum, [, , n]) => sum + n, 0) }
}

const measure = (k: number) =>
  Effect.gen(function*() {
    const world = yield* World.make({
      repos: k,
      issuesPerRepo: 20,
      readyFraction: 1 / 20,
      config: { maxConcurrentRuns: k },
      githubTracker: lists === undefined ? undefined : { lists }
    })
    const ticked = yield* world.tick()
    const dispatched = ticked.report.poll.decisions.filter((d) => d.action === "dispatch").length
    const failed = World.failures(ticked.report)
    if (dispatched !== k || world.t3.threads().length !== k || failed.length > 0) {
      return yield* Effect.dieMessage(
        `expected ${k} dispatches and threads, got ${dispatched} and ${world.t3.threads().length}\n${failed.join("\n")}`
      )
    }
    return { k, ticked, requests: ticked.tally.tracker + ticked.tally.t3 + ticked.tally.slack }
  })

/**
 * A watch over k runs whose turns are still working (the agent pushes after 50 polls): T3 requests of the
 * next ticks. One shell read answers for every working turn (`T3.Options.shellTtl`); without it, one thread
 * read per run.
 */
const watching = (k: number) =>
  Effect.gen(function*() {
    const world = yield* World.make({
      repos: k,
      issuesPerRepo: 20,
      readyFraction: 1 / 20,
      config: { maxConcurrentRuns: k },
      agent: Script.Agent.Push({ afterPolls: 50, red: 0 }),
      githubTracker: lists === undefined ? undefined : { lists }
    })
    yield* world.tick()
    const ticks: Array<World.Ticked> = []
    for (let i = 0; i < 3; i++) {
      yield* Effect.sleep("1100 millis")
      ticks.push(yield* world.tick())
    }
    return ticks
  })

export const program = Effect.gen(function*() {
  const runs = yield* Effect.forEach([1, 3, 8], measure)
  const watched = yield* watching(8)
  const watchT3 = Math.max(...watched.map((t) => t.tally.t3))
  const last = runs[runs.length - 1]
  const derivation = floor(1)
  return {
    details: [
      "k repos × 20 issues, one of them ready (labelled by a trusted maintainer); maxConcurrentRuns = k.",
      "",
      "Floor per step (k = 1):",
      Report.table(["step", "per", "requests"], derivation.steps.map(([step, per, n]) => [step, per, n])),
      `floor(k) = 2 + 15 k; k = 1: ${derivation.total}`,
      "",
      Report.table(
        ["k", "tracker", "T3", "Slack", "total", "floor", "decisions"],
        runs.map((r) => [
          r.k,
          r.ticked.tally.tracker,
          r.ticked.tally.t3,
          r.ticked.tally.slack,
          r.requests,
          floor(r.k).total,
          World.decisions(r.ticked.report)
        ])
      ),
      "",
      `Watch ticks over 8 working turns: T3 requests ${watched.map((t) => t.tally.t3).join(", ")}; by kind: ${
        watched.flatMap((t) => t.tally.kinds.filter(([kind]) => kind.startsWith("T3"))).map(([kind, n]) =>
          `${n} ${kind}`
        )
          .join(", ")
      }`,
      "",
      `Requests by kind, k = ${last?.k}:`,
      ...(last?.ticked.tally.kinds ?? []).map(([kind, n]) => `  ${String(n).padStart(5)}  ${kind}`)
    ],
    figures: [
      ...runs.map((r) =>
        Report.ratio(
          "P2",
          `tick dispatching k = ${r.k}${named}: requests (tracker + T3)`,
          r.requests,
          "req",
          floor(r.k).total,
          1.2
        )
      ),
      Report.atMost(
        "P2",
        `watch tick, 8 turns working${named}: T3 requests (shell, not 8 thread reads)`,
        watchT3,
        "req",
        1
      )
    ]
  } satisfies Report.Outcome
})

Report.main("P2: requests of a tick that dispatches k issues", program)
