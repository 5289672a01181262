import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as AgentRuntime from "../src/AgentRuntime.js"
import { IssueRef, repo, TurnStatus } from "../src/Domain.js"

/** What the made runtime was asked, by method, and a service that records into it. */
const recording = () => {
  const calls: Array<string> = []
  const service = AgentRuntime.AgentRuntime.of({
    dispatch: (request) => Effect.sync(() => void calls.push(`dispatch ${request.runId}`)),
    prepare: (request) => Effect.sync(() => void calls.push(`prepare ${request.runId}`)),
    followUp: (request) => Effect.sync(() => void calls.push(`followUp ${request.step}`)),
    status: (threadId) =>
      Effect.sync(() => {
        calls.push(`status ${threadId}`)
        return new TurnStatus({ state: "running" })
      }),
    interrupt: (runId) => Effect.sync(() => (calls.push(`interrupt ${runId}`), "settled" as const)),
    release: (request) => Effect.sync(() => (calls.push(`release ${request.runId}`), "released" as const)),
    threadUrl: (threadId) => Effect.sync(() => (calls.push(`threadUrl ${threadId}`), `https://t3.test/${threadId}`))
  })
  return { calls, service }
}

/** A context value `make` reads, to show it runs with the context `lazy` was run in. */
class Origin extends Context.Tag("test/Origin")<Origin, string>() {}

const issue = new IssueRef({ repo: repo("org/app"), number: 7 })

describe("AgentRuntime.lazy", () => {
  it.effect("makes nothing until a method runs, then makes once for every later and concurrent call", () =>
    Effect.gen(function*() {
      const { calls, service } = recording()
      let made = 0
      const runtime = yield* AgentRuntime.lazy(
        Effect.flatMap(Origin, (origin) =>
          Effect.sync(() => {
            made++
            calls.push(`made in ${origin}`)
            return service
          }))
      ).pipe(Effect.provideService(Origin, "the layer"))
      expect(made).toBe(0)
      yield* Effect.all([
        runtime.prepare!({ runId: "r1", issue }),
        runtime.status("t1"),
        runtime.threadUrl("t1")
      ], { concurrency: "unbounded" })
      yield* runtime.dispatch({ runId: "r1", threadId: "t1", issue, title: "T", prompt: "P" })
      yield* runtime.followUp({ runId: "r1", threadId: "t1", step: "ci", text: "red" })
      expect(yield* runtime.interrupt("r1", "t1")).toBe("settled")
      expect(yield* runtime.release({ runId: "r1", threadId: "t1", archive: false })).toBe("released")
      expect(made).toBe(1)
      expect(calls[0]).toBe("made in the layer")
      expect([...calls.slice(1, 4)].sort()).toEqual(["prepare r1", "status t1", "threadUrl t1"])
      expect(calls.slice(4)).toEqual(["dispatch r1", "followUp ci", "interrupt r1", "release r1"])
    }))

  it.effect("a runtime without `prepare` is prepared as a no-op", () =>
    Effect.gen(function*() {
      const { calls, service } = recording()
      const { prepare: _, ...withoutPrepare } = service
      const runtime = yield* AgentRuntime.lazy(Effect.succeed(withoutPrepare))
      yield* runtime.prepare!({ runId: "r1", issue })
      expect(calls).toEqual([])
    }))

  it.effect("a first caller interrupted while the runtime is being made leaves it made for the next", () =>
    Effect.gen(function*() {
      const { calls, service } = recording()
      const started = yield* Deferred.make<void>()
      const gate = yield* Deferred.make<void>()
      let made = 0
      const runtime = yield* AgentRuntime.lazy(Effect.gen(function*() {
        made++
        yield* Deferred.succeed(started, undefined)
        yield* Deferred.await(gate)
        return service
      }))
      // A claim's `prepare`, forked and interrupted when the claim yields.
      const first = yield* Effect.fork(runtime.prepare!({ runId: "r1", issue }))
      yield* Deferred.await(started)
      const interrupting = yield* Effect.fork(Fiber.interrupt(first))
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(interrupting)
      yield* runtime.dispatch({ runId: "r2", threadId: "t2", issue, title: "T", prompt: "P" })
      expect(made).toBe(1)
      expect(calls).toEqual(["dispatch r2"])
    }))
})
