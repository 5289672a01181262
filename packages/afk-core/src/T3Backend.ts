/**
 * The seam under the T3 runtime (`t3-protocol-v2.md` §9.1): one backend per orchestration protocol, each
 * speaking its own wire (protocol 1: HTTP dispatch and thread reads; protocol 2: WebSocket RPC commands and
 * run-based HTTP reads) behind the same operations. `T3` negotiates the protocol and picks the backend per
 * call; a backend never decides which protocol the server speaks.
 */
import type * as AgentRuntime from "./AgentRuntime.js"

/** What a backend does for the runtime: every `AgentRuntime` operation except the web link, which `T3` owns. */
export type T3Backend = Required<Omit<AgentRuntime.Service, "threadUrl">>

/** The orchestration protocols AFK speaks. */
export type Protocol = 1 | 2

/** The protocols AFK speaks, in the order it names them. */
export const supported: ReadonlyArray<Protocol> = [1, 2]

/** Whether AFK speaks `version` (a descriptor without the field is protocol 1, §1.2). */
export const isSupported = (version: number): version is Protocol => supported.includes(version as Protocol)
