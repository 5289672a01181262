/**
 * P11: how long a tick takes to make its first claim when the backlog is large — 50 repos whose every open
 * issue is ready (a trusted maintainer's label), 1,000 / 5,000 / 25,000 ready issues in all, the default
 * three slots, no latency (the forge fakes share this process, so both figures are CPU work, theirs
 * included). Measured from the tick's start to the first lock label it adds (the first claim's first write),
 * and from the last read answered before that write to the write itself (what the pass does between its
 * reads and its first claim). Reported, not judged: one run each, after one unreported warm-up world.
 *
 * Run: npx vite-node --config bench/vite.config.ts bench/p11-first-claim.ts
 */
import * as Effect from "effect/Effect"
import * as World from "../test/world/World.js"
import * as Report from "./report.js"

const repos = 50
const backlogs = [1_000, 5_000, 25_000] as const

const measure = (ready: number) =>
  Effect.scoped(Effect.gen(function*() {
    const world = yield* World.make({ repos, issuesPerRepo: ready / repos, readyFraction: 1 })
    const seen = world.journals.tracker.entries.length
    const began = Date.now()
    const ticked = yield* world.tick()
    const failed = World.failures(ticked.report)
    if (failed.length > 0) return yield* Effect.dieMessage(`the tick failed:\n${failed.join("\n")}`)
    const entries = world.journals.tracker.entries.slice(seen)
    const claim = entries.find((e) => e.method === "POST" && /\/issues\/\d+\/labels$/.test(new URL(e.url).pathname))
    if (claim === undefined || !claim.body.includes(world.config.lockLabel)) {
      return yield* Effect.dieMessage(`the tick added no lock label (first label write: ${claim?.body})`)
    }
    const lastRead = entries
      .filter((e) => e.seq < claim.seq)
      .reduce((latest, e) => Math.max(latest, e.answeredAt ?? e.at), began)
    return {
      ready,
      firstClaim: claim.at - began,
      decided: claim.at - lastRead,
      wall: ticked.millis,
      requests: ticked.tally.tracker,
      decisions: World.decisions(ticked.report)
    }
  }))

export const program = Effect.gen(function*() {
  yield* measure(backlogs[0])
  const runs = yield* Effect.forEach(backlogs, measure)
  return {
    details: [
      `${repos} repos, every open issue ready (trusted), 3 slots, no latency; one tick each on a fresh world, after one unreported warm-up tick.`,
      "",
      Report.table(
        ["ready issues", "tick → first claim ms", "last read → first claim ms", "tick wall ms", "tracker", "decisions"],
        runs.map((r) => [r.ready, r.firstClaim, r.decided, r.wall, r.requests, r.decisions])
      )
    ],
    figures: runs.flatMap((r) => [
      Report.reported("P11", `${r.ready} ready issues: tick start → first claim`, r.firstClaim, "ms"),
      Report.reported("P11", `${r.ready} ready issues: last read → first claim`, r.decided, "ms")
    ])
  } satisfies Report.Outcome
})

Report.main("P11: time to the first claim over a large ready backlog", program)
