/**
 * The protocol-2 T3 fake's server and control surface (`t3-protocol-v2.md` §8): one node:http server on
 * 127.0.0.1 with the HTTP routes of `Http2.ts` and the `/ws` upgrade of `Rpc2.ts`, over the world of
 * `World2.ts`. The control surface is protocol 1's (`advance`, faults, `threads()`, …) plus what protocol 2
 * needs: the RPC frame log, a server restart, and a descriptor that can report another protocol.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import type { FakeOptions } from "../T3Fake.js"
import * as Auth from "./Auth2.js"
import type * as Http from "./Http.js"
import * as Http2 from "./Http2.js"
import type { Project } from "./Model.js"
import type { ThreadView } from "./Model2.js"
import * as Rpc from "./Rpc2.js"
import * as Script from "./Script.js"
import * as World from "./World2.js"

/** The scopes a client needs (§2.1). */
export const operatorScopes: ReadonlyArray<string> = ["orchestration:read", "orchestration:operate"]

/** Protocol 1's options (the same scripts, tokens, roots, interrupt delay) with `protocol: 2`. */
export interface FakeOptionsV2 extends Omit<FakeOptions, "protocol"> {
  readonly protocol: 2
  /** How long a WebSocket ticket stays valid, on the caller's clock (default 10 s; §2.3, §8). */
  readonly ticketTtlMillis?: number
}

export interface T3FakeV2 {
  readonly protocol: 2
  /** `http://127.0.0.1:<port>`; the WebSocket is `ws://127.0.0.1:<port>/ws`. */
  readonly url: string
  /** The current value of the first token (changes with `rotateToken`). */
  readonly token: () => string
  /** Replaces the first token's value; the old value and tickets minted from it are rejected (401). */
  readonly rotateToken: (token: string) => void
  /** The id the descriptor reports. */
  readonly environmentId: string
  /** Every thread, deleted ones included, with its runs, messages and provider sessions. */
  readonly threads: () => ReadonlyArray<ThreadView>
  readonly projects: () => ReadonlyArray<Project>
  /** Provider sessions not stopped or errored, on threads not deleted (`provider-session.detach` stops one). */
  readonly liveSessions: () => number
  /** Every HTTP request and WebSocket upgrade received, oldest first; bearer and ticket values are never kept. */
  readonly requests: () => ReadonlyArray<Http.LoggedRequest>
  /** Every RPC frame received and sent, oldest first. */
  readonly frames: () => ReadonlyArray<Rpc.Frame>
  /** Moves the thread's active run one step, as a poll does. */
  readonly advance: (threadId: string) => void
  /** While on, every connection (HTTP or upgrade) is destroyed before an answer. */
  readonly setUnreachable: (unreachable: boolean) => void
  /**
   * Without `commandType`: the next `n` HTTP requests answer `status` (default 503), unprocessed. With
   * `project.create`: the next `n` `POST /api/projects/mutate` do. With another command type: the next `n`
   * dispatches of it fail `OrchestrationV2DispatchCommandError` "Failed to dispatch …", unprocessed and with no
   * receipt (`status` is then unused).
   */
  readonly failNext: (n: number, status?: number, commandType?: string) => void
  /**
   * The next dispatch of `commandType` is applied, then the WebSocket closed before its `Exit`; for
   * `project.create`, the next mutation (HTTP or `projects.mutate`) is applied, then its connection closed.
   */
  readonly dropResponseOnce: (commandType: string) => void
  /** Another client's `command` is applied just before the next dispatch of `commandType` (a race). */
  readonly raceNext: (commandType: string, command: unknown) => void
  /**
   * A server restart (§5.4, §7 row 9): every WebSocket closes, in-flight runs end `outcome` (default
   * `cancelled`; `failed` adds the error item "Provider turn failed."), queued runs are held, provider
   * sessions stop. Receipts and tickets survive.
   */
  readonly restart: (outcome?: "cancelled" | "failed") => void
  /** Changes what the descriptor reports from now on (an in-place upgrade or downgrade, §1.3). */
  readonly reportProtocol: (version: number | "absent") => void
}

const describe = (descriptor: Record<string, unknown>, version: number | "absent") => {
  if (version === "absent") delete descriptor.orchestrationProtocolVersion
  else descriptor.orchestrationProtocolVersion = version
}

/** Starts the protocol-2 fake on 127.0.0.1 (a free port); it stops when the scope closes. */
export const start = (options: FakeOptionsV2): Effect.Effect<T3FakeV2, never, Scope.Scope> =>
  Effect.gen(function*() {
    const clock = yield* Effect.clock
    const now = () => clock.unsafeCurrentTimeMillis()
    const tokens: Array<Auth.Token> = (options.tokens ?? [{ token: "t3-fake-token", scopes: operatorScopes }]).map(
      (t) => ({ value: t.token, scopes: t.scopes })
    )
    const world = World.make({
      now,
      behaviour: options.behaviour ?? (() => Script.complete("Done.")),
      existingRoots: options.workspaceRoots ?? [],
      home: "/home/t3",
      interruptAckPolls: options.interruptAckPolls ?? 1
    })
    const auth = Auth.make({ tokens, now, ticketTtlMillis: options.ticketTtlMillis ?? 10_000 })
    const faults: Http.Faults = { unreachable: false, failNext: [], dropOnce: new Set(), race: new Map() }
    const log: Array<Http.LoggedRequest> = []
    const frames: Array<Rpc.Frame> = []
    const environmentId = "fake-environment"
    const descriptor: Record<string, unknown> = {
      environmentId,
      label: "T3 fake",
      platform: { os: "linux", arch: "x64" },
      serverVersion: options.serverVersion ?? "0.0.46-nightly.20261003.2610",
      capabilities: { threadSettlement: true, pullRequests: false, fileAttachments: false }
    }
    describe(descriptor, options.protocolVersionReported ?? 2)
    const rpc = Rpc.make({ world, auth, faults, log, frames, descriptor })
    const handle = Http2.handler({ world, auth, faults, log, descriptor })

    const server = yield* Effect.acquireRelease(
      Effect.async<http.Server>((resume) => {
        const server = http.createServer(handle)
        server.on("connection", (socket) => {
          if (faults.unreachable) socket.destroy()
        })
        server.on("upgrade", rpc.upgrade)
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
      }),
      (server) =>
        Effect.async<void>((resume) => {
          rpc.closeAll()
          rpc.close()
          server.closeAllConnections()
          server.close(() => resume(Effect.void))
        })
    )
    const { port } = server.address() as AddressInfo

    return {
      protocol: 2 as const,
      url: `http://127.0.0.1:${port}`,
      environmentId,
      token: () => tokens[0]?.value ?? "",
      rotateToken: (token) => {
        const first = tokens[0]
        if (first !== undefined) first.value = token
      },
      threads: () =>
        world.states().map((s) =>
          structuredClone({ ...s.thread, runs: s.runs, messages: s.messages, providerSessions: s.providerSessions })
        ),
      projects: () => structuredClone(world.projects()),
      liveSessions: () =>
        world.states().filter((s) => s.thread.deletedAt === null).flatMap((s) => s.providerSessions).filter((p) =>
          p.status !== "stopped" && p.status !== "error"
        ).length,
      requests: () => [...log],
      frames: () => [...frames],
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
      },
      restart: (outcome = "cancelled") => {
        rpc.closeAll()
        world.restart(outcome)
      },
      reportProtocol: (version) => describe(descriptor, version)
    }
  })
