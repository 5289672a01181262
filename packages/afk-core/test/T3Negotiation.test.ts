/**
 * Protocol negotiation (`t3-protocol-v2.md` §1): the runtime reads `orchestrationProtocolVersion` from the
 * server's descriptor before it sends anything, speaks protocol 1 when the field is missing or 1, and refuses
 * any version it does not speak with a non-transient error naming both sides — having dispatched nothing.
 */
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type { DispatchRequest } from "../src/AgentRuntime.js"
import { IssueRef, repo as parseRepo } from "../src/Domain.js"
import * as Ids from "../src/Ids.js"
import * as T3 from "../src/T3.js"
import * as T3Fake from "../src/testing/T3Fake.js"

const issue = new IssueRef({ repo: parseRepo("acme/widgets"), number: 7 })
const runId = Ids.runId(issue, 1)
const threadId = Ids.threadId(runId)
const request: DispatchRequest = { runId, threadId, issue, title: "acme/widgets#7: Fix the crash", prompt: "Do it." }

/** `fetch` that answers the descriptor with `version` in its `orchestrationProtocolVersion` (absent when undefined). */
const descriptorSays = (version: number | undefined) =>
  Layer.succeed(FetchHttpClient.Fetch, async (input, init) => {
    const response = await fetch(input, init)
    if (!String(input instanceof Request ? input.url : input).endsWith("/.well-known/t3/environment")) return response
    const descriptor = { ...(await response.json()), orchestrationProtocolVersion: version }
    return new Response(JSON.stringify(descriptor), { status: 200, headers: { "content-type": "application/json" } })
  })

const runtimeSaying = (fake: T3Fake.T3Fake, version: number | undefined) =>
  T3.make({
    url: fake.url,
    token: Effect.sync(() => Redacted.make(fake.token())),
    model: "claude-sonnet-5",
    workspaceRoot: "/data/{owner}__{repo}"
  }).pipe(Effect.provide(FetchHttpClient.layer), Effect.provide(descriptorSays(version)))

describe("T3 protocol negotiation", () => {
  for (const version of [undefined, 1]) {
    it.scoped(`a descriptor saying ${version ?? "nothing"} is protocol 1: read first, then the turn runs`, () =>
      Effect.gen(function*() {
        const fake = yield* T3Fake.start()
        const runtime = yield* runtimeSaying(fake, version)
        yield* runtime.dispatch(request)
        expect((yield* runtime.status(threadId)).state).toBe("succeeded")
        expect(fake.requests()[0]?.path).toBe("/.well-known/t3/environment")
        expect(fake.requests().filter((r) => r.path === "/.well-known/t3/environment")).toHaveLength(1)
        expect(fake.threads()).toHaveLength(1)
      }))
  }

  it.scoped("protocol 2 without a WebSocket constructor is refused, saying what to provide; nothing is sent", () =>
    Effect.gen(function*() {
      const fake = yield* T3Fake.start()
      const runtime = yield* runtimeSaying(fake, 2)
      const error = yield* Effect.flip(runtime.dispatch(request))
      expect(error.transient).toBe(false)
      expect(error.message).toContain("NodeSocket.layerWebSocketConstructor")
      expect(fake.requests().map((r) => r.path)).toEqual(["/.well-known/t3/environment"])
    }))

  it.scoped("protocol 2 is spoken: projects are read from /api/projects, nothing goes to protocol 1's dispatch", () =>
    Effect.gen(function*() {
      const fake = yield* T3Fake.start()
      const runtime = yield* runtimeSaying(fake, 2).pipe(Effect.provide(NodeSocket.layerWebSocketConstructor))
      yield* Effect.flip(runtime.dispatch(request))
      const paths = fake.requests().map((r) => r.path)
      expect(paths.slice(0, 2)).toEqual(["/.well-known/t3/environment", "/api/projects"])
      expect(paths).not.toContain("/api/orchestration/dispatch")
    }))

  it.scoped("protocol 3 is refused, naming the server's version and 1 and 2; nothing is dispatched", () =>
    Effect.gen(function*() {
      const fake = yield* T3Fake.start({ serverVersion: "0.0.99" })
      const runtime = yield* runtimeSaying(fake, 3)
      const error = yield* Effect.flip(runtime.dispatch(request))
      expect(error.transient).toBe(false)
      expect(error.message).toContain("speaks orchestration protocol 3 (0.0.99)")
      expect(error.message).toContain("AFK supports 1 and 2")
      expect(error.message).not.toMatch(/token/i)
      expect((yield* Effect.flip(runtime.status(threadId))).transient).toBe(false)
      expect(fake.requests().map((r) => r.path)).toEqual(["/.well-known/t3/environment"])
      expect(fake.threads()).toHaveLength(0)
    }))
})
