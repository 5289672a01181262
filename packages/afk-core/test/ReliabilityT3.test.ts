/**
 * quality.md R1 (crash-point sweep) and R3 (overlapping ticks) through the real T3 runtime, over the strict
 * T3 fake of each protocol (loopback HTTP; on protocol 2, WebSocket RPC too). The in-memory sweep
 * (`Reliability.test.ts`) covers every tracker write; this one crashes the process right after each write the
 * runtime makes to T3 — a project, a thread, a turn or run, an interrupt, a release — so the crash lands
 * between the steps of a dispatch too (the write reached the server; its answer and everything after are
 * lost), then restarts with a fresh runtime (no memory of the last one) and runs to quiescence.
 */
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as Socket from "@effect/platform/Socket"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { createHash } from "node:crypto"
import { WebSocket } from "ws"
import { AgentRuntime } from "../src/AgentRuntime.js"
import type * as AgentRuntimeService from "../src/AgentRuntime.js"
import { CiError } from "../src/Ci.js"
import type { Repo } from "../src/Domain.js"
import { NotifierError } from "../src/Notifier.js"
import * as RunRecord from "../src/RunRecord.js"
import * as T3 from "../src/T3.js"
import * as MemoryCi from "../src/testing/MemoryCi.js"
import * as T3Fake from "../src/testing/T3Fake.js"
import { TrackerError } from "../src/Tracker.js"
import * as World from "./support/world.js"

const { app, lib, bot, armed, ready } = World

const issues: ReadonlyArray<readonly [Repo, number]> = [
  [app, 1],
  [app, 2],
  [lib, 1],
  [lib, 2]
]

const sha = (threadId: string, turn: number) => createHash("sha1").update(`${threadId}:${turn}`).digest("hex")

/** acme/lib#1's agent pushes nothing (a handover); every other issue's agent pushes. */
const behaviour: T3Fake.Behaviour = (turn) =>
  turn.title.startsWith(`${lib}#1:`)
    ? T3Fake.complete("I could not reproduce it; nothing was pushed.")
    : T3Fake.complete(`Fixed it.\n\nPushed-Commit: ${sha(turn.threadId, turn.turnIndex)}`)

type Fake = T3Fake.T3Fake | T3Fake.T3FakeV2

/** Whether a request to T3 writes (a command, a project mutation); reads and tickets do not. */
const writes = (request: { readonly method: string; readonly url: string }) =>
  request.method === "POST" && /\/api\/(orchestration\/dispatch|projects\/mutate)$/.test(new URL(request.url).pathname)

/** Whether an outgoing RPC frame is a command (protocol 2, §3.2). */
const isCommandFrame = (data: unknown) =>
  typeof data === "string" && data.includes("\"_tag\":\"Request\"") && data.includes("orchestration.dispatchCommand")

interface Crash {
  /** Writes so far, of every port. */
  count: number
  /** The write after which the process dies (`Infinity`: never). */
  at: number
  crashed: boolean
  /** The port of every write, in order (the clean run's list picks the crash points). */
  readonly log: Array<"t3" | "other">
}

const wrote = (crash: Crash, port: "t3" | "other") => {
  crash.log.push(port)
  crash.count++
  if (crash.count === crash.at) crash.crashed = true
}

/** The T3 runtime of one process: its HTTP and its WebSockets die with it. */
const runtimeOf = (fake: Fake, crash: Crash) => {
  const http = Effect.map(
    HttpClient.HttpClient,
    (client) =>
      HttpClient.transform(client, (response, request) =>
        crash.crashed
          ? Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause: "the process died" }))
          : Effect.tap(response, () => {
            if (writes(request)) wrote(crash, "t3")
          }))
  )
  const webSocket = (url: string, protocols?: string | Array<string>) => {
    const socket = new WebSocket(url, protocols)
    const send = socket.send.bind(socket)
    socket.send = ((data: string) => {
      if (crash.crashed) return socket.terminate()
      send(data)
      if (isCommandFrame(data)) wrote(crash, "t3")
    }) as typeof socket.send
    return socket as unknown as globalThis.WebSocket
  }
  return Effect.gen(function*() {
    const client = yield* http
    return yield* T3.make({
      url: fake.url,
      token: Effect.sync(() => Redacted.make(fake.token())),
      model: "claude-sonnet-5",
      workspaceRoot: "/data/{owner}__{repo}",
      retry: { times: 0, base: "0 millis", maxWait: "0 millis" },
      interruptSettle: { within: "3 millis", every: "0 millis" }
    }).pipe(Effect.provideService(HttpClient.HttpClient, client))
  }).pipe(
    Effect.provide(FetchHttpClient.layer),
    Effect.provide(Layer.succeed(Socket.WebSocketConstructor, webSocket)),
    Effect.provide(NodeSocket.layerWebSocketConstructor)
  )
}

const scenario = (protocol: 1 | 2) =>
  Effect.gen(function*() {
    const fake: Fake = protocol === 2
      ? yield* T3Fake.start({ protocol: 2, behaviour })
      : yield* T3Fake.start({ behaviour })
    const crash: Crash = { count: 0, at: Number.POSITIVE_INFINITY, crashed: false, log: [] }
    let runtime: AgentRuntimeService.Service = yield* runtimeOf(fake, crash)
    const world = yield* World.make({
      issues: { [app]: [ready(1), ready(2)], [lib]: [ready(1), ready(2)] },
      agentLayer: Layer.effect(AgentRuntime, Effect.sync(() => runtime)),
      ci: MemoryCi.scripts.redThenGreen(1)
    })
    const other = () => Effect.sync(() => wrote(crash, "other"))
    world.tracker.afterWrite = other
    world.notifier.afterWrite = other
    world.tracker.hook = (op) =>
      crash.crashed ? Effect.fail(new TrackerError({ operation: op, detail: "crashed", transient: true })) : Effect.void
    world.notifier.hook = (op) =>
      crash.crashed
        ? Effect.fail(new NotifierError({ operation: op, detail: "crashed", transient: true }))
        : Effect.void
    world.ci.hook = (op) =>
      crash.crashed ? Effect.fail(new CiError({ operation: op, detail: "crashed", transient: true })) : Effect.void
    const restart = Effect.gen(function*() {
      crash.crashed = false
      crash.at = Number.POSITIVE_INFINITY
      runtime = yield* runtimeOf(fake, crash)
    })
    return { fake, world, crash, restart }
  })

/** The issue's threads on the fake, and the turns (user messages) on each. */
const threadsOf = (fake: Fake, repo: Repo, n: number) =>
  fake.threads()
    .filter((t) => t.title.startsWith(`${repo}#${n}:`))
    .map((t) => ({ deleted: t.deletedAt !== null, turns: t.messages.filter((m) => m.role === "user").length }))

const checkInvariants = (fake: Fake, world: World.World, label: string) => {
  for (const [repo, n] of issues) {
    expect(threadsOf(fake, repo, n).length, `${label}: ${repo}#${n} has one thread at most`).toBeLessThanOrEqual(1)
    const issue = world.tracker.issue(repo, n)
    if (issue.state === "closed") {
      const record = Option.getOrThrow(RunRecord.latest(world.tracker.comments(repo, n), bot)).record
      expect(record.phase, `${label}: ${repo}#${n} closed only by a done run`).toBe("done")
      expect(world.ci.greens.has(record.commit ?? ""), `${label}: ${repo}#${n} closed only on green CI`).toBe(true)
    }
  }
}

/** As the clean run ended: each issue one thread with as many turns, the same outcomes, no lock left. */
const checkFinal = (fake: Fake, world: World.World, clean: Map<string, number>, label: string) => {
  for (const [repo, n] of issues) {
    const threads = threadsOf(fake, repo, n)
    expect(threads.length, `${label}: ${repo}#${n} dispatched exactly once`).toBe(1)
    expect(threads[0]?.turns, `${label}: ${repo}#${n} no turn sent twice`).toBe(clean.get(`${repo}#${n}`))
    const issue = world.tracker.issue(repo, n)
    if (issue.state === "open") {
      expect(issue.labels, `${label}: ${repo}#${n} lock released`).not.toContain("agent-in-progress")
    }
  }
  expect(world.tracker.issue(app, 1).state, `${label}: acme/app#1 closed`).toBe("closed")
  expect(world.tracker.issue(app, 2).state, `${label}: acme/app#2 closed`).toBe("closed")
  expect(world.tracker.issue(lib, 2).state, `${label}: acme/lib#2 closed`).toBe("closed")
  expect(world.tracker.issue(lib, 1).labels, `${label}: acme/lib#1 handed over`).toContain("ready-for-human")
  expect(fake.liveSessions(), `${label}: every provider session released`).toBe(0)
}

const turnsOf = (fake: Fake) =>
  new Map(issues.map(([repo, n]) => [`${repo}#${n}`, threadsOf(fake, repo, n)[0]?.turns ?? 0]))

for (const protocol of [1, 2] as const) {
  describe(`R1 crash-point sweep through the T3 runtime, protocol ${protocol}`, () => {
    it.scoped(
      "every T3 write, crashed right after, converges: one thread per issue, no turn sent twice",
      () =>
        Effect.gen(function*() {
          const clean = yield* scenario(protocol)
          yield* clean.world.settle(armed())
          checkFinal(clean.fake, clean.world, turnsOf(clean.fake), "clean run")
          const expected = turnsOf(clean.fake)
          const points = clean.crash.log.flatMap((port, i) => port === "t3" ? [i + 1] : [])
          expect(points.length, "T3 writes in a clean run").toBeGreaterThanOrEqual(16)
          let covered = 0
          for (const k of points) {
            const { crash, fake, restart, world } = yield* scenario(protocol)
            crash.at = k
            let ticks = 0
            while (!crash.crashed && ticks < 80) {
              yield* world.tick(armed())
              checkInvariants(fake, world, `crash after write ${k}, tick ${++ticks}`)
            }
            expect(crash.crashed, `crash after write ${k} was reached`).toBe(true)
            covered++
            yield* restart
            for (let t = 0; t < 40; t++) {
              yield* world.tick(armed())
              checkInvariants(fake, world, `crash after write ${k}, recovery tick ${t}`)
            }
            checkFinal(fake, world, expected, `crash after write ${k}`)
          }
          console.info(`R1 over T3 protocol ${protocol}: ${covered} crash points (every T3 write of a clean run)`)
        }),
      300_000
    )
  })

  describe(`R3 overlapping ticks through the T3 runtime, protocol ${protocol}`, () => {
    for (const overlap of [2, 4, 8]) {
      it.scoped(`${overlap} ticks at once never start a thread or a turn twice`, () =>
        Effect.gen(function*() {
          const clean = yield* scenario(protocol)
          yield* clean.world.settle(armed())
          const expected = turnsOf(clean.fake)
          const { fake, world } = yield* scenario(protocol)
          for (let round = 0; round < 12; round++) {
            yield* Effect.all(
              Array.from({ length: overlap }, () => world.tick(armed(), 0)),
              { concurrency: "unbounded", discard: true }
            )
            yield* world.tick(armed(), 2)
            checkInvariants(fake, world, `overlap ${overlap}, round ${round}`)
          }
          yield* world.settle(armed())
          checkFinal(fake, world, expected, `overlap ${overlap}`)
        }), 120_000)
    }
  })
}
