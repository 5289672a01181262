/**
 * The protocol-2 T3 fake against `t3-protocol-v2.md`: the descriptor (§1), the header on orchestration
 * reads (§1.4), the retired protocol-1 routes (§5.1), tickets and the `/ws` upgrade (§2.3, §2.4), and the
 * Effect RPC frames (§3). One rule per test, its section in the name.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import * as T3Fake from "../src/testing/T3Fake.js"
import { call, connect, http, messageDispatch, mintTicket, seeded, threadId, upgrade } from "./T3FakeV2Client.js"

const start = (options: Omit<T3Fake.FakeOptionsV2, "protocol"> = {}) => T3Fake.start({ ...options, protocol: 2 })

describe("T3FakeV2: negotiation and HTTP", () => {
  it.scoped("§1.1 the descriptor reports orchestrationProtocolVersion 2 without a credential", () =>
    Effect.gen(function*() {
      const fake = yield* start()
      const answer = yield* http(fake, "GET", "/.well-known/t3/environment", { auth: null, header: false })
      expect(answer.status).toBe(200)
      expect(answer.json).toMatchObject({ environmentId: fake.environmentId, orchestrationProtocolVersion: 2 })
      expect(answer.json.serverVersion).toMatch(/^0\.0\.46/)
    }))

  it.scoped("§1.2/§8 the descriptor can report 1, 3 or no version (missing means protocol 1)", () =>
    Effect.gen(function*() {
      const absent = yield* start({ protocolVersionReported: "absent" })
      const read = (fake: T3Fake.T3FakeV2) => http(fake, "GET", "/.well-known/t3/environment", { auth: null })
      expect("orchestrationProtocolVersion" in (yield* read(absent)).json).toBe(false)
      const three = yield* start({ protocolVersionReported: 3 })
      expect((yield* read(three)).json.orchestrationProtocolVersion).toBe(3)
      three.reportProtocol(1)
      expect((yield* read(three)).json.orchestrationProtocolVersion).toBe(1)
    }))

  it.scoped("§1.2/§8 the protocol-1 fake omits the version by default and can report 1 or 2", () =>
    Effect.gen(function*() {
      const read = (url: string) =>
        Effect.promise(() => fetch(`${url}/.well-known/t3/environment`).then((r) => r.json() as Promise<object>))
      const old = yield* T3Fake.start()
      expect("orchestrationProtocolVersion" in (yield* read(old.url))).toBe(false)
      const one = yield* T3Fake.start({ protocolVersionReported: 1 })
      expect(yield* read(one.url)).toMatchObject({ orchestrationProtocolVersion: 1 })
      const drifted = yield* T3Fake.start({ protocolVersionReported: 2 })
      expect(yield* read(drifted.url)).toMatchObject({ orchestrationProtocolVersion: 2 })
    }))

  it.scoped("§1.4/§8 an orchestration read without x-t3-orchestration-protocol: 2 is 400 with an empty body", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      for (const path of ["/api/orchestration/shell", `/api/orchestration/threads/${threadId}/bounded`]) {
        const answer = yield* http(fake, "GET", path, { header: false })
        expect([answer.status, answer.text]).toEqual([400, ""])
        expect((yield* http(fake, "GET", path)).status).toBe(200)
      }
    }))

  it.scoped("§1.4 the header must say exactly 2", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      const answer = yield* Effect.promise(() =>
        fetch(`${fake.url}/api/orchestration/threads/${threadId}`, {
          headers: { authorization: `Bearer ${fake.token()}`, "x-t3-orchestration-protocol": "1" }
        })
      )
      expect(answer.status).toBe(400)
    }))

  it.scoped("§5.1/§8 the projects routes do not need the protocol header", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      const answer = yield* http(fake, "GET", "/api/projects", { header: false })
      expect(answer.status).toBe(200)
      expect(answer.json.projects).toHaveLength(1)
    }))

  it.scoped("§5.1/§8 GET /api/orchestration/snapshot is the web app's page: 200 text/html", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      const answer = yield* http(fake, "GET", "/api/orchestration/snapshot")
      expect(answer.status).toBe(200)
      expect(answer.type).toMatch(/^text\/html/)
    }))

  it.scoped("§5.1/§8 POST /api/orchestration/dispatch is 404 and applies nothing", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      const answer = yield* http(fake, "POST", "/api/orchestration/dispatch", { body: messageDispatch(1) })
      expect(answer.status).toBe(404)
      expect(fake.threads()[0]?.runs).toEqual([])
    }))

  it.scoped("§2.1/§8 the bearer scheme is case-sensitive; a bad bearer is 401 EnvironmentAuthInvalidError", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      const lower = yield* http(fake, "GET", "/api/projects", { auth: `bearer ${fake.token()}` })
      expect(lower.status).toBe(401)
      const wrong = yield* http(fake, "GET", `/api/orchestration/threads/${threadId}`, { auth: "Bearer nope" })
      expect(wrong.status).toBe(401)
      expect(wrong.json).toMatchObject({ _tag: "EnvironmentAuthInvalidError", reason: "invalid_credential" })
    }))

  it.scoped("§5.4 row 1/§6.1 an unknown thread is 404 thread_not_found", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      const answer = yield* http(fake, "GET", "/api/orchestration/threads/nope/bounded")
      expect(answer.status).toBe(404)
      expect(answer.json).toMatchObject({ _tag: "EnvironmentResourceNotFoundError", reason: "thread_not_found" })
    }))
})

describe("T3FakeV2: tickets and the /ws upgrade", () => {
  it.scoped("§2.3 a ticket is {ticket, expiresAt} for a bearer, 401 without one", () =>
    Effect.gen(function*() {
      const fake = yield* start()
      const minted = yield* http(fake, "POST", "/api/auth/websocket-ticket", { header: false })
      expect(minted.status).toBe(200)
      expect(typeof minted.json.ticket).toBe("string")
      expect(Date.parse(String(minted.json.expiresAt))).toBeGreaterThan(0)
      const refused = yield* http(fake, "POST", "/api/auth/websocket-ticket", { auth: null })
      expect(refused.status).toBe(401)
    }))

  it.scoped("§2.4/§8 /ws without orchestrationProtocol=2 is 426 with T3's body, and the ticket is not spent", () =>
    Effect.gen(function*() {
      const fake = yield* start()
      const ticket = yield* mintTicket(fake)
      for (const query of [`wsTicket=${ticket}`, `wsTicket=${ticket}&orchestrationProtocol=1`]) {
        const refused = yield* upgrade(fake, query)
        expect(refused).toEqual({
          _tag: "Refused",
          status: 426,
          body: {
            code: "orchestration_protocol_incompatible",
            message: "Update this client to one that supports orchestration protocol 2.",
            orchestrationProtocolVersion: 2
          }
        })
      }
      const opened = yield* upgrade(fake, `wsTicket=${ticket}&orchestrationProtocol=2`)
      expect(opened._tag).toBe("Open")
    }))

  it.scoped("§2.4/§8 a bad or missing ticket is 401 EnvironmentAuthInvalidError", () =>
    Effect.gen(function*() {
      const fake = yield* start()
      const bad = yield* upgrade(fake, "wsTicket=forged&orchestrationProtocol=2")
      expect(bad).toMatchObject({ _tag: "Refused", status: 401, body: { _tag: "EnvironmentAuthInvalidError" } })
      const none = yield* upgrade(fake, "orchestrationProtocol=2")
      expect(none).toMatchObject({ status: 401, body: { reason: "missing_credential" } })
    }))

  it.scoped("§8 a ticket is spent on use: the second upgrade with it is 401", () =>
    Effect.gen(function*() {
      const fake = yield* start()
      const ticket = yield* mintTicket(fake)
      const query = `wsTicket=${ticket}&orchestrationProtocol=2`
      expect((yield* upgrade(fake, query))._tag).toBe("Open")
      expect(yield* upgrade(fake, query)).toMatchObject({ _tag: "Refused", status: 401 })
    }))

  it.scoped("§8 a ticket expires after its TTL", () =>
    Effect.gen(function*() {
      const fake = yield* start({ ticketTtlMillis: 5_000 })
      const ticket = yield* mintTicket(fake)
      yield* TestClock.adjust("5 seconds")
      expect(yield* upgrade(fake, `wsTicket=${ticket}&orchestrationProtocol=2`)).toMatchObject({ status: 401 })
    }))

  it.scoped("§2.3 a ticket minted before the token was rotated is refused", () =>
    Effect.gen(function*() {
      const fake = yield* start()
      const ticket = yield* mintTicket(fake)
      fake.rotateToken("rotated")
      expect(yield* upgrade(fake, `wsTicket=${ticket}&orchestrationProtocol=2`)).toMatchObject({ status: 401 })
    }))

  it.scoped("§8 the request log never keeps the bearer or the ticket", () =>
    Effect.gen(function*() {
      const fake = yield* start()
      const ticket = yield* mintTicket(fake)
      yield* upgrade(fake, `wsTicket=${ticket}&orchestrationProtocol=2`)
      const logged = JSON.stringify(fake.requests())
      expect(logged).not.toContain(fake.token())
      expect(logged).not.toContain(ticket)
      expect(logged).toContain("wsTicket=<redacted>")
    }))
})

describe("T3FakeV2: RPC frames (§3)", () => {
  it.scoped("§3.2/§8 a Request without payload gets a Die Exit; the socket stays open", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      const connection = yield* connect(fake)
      connection.send({ _tag: "Request", id: "1", tag: "server.getConfig", headers: [] })
      const exit = yield* connection.next()
      expect(exit).toMatchObject({ _tag: "Exit", requestId: "1", exit: { _tag: "Failure" } })
      expect(exit.exit?.cause).toHaveLength(1)
      expect(exit.exit?.cause?.[0]?._tag).toBe("Die")
      expect((yield* call(connection, "server.getConfig", {}))._tag).toBe("Success")
    }))

  it.scoped("§3.2/§8 a Request without headers gets a Die Exit", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      const connection = yield* connect(fake)
      connection.send({ _tag: "Request", id: "7", tag: "server.getConfig", payload: {} })
      const exit = yield* connection.next()
      expect(exit).toMatchObject({ requestId: "7", exit: { _tag: "Failure", cause: [{ _tag: "Die" }] } })
    }))

  it.scoped("§3.3/§8 an unknown tag gets Die \"Unknown request tag: <tag>\" as a flat cause array", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      const connection = yield* connect(fake)
      const exit = yield* call(connection, "orchestration.dispatch", {})
      expect(exit).toEqual({
        _tag: "Failure",
        cause: [{ _tag: "Die", defect: "Unknown request tag: orchestration.dispatch" }]
      })
    }))

  it.scoped("§3.3 a payload that does not decode is a Die with the schema issue, not a Fail", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      const connection = yield* connect(fake)
      const exit = yield* call(
        connection,
        "orchestration.dispatchCommand",
        messageDispatch(1, { attachments: undefined })
      )
      expect(exit.cause?.[0]?._tag).toBe("Die")
      expect(exit.cause?.[0]?.defect).toContain("attachments")
      expect(fake.threads()[0]?.runs).toEqual([])
    }))

  it.scoped("§3.3 a frame that is not JSON is a connection-level Defect", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      const connection = yield* connect(fake)
      connection.send("{not json")
      expect((yield* connection.next())._tag).toBe("Defect")
    }))

  it.scoped("§3.2 a request id that is neither string nor number is a connection-level Defect", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      const connection = yield* connect(fake)
      connection.send({ _tag: "Request", id: { n: 1 }, tag: "server.getConfig", payload: {}, headers: [] })
      expect(yield* connection.next()).toEqual({ _tag: "Defect", defect: "Invalid request id" })
    }))

  it.scoped("§5.5 a stream resumed with afterSequence replays the missed events instead of a snapshot", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      const before = Number((yield* http(fake, "GET", `/api/orchestration/threads/${threadId}`)).json.snapshotSequence)
      yield* call(yield* connect(fake), "orchestration.dispatchCommand", messageDispatch(1))
      const connection = yield* connect(fake)
      const payload = { threadId, afterSequence: before }
      connection.send({ _tag: "Request", id: "r", tag: "orchestration.subscribeThread", payload, headers: [] })
      const first = yield* connection.next()
      expect(first).toMatchObject({ values: [{ kind: "event", sequence: before + 1, event: { type: "run.created" } }] })
    }))

  it.scoped("§3.1 one frame may hold an array of messages", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      const connection = yield* connect(fake)
      connection.send([{ _tag: "Ping" }, {
        _tag: "Request",
        id: "a",
        tag: "server.getConfig",
        payload: {},
        headers: []
      }])
      expect(yield* connection.next()).toEqual({ _tag: "Pong" })
      expect(yield* connection.next()).toMatchObject({ _tag: "Exit", requestId: "a", exit: { _tag: "Success" } })
    }))

  it.scoped("§3.5/§8 Ping gets Pong", () =>
    Effect.gen(function*() {
      const fake = yield* start()
      const connection = yield* connect(fake)
      connection.send({ _tag: "Ping" })
      expect(yield* connection.next()).toEqual({ _tag: "Pong" })
    }))

  it.scoped("§3.4/§8 a stream writes its next Chunk only after an Ack", () =>
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
      const first = yield* connection.next()
      expect(first).toMatchObject({ _tag: "Chunk", requestId: "s", values: [{ kind: "snapshot" }] })
      expect(yield* Effect.flip(connection.next(300))).toBe("no frame")
      connection.send({ _tag: "Ack", requestId: "s" })
      expect(yield* connection.next()).toMatchObject({ _tag: "Chunk", values: [{ kind: "synchronized" }] })
    }))

  it.scoped("§5.5 a stream carries the events of the thread after synchronized", () =>
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
      connection.send({ _tag: "Ack", requestId: "s" })
      yield* connection.next()
      connection.send({ _tag: "Ack", requestId: "s" })
      const other = yield* connect(fake)
      expect((yield* call(other, "orchestration.dispatchCommand", messageDispatch(1)))._tag).toBe("Success")
      const event = yield* connection.next()
      expect(event).toMatchObject({ _tag: "Chunk", values: [{ kind: "event", event: { type: "run.created" } }] })
    }))

  it.scoped("§2.1/§6.2 a read-only token gets EnvironmentAuthorizationError for a command", () =>
    Effect.gen(function*() {
      const fake = yield* start({ tokens: [{ token: "reader", scopes: ["orchestration:read"] }] })
      const connection = yield* connect(fake)
      const exit = yield* call(connection, "orchestration.dispatchCommand", messageDispatch(1))
      expect(exit.cause).toEqual([
        {
          _tag: "Fail",
          error: {
            _tag: "EnvironmentAuthorizationError",
            message: expect.any(String),
            requiredScope: "orchestration:operate"
          }
        }
      ])
    }))

  it.scoped("§8 frames() logs every frame in and out", () =>
    Effect.gen(function*() {
      const fake = yield* start()
      const connection = yield* connect(fake)
      connection.send({ _tag: "Ping" })
      yield* connection.next()
      expect(fake.frames()).toEqual([
        { connection: 1, direction: "in", frame: { _tag: "Ping" } },
        { connection: 1, direction: "out", frame: { _tag: "Pong" } }
      ])
    }))
})
