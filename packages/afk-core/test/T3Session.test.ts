/**
 * The T3 runtime against what the real server does and the fake now does too: the web app's thread route
 * (`/<environmentId>/<threadId>`), a turn accepted on a deleted thread, the runtime mode, an interrupt
 * that settles only when the provider acknowledges it, and the session stopped (and the thread archived)
 * once a run is over.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type { DispatchRequest } from "../src/AgentRuntime.js"
import { IssueRef, repo as parseRepo } from "../src/Domain.js"
import * as Ids from "../src/Ids.js"
import type * as T3 from "../src/T3.js"
import * as T3Fake from "../src/testing/T3Fake.js"
import * as T3Runtime from "./support/t3runtime.js"

const issue = new IssueRef({ repo: parseRepo("acme/widgets"), number: 7 })
const runId = Ids.runId(issue, 1)
const threadId = Ids.threadId(runId)
const request: DispatchRequest = { runId, threadId, issue, title: "acme/widgets#7: Fix the crash", prompt: "Do it." }

const setup = (fakeOptions?: T3Fake.FakeOptions, overrides: Partial<T3.Options> = {}) =>
  T3Runtime.setup(fakeOptions, { retry: { times: 0, base: "1 millis", maxWait: "1 millis" }, ...overrides })

const sent = (fake: T3Fake.T3Fake, type: string) =>
  fake
    .requests()
    .filter((r) => r.method === "POST" && (r.body as { type?: string }).type === type)
    .map((r) => r.body as Record<string, unknown>)

const deleteThread = (fake: T3Fake.T3Fake) =>
  Effect.promise(() =>
    fetch(`${fake.url}/api/orchestration/dispatch`, {
      method: "POST",
      headers: { authorization: `Bearer ${fake.token()}`, "content-type": "application/json" },
      body: JSON.stringify({ type: "thread.delete", commandId: "someone-deletes", threadId })
    })
  )

describe("T3 web link", () => {
  it.scoped("is <webUrl>/<environmentId>/<threadId>, the environment read once", () =>
    Effect.gen(function*() {
      const { fake, runtime } = yield* setup(undefined, { webUrl: "https://t3.example.com/" })
      expect(yield* runtime.threadUrl("abc")).toBe(`https://t3.example.com/${fake.environmentId}/abc`)
      expect(yield* runtime.threadUrl("d e")).toBe(`https://t3.example.com/${fake.environmentId}/d%20e`)
      const reads = fake.requests().filter((r) => r.path === "/.well-known/t3/environment")
      expect(reads).toHaveLength(1)
    }))

  it.scoped("is absent while the environment cannot be read, never a link the web app cannot open", () =>
    Effect.gen(function*() {
      const { fake, runtime } = yield* setup()
      fake.setUnreachable(true)
      expect(yield* runtime.threadUrl("abc")).toBeUndefined()
      fake.setUnreachable(false)
      expect(yield* runtime.threadUrl("abc")).toBe(`${fake.url}/${fake.environmentId}/abc`)
    }))
})

describe("T3 turns the real server accepts but does not run", () => {
  it.scoped("a follow-up on a deleted thread is an error naming the thread, not a sent turn", () =>
    Effect.gen(function*() {
      const { fake, runtime } = yield* setup()
      yield* runtime.dispatch(request)
      yield* deleteThread(fake)
      const error = yield* Effect.flip(runtime.followUp({ runId, threadId, step: "fix-forward-1", text: "Fix CI." }))
      expect(sent(fake, "thread.turn.start")).toHaveLength(2)
      expect(error).toMatchObject({ status: 404, transient: false })
      expect(error.message).toContain(`thread ${threadId} is deleted`)
    }))
})

describe("T3 runtime mode", () => {
  it.scoped("full-access by default; auto when configured, on the thread and on every turn", () =>
    Effect.gen(function*() {
      const byDefault = yield* setup()
      yield* byDefault.runtime.dispatch(request)
      expect(sent(byDefault.fake, "thread.create")[0]).toMatchObject({ runtimeMode: "full-access" })
      const auto = yield* setup(undefined, { runtimeMode: "auto" })
      yield* auto.runtime.dispatch(request)
      yield* auto.runtime.followUp({ runId, threadId, step: "fix-forward-1", text: "Fix CI." })
      expect(sent(auto.fake, "thread.create")[0]).toMatchObject({ runtimeMode: "auto" })
      expect(sent(auto.fake, "thread.turn.start").map((c) => c.runtimeMode)).toEqual(["auto", "auto"])
      expect(auto.fake.threads()[0]?.runtimeMode).toBe("auto")
    }))
})

describe("T3 interrupt settles", () => {
  it.scoped("waits for the provider to acknowledge: settled once the session no longer runs", () =>
    Effect.gen(function*() {
      const { fake, runtime } = yield* setup({ behaviour: () => T3Fake.hang, interruptAckPolls: 3 }, {
        interruptSettle: { within: "1 second", every: "0 millis" }
      })
      yield* runtime.dispatch(request)
      const { activeTurnId } = yield* runtime.status(threadId)
      expect(yield* runtime.interrupt(runId, threadId)).toBe("settled")
      expect(sent(fake, "thread.turn.interrupt")).toMatchObject([{ turnId: activeTurnId }])
      expect(fake.threads()[0]?.session?.status).toBe("ready")
      expect(yield* runtime.interrupt(runId, threadId)).toBe("no-turn")
    }))

  it.scopedLive("reports a session still running when the bound passes", () =>
    Effect.gen(function*() {
      const { fake, runtime } = yield* setup({ behaviour: () => T3Fake.hang, interruptAckPolls: 1000 }, {
        interruptSettle: { within: "50 millis", every: "10 millis" }
      })
      yield* runtime.dispatch(request)
      yield* runtime.status(threadId)
      expect(yield* runtime.interrupt(runId, threadId)).toBe("still-running")
      expect(fake.threads()[0]?.session?.status).toBe("running")
      expect(fake.threads()[0]?.latestTurn?.state).toBe("interrupted")
    }))
})

describe("T3 release after a run", () => {
  it.scoped("stops a settled session and archives the thread when asked; nothing lingers", () =>
    Effect.gen(function*() {
      const { fake, runtime } = yield* setup()
      yield* runtime.dispatch(request)
      yield* runtime.status(threadId)
      expect(fake.liveSessions()).toBe(1)
      expect(yield* runtime.release({ runId, threadId, archive: true })).toBe("released")
      expect(sent(fake, "thread.session.stop")).toMatchObject([{ threadId, onlyIfSettled: true }])
      expect(fake.liveSessions()).toBe(0)
      expect(fake.threads()[0]?.archivedAt).not.toBeNull()
      expect(yield* runtime.release({ runId, threadId, archive: true })).toBe("released")
      expect(sent(fake, "thread.session.stop")).toHaveLength(1)
      expect(sent(fake, "thread.archive")).toHaveLength(1)
    }))

  it.scoped("never stops a live turn, and archives only when asked", () =>
    Effect.gen(function*() {
      const { fake, runtime } = yield* setup({ behaviour: () => T3Fake.hang })
      yield* runtime.dispatch(request)
      yield* runtime.status(threadId)
      expect(yield* runtime.release({ runId, threadId, archive: true })).toBe("still-running")
      expect(sent(fake, "thread.session.stop")).toEqual([])
      expect(sent(fake, "thread.archive")).toEqual([])
      yield* runtime.interrupt(runId, threadId)
      expect(yield* runtime.release({ runId, threadId, archive: false })).toBe("released")
      expect(fake.liveSessions()).toBe(0)
      expect(fake.threads()[0]?.archivedAt).toBeNull()
    }))

  it.scoped("a thread that is gone needs nothing", () =>
    Effect.gen(function*() {
      const { fake, runtime } = yield* setup()
      yield* runtime.dispatch(request)
      yield* deleteThread(fake)
      expect(yield* runtime.release({ runId, threadId, archive: true })).toBe("gone")
    }))
})
