/**
 * The hand-written RPC envelope codec (`t3-protocol-v2.md` §3): the exact client frames, and the server
 * frames including Effect 4's flat-array failure causes that Effect 3's `@effect/rpc` cannot decode (§9.3).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as T3Rpc from "../src/T3Rpc.js"

const decoded = (text: string) => Either.getOrThrow(T3Rpc.decode(text))

describe("T3Rpc", () => {
  it("encodes a Request with an empty headers array and the payload (§3.2, §3.7)", () => {
    const frame = T3Rpc.encode(T3Rpc.request("1", "orchestration.dispatchCommand", { type: "thread.create" }))
    expect(JSON.parse(frame)).toEqual({
      _tag: "Request",
      id: "1",
      tag: "orchestration.dispatchCommand",
      payload: { type: "thread.create" },
      headers: []
    })
    expect(JSON.parse(T3Rpc.encode({ _tag: "Ack", requestId: "1" }))).toEqual({ _tag: "Ack", requestId: "1" })
    expect(JSON.parse(T3Rpc.encode({ _tag: "Interrupt", requestId: "1" }))).toEqual({
      _tag: "Interrupt",
      requestId: "1"
    })
  })

  it("decodes a success Exit, a numeric request id, and an array of messages in one frame", () => {
    const [exit] = decoded(`{"_tag":"Exit","requestId":"1","exit":{"_tag":"Success","value":{"sequence":4120}}}`)
    expect(exit).toEqual({ _tag: "Exit", requestId: "1", exit: { _tag: "Success", value: { sequence: 4120 } } })
    const many = decoded(`[{"_tag":"Pong"},{"_tag":"Exit","requestId":2,"exit":{"_tag":"Success","value":null}}]`)
    expect(many.map((m) => m._tag)).toEqual(["Pong", "Exit"])
    expect(many[1]).toMatchObject({ requestId: "2" })
  })

  it("decodes a flat-array failure cause: the typed error, and a Die's defect (§3.3)", () => {
    const typed = decoded(JSON.stringify({
      _tag: "Exit",
      requestId: "1",
      exit: {
        _tag: "Failure",
        cause: [{
          _tag: "Fail",
          error: {
            _tag: "OrchestrationV2DispatchCommandError",
            commandId: "c",
            message: "Command c was previously rejected: x"
          }
        }]
      }
    }))[0]
    expect(typed?._tag).toBe("Exit")
    if (typed?._tag !== "Exit") return
    expect(T3Rpc.failures(typed.exit)).toEqual([{
      _tag: "OrchestrationV2DispatchCommandError",
      commandId: "c",
      message: "Command c was previously rejected: x"
    }])
    const died = decoded(
      `{"_tag":"Exit","requestId":"1","exit":{"_tag":"Failure","cause":[{"_tag":"Die","defect":"Unknown request tag: nope"}]}}`
    )[0]
    if (died?._tag !== "Exit") throw new Error("not an Exit")
    expect(T3Rpc.defect(died.exit)).toEqual(Option.some("Unknown request tag: nope"))
    expect(T3Rpc.failures(died.exit)).toEqual([])
  })

  it("decodes Chunk, Pong and Defect; refuses an empty Chunk, a tree-shaped cause and a non-JSON frame", () => {
    expect(decoded(`{"_tag":"Chunk","requestId":"1","values":[1]}`)[0]?._tag).toBe("Chunk")
    expect(decoded(`{"_tag":"Defect","defect":"bad frame"}`)[0]).toEqual({ _tag: "Defect", defect: "bad frame" })
    expect(Either.isLeft(T3Rpc.decode(`{"_tag":"Chunk","requestId":"1","values":[]}`))).toBe(true)
    const tree = `{"_tag":"Exit","requestId":"1","exit":{"_tag":"Failure","cause":{"_tag":"Fail","error":{}}}}`
    expect(Either.isLeft(T3Rpc.decode(tree))).toBe(true)
    expect(Either.isLeft(T3Rpc.decode("<html>"))).toBe(true)
  })
})
