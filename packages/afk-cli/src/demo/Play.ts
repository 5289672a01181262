/**
 * The demo's loop: ticks the demo world until nothing is in flight and a tick changes nothing (or
 * `maxTicks` pass), printing each decision, each checklist as it changes, every notification and a
 * summary. Loaded only when `demo` runs.
 */
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { Tick } from "../Core.js"
import * as Outcome from "../Outcome.js"
import type { Wiring } from "../Wiring.js"
import * as Show from "./Show.js"
import * as DemoWorld from "./World.js"

const maxTicks = 25

const rule = (title: string) => `── ${title} ${"─".repeat(Math.max(4, 60 - title.length))}`

/** Plays the demo; fails with exit code 1 if the world does not settle. */
export const play = (wiring: Wiring, t3Protocol: 1 | 2 = 1) =>
  Effect.gen(function*() {
    const started = yield* Clock.currentTimeMillis
    const world = yield* DemoWorld.make(wiring.http, wiring.webSocket, t3Protocol)
    const { tracker, config } = { tracker: world.tracker, config: DemoWorld.config }
    const seen = Show.seen()
    const shown = new Map<string, string>()
    yield* Console.log(
      [
        "AFK demo: an in-memory tracker with two repos, a T3 Code fake on 127.0.0.1 running a scripted agent",
        `(orchestration protocol ${t3Protocol}), a scripted CI (demo/lib's first push goes red) and notifications on`,
        "the console. Armed for this demo only.",
        ""
      ].join("\n")
    )
    let ticks = 0
    for (let n = 1; n <= maxTicks; n++) {
      ticks = n
      yield* Console.log(rule(`tick ${n}`))
      const writesBefore = tracker.writes.length
      const report = yield* Effect.provide(Tick.run(config), world.layer)
      const lines = [
        ...Show.decisions([report.watch, report.poll], seen),
        ...Show.checklists(tracker, world.issues, DemoWorld.bot, shown)
      ]
      yield* Console.log(lines.length === 0 ? "  (nothing new)" : lines.join("\n"))
      const inFlight = world.issues.some((ref) => tracker.issue(ref.repo, ref.number).labels.includes(config.lockLabel))
      if (!inFlight && tracker.writes.length === writesBefore) break
    }
    const elapsed = (yield* Clock.currentTimeMillis) - started
    const settled = ticks < maxTicks
    yield* Console.log(
      [
        rule("summary"),
        ...Show.summary(tracker, world.issues, seen),
        "",
        `  ${ticks} ticks in ${
          (elapsed / 1000).toFixed(1)
        } s; ${world.t3.threads().length} agent threads; ${tracker.writes.length} tracker writes.`,
        settled
          ? "  Nothing is in flight and the last tick changed nothing: the world has settled."
          : `  The world did not settle within ${maxTicks} ticks.`
      ].join("\n")
    )
    if (!settled) return yield* new Outcome.Failed({ code: 1 })
  }).pipe(Effect.scoped)
