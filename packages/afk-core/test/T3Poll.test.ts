/**
 * `T3.status` end to end against the fake: every §6 row a scripted turn can reach, 404 as vanished
 * (prior-art §8.14), 5xx / refused / timed-out reads as unknown (§8.13), waits driven by the TestClock;
 * plus `probe` and `layerConfig` re-reading the token.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { AgentRuntime, type DispatchRequest } from "../src/AgentRuntime.js"
import { IssueRef, repo as parseRepo, type TurnState } from "../src/Domain.js"
import * as HttpKit from "../src/HttpKit.js"
import * as Ids from "../src/Ids.js"
import * as T3 from "../src/T3.js"
import * as T3Status from "../src/T3Status.js"
import * as T3Fake from "../src/testing/T3Fake.js"
import * as T3Runtime from "./support/t3runtime.js"

const repo = parseRepo("acme/widgets")
const issue = new IssueRef({ repo, number: 9 })
const runId = Ids.runId(issue, 1)
const threadId = Ids.threadId(runId)
const request: DispatchRequest = { runId, threadId, issue, title: "acme/widgets#9", prompt: "Do it." }
const fast: HttpKit.RetryOptions = { times: 2, base: "0 millis", maxWait: "1 second" }

const setup = (fakeOptions?: T3Fake.FakeOptions, overrides: Partial<T3.Options> = {}) =>
  T3Runtime.setup(fakeOptions, { retry: fast, shellTtl: 0, ...overrides })

/** Runs `effect` while moving the TestClock in small steps, letting loopback I/O progress in between. */
const drive = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    for (;;) {
      const exit = yield* Fiber.poll(fiber)
      if (Option.isSome(exit)) return yield* exit.value
      yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      yield* TestClock.adjust("100 millis")
    }
  })

/** A provider that reads `values` afresh on every load (as one backed by env vars or secret files does). */
const liveProvider = (values: Map<string, string>) =>
  ConfigProvider.make({
    load: (config) => Effect.suspend(() => ConfigProvider.fromMap(values).load(config)),
    flattened: ConfigProvider.fromMap(values).flattened
  })

const gets = (fake: T3Fake.T3Fake) => fake.requests().filter((r) => r.path.startsWith("/api/orchestration/threads/"))

describe("T3.status: §6 rows reached by scripted turns", () => {
  const rows: ReadonlyArray<readonly [string, T3Fake.Script, TurnState, RegExp | undefined]> = [
    ["row 5 completed → succeeded", T3Fake.complete("Fixed.\nPushed-Commit: abc1234"), "succeeded", undefined],
    [
      "row 6 legacy: no latestTurn, session ready → succeeded",
      T3Fake.complete("ok", { legacy: true }),
      "succeeded",
      undefined
    ],
    [
      "row 2 provider.turn.start.failed → failed",
      T3Fake.fail("claude: not logged in", { at: "start" }),
      "failed",
      /not logged in/
    ],
    ["row 2 runtime error → failed", T3Fake.fail("process exited", { at: "runtime" }), "failed", /process exited/],
    ["row 3 interrupted turn → interrupted", T3Fake.interrupt(), "interrupted", undefined],
    ["row 4 approval pending → blocked", T3Fake.block("approval"), "blocked", /approval/],
    ["row 4 question pending → blocked", T3Fake.block("user-input"), "blocked", /user input/],
    ["row 4 running forever → running", T3Fake.hang, "running", undefined],
    ["row 7 session stopped before the turn → interrupted", T3Fake.stop, "interrupted", /stopped/],
    ["row 8 not picked up yet → running (queued)", T3Fake.queue, "running", /queued/],
    ["§8.14 thread deleted → vanished", T3Fake.vanish(), "vanished", /404/]
  ]
  for (const [name, script, state, detail] of rows) {
    it.scoped(name, () =>
      Effect.gen(function*() {
        const { runtime } = yield* setup({ behaviour: () => script })
        yield* runtime.dispatch(request)
        const status = yield* runtime.status(threadId)
        expect(status.state).toBe(state)
        if (detail !== undefined) expect(status.detail).toMatch(detail)
      }))
  }

  it.scoped("the final text (with its Pushed-Commit line) appears only once the turn is done", () =>
    Effect.gen(function*() {
      const { fake, runtime } = yield* setup({
        behaviour: () => T3Fake.complete("Pushed-Commit: abc1234", { afterPolls: 2 })
      })
      yield* runtime.dispatch(request)
      const running = yield* runtime.status(threadId)
      expect(running).toMatchObject({ state: "running", activeTurnId: expect.any(String) })
      expect(running.lastAssistantText).toBeUndefined()
      const done = yield* runtime.status(threadId)
      expect(gets(fake).at(-1)?.path).toBe(`/api/orchestration/threads/${threadId}?turnLimit=1`)
      expect(done).toMatchObject({ state: "succeeded", lastAssistantText: "Pushed-Commit: abc1234" })
      expect(done.activeTurnId).toBeUndefined()
    }))

  it.scoped("row 8: a queued turn reads as running, then unknown after the grace period (TestClock)", () =>
    Effect.gen(function*() {
      const { runtime } = yield* setup({ behaviour: () => T3Fake.queue })
      yield* runtime.dispatch(request)
      expect((yield* runtime.status(threadId)).state).toBe("running")
      yield* TestClock.adjust("59 seconds")
      expect((yield* runtime.status(threadId)).state).toBe("running")
      yield* TestClock.adjust("2 seconds")
      expect(yield* runtime.status(threadId)).toMatchObject({
        state: "unknown",
        detail: expect.stringMatching(/not started/)
      })
    }))

  it.scoped("row 9: a thread without our user message reads as unknown", () =>
    Effect.gen(function*() {
      const { fake, runtime } = yield* setup()
      fake.failNext(3, 503, "thread.turn.start")
      yield* Effect.flip(runtime.dispatch(request))
      expect(fake.threads()).toHaveLength(1)
      expect(yield* runtime.status(threadId)).toMatchObject({
        state: "unknown",
        detail: expect.stringMatching(/never accepted/)
      })
    }))
})

describe("T3.status: failures read as vanished only on T3's 404", () => {
  it.scoped("§8.14 404 reads as vanished", () =>
    Effect.gen(function*() {
      const { runtime } = yield* setup()
      expect((yield* runtime.status("never-created")).state).toBe("vanished")
    }))

  it.scoped("§8.13 a 5xx reads as unknown after bounded retries, never vanished", () =>
    Effect.gen(function*() {
      const { fake, runtime } = yield* setup()
      yield* runtime.dispatch(request)
      fake.failNext(3, 503)
      const status = yield* runtime.status(threadId)
      expect(status).toMatchObject({ state: "unknown", detail: expect.stringMatching(/503/) })
      expect(gets(fake)).toHaveLength(4)
      fake.failNext(3, 500)
      expect((yield* runtime.status(threadId)).state).toBe("unknown")
    }))

  it.scoped("§8.13 a refused connection reads as unknown", () =>
    Effect.gen(function*() {
      const { fake, runtime } = yield* setup()
      yield* runtime.dispatch(request)
      fake.setUnreachable(true)
      expect(yield* runtime.status(threadId)).toMatchObject({
        state: "unknown",
        detail: expect.stringMatching(/could not be reached/)
      })
    }))

  it.scoped("a 404 that is not T3's (a wrong URL) reads as unknown, not vanished", () =>
    Effect.gen(function*() {
      const { fake } = yield* setup()
      const { runtime } = yield* setup(undefined, { url: `${fake.url}/not-t3` })
      expect(yield* runtime.status(threadId)).toMatchObject({ state: "unknown", detail: expect.stringMatching(/URL/) })
    }))

  it.scoped("the default retry policy backs off (TestClock) and recovers from two 503s", () =>
    Effect.gen(function*() {
      const { fake, runtime } = yield* setup(undefined, { retry: HttpKit.defaultRetry, requestTimeout: "1 hour" })
      yield* runtime.dispatch(request)
      fake.failNext(2, 503)
      expect((yield* drive(runtime.status(threadId))).state).toBe("succeeded")
      expect(gets(fake)).toHaveLength(4)
    }))

  it.scoped("§8.13 a server that never answers reads as unknown after the request timeout (TestClock)", () =>
    Effect.gen(function*() {
      const silent = yield* Effect.acquireRelease(
        Effect.async<http.Server>((resume) => {
          const server = http.createServer(() => {})
          server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
        }),
        (server) =>
          Effect.async<void>((resume) => {
            server.closeAllConnections()
            server.close(() => resume(Effect.void))
          })
      )
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`
      const { runtime } = yield* setup(undefined, { url, requestTimeout: "5 seconds", retry: { ...fast, times: 0 } })
      expect(yield* drive(runtime.status(threadId))).toMatchObject({
        state: "unknown",
        detail: expect.stringMatching(/could not be reached/)
      })
    }))

  it.scoped("401 and 403 on status are errors, not unknown", () =>
    Effect.gen(function*() {
      const { runtime } = yield* setup({ tokens: [{ token: "t", scopes: ["orchestration:operate"] }] })
      const error = yield* Effect.flip(runtime.status(threadId))
      expect(error).toMatchObject({ status: 403, transient: false })
      expect(error.message).toMatch(/orchestration:read/)
    }))
})

describe("T3.probe and T3.layerConfig", () => {
  it.scoped("probe reads the server version without a credential; an unreachable server is a transient error", () =>
    Effect.gen(function*() {
      const fake = yield* T3Fake.start({ serverVersion: "0.0.38" })
      const probe = yield* T3.probe(`${fake.url}/`)
      expect(probe).toMatchObject({ serverVersion: "0.0.38", environmentId: "fake-environment" })
      fake.setUnreachable(true)
      const error = yield* drive(Effect.flip(T3.probe(fake.url)))
      expect(error.transient).toBe(true)
    }).pipe(Effect.provide(FetchHttpClient.layer)))

  it.scoped("layerConfig reads the options from Config and re-reads the token for every request", () =>
    Effect.gen(function*() {
      const fake = yield* T3Fake.start()
      const values = new Map([
        ["T3_URL", fake.url],
        ["T3_TOKEN", fake.token()],
        ["T3_MODEL", "claude-opus-5"],
        ["T3_ROOT", "/data/{owner}__{repo}"]
      ])
      const layer = T3.layerConfig({
        url: Config.string("T3_URL"),
        token: Config.redacted("T3_TOKEN"),
        model: Config.string("T3_MODEL"),
        workspaceRoot: Config.string("T3_ROOT")
      })
      const runtime = yield* AgentRuntime.pipe(
        Effect.provide(layer),
        Effect.provide(FetchHttpClient.layer),
        Effect.withConfigProvider(liveProvider(values))
      )
      yield* runtime.dispatch(request)
      fake.rotateToken("rotated")
      values.set("T3_TOKEN", "rotated")
      expect((yield* runtime.status(threadId)).state).toBe("succeeded")
      expect(fake.threads()[0]?.modelSelection.model).toBe("claude-opus-5")
      values.delete("T3_URL")
      const missing = yield* Effect.flip(
        AgentRuntime.pipe(
          Effect.provide(layer),
          Effect.provide(FetchHttpClient.layer),
          Effect.withConfigProvider(ConfigProvider.fromMap(values))
        )
      )
      expect(String(missing)).toMatch(/T3_URL/)
    }))
})

describe("T3.status batched through the shell", () => {
  const shells = (fake: T3Fake.T3Fake) => fake.requests().filter((r) => r.path === "/api/orchestration/shell")

  it.scoped("k working turns cost one shell read and no thread read; an ended turn reads its thread", () =>
    Effect.gen(function*() {
      const { fake, runtime } = yield* setup({
        behaviour: () => T3Fake.complete("Pushed-Commit: abc1234", { afterPolls: 2 })
      }, {
        shellTtl: "5 seconds"
      })
      const ids = [1, 2, 3].map((n) => {
        const run = Ids.runId(new IssueRef({ repo, number: n }), 1)
        return { runId: run, threadId: Ids.threadId(run), issue: new IssueRef({ repo, number: n }) }
      })
      for (const id of ids) yield* runtime.dispatch({ ...id, title: "t", prompt: "Do it." })
      const threadReads = gets(fake).length
      const first = yield* Effect.forEach(ids, (id) => runtime.status(id.threadId))
      expect(first.map((s) => s.state)).toEqual(["running", "running", "running"])
      expect(shells(fake)).toHaveLength(1)
      expect(gets(fake).length).toBe(threadReads)
      yield* TestClock.adjust("6 seconds")
      const done = yield* Effect.forEach(ids, (id) => runtime.status(id.threadId))
      expect(done.map((s) => s.state)).toEqual(["succeeded", "succeeded", "succeeded"])
      expect(done[0]?.lastAssistantText).toBe("Pushed-Commit: abc1234")
      expect(shells(fake)).toHaveLength(2)
      expect(gets(fake).length).toBe(threadReads + 3)
    }))

  it("a shell that shows a turn working answers running or blocked; anything else is left to the thread", () => {
    const base = { id: "t", projectId: "p", title: "x", hasPendingApprovals: false, hasPendingUserInput: false }
    const session = (status: string) => ({
      threadId: "t",
      status,
      providerName: null,
      runtimeMode: "full-access",
      activeTurnId: "turn-1",
      lastError: null,
      updatedAt: "2026-06-01T00:00:00Z"
    })
    const running = T3Status.runningFromShell({ ...base, latestTurn: null, session: session("running") } as never)
    expect(running).toMatchObject({ state: "running", activeTurnId: "turn-1" })
    const blocked = T3Status.runningFromShell(
      { ...base, hasPendingUserInput: true, latestTurn: null, session: session("running") } as never
    )
    expect(blocked).toMatchObject({ state: "blocked", detail: "waiting for user input" })
    expect(T3Status.runningFromShell({ ...base, latestTurn: null, session: session("ready") } as never)).toBeUndefined()
    expect(T3Status.runningFromShell({ ...base, latestTurn: null, session: session("error") } as never)).toBeUndefined()
  })
})
