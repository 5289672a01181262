/**
 * Protocol 1's scripts on the protocol-2 fake: each ends a run the way `t3-protocol-v2.md` §5.4 says a
 * protocol-2 server shows that outcome, so a scenario written for protocol 1 runs on either. Also the
 * project faults over HTTP.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as T3Fake from "../src/testing/T3Fake.js"
import type { Json } from "./T3FakeV2Client.js"
import { bounded, dispatch, http, messageDispatch, projectCreate, seeded, threadId } from "./T3FakeV2Client.js"

const runOf = (answer: { readonly json: Json }) => answer.json.projection?.runs?.[0]

const after = (script: T3Fake.Script, polls: number) =>
  Effect.gen(function*() {
    const fake = yield* seeded({ behaviour: () => script })
    yield* dispatch(fake, messageDispatch(1))
    for (let i = 1; i < polls; i++) fake.advance(threadId)
    return yield* bounded(fake)
  })

describe("T3FakeV2: protocol 1's scripts as runs (§5.4)", () => {
  it.scoped("§5.4 row 7 fail at start: failed before it ran, with the root error item", () =>
    Effect.gen(function*() {
      const answer = yield* after(T3Fake.fail("spawn claude ENOENT", { at: "start" }), 1)
      expect(runOf(answer)).toMatchObject({ status: "failed", startedAt: null })
      expect(answer.json.projection?.turnItems).toMatchObject([
        { type: "user_message" },
        { type: "error", failure: { message: "spawn claude ENOENT" } }
      ])
    }))

  it.scoped("§5.4 row 8 interrupt: the provider ends the run interrupted with a run_interrupt_result", () =>
    Effect.gen(function*() {
      const answer = yield* after(T3Fake.interrupt(), 1)
      expect(runOf(answer)?.status).toBe("interrupted")
      expect(answer.json.projection?.turnItems).toMatchObject([{ type: "user_message" }, {
        type: "run_interrupt_result"
      }])
    }))

  it.scoped("§5.4 row 9 stop: the run is cancelled before it starts", () =>
    Effect.gen(function*() {
      expect(runOf(yield* after(T3Fake.stop, 1))?.status).toBe("cancelled")
    }))

  it.scoped("§5.4 row 13 queue: the server never picks the run up; it stays starting", () =>
    Effect.gen(function*() {
      expect(runOf(yield* after(T3Fake.queue, 5))?.status).toBe("starting")
    }))

  it.scoped("§5.4 row 11 block on approval: a pending command request and an approval_request item", () =>
    Effect.gen(function*() {
      const answer = yield* after(T3Fake.block("approval"), 3)
      expect(runOf(answer)?.status).toBe("running")
      expect(answer.json.projection?.runtimeRequests).toMatchObject([{ kind: "command", status: "pending" }])
    }))

  it.scoped("complete after n polls: running until then", () =>
    Effect.gen(function*() {
      expect(runOf(yield* after(T3Fake.complete("ok", { afterPolls: 3 }), 2))?.status).toBe("running")
      expect(runOf(yield* after(T3Fake.complete("ok", { afterPolls: 3 }), 3))?.status).toBe("waiting")
    }))

  it.scoped("interruptAckPolls 0: run.interrupt ends the run at once", () =>
    Effect.gen(function*() {
      const fake = yield* seeded({ behaviour: () => T3Fake.hang, interruptAckPolls: 0 })
      yield* dispatch(fake, messageDispatch(1))
      fake.advance(threadId)
      const runId = fake.threads()[0]?.runs[0]?.id
      yield* dispatch(fake, { type: "run.interrupt", commandId: "c-int", threadId, runId })
      expect(fake.threads()[0]?.runs[0]?.status).toBe("interrupted")
    }))
})

describe("T3FakeV2: project faults over HTTP", () => {
  it.scoped("failNext for project.create answers the mutation with its status, unprocessed", () =>
    Effect.gen(function*() {
      const fake = yield* T3Fake.start({ protocol: 2 })
      fake.failNext(1, 503, "project.create")
      expect((yield* http(fake, "GET", "/api/projects")).status).toBe(200)
      expect((yield* http(fake, "POST", "/api/projects/mutate", { body: projectCreate() })).status).toBe(503)
      expect(fake.projects()).toEqual([])
    }))

  it.scoped("dropResponseOnce for project.create applies it, then cuts the connection", () =>
    Effect.gen(function*() {
      const fake = yield* T3Fake.start({ protocol: 2 })
      fake.dropResponseOnce("project.create")
      const dropped = yield* Effect.promise(() =>
        fetch(`${fake.url}/api/projects/mutate`, {
          method: "POST",
          headers: { authorization: `Bearer ${fake.token()}`, "content-type": "application/json" },
          body: JSON.stringify(projectCreate())
        }).then(() => "answered", () => "cut")
      )
      expect(dropped).toBe("cut")
      expect(fake.projects()).toHaveLength(1)
    }))
})
