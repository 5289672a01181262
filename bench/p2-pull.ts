/**
 * quality.md P2 for a pull-request run: every request of one run from its dispatch to its close (tracker and
 * T3 together), delivered through a pull request, against the same run pushed to the default branch plus the
 * minimum the pull request itself needs (`pullFloor`). Both runs play the same script in one process: one
 * repo of 20 issues, one ready, an agent that pushes after one poll, CI green at once.
 *
 * Run: npx vite-node --config bench/vite.config.ts bench/p2-pull.ts
 */
import * as Effect from "effect/Effect"
import * as World from "../test/world/World.js"
import * as Report from "./report.js"

/** What a pull-request run needs beyond a pushed run's requests (GitHub), each at least once. */
export const pullFloor = {
  steps: [
    ["look for an open pull request from the run's branch (adopt after a lost answer)", 1],
    ["the default branch, the pull request's base (repository read)", 1],
    ["open the pull request", 1],
    ["read the pull request (state, head sha, mergeable)", 1],
    ["its reviews", 1],
    ["their inline comments (GitHub lists them apart)", 1],
    ["merge with the head sha", 1],
    ["delete the branch", 1],
    ["CI on the merge commit, a second commit (check runs, check suites, statuses: the read of any commit)", 3]
  ] as ReadonlyArray<readonly [string, number]>,
  total: 11
}

const run = (delivery: "push" | "pull-request") =>
  Effect.gen(function*() {
    const world = yield* World.make({
      repos: 1,
      issuesPerRepo: 20,
      readyFraction: 1 / 20,
      config: { delivery }
    })
    const ticks: Array<World.Ticked> = []
    for (let n = 0; n < 30; n++) {
      const ticked = yield* world.tick()
      ticks.push(ticked)
      if (ticked.report.watch.decisions.some((d) => d.action === "release")) break
    }
    const closed = ticks.at(-1)?.report.watch.decisions.some((d) => d.action === "release") ?? false
    const failed = ticks.flatMap((t) => World.failures(t.report))
    if (!closed || failed.length > 0) {
      return yield* Effect.dieMessage(`${delivery}: the run did not close in 30 ticks\n${failed.join("\n")}`)
    }
    const sum = (pick: (t: World.Ticked) => number) => ticks.reduce((total, t) => total + pick(t), 0)
    const kinds = new Map<string, number>()
    for (const t of ticks) for (const [kind, n] of t.tally.kinds) kinds.set(kind, (kinds.get(kind) ?? 0) + n)
    return {
      delivery,
      ticks: ticks.length,
      tracker: sum((t) => t.tally.tracker),
      t3: sum((t) => t.tally.t3),
      total: sum((t) => t.tally.tracker + t.tally.t3 + t.tally.slack),
      kinds
    }
  })

export const program = Effect.gen(function*() {
  const pushed = yield* run("push")
  const pulled = yield* run("pull-request")
  const floor = pushed.total + pullFloor.total
  const extra = [...pulled.kinds].map(([kind, n]) => [kind, n - (pushed.kinds.get(kind) ?? 0)] as const)
    .filter(([, n]) => n !== 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
  return {
    details: [
      "One repo × 20 issues, one ready (a trusted maintainer's label); the agent pushes after one poll; CI green.",
      "The same run twice in one process: pushed to the default branch, then through a pull request.",
      "",
      "What the pull request needs beyond the pushed run's requests:",
      Report.table(["step", "requests"], pullFloor.steps.map(([step, n]) => [step, n])),
      "",
      Report.table(
        ["delivery", "ticks", "tracker", "T3", "total"],
        [pushed, pulled].map((r) => [r.delivery, r.ticks, r.tracker, r.t3, r.total])
      ),
      "",
      `floor = pushed run (${pushed.total}) + ${pullFloor.total} = ${floor}`,
      "",
      "Requests the pull-request run made beyond the pushed one, by kind (negative: fewer):",
      ...extra.map(([kind, n]) => `  ${String(n).padStart(5)}  ${kind}`)
    ],
    figures: [
      Report.ratio(
        "P2",
        "pull-request run, dispatch to close: requests (tracker + T3)",
        pulled.total,
        "req",
        floor,
        1.2
      )
    ]
  } satisfies Report.Outcome
})

Report.main("P2: requests of a pull-request run", program)
