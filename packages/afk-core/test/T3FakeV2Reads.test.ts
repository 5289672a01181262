/**
 * The protocol-2 T3 fake's reads against `t3-protocol-v2.md` §5: the full and bounded thread reads, the
 * history page behind its cursor, the shell, `orchestration.getThreadProjection`, and the faults a client
 * must survive (an unreachable server, a 5xx, another client's race). One rule per test, its section in the name.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as T3Fake from "../src/testing/T3Fake.js"
import type { Json } from "./T3FakeV2Client.js"
import { bounded, call, connect, dispatch, http, messageDispatch, seeded, threadId } from "./T3FakeV2Client.js"

const list = (value: Json | undefined) => (value ?? []) as unknown as ReadonlyArray<Json>

/** Sends `turns` messages and lets each run finish before the next. */
const history = (fake: T3Fake.T3FakeV2, turns: number) =>
  Effect.gen(function*() {
    for (let step = 1; step <= turns; step++) {
      yield* dispatch(fake, messageDispatch(step))
      fake.advance(threadId)
      fake.advance(threadId)
    }
  })

describe("T3FakeV2: thread reads (§5.1, §5.2)", () => {
  it.scoped("§5.1 the full read is {snapshotSequence, projection} and nothing else", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      const answer = yield* http(fake, "GET", `/api/orchestration/threads/${threadId}`)
      expect(Object.keys(answer.json).sort()).toEqual(["projection", "snapshotSequence"])
      expect(answer.json.projection?.thread).toMatchObject({ id: threadId, historyOrigin: "native", deletedAt: null })
      expect(Object.keys(answer.json.projection ?? {})).toEqual(
        expect.arrayContaining([
          "runs",
          "attempts",
          "nodes",
          "runtimeRequests",
          "messages",
          "turnItems",
          "providerSessions"
        ])
      )
    }))

  it.scoped("§5.1 the bounded read windows the timeline to 10 user turns and keeps every run", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      yield* history(fake, 12)
      const answer = (yield* bounded(fake)).json
      const users = list(answer.projection?.turnItems).filter((i) => String(i.type) === "user_message")
      expect(users.map((i) => String(i.messageId))).toEqual(Array.from({ length: 10 }, (_, i) => `m-${i + 3}`))
      expect(list(answer.projection?.runs)).toHaveLength(12)
      expect(answer).toMatchObject({ hasMoreHistory: true, latestLocalTurnOrdinal: 12 })
      expect(String(answer.historyCursor)).not.toBe("null")
    }))

  it.scoped("§5.1 the history page before the cursor holds the older rows; a bad cursor is 400 invalid_history_cursor", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      yield* history(fake, 12)
      const cursor = String((yield* bounded(fake)).json.historyCursor)
      const page = (yield* http(fake, "GET", `/api/orchestration/threads/${threadId}/history?cursor=${cursor}`)).json
      const users = list(page.items).filter((i) => String(i.type) === "user_message")
      expect(users.map((i) => String(i.messageId))).toEqual(["m-1", "m-2"])
      expect(page).toMatchObject({ hasMoreHistory: false, nextCursor: null })
      const bad = yield* http(fake, "GET", `/api/orchestration/threads/${threadId}/history?cursor=bogus`)
      expect(bad.status).toBe(400)
      expect(bad.json).toMatchObject({ _tag: "EnvironmentRequestInvalidError", reason: "invalid_history_cursor" })
    }))

  it.scoped("§5.1 a short thread's bounded read has no history cursor", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      yield* history(fake, 1)
      expect((yield* bounded(fake)).json).toMatchObject({ historyCursor: null, hasMoreHistory: false })
    }))

  it.scoped("§5.4 row 2 a vanished thread is soft-deleted: the read still loads with deletedAt set", () =>
    Effect.gen(function*() {
      const fake = yield* seeded({ behaviour: () => T3Fake.vanish() })
      yield* dispatch(fake, messageDispatch(1))
      const answer = yield* bounded(fake)
      expect(answer.status).toBe(200)
      expect(String(answer.json.projection?.thread?.deletedAt)).not.toBe("null")
      expect(list((yield* http(fake, "GET", "/api/orchestration/shell")).json.threads)).toEqual([])
    }))

  it.scoped("§2.1/§6.1 a token without orchestration:read gets 403 insufficient_scope", () =>
    Effect.gen(function*() {
      const fake = yield* T3Fake.start({ protocol: 2, tokens: [{ token: "none", scopes: [] }] })
      const answer = yield* http(fake, "GET", "/api/orchestration/shell")
      expect(answer.status).toBe(403)
      expect(answer.json).toMatchObject({ code: "insufficient_scope", requiredScope: "orchestration:read" })
    }))
})

describe("T3FakeV2: the shell (§5.3)", () => {
  it.scoped("§5.3 the shell has schemaVersion, projects without deletedAt, and archivedThreads []", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      const shell = (yield* http(fake, "GET", "/api/orchestration/shell")).json
      expect(shell).toMatchObject({ schemaVersion: 2, archivedThreads: [] })
      expect("deletedAt" in (list(shell.projects)[0] ?? {})).toBe(false)
      expect(list(shell.threads)[0]).toMatchObject({ id: threadId, status: "idle", latestRunId: null })
    }))

  it.scoped("§5.3 a thread's shell carries the latest run's status and the last visible message", () =>
    Effect.gen(function*() {
      const fake = yield* seeded({ behaviour: () => T3Fake.complete("Fixed.", { afterPolls: 1 }) })
      yield* dispatch(fake, messageDispatch(1))
      fake.advance(threadId)
      const thread = list((yield* http(fake, "GET", "/api/orchestration/shell")).json.threads)[0]
      expect(thread).toMatchObject({ status: "completed", latestVisibleMessage: { role: "assistant", text: "Fixed." } })
    }))
})

describe("T3FakeV2: RPC reads (§3.6)", () => {
  it.scoped("§3.6 getThreadProjection answers a bare projection; an unknown thread is a typed Fail", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      const connection = yield* connect(fake)
      const found = yield* call(connection, "orchestration.getThreadProjection", { threadId })
      expect(found).toMatchObject({ _tag: "Success", value: { thread: { id: threadId } } })
      const missing = yield* call(connection, "orchestration.getThreadProjection", { threadId: "nope" })
      expect(missing.cause).toMatchObject([{
        _tag: "Fail",
        error: { _tag: "OrchestrationV2GetThreadProjectionError" }
      }])
    }))

  it.scoped("§3.2 an Interrupt ends a stream with an interrupt Exit", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      const connection = yield* connect(fake)
      connection.send({
        _tag: "Request",
        id: "s",
        tag: "orchestration.subscribeThread",
        payload: { threadId },
        headers: []
      })
      yield* connection.next()
      connection.send({ _tag: "Interrupt", requestId: "s" })
      expect(yield* connection.next()).toEqual({
        _tag: "Exit",
        requestId: "s",
        exit: { _tag: "Failure", cause: [{ _tag: "Interrupt" }] }
      })
    }))
})

describe("T3FakeV2: faults", () => {
  it.scoped("setUnreachable refuses HTTP and the upgrade alike", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      fake.setUnreachable(true)
      const failed = yield* Effect.promise(() =>
        fetch(`${fake.url}/.well-known/t3/environment`).then(() => "answered", () => "refused")
      )
      expect(failed).toBe("refused")
      fake.setUnreachable(false)
      expect((yield* bounded(fake)).status).toBe(200)
    }))

  it.scoped("failNext without a command type answers the next HTTP request with its status", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      fake.failNext(1, 503)
      expect((yield* bounded(fake)).status).toBe(503)
      expect((yield* bounded(fake)).status).toBe(200)
    }))

  it.scoped("raceNext applies another client's command just before ours", () =>
    Effect.gen(function*() {
      const fake = yield* seeded({ behaviour: () => T3Fake.hang })
      fake.raceNext("message.dispatch", messageDispatch(9))
      yield* dispatch(fake, messageDispatch(1))
      const runs = fake.threads()[0]?.runs ?? []
      expect(runs.map((r) => [r.userMessageId, r.status])).toEqual([["m-9", "starting"], ["m-1", "queued"]])
    }))
})
