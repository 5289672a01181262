/**
 * A tracker that answers lists asked together with shared requests (`listsInBatches`, GitHub's GraphQL lists)
 * is asked many lists at once by a tick, so they share its queries; with `listsAtOnce` it is asked no more
 * than that many at a time, unless the tick's lists are no more than its `listsAllAtOnce`. Every list of 4,000
 * repositories asked at once kept all their reads alive together: a cold `afk-cli tick` peaked at 399 MB
 * against the 250 MB goal (218 MB bounded; bench/RESULTS.md).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { repo } from "../src/Domain.js"
import * as Tick from "../src/Tick.js"
import { type Service, Tracker } from "../src/Tracker.js"
import * as World from "./support/world.js"

const repos = Array.from({ length: 12 }, (_, i) => repo(`acme/service-${i + 1}`))

/** The world's tracker answering in batches, counting the lists in flight at once (each takes a few turns). */
const batching = (tracker: Service, listsAtOnce: number | undefined, listsAllAtOnce?: number) => {
  let inFlight = 0
  let most = 0
  const counted = <A, E>(list: Effect.Effect<A, E>) =>
    Effect.acquireUseRelease(
      Effect.sync(() => {
        inFlight++
        most = Math.max(most, inFlight)
      }),
      () => Effect.zipRight(Effect.repeatN(Effect.yieldNow(), 20), list),
      () => Effect.sync(() => inFlight--)
    )
  const service: Service = {
    ...tracker,
    listsInBatches: true,
    listsAtOnce,
    listsAllAtOnce,
    listOpenIssues: (r, label) => counted(tracker.listOpenIssues(r, label)),
    listClosedIssues: (r, label) => counted(tracker.listClosedIssues(r, label))
  }
  return { service, most: () => most }
}

const tickWith = (listsAtOnce: number | undefined, listsAllAtOnce?: number) =>
  Effect.gen(function*() {
    const world = yield* World.make({ issues: Object.fromEntries(repos.map((r) => [r, []])) })
    const tracker = batching(world.tracker.service, listsAtOnce, listsAllAtOnce)
    const config = World.armed({ allowlist: repos })
    const report = yield* Effect.provide(
      Tick.run(config),
      Layer.merge(world.layer, Layer.succeed(Tracker, tracker.service))
    )
    expect(report.failed).toBe(false)
    return tracker.most()
  })

describe("a tracker that answers lists in batches", () => {
  it.effect("is asked every list of a tick at once when it names no bound", () =>
    Effect.gen(function*() {
      // 12 repositories: the ready list and the lock label's open and closed lists of each.
      expect(yield* tickWith(undefined)).toBe(36)
    }))

  it.effect("is asked at most `listsAtOnce` lists at once by the tick, beside the watch pass's own reads", () =>
    Effect.gen(function*() {
      // The passes read through the same shared entries; the watch pass reaching a repository whose lock
      // lists the tick has not asked yet asks them itself (eight repositories at a time, two lists each), so
      // the most in flight is the bound plus those sixteen, against all 36 unbounded.
      const most = yield* tickWith(3)
      expect(most).toBeLessThanOrEqual(3 + 8 * 2)
      expect(most).toBeGreaterThanOrEqual(3)
    }))

  it.effect("is asked every list at once when they are no more than `listsAllAtOnce`, else `listsAtOnce`", () =>
    Effect.gen(function*() {
      // 36 lists: all at once up to a `listsAllAtOnce` of 36; from 35 down, the bound (3) holds again.
      expect(yield* tickWith(3, 36)).toBe(36)
      expect(yield* tickWith(3, 100)).toBe(36)
      for (const all of [35, 1]) expect(yield* tickWith(3, all)).toBeLessThanOrEqual(3 + 8 * 2)
    }))

  it.effect("takes no bound from a value that is not a positive whole number", () =>
    Effect.gen(function*() {
      for (const bound of [0, -4, 2.5, Number.NaN]) expect(yield* tickWith(bound)).toBe(36)
      // Nor a `listsAllAtOnce` that is not one: the bound holds.
      for (const all of [0, -36, 36.5, Number.NaN]) expect(yield* tickWith(3, all)).toBeLessThanOrEqual(3 + 8 * 2)
    }))
})
