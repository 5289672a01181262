/**
 * P2 per T3 Code protocol: what one dispatch costs the T3 runtime on each orchestration protocol, counted at
 * the server — HTTP requests, WebSocket upgrades and RPC frames AFK sends. Two dispatches into one
 * repository's project: the first in a fresh process (it reads the environment descriptor and finds or creates
 * the project), the second with the project known.
 *
 * Floors, from the protocols' minimum for AFK's commands plus the one read AFK's crash rule adds (the thread is
 * read before it is created, so a dispatch that crashed after creating it is adopted, never duplicated):
 * - protocol 1: that read, then a thread and its first turn as two `POST /api/orchestration/dispatch` (3); the
 *   first dispatch also reads the descriptor and the snapshot and creates the project (3 more);
 * - protocol 2: that read (bounded, with the protocol header), then `thread.create` and `message.dispatch`, each
 *   a fresh ticket (`POST`), one WebSocket (an upgrade) and one `Request` frame (`t3-protocol-v2.md` §3.8): 7;
 *   the first dispatch also reads the descriptor, lists the projects and creates one (3 more).
 *
 * Run: npx vite-node --config bench/vite.config.ts bench/p9-t3-dispatch.ts
 */
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { Domain, Ids, T3 } from "afk-core"
import { T3Fake } from "afk-core/testing"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Report from "./report.js"

const request = (number: number) => {
  const issue = new Domain.IssueRef({ repo: Domain.repo("acme/widgets"), number })
  const runId = Ids.runId(issue, 1)
  return { runId, threadId: Ids.threadId(runId), issue, title: `acme/widgets#${number}: Fix it`, prompt: "Do it." }
}

const runtime = (url: string, token: string) =>
  T3.make({
    url,
    token: Effect.succeed(Redacted.make(token)),
    model: "claude-sonnet-5",
    workspaceRoot: "/data/{owner}__{repo}"
  }).pipe(Effect.provide(FetchHttpClient.layer), Effect.provide(NodeSocket.layerWebSocketConstructor))

interface Counted {
  readonly requests: number
  readonly upgrades: number
  readonly frames: number
}

const protocolOne = Effect.gen(function*() {
  const fake = yield* T3Fake.start({ workspaceRoots: ["/data/acme__widgets"] })
  const agent = yield* runtime(fake.url, fake.token())
  const count = (): Counted => ({ requests: fake.requests().length, upgrades: 0, frames: 0 })
  yield* agent.dispatch(request(1))
  const first = count()
  yield* agent.dispatch(request(2))
  const both = count()
  return { first, second: { requests: both.requests - first.requests, upgrades: 0, frames: 0 } }
})

const protocolTwo = Effect.gen(function*() {
  const server = yield* T3Fake.start({ protocol: 2, workspaceRoots: ["/data/acme__widgets"] })
  const agent = yield* runtime(server.url, server.token())
  const count = (): Counted => {
    const requests = server.requests()
    const upgrade = (r: T3Fake.LoggedRequest) => r.path.startsWith("/ws")
    return {
      requests: requests.filter((r) => !upgrade(r)).length,
      upgrades: requests.filter(upgrade).length,
      frames: server.frames().filter((f) => f.direction === "in").length
    }
  }
  yield* agent.dispatch(request(1))
  const first = count()
  yield* agent.dispatch(request(2))
  const both = count()
  return {
    first,
    second: {
      requests: both.requests - first.requests,
      upgrades: both.upgrades - first.upgrades,
      frames: both.frames - first.frames
    }
  }
})

const total = (c: Counted) => c.requests + c.upgrades + c.frames

const program = Effect.gen(function*() {
  const one = yield* protocolOne
  const two = yield* protocolTwo
  const rows = [
    ["protocol 1, first dispatch", one.first, 6],
    ["protocol 1, next dispatch", one.second, 3],
    ["protocol 2, first dispatch", two.first, 10],
    ["protocol 2, next dispatch", two.second, 7]
  ] as const
  return {
    details: [
      Report.table(
        ["dispatch", "HTTP requests", "WebSocket upgrades", "RPC frames sent", "total", "floor"],
        rows.map(([name, c, floor]) => [name, c.requests, c.upgrades, c.frames, total(c), floor])
      )
    ],
    figures: rows.map(([name, c, floor]) =>
      Report.ratio("P2", `T3 ${name}: requests + upgrades + frames`, total(c), "msg", floor, 1.2)
    )
  } satisfies Report.Outcome
})

Report.main("P2 per T3 Code protocol: what one dispatch sends", Effect.scoped(program))
