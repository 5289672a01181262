/**
 * The ports a pass runs on (`Ports.layer`): T3 Code's runtime, and on Node 20 the WebSocket package it may
 * need, are made when a pass first reaches the agent, so an idle tick never loads them.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as Socket from "@effect/platform/Socket"
import { describe, expect, it } from "@effect/vitest"
import { AgentRuntime } from "afk-core"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ports from "../src/Ports.js"
import * as Settings from "../src/Settings.js"
import { nodeHttp } from "../src/Wiring.js"
import * as Loopback from "./support/Loopback.js"

const none: Settings.Parsed = { config: Option.none(), configDir: Option.none(), set: Option.none() }

describe("Ports.layer", () => {
  it.scoped("makes T3 Code's runtime and its WebSocket when a pass first reaches the agent, once", () =>
    Effect.gen(function*() {
      const t3 = yield* Loopback.t3Protocol(2, "t3-token")
      let sockets = 0
      const webSocket = Layer.sync(Socket.WebSocketConstructor, () => {
        sockets++
        return () => {
          throw new Error("no WebSocket is opened by a status read")
        }
      })
      const { config } = yield* Settings.load(none, {
        AFK_TRACKER: "github",
        GITHUB_TOKEN: "ghp_test",
        AFK_T3_URL: t3.url,
        AFK_T3_TOKEN: "t3-token"
      }).pipe(Effect.provide(NodeFileSystem.layer))
      const ports = yield* Layer.build(Ports.layer(config, nodeHttp, webSocket))
      expect(sockets).toBe(0)
      expect(t3.paths()).toEqual([])
      const agent = Context.get(ports, AgentRuntime.AgentRuntime)
      const first = yield* agent.status("00000000-0000-4000-8000-000000000001")
      expect(first.state).toBe("vanished")
      expect(sockets).toBe(1)
      expect(t3.paths()[0]).toBe("/.well-known/t3/environment")
      yield* agent.status("00000000-0000-4000-8000-000000000002")
      expect(sockets).toBe(1)
    }))
})
