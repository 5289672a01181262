/**
 * The T3 Code `AgentRuntime`: negotiates the server's orchestration protocol from its descriptor
 * (`t3-protocol-v2.md` §1) and speaks it through one backend per protocol (`T3BackendV1`: HTTP dispatch,
 * `t3-protocol.md`; `T3BackendV2`: WebSocket RPC commands and run-based reads). The choice is kept for a few
 * minutes and read again on a drift signal (§1.3); a version AFK does not speak is refused before anything is
 * sent. Every id is minted from the run id, so a retried or crashed dispatch adopts what exists.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Socket from "@effect/platform/Socket"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as AgentRuntime from "./AgentRuntime.js"
import { TurnStatus } from "./Domain.js"
import * as T3Backend from "./T3Backend.js"
import * as T3BackendV1 from "./T3BackendV1.js"
import * as T3BackendV2 from "./T3BackendV2.js"
import * as T3Client from "./T3Client.js"
import * as T3ClientV2 from "./T3ClientV2.js"
import * as T3Options from "./T3Options.js"

export type Options = T3Options.Options
export type ConfigOptions = T3Options.ConfigOptions
export type RuntimeMode = T3Options.RuntimeMode
export const workspaceRootFor = T3Options.workspaceRootFor
export const truncatePrompt = T3Options.truncatePrompt

/** How long one descriptor read decides the protocol before it is read again (§9.1 "every few minutes"). */
const negotiationTtl = Duration.minutes(5)

/**
 * A drift signal (§1.3): an answer that says the server may have changed protocol under the runtime — a 400
 * (a protocol-2 read without its header), a 404 or 426, a WebSocket that does not open (it cannot tell a 426
 * from other refusals, §9.4), or a body that is not the expected JSON.
 */
const isDrift = (error: AgentRuntime.AgentRuntimeError) =>
  error.status === 400 || error.status === 404 || error.status === 426 ||
  error.operation === T3ClientV2.connectOperation ||
  error.detail.includes("does not match the expected shape")

/**
 * Builds the T3 `AgentRuntime` service on the ambient `HttpClient`. Nothing is sent until a method runs; the
 * first one reads the server's descriptor (unless `options.protocol` pins it). Protocol 2 sends its commands
 * over a WebSocket made by the ambient `Socket.WebSocketConstructor` (`bin.ts` provides Node's); without one,
 * a protocol-2 server is refused with an error that says so.
 */
export const make = (options: Options): Effect.Effect<AgentRuntime.Service, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const webUrl = (options.webUrl ?? options.url).replace(/\/+$/, "")
    const client = yield* T3Client.make(options)
    const v1 = yield* T3BackendV1.make(options, client)
    const webSocket = yield* Effect.serviceOption(Socket.WebSocketConstructor)
    const v2 = yield* Option.match(webSocket, {
      onNone: () => Effect.succeed(Option.none<T3Backend.T3Backend>()),
      onSome: (constructor) =>
        T3ClientV2.make(options).pipe(
          Effect.flatMap((clientV2) => T3BackendV2.make(options, clientV2)),
          Effect.provideService(Socket.WebSocketConstructor, constructor),
          Effect.map(Option.some)
        )
    })
    const noWebSocket = new AgentRuntime.AgentRuntimeError({
      operation: "choose the orchestration protocol",
      detail: "T3 Code speaks orchestration protocol 2, which sends commands over a WebSocket, and this AFK " +
        "was built without a WebSocket constructor",
      transient: false,
      hint: "provide Socket.WebSocketConstructor (NodeSocket.layerWebSocketConstructor from @effect/platform-node)"
    })
    const speak = (protocol: T3Backend.Protocol) =>
      protocol === 1
        ? Effect.succeed(v1)
        : Option.match(v2, { onNone: () => Effect.fail(noWebSocket), onSome: Effect.succeed })
    const [descriptor, forget] = yield* Effect.cachedInvalidateWithTTL(client.probe, negotiationTtl)
    const probed = Effect.tapError(descriptor, () => forget)

    const backendFor = (
      probe: T3Client.ProbeResult
    ): Effect.Effect<T3Backend.T3Backend, AgentRuntime.AgentRuntimeError> =>
      T3Backend.isSupported(probe.orchestrationProtocol)
        ? speak(probe.orchestrationProtocol)
        : Effect.fail(unsupportedProtocol(options.url, probe))

    const backend = options.protocol === undefined ? Effect.flatMap(probed, backendFor) : speak(options.protocol)

    /** Runs `use` on the negotiated backend; a drift signal makes the next call read the descriptor again. */
    const on = <A>(use: (backend: T3Backend.T3Backend) => Effect.Effect<A, AgentRuntime.AgentRuntimeError>) =>
      Effect.flatMap(backend, use).pipe(Effect.tapError((error) => isDrift(error) ? forget : Effect.void))

    const status = (threadId: string) =>
      on((b) => b.status(threadId)).pipe(
        Effect.tap((turn) => turn.state === "unknown" ? forget : Effect.void),
        Effect.catchIf(
          (error) => error.transient,
          (error) => Effect.succeed(new TurnStatus({ state: "unknown", detail: error.message }))
        )
      )

    const threadUrl = (threadId: string) =>
      Effect.gen(function*() {
        const id = yield* Effect.option(probed)
        if (Option.isNone(id)) {
          yield* Effect.logWarning(
            "T3 Code's environment id could not be read (GET /.well-known/t3/environment), so no thread link is shown this time"
          )
          return undefined
        }
        return `${webUrl}/${encodeURIComponent(id.value.environmentId)}/${encodeURIComponent(threadId)}`
      })

    return AgentRuntime.AgentRuntime.of({
      prepare: (request) => on((b) => b.prepare(request)),
      dispatch: (request) => on((b) => b.dispatch(request)),
      followUp: (request) => on((b) => b.followUp(request)),
      interrupt: (runId, threadId) => on((b) => b.interrupt(runId, threadId)),
      release: (request) => on((b) => b.release(request)),
      status,
      threadUrl
    })
  })

/** Provides `AgentRuntime` backed by T3 Code; requires an `HttpClient`. */
export const layer = (options: Options): Layer.Layer<AgentRuntime.AgentRuntime, never, HttpClient.HttpClient> =>
  Layer.effect(AgentRuntime.AgentRuntime, make(options))

/**
 * Like `layer`, reading the options from `Config` (e.g. `token: Config.redacted("AFK_T3_TOKEN")`). The
 * config is read when the layer is built (failing it when invalid) and again for every request's token,
 * so a rotated secret is picked up; a failed re-read keeps the last good token.
 */
export const layerConfig = (
  config: Config.Config.Wrap<ConfigOptions>
): Layer.Layer<AgentRuntime.AgentRuntime, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.effect(
    AgentRuntime.AgentRuntime,
    Effect.gen(function*() {
      const read = Config.unwrap(config)
      const provider = yield* Effect.configProviderWith(Effect.succeed)
      const initial = yield* read
      const lastGood = yield* Ref.make(initial.token)
      const token = read.pipe(
        Effect.withConfigProvider(provider),
        Effect.tap((fresh) => Ref.set(lastGood, fresh.token)),
        Effect.map((fresh) => fresh.token),
        Effect.orElse(() => Ref.get(lastGood))
      )
      return yield* make({
        url: initial.url,
        token,
        model: initial.model,
        workspaceRoot: initial.workspaceRoot,
        ...(initial.webUrl === undefined ? {} : { webUrl: initial.webUrl }),
        ...(initial.runtimeMode === undefined ? {} : { runtimeMode: initial.runtimeMode }),
        ...(initial.queuedGrace === undefined ? {} : { queuedGrace: initial.queuedGrace })
      })
    })
  )

/** What `probe` learns from `GET /.well-known/t3/environment`. */
export type ProbeResult = T3Client.ProbeResult

/** Checks that `url` is a reachable T3 Code server (no credential needed) and reads its version. */
export const probe = T3Client.probe

/** The scopes the loop needs on its T3 token: it reads threads and dispatches commands. */
export const requiredScopes: ReadonlyArray<string> = ["orchestration:read", "orchestration:operate"]

/** The scopes a bearer token carries, when the server lists them (a read; nothing is created). */
export const scopes = T3Client.scopes

/**
 * The T3 Code orchestration protocols this runtime speaks: 1 (the HTTP API of T3 Code up to 0.0.45) and 2
 * (T3 Code 0.0.46 on: WebSocket RPC commands, run-based reads). Any other version is refused.
 */
export const supportedProtocols = T3Backend.supported

/**
 * The refusal of a server whose descriptor names a protocol AFK does not speak (§1.3): non-transient, naming
 * both sides, and nothing is dispatched.
 */
export const unsupportedProtocol = (
  url: string,
  probed: Pick<ProbeResult, "orchestrationProtocol" | "serverVersion">
) =>
  new AgentRuntime.AgentRuntimeError({
    operation: "GET /.well-known/t3/environment",
    detail:
      `T3 Code at ${url} speaks orchestration protocol ${probed.orchestrationProtocol} (${probed.serverVersion}); ` +
      `AFK supports ${supportedProtocols.join(" and ")}`,
    transient: false,
    hint: "run a T3 Code that speaks a supported protocol, or an AFK that speaks this one (see docs/t3.md)"
  })
