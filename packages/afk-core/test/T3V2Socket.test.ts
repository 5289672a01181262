/**
 * `T3Rpc.call` over a real WebSocket on 127.0.0.1 (`t3-protocol-v2.md` §3, §3.8): the exact `Request` frame
 * on the wire, an answer in an array frame, and every way an answer can be lost — a connection-level
 * `Defect`, a close before the answer, silence past the timeout (then an `Interrupt` is sent) and a refused
 * connection — each a `CallLost`, never a guess.
 */
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import * as NodeSocketServer from "@effect/platform-node/NodeSocketServer"
import type * as Socket from "@effect/platform/Socket"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as T3Rpc from "../src/T3Rpc.js"

type Answer = (frame: Record<string, unknown>, write: (text: string) => Effect.Effect<void>) => Effect.Effect<void>

/** A WebSocket server whose connections answer each client frame with `answer`; returns its URL and the frames seen. */
const serve = (answer: Answer) =>
  Effect.gen(function*() {
    const server = yield* NodeSocketServer.makeWebSocket({ port: 0, host: "127.0.0.1" })
    const seen: Array<Record<string, unknown>> = []
    yield* Effect.forkScoped(server.run((socket: Socket.Socket) =>
      Effect.gen(function*() {
        const write = yield* socket.writer
        yield* socket.runRaw((data) => {
          const frame = JSON.parse(typeof data === "string" ? data : new TextDecoder().decode(data))
          seen.push(frame)
          return answer(frame, (text) => Effect.orDie(write(text)))
        })
      }).pipe(Effect.scoped, Effect.ignore)
    ))
    const address = server.address
    const port = address._tag === "TcpAddress" ? address.port : 0
    return { url: `ws://127.0.0.1:${port}/ws?wsTicket=t&orchestrationProtocol=2`, seen }
  })

const options = { openTimeout: 2_000, timeout: 300 }
const call = (url: string) =>
  T3Rpc.call(url, "orchestration.dispatchCommand", { type: "thread.archive" }, options).pipe(
    Effect.provide(NodeSocket.layerWebSocketConstructor)
  )

describe("T3Rpc.call over a WebSocket", () => {
  it.scopedLive("sends one Request with id 1, headers [] and the payload; takes the Exit from an array frame", () =>
    Effect.gen(function*() {
      const server = yield* serve((frame, write) =>
        frame._tag === "Request"
          ? write(JSON.stringify([{ _tag: "Pong" }, {
            _tag: "Exit",
            requestId: frame.id,
            exit: { _tag: "Success", value: { sequence: 7 } }
          }]))
          : Effect.void
      )
      const exit = yield* call(server.url)
      expect(exit).toEqual({ _tag: "Success", value: { sequence: 7 } })
      expect(server.seen[0]).toEqual({
        _tag: "Request",
        id: "1",
        tag: "orchestration.dispatchCommand",
        payload: { type: "thread.archive" },
        headers: []
      })
    }))

  it.scopedLive("a connection-level Defect loses the call", () =>
    Effect.gen(function*() {
      const server = yield* serve((_, write) => write(JSON.stringify({ _tag: "Defect", defect: "unparseable" })))
      const lost = yield* Effect.flip(call(server.url))
      expect(lost).toMatchObject({ _tag: "CallLost", reason: "defect" })
      expect(lost.detail).toContain("unparseable")
    }))

  it.scopedLive("silence past the timeout sends an Interrupt for the request and loses the call", () =>
    Effect.gen(function*() {
      const server = yield* serve(() => Effect.void)
      const lost = yield* Effect.flip(call(server.url))
      expect(lost).toMatchObject({ _tag: "CallLost", reason: "timeout" })
      yield* Effect.sleep("100 millis")
      expect(server.seen.map((f) => f._tag)).toEqual(["Request", "Interrupt"])
      expect(server.seen[1]).toEqual({ _tag: "Interrupt", requestId: "1" })
    }))

  it.scopedLive("an undecodable frame loses the call", () =>
    Effect.gen(function*() {
      const server = yield* serve((_, write) => write("<html>"))
      expect(yield* Effect.flip(call(server.url))).toMatchObject({ reason: "undecodable" })
    }))

  it.live("a refused connection loses the call before anything is sent", () =>
    Effect.gen(function*() {
      const lost = yield* Effect.flip(call("ws://127.0.0.1:9/ws"))
      expect(lost).toMatchObject({ _tag: "CallLost", reason: "open" })
    }))
})
