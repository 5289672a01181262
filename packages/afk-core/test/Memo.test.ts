import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Memo from "../src/Memo.js"

/** A read that counts its runs and fails the first `failures` of them. */
const counted = (failures: number) => {
  let runs = 0
  const read = Effect.suspend(() => {
    runs++
    return runs <= failures ? Effect.fail(`failure ${runs}`) : Effect.succeed(`value ${runs}`)
  })
  return { read, runs: () => runs }
}

/** A memo whose key "k" is being read by a forked first asker, the read held until `gate` opens. */
const started = (onFailure: Memo.OnFailure) =>
  Effect.gen(function*() {
    const memo = yield* Memo.make<string, string>(onFailure)
    const gate = yield* Deferred.make<void>()
    const { read, runs } = counted(0)
    const slow = Effect.zipRight(Deferred.await(gate), read)
    const first = yield* Effect.fork(memo.get("k", slow))
    yield* Effect.yieldNow()
    return { memo, gate, read, runs, slow, first }
  })

describe("Memo", () => {
  it.effect("concurrent and later asks for one key share one read", () =>
    Effect.gen(function*() {
      const memo = yield* Memo.make<string, string>("retry")
      const { read, runs } = counted(0)
      const all = yield* Effect.all([memo.get("k", read), memo.get("k", read), memo.get("k", read)], {
        concurrency: "unbounded"
      })
      expect(all).toEqual(["value 1", "value 1", "value 1"])
      expect(yield* memo.get("k", read)).toBe("value 1")
      expect(yield* memo.get("other", read)).toBe("value 2")
      expect(runs()).toBe(2)
    }))

  it.effect("remember: a failed read fails every later ask for its key without reading again", () =>
    Effect.gen(function*() {
      const memo = yield* Memo.make<string, string>("remember")
      const { read, runs } = counted(1)
      expect(yield* Effect.flip(memo.get("k", read))).toBe("failure 1")
      expect(yield* Effect.flip(memo.get("k", read))).toBe("failure 1")
      expect(runs()).toBe(1)
    }))

  it.effect("retry: a failed read is forgotten and the next ask reads again", () =>
    Effect.gen(function*() {
      const memo = yield* Memo.make<string, string>("retry")
      const { read, runs } = counted(1)
      expect(yield* Effect.flip(memo.get("k", read))).toBe("failure 1")
      expect(yield* memo.get("k", read)).toBe("value 2")
      expect(yield* memo.get("k", read)).toBe("value 2")
      expect(runs()).toBe(2)
    }))

  it.effect("forget drops only the keys it selects", () =>
    Effect.gen(function*() {
      const memo = yield* Memo.make<string, string>("remember")
      const { read, runs } = counted(0)
      yield* memo.get("a/1", read)
      yield* memo.get("b/1", read)
      yield* memo.forget((key) => key.startsWith("a/"))
      expect(yield* memo.get("a/1", read)).toBe("value 3")
      expect(yield* memo.get("b/1", read)).toBe("value 2")
      expect(runs()).toBe(3)
    }))

  it.effect("an interrupted read is not kept: waiters see the interruption, the next ask reads again", () =>
    Effect.gen(function*() {
      const { first, memo, read, runs, slow } = yield* started("remember")
      const waiter = yield* Effect.fork(memo.get("k", slow))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(first)
      expect(Exit.isInterrupted(yield* Fiber.await(waiter))).toBe(true)
      expect(yield* memo.get("k", read)).toBe("value 1")
      expect(runs()).toBe(1)
    }))

  it.effect("an asker interrupted while the read runs leaves alone: the read and the other askers go on", () =>
    Effect.gen(function*() {
      const { first, gate, memo, runs, slow } = yield* started("retry")
      const leaving = yield* Effect.fork(memo.get("k", slow))
      const staying = yield* Effect.fork(memo.get("k", slow))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(leaving)
      yield* Deferred.succeed(gate, undefined)
      expect(yield* Fiber.join(first)).toBe("value 1")
      expect(yield* Fiber.join(staying)).toBe("value 1")
      expect(Exit.isInterrupted(yield* Fiber.await(leaving))).toBe(true)
      expect(runs()).toBe(1)
    }))

  it.effect("a settled entry keeps the value, not the read", () =>
    Effect.gen(function*() {
      const memo = yield* Memo.make<string, string>("retry")
      const { read } = counted(0)
      yield* memo.get("k", read)
      const later = yield* memo.get("k", Effect.die("read again"))
      expect(later).toBe("value 1")
    }))

  it.effect("retry asks again only after a failure worth retrying; a refusal is kept for the pass", () =>
    Effect.gen(function*() {
      const memo = yield* Memo.make<string, string>("retry", (error) => error.startsWith("transient"))
      let runs = 0
      const read = (failure: string) => Effect.suspend(() => (runs++, Effect.fail(failure)))
      expect(yield* Effect.flip(memo.get("flaky", read("transient: timeout")))).toBe("transient: timeout")
      expect(yield* Effect.flip(memo.get("flaky", read("transient: 502")))).toBe("transient: 502")
      expect(runs).toBe(2)
      expect(yield* Effect.flip(memo.get("refused", read("401 Bad credentials")))).toBe("401 Bad credentials")
      expect(yield* Effect.flip(memo.get("refused", read("read again")))).toBe("401 Bad credentials")
      expect(runs).toBe(3)
    }))
})
