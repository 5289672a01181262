/**
 * The T3 fake is as strict as the real server (`t3-protocol.md` §3.8): malformed commands get the real
 * status codes, `commandId` is idempotent, rule violations are 500s, auth is checked with scopes, and
 * the read endpoints have the documented shapes. Raw `fetch` over loopback, so nothing of the client is
 * trusted here (prior-art §8.1: a lenient fake hid a wrong wire shape).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as T3Wire from "../src/T3Wire.js"
import * as T3Fake from "../src/testing/T3Fake.js"
import {
  dispatch,
  getThread,
  projectCreate,
  projectId,
  request,
  seeded,
  threadCreate,
  threadId,
  turnStart
} from "./support/t3requests.js"

describe("T3Fake: the command contract", () => {
  it.scoped("§8.1 accepts the spec's examples verbatim; thread.turn.start moves the sequence by 2", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      const created = yield* getThread(fake)
      expect(created.status).toBe(200)
      const answer = yield* dispatch(fake, turnStart())
      expect(answer.status).toBe(200)
      const { sequence } = Schema.decodeUnknownSync(T3Wire.DispatchResult)(answer.json)
      expect(sequence).toBe(4)
      const [thread] = fake.threads()
      expect(thread?.messages.map((m) => [m.id, m.role, m.text])).toEqual([
        ["9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b", "user", "<preamble>\n\n<issue text>"]
      ])
    }))

  const malformed: ReadonlyArray<readonly [string, () => unknown]> = [
    ["§8.1 a {command: …} wrapper", () => ({ command: turnStart() })],
    ["a command without type", () => ({ ...turnStart(), type: undefined })],
    ["an unknown type", () => turnStart({ type: "thread.turn.begin" })],
    ["a missing branch key", () => ({ ...threadCreate(), branch: undefined })],
    ["a missing worktreePath key", () => ({ ...threadCreate(), worktreePath: undefined })],
    ["role other than user", () => turnStart({}, { role: "assistant" })],
    ["missing attachments", () => turnStart({}, { attachments: undefined })],
    ["an empty id", () => turnStart({ commandId: "" })],
    ["a blank id", () => threadCreate({ threadId: "   " })],
    ["an empty message id", () => turnStart({}, { messageId: "" })],
    ["an unknown runtimeMode", () => turnStart({ runtimeMode: "yolo" })],
    ["an unknown interactionMode", () => turnStart({ interactionMode: "chat" })],
    ["a turn without interactionMode", () => turnStart({ interactionMode: undefined })],
    ["a missing createdAt", () => turnStart({ createdAt: undefined })],
    ["a modelSelection without instanceId or provider", () => threadCreate({ modelSelection: { model: "x" } })],
    ["an empty title", () => threadCreate({ title: "" })]
  ]
  for (const [name, body] of malformed) {
    it.scoped(`rejects ${name} with 400 and an empty body`, () =>
      Effect.gen(function*() {
        const fake = yield* seeded()
        const answer = yield* dispatch(fake, body())
        expect(answer).toEqual({ status: 400, text: "", json: undefined })
        expect(fake.threads()[0]?.messages).toEqual([])
      }))
  }

  it.scoped("rejects a body that is not JSON with 400 (one not sent as JSON is 415)", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      const broken = yield* Effect.promise(() =>
        fetch(`${fake.url}/api/orchestration/dispatch`, {
          method: "POST",
          headers: { authorization: `Bearer ${fake.token()}`, "content-type": "application/json" },
          body: "{"
        })
      )
      expect(broken.status).toBe(400)
    }))

  it.scoped("a missing workspace root needs createWorkspaceRootIfMissing (400 invalid_command)", () =>
    Effect.gen(function*() {
      const fake = yield* T3Fake.start({ workspaceRoots: ["/srv/existing/"] })
      const missing = yield* dispatch(fake, projectCreate({ createWorkspaceRootIfMissing: undefined }))
      expect(missing.status).toBe(400)
      expect(missing.json).toMatchObject({ code: "invalid_request", reason: "invalid_command" })
      const existing = yield* dispatch(
        fake,
        projectCreate({ createWorkspaceRootIfMissing: undefined, workspaceRoot: "/srv/./existing" })
      )
      expect(existing.status).toBe(200)
      expect(fake.projects()[0]?.workspaceRoot).toBe("/srv/existing")
    }))
})

describe("T3Fake: commandId idempotency and rule violations (500)", () => {
  const internal = { _tag: "EnvironmentInternalError", code: "internal_error", reason: "orchestration_dispatch_failed" }

  it.scoped("the same commandId for the same aggregate returns the same sequence and applies once", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      const first = yield* dispatch(fake, turnStart())
      const again = yield* dispatch(fake, turnStart({}, { text: "changed" }))
      expect(again).toEqual(first)
      expect(fake.threads()[0]?.messages).toHaveLength(1)
    }))

  it.scoped("the same commandId for another aggregate is a 500", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      const answer = yield* dispatch(fake, threadCreate({ threadId: "another-thread" }))
      expect(answer.status).toBe(500)
      expect(answer.json).toMatchObject(internal)
    }))

  it.scoped("a rejected commandId fails again, even once the cause is gone", () =>
    Effect.gen(function*() {
      const fake = yield* T3Fake.start()
      expect((yield* dispatch(fake, threadCreate())).status).toBe(500)
      expect((yield* dispatch(fake, projectCreate())).status).toBe(200)
      expect((yield* dispatch(fake, threadCreate())).status).toBe(500)
      expect((yield* dispatch(fake, threadCreate({ commandId: "fresh" }))).status).toBe(200)
    }))

  const violations: ReadonlyArray<readonly [string, unknown]> = [
    ["a duplicate thread", threadCreate({ commandId: "other" })],
    ["an unknown project", threadCreate({ commandId: "other", threadId: "t2", projectId: "nope" })],
    ["a duplicate active workspaceRoot", projectCreate({ commandId: "other", projectId: "p2" })],
    ["a duplicate projectId", projectCreate({ commandId: "other", workspaceRoot: "/elsewhere" })],
    ["a turn on an unknown thread", turnStart({ threadId: "nope" })]
  ]
  for (const [name, body] of violations) {
    it.scoped(`${name} is a 500 with the documented body`, () =>
      Effect.gen(function*() {
        const fake = yield* seeded()
        const answer = yield* dispatch(fake, body)
        expect(answer.status).toBe(500)
        expect(answer.json).toMatchObject(internal)
      }))
  }
})

describe("T3Fake: auth (§2, §3.8)", () => {
  it.scoped("401 missing_credential, 401 invalid_credential, 403 insufficient_scope naming the scope", () =>
    Effect.gen(function*() {
      const fake = yield* T3Fake.start({
        tokens: [
          { token: "operator", scopes: T3Fake.operatorScopes },
          { token: "reader", scopes: ["orchestration:read"] }
        ]
      })
      const missing = yield* dispatch(fake, projectCreate(), null)
      expect(missing.status).toBe(401)
      expect(missing.json).toMatchObject({ code: "auth_invalid", reason: "missing_credential" })
      const invalid = yield* dispatch(fake, projectCreate(), "guess")
      expect(invalid.json).toMatchObject({ code: "auth_invalid", reason: "invalid_credential" })
      const reader = yield* dispatch(fake, projectCreate(), "reader")
      expect(reader.status).toBe(403)
      expect(reader.json).toMatchObject({ code: "insufficient_scope", requiredScope: "orchestration:operate" })
      const read = yield* request(fake, "GET", "/api/orchestration/snapshot", { token: "reader" })
      expect(read.status).toBe(200)
      expect(fake.projects()).toEqual([])
    }))

  it.scoped("a rotated token replaces the old one; the request log never holds a token value", () =>
    Effect.gen(function*() {
      const fake = yield* T3Fake.start()
      const old = fake.token()
      fake.rotateToken("rotated-secret")
      expect((yield* request(fake, "GET", "/api/orchestration/shell", { token: old })).status).toBe(401)
      expect((yield* request(fake, "GET", "/api/orchestration/shell")).status).toBe(200)
      const log = JSON.stringify(fake.requests())
      expect(log).not.toContain("rotated-secret")
      expect(log).not.toContain(old)
      expect(fake.requests()[0]?.headers.authorization).toBe("Bearer <redacted>")
    }))

  it.scoped("the environment descriptor needs no credential", () =>
    Effect.gen(function*() {
      const fake = yield* T3Fake.start({ serverVersion: "0.0.38" })
      const answer = yield* request(fake, "GET", "/.well-known/t3/environment", { token: null })
      expect(Schema.decodeUnknownSync(T3Wire.EnvironmentDescriptor)(answer.json).serverVersion).toBe("0.0.38")
    }))
})

describe("T3Fake: read endpoints and scripted turns", () => {
  it.scoped("/snapshot has no messages, activities or checkpoints, but session and latestTurn", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      yield* dispatch(fake, turnStart())
      yield* getThread(fake)
      const answer = yield* request(fake, "GET", "/api/orchestration/snapshot")
      const model = answer.json as { threads: Array<Record<string, unknown>> }
      expect(model.threads[0]).toMatchObject({ messages: [], activities: [], checkpoints: [] })
      expect(model.threads[0]?.latestTurn).toMatchObject({ state: "completed" })
      expect(model.threads[0]?.session).toMatchObject({ status: "ready" })
      expect(Schema.decodeUnknownSync(T3Wire.ReadModel)(answer.json).projects[0]?.id).toBe(projectId)
    }))

  it.scoped("a turn moves one step per poll: running until poll k, then the final message", () =>
    Effect.gen(function*() {
      const fake = yield* seeded({ behaviour: () => T3Fake.complete("Pushed-Commit: abc1234", { afterPolls: 2 }) })
      yield* dispatch(fake, turnStart())
      const decode = Schema.decodeUnknownSync(T3Wire.ThreadDetailSnapshot)
      const first = decode((yield* getThread(fake)).json).thread
      expect(first.latestTurn?.state).toBe("running")
      expect(first.session?.activeTurnId).toBe(first.latestTurn?.turnId)
      const second = decode((yield* getThread(fake, threadId, "?turnLimit=1")).json)
      expect(second.thread.latestTurn?.state).toBe("completed")
      expect(second.page).toMatchObject({ hasMore: false })
      const final = second.thread.messages.find((m) => m.id === second.thread.latestTurn?.assistantMessageId)
      expect(final?.text).toBe("Pushed-Commit: abc1234")
    }))

  it.scoped("/threads/:id answers 404 thread_not_found for an unknown or deleted thread, 400 for a bad turnLimit", () =>
    Effect.gen(function*() {
      const fake = yield* seeded({ behaviour: () => T3Fake.vanish() })
      expect((yield* getThread(fake, threadId, "?turnLimit=0")).status).toBe(400)
      yield* dispatch(fake, turnStart())
      const gone = yield* getThread(fake)
      expect(gone.status).toBe(404)
      expect(gone.json).toMatchObject({ code: "not_found", reason: "thread_not_found" })
      expect((yield* getThread(fake, "never-created")).status).toBe(404)
    }))

  it.scoped("/shell flags pending user input and approvals", () =>
    Effect.gen(function*() {
      const fake = yield* seeded({ behaviour: () => T3Fake.block("user-input") })
      yield* dispatch(fake, turnStart())
      fake.advance(threadId)
      const shell = Schema.decodeUnknownSync(T3Wire.ShellSnapshot)(
        (yield* request(fake, "GET", "/api/orchestration/shell")).json
      )
      expect(shell.threads[0]).toMatchObject({ hasPendingUserInput: true, hasPendingApprovals: false })
    }))

  it.scoped("a prompt over 120,000 characters is accepted, then fails to start (provider.turn.start.failed)", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      expect((yield* dispatch(fake, turnStart({}, { text: "x".repeat(120_001) }))).status).toBe(200)
      const { thread } = Schema.decodeUnknownSync(T3Wire.ThreadDetailSnapshot)((yield* getThread(fake)).json)
      expect(thread.session?.status).toBe("error")
      expect(thread.latestTurn).toBeNull()
      expect(thread.activities.map((a) => a.kind)).toEqual(["provider.turn.start.failed"])
    }))

  it.scoped("faults: failNext answers without processing; unreachable destroys the connection", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      fake.failNext(1, 503)
      expect((yield* dispatch(fake, turnStart())).status).toBe(503)
      expect(fake.threads()[0]?.messages).toHaveLength(0)
      fake.setUnreachable(true)
      const refused = yield* Effect.either(Effect.tryPromise(() => fetch(`${fake.url}/.well-known/t3/environment`)))
      expect(refused._tag).toBe("Left")
      fake.setUnreachable(false)
      fake.dropResponseOnce("thread.turn.start")
      const dropped = yield* Effect.either(
        Effect.tryPromise(() =>
          fetch(`${fake.url}/api/orchestration/dispatch`, {
            method: "POST",
            headers: { authorization: `Bearer ${fake.token()}`, "content-type": "application/json" },
            body: JSON.stringify(turnStart())
          })
        )
      )
      expect(dropped._tag).toBe("Left")
      expect(fake.threads()[0]?.messages).toHaveLength(1)
    }))
})
