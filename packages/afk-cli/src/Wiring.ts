/**
 * What the commands are handed: the platform pieces a command may need, passed in so that nothing is built
 * (and nothing is sent) unless a command actually needs it, and so tests can hand in their own. `bin.ts` and
 * `api.ts` both use `nodeHttp` and `nodeWebSocket`.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Socket from "@effect/platform/Socket"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

export interface Wiring {
  /** The HTTP client for the adapters and probes; only built when a command uses the network. */
  readonly http: Layer.Layer<HttpClient.HttpClient>
  /** How WebSockets are opened: T3 Code's orchestration protocol 2 sends its commands over one. */
  readonly webSocket: Layer.Layer<Socket.WebSocketConstructor>
  /** The environment variables configuration is read from (`process.env`). */
  readonly env: Record<string, string | undefined>
  /** Whether stdout and stderr are terminals, where help may be coloured; absent means neither is. */
  readonly terminal?: { readonly stdout: boolean; readonly stderr: boolean }
}

/**
 * The HTTP client for the adapters: undici's own `request` API (`UndiciHttp`, over `@effect/platform-node`'s
 * dispatcher), loaded only when a command goes on the network. Node's global `fetch` is built on the same undici
 * but adds WHATWG streams, an abort signal and a `Response` per request: against a tracker it cost about 1.6×
 * the CPU per request and ~25 MB more peak memory on a 500-repository tick (bench/RESULTS.md, "CPU per request").
 */
export const nodeHttp: Layer.Layer<HttpClient.HttpClient> = Layer.unwrapEffect(
  Effect.map(
    Effect.promise(() => {
      beforeNetwork()
      return import("./UndiciHttp.js")
    }),
    (UndiciHttp) => UndiciHttp.layerUndici
  )
)

/**
 * What the `afk-cli` launcher does before a command goes on the network (it turns off two V8 heuristics
 * that only cost a tick memory: `bin/afk-cli.js`). Nothing under `afk-cli/api`, whose host owns its process.
 */
const beforeNetwork = () => {
  const hook: unknown = Reflect.get(globalThis, Symbol.for("afk-cli/before-network"))
  if (typeof hook === "function") hook()
}

/**
 * Node's WebSocket: a T3 Code server that speaks orchestration protocol 2 takes commands over one. The global
 * `WebSocket` where Node has one (22 and later), so nothing is loaded for it; on Node 20 the `ws` package
 * (through `@effect/platform-node`), loaded when a pass first reaches T3 Code (`Ports.agent`).
 */
export const nodeWebSocket: Layer.Layer<Socket.WebSocketConstructor> = Layer.unwrapEffect(
  "WebSocket" in globalThis
    ? Effect.succeed(
      Layer.succeed(
        Socket.WebSocketConstructor,
        (url: string, protocols?: string | Array<string>) => new globalThis.WebSocket(url, protocols)
      )
    )
    : Effect.map(
      Effect.promise(() => import("@effect/platform-node/NodeSocket")),
      (NodeSocket) => NodeSocket.layerWebSocketConstructor
    )
)
