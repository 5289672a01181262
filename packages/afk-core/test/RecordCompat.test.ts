/**
 * Run records already on issues were written while a run's outcome was text (`frozen: ` before a frozen
 * run's reason). Watch must finish such a run exactly as it finishes one written today.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Checklist from "../src/Checklist.js"
import * as RunRecord from "../src/RunRecord.js"
import * as MemoryCi from "../src/testing/MemoryCi.js"
import { Tracker, TrackerError } from "../src/Tracker.js"
import * as World from "./support/world.js"

const { app, armed, bot, ready } = World

describe("run records in the old text form", () => {
  it.effect("a frozen escalation stopped after its human label, its handover in the old form, ends frozen", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ issues: { [app]: [ready(1)] }, ci: MemoryCi.scripts.alwaysRed() })
      let failNextEdit = false
      let failed = 0
      world.tracker.afterWrite = (write) =>
        Effect.sync(() => {
          if (write.op === "addLabel" && write.detail === "ready-for-human") failNextEdit = true
        })
      world.tracker.hook = (op) =>
        Effect.suspend(() => {
          if (!failNextEdit || op !== "editComment") return Effect.void
          failNextEdit = false
          failed++
          return Effect.fail(new TrackerError({ operation: op, detail: "connection reset", transient: true }))
        })
      for (let i = 0; i < 30 && failed === 0; i++) yield* world.tick(armed())
      expect(failed).toBe(1)
      const run = world.tracker.comments(app, 1).find((c) => c.author === bot && Checklist.isChecklist(c.body))!
      const oldForm = run.body.replace(
        /"handover":\{"kind":"frozen","reason":"((?:[^"\\]|\\.)*)"\}/,
        (_, reason: string) => `"handover":"frozen: ${reason}"`
      )
      expect(oldForm).not.toBe(run.body)
      yield* Effect.provide(
        Effect.flatMap(Tracker, (tracker) => tracker.editComment(app, run.id, oldForm)),
        world.layer
      )

      yield* world.settle(armed())
      const final = Option.getOrThrow(RunRecord.latest(world.tracker.comments(app, 1), bot)).record
      expect(final.phase).toBe("escalated")
      expect(final.ending?.kind).toBe("frozen")
      expect(final.ending?.reason).toMatch(/so the run is frozen/)
      expect(final.handover).toBeUndefined()
      expect(world.notifier.sent.map((n) => n.kind)).toEqual(["frozen"])
      expect(world.tracker.comments(app, 1).find((c) => c.id === run.id)?.body).toContain("**Frozen:** CI is red")
    }))
})
