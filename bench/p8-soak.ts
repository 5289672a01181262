/**
 * `afk-cli serve` over a simulated day: the daemon's reconcile pass (a whole `Tick.run`, counted into serve's
 * metrics as the daemon counts it) every two minutes of virtual time — 720 passes — over 10 repositories where
 * a ready issue arrives every 20 minutes and runs to its end (green, red then green, frozen, no push). One
 * process on one set of adapters, as the daemon keeps them. The heap after a full garbage collection and the
 * RSS are taken after the first simulated hour and at the end of the day. The fakes (GitHub's issues, comments
 * and request log; T3's threads and request log) live in the same process and grow with the day, so the
 * figures are reported, not judged: `p7-serve.ts` judges the daemon's own memory in a process of its own.
 *
 * Run: npx vite-node --config bench/vite.config.ts bench/p8-soak.ts
 */
import { Domain } from "afk-core"
import * as Effect from "effect/Effect"
import * as TestContext from "effect/TestContext"
import * as v8 from "node:v8"
import * as vm from "node:vm"
import * as Metrics from "../packages/afk-cli/src/serve/Metrics.js"
import * as World from "../test/world/World.js"
import * as Report from "./report.js"

const repos = Array.from({ length: 10 }, (_, i) => Domain.repo(`acme/soak-${i + 1}`))
const passesPerDay = (24 * 60) / 2
const kinds = ["green", "redThenGreen", "green", "frozen", "green", "noPush"] as const

v8.setFlagsFromString("--expose-gc")
const collect = vm.runInNewContext("gc") as () => void

const memory = () => {
  collect()
  return { heap: v8.getHeapStatistics().used_heap_size / 2 ** 20, rss: process.memoryUsage().rss / 2 ** 20 }
}

const program = Effect.gen(function*() {
  const world = yield* World.make(World.reliability(repos))
  let arrived = 0
  let firstHour = memory()
  const began = performance.now()
  for (let pass = 1; pass <= passesPerDay; pass++) {
    if (pass % 10 === 1) {
      world.addIssue(repos[arrived % repos.length]!, kinds[arrived % kinds.length]!)
      arrived++
    }
    const ticked = yield* world.tick()
    yield* Metrics.record([ticked.report.watch, ticked.report.poll])
    if (pass === 30) firstHour = memory()
  }
  const end = memory()
  const rendered = yield* Metrics.render
  const closed = Number(/^afk_closed_total (\d+)/m.exec(rendered)?.[1] ?? 0)
  const escalated = Number(/^afk_escalated_total (\d+)/m.exec(rendered)?.[1] ?? 0)
  return {
    details: [
      `${passesPerDay} passes (a day at a 120 s reconcile) in ${((performance.now() - began) / 1000).toFixed(1)} s`,
      `${arrived} issues arrived; serve's metrics counted ${closed} closed and ${escalated} escalated`,
      `after the first hour: heap ${firstHour.heap.toFixed(1)} MB, RSS ${firstHour.rss.toFixed(1)} MB`,
      `at the end of the day: heap ${end.heap.toFixed(1)} MB, RSS ${end.rss.toFixed(1)} MB`
    ],
    figures: [
      Report.reported("S4", "serve soak, in process with the fakes: heap after a simulated day", end.heap, "MB"),
      Report.reported("S4", "serve soak, in process with the fakes: heap after its first hour", firstHour.heap, "MB"),
      Report.reported("S4", "serve soak: RSS at the end of a simulated day", end.rss, "MB")
    ]
  } satisfies Report.Outcome
}).pipe(Effect.provide(TestContext.TestContext))

Report.main("serve soak: a simulated day of reconcile passes", program)
