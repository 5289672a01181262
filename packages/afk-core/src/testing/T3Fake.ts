/**
 * A T3 Code server fake as strict as the real one, over real HTTP (and, on protocol 2, a WebSocket) on
 * 127.0.0.1. Protocol 1 (`t3-protocol.md`, the default): bare
 * commands only (a `{command: …}` wrapper is a 400, prior-art §8.1), client-minted ids, `commandId`
 * idempotency, 500 for rule violations, 401/403 with the documented bodies, and the read endpoints in
 * their current shapes. Turns follow a script and move one step each time their thread is polled; faults
 * (unreachable, 5xx, a dropped answer) are switched on per test. Protocol 2 (`t3-protocol-v2.md`,
 * `protocol: 2`): the same scripts drive runs instead of turns, commands travel as Effect RPC over `/ws`
 * behind a spent-on-use ticket, and reads need the protocol header (see `t3fake/*2.ts`). Used by tests, the
 * CLI demo and benches.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as Fake2 from "./t3fake/Fake2.js"
import * as Http from "./t3fake/Http.js"
import type * as Model from "./t3fake/Model.js"
import * as Script from "./t3fake/Script.js"
import * as World from "./t3fake/World.js"

export type { FakeOptionsV2, T3FakeV2 } from "./t3fake/Fake2.js"
export type { LoggedRequest } from "./t3fake/Http.js"
export type { Project as FakeProject, Thread as FakeThread } from "./t3fake/Model.js"
export type { Run as FakeRun, ThreadView as FakeThreadV2 } from "./t3fake/Model2.js"
export type { Frame as RpcFrame } from "./t3fake/Rpc2.js"
export {
  type Behaviour,
  block,
  complete,
  fail,
  hang,
  interrupt,
  queue,
  Script,
  stop,
  type TurnInfo,
  vanish
} from "./t3fake/Script.js"

/** The scopes a client needs (§2). */
export const operatorScopes: ReadonlyArray<string> = Fake2.operatorScopes

export interface FakeOptions {
  /** Accepted bearer tokens and their scopes; default one token, `t3-fake-token`, with `operatorScopes`. */
  readonly tokens?: ReadonlyArray<{ readonly token: string; readonly scopes: ReadonlyArray<string> }>
  /** What each accepted turn does; default: completes with "Done." on the first poll. */
  readonly behaviour?: Script.Behaviour
  /** Directories that exist on the fake host (others need `createWorkspaceRootIfMissing: true`). */
  readonly workspaceRoots?: ReadonlyArray<string>
  /** Reported by `/.well-known/t3/environment`; default `0.0.33`. */
  readonly serverVersion?: string
  /** Polls of the thread after an interrupt before the provider acknowledges it (default 1; 0: at once). */
  readonly interruptAckPolls?: number
  /** The orchestration protocol the fake speaks: 1 (the default) here; `FakeOptionsV2` has `protocol: 2`. */
  readonly protocol?: 1
  /**
   * What the descriptor's `orchestrationProtocolVersion` says, whatever the fake speaks (negotiation and drift
   * tests): a number, or `"absent"` to omit it. Default: absent on protocol 1 (T3 ≤ 0.0.42), `2` on protocol 2.
   */
  readonly protocolVersionReported?: number | "absent"
}

export interface T3Fake {
  readonly protocol: 1
  /** `http://127.0.0.1:<port>`. */
  readonly url: string
  /** The current value of the first token (changes with `rotateToken`). */
  readonly token: () => string
  /** Replaces the first token's value; the old value is rejected from then on (401). */
  readonly rotateToken: (token: string) => void
  /** The id `/.well-known/t3/environment` reports; the web app's thread route starts with it. */
  readonly environmentId: string
  /** Every thread, deleted ones included, as the server's read model has it. */
  readonly threads: () => ReadonlyArray<Model.Thread>
  readonly projects: () => ReadonlyArray<Model.Project>
  /** Threads (not deleted) whose provider session is still alive: neither stopped nor errored. */
  readonly liveSessions: () => number
  /** Every request received, oldest first; the bearer value is never kept. */
  readonly requests: () => ReadonlyArray<Http.LoggedRequest>
  /** Moves the thread's current turn one step, as a poll does. */
  readonly advance: (threadId: string) => void
  /** While on, every connection is destroyed before an answer (a refused or reset connection). */
  readonly setUnreachable: (unreachable: boolean) => void
  /** The next `n` requests (or dispatches of `commandType`) answer `status` (default 503), unprocessed. */
  readonly failNext: (n: number, status?: number, commandType?: string) => void
  /** The next dispatch of `commandType` is applied, then its connection destroyed before the answer. */
  readonly dropResponseOnce: (commandType: string) => void
  /** Another client's `command` is applied just before the next dispatch of `commandType` (a race). */
  readonly raceNext: (commandType: string, command: unknown) => void
}

/**
 * Starts the fake on 127.0.0.1 (a free port); it stops when the scope closes. Its clock is the caller's.
 * `protocol: 2` starts the protocol-2 server (`T3FakeV2`); otherwise today's protocol-1 server.
 */
export function start(options: Fake2.FakeOptionsV2): Effect.Effect<Fake2.T3FakeV2, never, Scope.Scope>
export function start(options?: FakeOptions): Effect.Effect<T3Fake, never, Scope.Scope>
export function start(options?: AnyFakeOptions): Effect.Effect<T3Fake | Fake2.T3FakeV2, never, Scope.Scope>
export function start(options: AnyFakeOptions = {}): Effect.Effect<T3Fake | Fake2.T3FakeV2, never, Scope.Scope> {
  return options.protocol === 2 ? Fake2.start(options) : startV1(options)
}

/** Options for either protocol: `protocol: 2` selects `FakeOptionsV2`. */
export type AnyFakeOptions = FakeOptions | Fake2.FakeOptionsV2

const startV1 = (options: FakeOptions): Effect.Effect<T3Fake, never, Scope.Scope> =>
  Effect.gen(function*() {
    const clock = yield* Effect.clock
    const tokens: Array<Http.Token> = (options.tokens ?? [{ token: "t3-fake-token", scopes: operatorScopes }]).map(
      (t) => ({ value: t.token, scopes: t.scopes })
    )
    const world = World.make({
      now: () => clock.unsafeCurrentTimeMillis(),
      behaviour: options.behaviour ?? (() => Script.complete("Done.")),
      existingRoots: options.workspaceRoots ?? [],
      home: "/home/t3",
      interruptAckPolls: options.interruptAckPolls ?? 1
    })
    const faults: Http.Faults = { unreachable: false, failNext: [], dropOnce: new Set(), race: new Map() }
    const log: Array<Http.LoggedRequest> = []
    const environmentId = "fake-environment"
    const handle = Http.handler({
      world,
      tokens,
      faults,
      log,
      serverVersion: options.serverVersion ?? "0.0.33",
      environmentId,
      protocolVersionReported: options.protocolVersionReported ?? "absent"
    })

    const server = yield* Effect.acquireRelease(
      Effect.async<http.Server>((resume) => {
        const server = http.createServer(handle)
        server.on("connection", (socket) => {
          if (faults.unreachable) socket.destroy()
        })
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
      }),
      (server) =>
        Effect.async<void>((resume) => {
          server.closeAllConnections()
          server.close(() => resume(Effect.void))
        })
    )
    const { port } = server.address() as AddressInfo

    return {
      protocol: 1 as const,
      url: `http://127.0.0.1:${port}`,
      environmentId,
      token: () => tokens[0]?.value ?? "",
      rotateToken: (token) => {
        const first = tokens[0]
        if (first !== undefined) first.value = token
      },
      threads: () => structuredClone(world.threads()),
      projects: () => structuredClone(world.projects()),
      liveSessions: world.liveSessions,
      requests: () => [...log],
      advance: world.advance,
      setUnreachable: (unreachable) => {
        faults.unreachable = unreachable
      },
      failNext: (n, status = 503, commandType) => {
        for (let i = 0; i < n; i++) faults.failNext.push({ status, commandType })
      },
      dropResponseOnce: (commandType) => {
        faults.dropOnce.add(commandType)
      },
      raceNext: (commandType, command) => {
        faults.race.set(commandType, command)
      }
    }
  })
