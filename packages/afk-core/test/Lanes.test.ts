import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Lanes from "../src/Lanes.js"

/** An effect that records when it starts and then holds its lane until `done` is completed. */
const holder = (name: string, started: Array<string>) =>
  Effect.map(Deferred.make<void>(), (done) => ({
    done,
    effect: Effect.zipRight(Effect.sync(() => started.push(name)), Deferred.await(done))
  }))

/** Lets every forked fiber run as far as it can. */
const settle = Effect.repeatN(Effect.yieldNow(), 20)

/** Every lane free again and nobody in line. */
const allFree = (lanes: Lanes.Lanes, count: number) =>
  Effect.gen(function*() {
    expect(yield* lanes.free).toBe(count)
    expect(yield* lanes.waiting).toBe(0)
  })

describe("Lanes", () => {
  it.effect("at most the given number run at once; the others wait", () =>
    Effect.gen(function*() {
      const lanes = yield* Lanes.make(2)
      const started: Array<string> = []
      const holders = yield* Effect.forEach(["a", "b", "c", "d"], (name) => holder(name, started))
      const fibers = yield* Effect.forEach(holders, (h) => Effect.fork(lanes.withLane(h.effect)))
      yield* settle
      expect(started).toEqual(["a", "b"])
      expect(yield* lanes.free).toBe(0)
      expect(yield* lanes.waiting).toBe(2)
      for (const h of holders) yield* Deferred.succeed(h.done, undefined)
      yield* Effect.forEach(fibers, Fiber.join)
      expect(started).toEqual(["a", "b", "c", "d"])
      yield* allFree(lanes, 2)
    }))

  it.effect("a lane set free goes to the longest waiter: a newcomer never overtakes the line", () =>
    Effect.gen(function*() {
      const lanes = yield* Lanes.make(1)
      const started: Array<string> = []
      const [a, b, c, d] = yield* Effect.forEach(["a", "b", "c", "d"], (name) => holder(name, started))
      const fa = yield* Effect.fork(lanes.withLane(a!.effect))
      yield* settle
      const fb = yield* Effect.fork(lanes.withLane(b!.effect))
      yield* settle
      const fc = yield* Effect.fork(lanes.withLane(c!.effect))
      yield* settle
      // `a` ends and `d` asks in the same step: the lane is already `b`'s.
      yield* Deferred.succeed(a!.done, undefined)
      const fd = yield* Effect.fork(lanes.withLane(d!.effect))
      yield* settle
      expect(started).toEqual(["a", "b"])
      for (const h of [b, c, d]) {
        yield* Deferred.succeed(h!.done, undefined)
        yield* settle
      }
      yield* Effect.forEach([fa, fb, fc, fd], Fiber.join)
      expect(started).toEqual(["a", "b", "c", "d"])
    }))

  it.effect("the lane is given back however the effect ends: success, failure, defect, interruption", () =>
    Effect.gen(function*() {
      const lanes = yield* Lanes.make(1)
      expect(yield* lanes.withLane(Effect.succeed(1))).toBe(1)
      expect(yield* Effect.flip(lanes.withLane(Effect.fail("no")))).toBe("no")
      expect(Exit.isFailure(yield* Effect.exit(lanes.withLane(Effect.die("boom"))))).toBe(true)
      const running = yield* Effect.fork(lanes.withLane(Effect.never))
      yield* settle
      expect(yield* lanes.free).toBe(0)
      yield* Fiber.interrupt(running)
      expect(yield* lanes.free).toBe(1)
      expect(yield* lanes.withLane(Effect.succeed("still usable"))).toBe("still usable")
    }))

  it.effect("a waiter interrupted in line leaves it; one interrupted as the lane reaches it passes the lane on", () =>
    Effect.gen(function*() {
      const lanes = yield* Lanes.make(1)
      const started: Array<string> = []
      const [b, c, d] = yield* Effect.forEach(["b", "c", "d"], (name) => holder(name, started))
      const [fb, fd] = yield* lanes.withLane(Effect.gen(function*() {
        const fb = yield* Effect.fork(lanes.withLane(b!.effect))
        const fc = yield* Effect.fork(lanes.withLane(c!.effect))
        const fd = yield* Effect.fork(lanes.withLane(d!.effect))
        yield* settle
        expect(yield* lanes.waiting).toBe(3)
        // `c`, in the middle of the line, is interrupted: it leaves the line.
        yield* Fiber.interrupt(fc)
        expect(yield* lanes.waiting).toBe(2)
        // `b`, first in line, is told to stop now, and the lane is handed to it as this effect ends, before `b`
        // runs again: the lane must go on to `d`, not be lost with `b`.
        yield* Fiber.interruptFork(fb)
        return [fb, fd] as const
      }))
      yield* settle
      expect(started).toEqual(["d"])
      yield* Deferred.succeed(d!.done, undefined)
      yield* Fiber.join(fd)
      expect(Exit.isInterrupted(yield* Fiber.await(fb))).toBe(true)
      yield* allFree(lanes, 1)
    }))

  it.effect("a long line is served in order without keeping the served ones", () =>
    Effect.gen(function*() {
      const lanes = yield* Lanes.make(3)
      const order: Array<number> = []
      yield* Effect.forEach(
        Array.from({ length: 2000 }, (_, n) => n),
        (n) => lanes.withLane(Effect.zipRight(Effect.sync(() => order.push(n)), Effect.yieldNow())),
        { concurrency: "unbounded", discard: true }
      )
      expect(order).toEqual(Array.from({ length: 2000 }, (_, n) => n))
      yield* allFree(lanes, 3)
    }))

  it("refuses a number of lanes that is not a whole number of at least 1", () => {
    for (const count of [0, -1, 1.5, Number.NaN]) {
      expect(() => Effect.runSync(Lanes.make(count))).toThrow(/whole number of at least 1/)
    }
  })
})

describe("Lanes.forEach", () => {
  /** Runs `forEach` over `count` items on `lanes`, each yielding a few times; what ran, how, and on which fibers. */
  const traced = (count: number, lanes: number) =>
    Effect.gen(function*() {
      const started: Array<number> = []
      const fibers = new Set<string>()
      let running = 0
      let most = 0
      yield* Lanes.forEach(Array.from({ length: count }, (_, i) => i), lanes, (item) =>
        Effect.gen(function*() {
          started.push(item)
          fibers.add(FiberId.threadName(yield* Effect.fiberId))
          running++
          most = Math.max(most, running)
          yield* Effect.yieldNow()
          yield* Effect.yieldNow()
          running--
        }))
      return { started, fibers: fibers.size, most, running }
    })

  it.effect("runs at most the given number at once, started in the items' order, each item once", () =>
    Effect.gen(function*() {
      const { most, running, started } = yield* traced(10, 3)
      expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
      expect(most).toBe(3)
      expect(running).toBe(0)
    }))

  it.effect("runs on as many fibers as lanes, or items if fewer; nothing to do is done at once", () =>
    Effect.gen(function*() {
      expect((yield* traced(50, 4)).fibers).toBe(4)
      expect((yield* traced(2, 8)).fibers).toBe(2)
      expect((yield* traced(5, 1)).fibers).toBe(1)
      expect(yield* traced(0, 8)).toEqual({ started: [], fibers: 0, most: 0, running: 0 })
    }))

  it.effect("the first failure fails the whole and interrupts the items still running; no later one starts", () =>
    Effect.gen(function*() {
      const started: Array<number> = []
      const interrupted: Array<number> = []
      const never = yield* Deferred.make<void>()
      const exit = yield* Effect.exit(
        Lanes.forEach([0, 1, 2, 3, 4], 2, (item) =>
          Effect.zipRight(
            Effect.sync(() => started.push(item)),
            item === 1
              ? Effect.fail(`item ${item} failed`)
              : Effect.onInterrupt(Deferred.await(never), () => Effect.sync(() => interrupted.push(item)))
          ))
      )
      expect(Exit.isFailure(exit) && Cause.failures(exit.cause)).toEqual(Chunk.make("item 1 failed"))
      expect(started).toEqual([0, 1])
      expect(interrupted).toEqual([0])
    }))
})
