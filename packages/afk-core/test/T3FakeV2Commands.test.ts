/**
 * The protocol-2 T3 fake's commands against `t3-protocol-v2.md`: receipts per `commandId` (§4.6),
 * `thread.create` and `message.dispatch` (§4.2, §4.3), `run.interrupt` and `queued-run.cancel` (§4.5), and
 * the projects API (§4.1). One rule per test, its section in the name.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as T3Fake from "../src/testing/T3Fake.js"
import type { Json } from "./T3FakeV2Client.js"
import {
  bounded,
  call,
  connect,
  dispatch,
  http,
  messageDispatch,
  projectCreate,
  seeded,
  threadCreate,
  threadId
} from "./T3FakeV2Client.js"

const failure = (exit: Json) => ({ tag: String(exit.cause?.[0]?._tag), error: exit.cause?.[0]?.error })
const messageOf = (exit: Json) => String(exit.cause?.[0]?.error?.message)
const runs = (fake: T3Fake.T3FakeV2) => fake.threads().find((t) => t.id === threadId)?.runs ?? []

describe("T3FakeV2: receipts (§4.6)", () => {
  it.scoped("§4.6/§8 an accepted commandId sent again returns the same sequence and adds nothing", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      const first = yield* dispatch(fake, messageDispatch(1))
      const again = yield* dispatch(fake, messageDispatch(1))
      expect(first._tag).toBe("Success")
      expect(again).toEqual(first)
      expect(runs(fake)).toHaveLength(1)
    }))

  it.scoped("§4.6/§8 a rejected commandId sent again fails \"Command <id> was previously rejected: <reason>\"", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      const orphan = messageDispatch(1, { threadId: "missing" })
      const first = yield* dispatch(fake, orphan)
      expect(failure(first)).toMatchObject({
        tag: "Fail",
        error: {
          _tag: "OrchestrationV2DispatchCommandError",
          commandId: "c-message-1",
          commandType: "message.dispatch"
        }
      })
      const again = yield* dispatch(fake, orphan)
      expect(messageOf(again)).toBe(`Command c-message-1 was previously rejected: ${messageOf(first)}`)
    }))

  it.scoped("§4.6/§8 the same commandId on another thread fails", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      yield* dispatch(fake, threadCreate({ commandId: "c-other", threadId: "t-2" }))
      expect((yield* dispatch(fake, messageDispatch(1)))._tag).toBe("Success")
      const reused = yield* dispatch(fake, messageDispatch(1, { threadId: "t-2", messageId: "m-other" }))
      expect(failure(reused).error).toMatchObject({ _tag: "OrchestrationV2DispatchCommandError" })
      expect(fake.threads().find((t) => t.id === "t-2")?.runs).toEqual([])
    }))

  it.scoped("§4.6 a receipt survives a server restart", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      const first = yield* dispatch(fake, messageDispatch(1))
      fake.restart()
      expect(yield* dispatch(fake, messageDispatch(1))).toEqual(first)
    }))
})

describe("T3FakeV2: threads and messages (§4.2, §4.3)", () => {
  it.scoped("§4.2/§8 thread.create on an existing thread is rejected", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      const again = yield* dispatch(fake, threadCreate({ commandId: "c-thread-again" }))
      expect(failure(again).tag).toBe("Fail")
      expect(fake.threads()).toHaveLength(1)
    }))

  it.scoped("§4.2 branch and worktreePath keys must be present, and never \"\"", () =>
    Effect.gen(function*() {
      const fake = yield* T3Fake.start({ protocol: 2 })
      yield* http(fake, "POST", "/api/projects/mutate", { body: projectCreate() })
      const { branch: _, ...withoutBranch } = threadCreate()
      expect(failure(yield* dispatch(fake, withoutBranch)).tag).toBe("Die")
      expect(failure(yield* dispatch(fake, threadCreate({ worktreePath: "" }))).tag).toBe("Die")
      expect(fake.threads()).toEqual([])
    }))

  it.scoped("§4/§8 createdBy is forced to \"user\"; unknown fields are ignored", () =>
    Effect.gen(function*() {
      const fake = yield* T3Fake.start({ protocol: 2 })
      yield* http(fake, "POST", "/api/projects/mutate", { body: projectCreate() })
      const exit = yield* dispatch(fake, threadCreate({ createdBy: "agent", somethingNew: 1 }))
      expect(exit._tag).toBe("Success")
      expect(fake.threads()[0]?.createdBy).toBe("user")
    }))

  it.scoped("§4.3/§8 message.dispatch creates a run with userMessageId = messageId, status starting", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      yield* dispatch(fake, messageDispatch(1))
      expect(runs(fake)).toMatchObject([
        { id: `run:thread:${threadId}:ordinal:1`, userMessageId: "m-1", status: "starting" }
      ])
    }))

  it.scoped("§4.3 message.dispatch needs attachments, createdBy, creationSource and dispatchMode", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      for (const key of ["attachments", "createdBy", "creationSource", "dispatchMode"]) {
        const partial: Record<string, unknown> = { ...messageDispatch(1) }
        delete partial[key]
        expect(failure(yield* dispatch(fake, partial)).tag).toBe("Die")
      }
      expect(runs(fake)).toEqual([])
    }))

  it.scoped("§4.3/§8 start_immediately on a busy thread creates a queued run that starts when the first ends", () =>
    Effect.gen(function*() {
      const fake = yield* seeded({ behaviour: (turn) => T3Fake.complete(`done ${turn.turnIndex}`, { afterPolls: 2 }) })
      yield* dispatch(fake, messageDispatch(1))
      yield* dispatch(fake, messageDispatch(2))
      expect(runs(fake).map((r) => [r.userMessageId, r.status, r.queuePosition])).toEqual([
        ["m-1", "starting", undefined],
        ["m-2", "queued", 1]
      ])
      for (let i = 0; i < 3; i++) fake.advance(threadId)
      expect(runs(fake).map((r) => r.status)).toEqual(["completed", "starting"])
    }))

  it.scoped("§4.3 a dispatch mode that merges the message into another run is refused", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      const exit = yield* dispatch(fake, messageDispatch(1, { dispatchMode: { type: "steer_active" } }))
      expect(failure(exit).tag).toBe("Fail")
      expect(runs(fake)).toEqual([])
    }))
})

describe("T3FakeV2: the run lifecycle (§5.4, §8)", () => {
  const statuses = (fake: T3Fake.T3FakeV2, polls: number) =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      for (let i = 0; i < polls; i++) {
        const answer = yield* bounded(fake)
        seen.push(String(answer.json.projection?.runs?.[0]?.status))
      }
      return seen
    })

  it.scoped("§5.4/§8 success is starting → running → waiting (completedAt null) → completed", () =>
    Effect.gen(function*() {
      const fake = yield* seeded({ behaviour: () => T3Fake.complete("All done.", { afterPolls: 2 }) })
      yield* dispatch(fake, messageDispatch(1))
      expect(String((yield* http(fake, "GET", "/api/orchestration/shell")).json.threads?.[0]?.status)).toBe("running")
      const waiting = yield* bounded(fake)
      expect(waiting.json.projection?.runs?.[0]).toMatchObject({ status: "waiting", completedAt: null })
      const done = yield* bounded(fake)
      expect(done.json.projection?.runs?.[0]).toMatchObject({ status: "completed", completedAt: expect.any(String) })
      const text = (done.json.projection?.turnItems as unknown as ReadonlyArray<Json>).filter((i) =>
        String(i.type) === "assistant_message"
      )
      expect(text).toMatchObject([{ text: "All done.", streaming: false }])
    }))

  it.scoped("§5.4 row 7/§8 a failed run has a root error item with the failure message", () =>
    Effect.gen(function*() {
      const fake = yield* seeded({ behaviour: () => T3Fake.fail("Claude exited with code 1") })
      yield* dispatch(fake, messageDispatch(1))
      const { projection } = (yield* bounded(fake)).json
      const run = projection?.runs?.[0]
      expect(run?.status).toBe("failed")
      const errors = (projection?.turnItems as unknown as ReadonlyArray<Json>).filter((i) => String(i.type) === "error")
      expect(errors).toMatchObject([
        { status: "failed", runId: run?.id, nodeId: run?.rootNodeId, failure: { message: "Claude exited with code 1" } }
      ])
    }))

  it.scoped("§4.5/§8 run.interrupt on a running run ends it interrupted with run_interrupt_* items", () =>
    Effect.gen(function*() {
      const fake = yield* seeded({ behaviour: () => T3Fake.hang })
      yield* dispatch(fake, messageDispatch(1))
      fake.advance(threadId)
      const runId = runs(fake)[0]?.id
      expect(runs(fake)[0]?.status).toBe("running")
      const exit = yield* dispatch(fake, {
        type: "run.interrupt",
        commandId: "c-int",
        threadId,
        runId,
        reason: "AFK: stop"
      })
      expect(exit._tag).toBe("Success")
      expect(yield* statuses(fake, 1)).toEqual(["interrupted"])
      const types = (yield* bounded(fake)).json.projection?.turnItems as unknown as ReadonlyArray<Json>
      expect(types.map((i) => String(i.type))).toEqual([
        "user_message",
        "run_interrupt_request",
        "run_interrupt_result"
      ])
    }))

  it.scoped("§4.5/§8 run.interrupt is refused on a waiting run and on a terminal run", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      yield* dispatch(fake, messageDispatch(1))
      fake.advance(threadId)
      const runId = runs(fake)[0]?.id
      expect(runs(fake)[0]?.status).toBe("waiting")
      const interrupt = (commandId: string) => ({ type: "run.interrupt", commandId, threadId, runId })
      expect(messageOf(yield* dispatch(fake, interrupt("c-1")))).toBe(`Run ${runId} is not interruptible.`)
      fake.advance(threadId)
      expect(runs(fake)[0]?.status).toBe("completed")
      expect(messageOf(yield* dispatch(fake, interrupt("c-2")))).toBe(`Run ${runId} is not interruptible.`)
    }))

  it.scoped("§4.5 queued-run.cancel cancels a queued run and is refused on any other", () =>
    Effect.gen(function*() {
      const fake = yield* seeded({ behaviour: () => T3Fake.hang })
      yield* dispatch(fake, messageDispatch(1))
      yield* dispatch(fake, messageDispatch(2))
      const [first, second] = runs(fake)
      const cancel = (commandId: string, runId: unknown) => ({ type: "queued-run.cancel", commandId, threadId, runId })
      expect(messageOf(yield* dispatch(fake, cancel("c-1", first?.id)))).toBe(`Run ${first?.id} is not queued.`)
      expect((yield* dispatch(fake, cancel("c-2", second?.id)))._tag).toBe("Success")
      expect(runs(fake).map((r) => r.status)).toEqual(["starting", "cancelled"])
    }))

  it.scoped("§5.4 row 11/§8 block leaves a pending user_input request on a running run", () =>
    Effect.gen(function*() {
      const fake = yield* seeded({ behaviour: () => T3Fake.block("user-input") })
      yield* dispatch(fake, messageDispatch(1))
      const { projection } = (yield* bounded(fake)).json
      expect(projection?.runs?.[0]?.status).toBe("running")
      expect(projection?.runtimeRequests).toMatchObject([{ kind: "user_input", status: "pending" }])
      const shell = (yield* http(fake, "GET", "/api/orchestration/shell")).json
      expect(shell.threads?.[0]?.pendingRuntimeRequest).toMatchObject({ kind: "user_input" })
    }))

  for (const outcome of ["cancelled", "failed"] as const) {
    it.scoped(`§5.4/§7 row 9/§8 a restart turns an in-flight run ${outcome} and holds the queue`, () =>
      Effect.gen(function*() {
        const fake = yield* seeded({ behaviour: () => T3Fake.hang })
        yield* dispatch(fake, messageDispatch(1))
        yield* dispatch(fake, messageDispatch(2))
        fake.advance(threadId)
        fake.restart(outcome)
        expect(runs(fake).map((r) => [r.status, r.queueHeld])).toEqual([[outcome, false], ["queued", true]])
        expect(fake.liveSessions()).toBe(0)
      }))
  }

  it.scoped("§6.3 a message over 120,000 characters fails the run at start", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      yield* dispatch(fake, messageDispatch(1, { text: "x".repeat(120_001) }))
      expect((yield* bounded(fake)).json.projection?.runs?.[0]?.status).toBe("failed")
    }))

  it.scoped("§4.5 provider-session.detach stops the session; archive waits for the run to end", () =>
    Effect.gen(function*() {
      const fake = yield* seeded({ behaviour: () => T3Fake.hang })
      yield* dispatch(fake, messageDispatch(1))
      fake.advance(threadId)
      expect(fake.liveSessions()).toBe(1)
      const archive = { type: "thread.archive", commandId: "c-archive", threadId }
      expect(failure(yield* dispatch(fake, archive)).tag).toBe("Fail")
      const runId = runs(fake)[0]?.id
      yield* dispatch(fake, { type: "run.interrupt", commandId: "c-int", threadId, runId })
      fake.advance(threadId)
      const sessionId = (yield* bounded(fake)).json.projection?.providerSessions?.[0]?.id
      const detach = { type: "provider-session.detach", commandId: "c-detach", threadId, providerSessionId: sessionId }
      expect((yield* dispatch(fake, detach))._tag).toBe("Success")
      expect((yield* dispatch(fake, { ...archive, commandId: "c-archive-2" }))._tag).toBe("Success")
      expect(fake.liveSessions()).toBe(0)
      expect(fake.threads()[0]?.archivedAt).not.toBeNull()
    }))
})

describe("T3FakeV2: projects (§4.1)", () => {
  it.scoped("§4.1/§8 project.create normalises the root; GET /api/projects lists it", () =>
    Effect.gen(function*() {
      const fake = yield* T3Fake.start({ protocol: 2 })
      const created = yield* http(fake, "POST", "/api/projects/mutate", {
        body: projectCreate({ workspaceRoot: "~/work/../repo/" })
      })
      expect(created.status).toBe(200)
      expect(created.json).toMatchObject({ id: "p-1", workspaceRoot: "/home/t3/repo", deletedAt: null })
      const listed = yield* http(fake, "GET", "/api/projects")
      expect(listed.json.projects).toMatchObject([{ id: "p-1", workspaceRoot: "/home/t3/repo" }])
    }))

  it.scoped("§4.1/§8 another active project on the same root is 400 invalid_command", () =>
    Effect.gen(function*() {
      const fake = yield* T3Fake.start({ protocol: 2 })
      yield* http(fake, "POST", "/api/projects/mutate", { body: projectCreate() })
      const rival = yield* http(fake, "POST", "/api/projects/mutate", {
        body: projectCreate({ commandId: "c-rival", projectId: "p-2", workspaceRoot: "/data/acme__widgets/" })
      })
      expect(rival.status).toBe(400)
      expect(rival.json).toMatchObject({ _tag: "EnvironmentRequestInvalidError", reason: "invalid_command" })
      expect(fake.projects()).toHaveLength(1)
    }))

  it.scoped("§4.1/§8 the same commandId replays the project", () =>
    Effect.gen(function*() {
      const fake = yield* T3Fake.start({ protocol: 2 })
      const first = yield* http(fake, "POST", "/api/projects/mutate", { body: projectCreate() })
      const again = yield* http(fake, "POST", "/api/projects/mutate", { body: projectCreate() })
      expect(again.status).toBe(200)
      expect(again.json).toEqual(first.json)
    }))

  it.scoped("§4.1 a missing root without createWorkspaceRootIfMissing is 500 project_mutation_failed", () =>
    Effect.gen(function*() {
      const fake = yield* T3Fake.start({ protocol: 2 })
      const answer = yield* http(fake, "POST", "/api/projects/mutate", {
        body: projectCreate({ createWorkspaceRootIfMissing: false })
      })
      expect(answer.status).toBe(500)
      expect(answer.json).toMatchObject({ reason: "project_mutation_failed" })
    }))

  it.scoped("§3.6/§4.1 projects.mutate over the WebSocket; a conflict is a ProjectMutationError", () =>
    Effect.gen(function*() {
      const fake = yield* T3Fake.start({ protocol: 2 })
      const connection = yield* connect(fake)
      const created = yield* call(connection, "projects.mutate", projectCreate())
      expect(created).toMatchObject({ _tag: "Success", value: { id: "p-1" } })
      const rival = yield* call(connection, "projects.mutate", projectCreate({ commandId: "c-2", projectId: "p-2" }))
      expect(failure(rival).error).toMatchObject({ _tag: "ProjectMutationError", commandId: "c-2" })
    }))
})

describe("T3FakeV2: faults", () => {
  it.scoped("dropResponseOnce applies the command, then closes the socket before the Exit", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      fake.dropResponseOnce("message.dispatch")
      const connection = yield* connect(fake)
      connection.send({
        _tag: "Request",
        id: "1",
        tag: "orchestration.dispatchCommand",
        payload: messageDispatch(1),
        headers: []
      })
      expect(yield* Effect.flip(connection.next(500))).toBe("no frame")
      expect(connection.closed()).toBe(true)
      expect(runs(fake)).toHaveLength(1)
      expect((yield* dispatch(fake, messageDispatch(1)))._tag).toBe("Success")
    }))

  it.scoped("failNext with a command type fails that dispatch unprocessed, without a receipt", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      fake.failNext(1, 500, "message.dispatch")
      expect(messageOf(yield* dispatch(fake, messageDispatch(1)))).toBe("Failed to dispatch message.dispatch.")
      expect(runs(fake)).toEqual([])
      expect((yield* dispatch(fake, messageDispatch(1)))._tag).toBe("Success")
    }))
})
