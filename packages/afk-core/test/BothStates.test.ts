/**
 * A tracker that lists a label's open and closed issues as one list (`listOpenAndClosedIssues`) is asked that
 * list for the lock label, once per repository and tick for both passes, in place of the two lists; the passes
 * decide what they decide with the two lists.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Tick from "../src/Tick.js"
import { type Service, Tracker } from "../src/Tracker.js"
import * as World from "./support/world.js"

const { app, armed, ready } = World

/** The world's tracker with the one list of both states, counting what the passes ask by label. */
const withBothStates = (tracker: Service) => {
  const asked: Array<string> = []
  const service: Service = {
    ...tracker,
    listOpenIssues: (repo, label) =>
      Effect.zipRight(Effect.sync(() => asked.push(`open ${label}`)), tracker.listOpenIssues(repo, label)),
    listClosedIssues: (repo, label) =>
      Effect.zipRight(Effect.sync(() => asked.push(`closed ${label}`)), tracker.listClosedIssues(repo, label)),
    listOpenAndClosedIssues: (repo, label) =>
      Effect.zipRight(
        Effect.sync(() => asked.push(`both ${label}`)),
        Effect.map(
          Effect.all([tracker.listOpenIssues(repo, label), tracker.listClosedIssues(repo, label)]),
          ([open, closed]) => [...open, ...closed]
        )
      )
  }
  return { service, asked }
}

describe("a tracker that lists both states at once", () => {
  it.effect("a tick asks the lock label's one list per repository for both passes; only the claim re-lists", () =>
    Effect.gen(function*() {
      const world = yield* World.make({
        issues: {
          [app]: [ready(1), { number: 2, title: "Locked, closed", state: "closed", labels: ["agent-in-progress"] }]
        }
      })
      const both = withBothStates(world.tracker.service)
      const tick = Effect.provide(Tick.run(armed()), Layer.merge(world.layer, Layer.succeed(Tracker, both.service)))
      const report = yield* tick
      const lock = armed().lockLabel
      // The one open-only read of the lock label is the claim's re-list, fresh after taking its lock.
      expect(both.asked.filter((ask) => ask.endsWith(lock))).toEqual([`both ${lock}`, `both ${lock}`, `open ${lock}`])
      expect(report.poll.decisions.find((d) => d.subject === `${app}#1`)?.action).toBe("dispatch")
      expect(world.tracker.issue(app, 1).labels).toContain(lock)
    }))

  it.effect("watch sees a closed issue still locked through the one list, as through the closed list", () =>
    Effect.gen(function*() {
      const decide = (useBoth: boolean) =>
        Effect.gen(function*() {
          const world = yield* World.make({ issues: { [app]: [ready(1)] } })
          yield* world.tick(armed())
          world.tracker.actAs("maintainer").close(app, 1)
          const both = withBothStates(world.tracker.service)
          const layer = useBoth ? Layer.merge(world.layer, Layer.succeed(Tracker, both.service)) : world.layer
          const report = yield* Effect.provide(Tick.run(armed()), layer)
          return report.watch.decisions.map((d) => `${d.subject} ${d.action}`)
        })
      const withOne = yield* decide(true)
      expect(withOne).toEqual(yield* decide(false))
      expect(withOne.some((line) => line.startsWith(`${app}#1`))).toBe(true)
    }))
})
