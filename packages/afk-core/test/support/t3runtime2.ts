/**
 * The T3 runtime over the protocol-2 T3 fake on 127.0.0.1, as the protocol-2 tests build it: the fake's own
 * token, the model and workspace root every test uses, protocol 2 negotiated from the descriptor, Node's
 * WebSocket under `@effect/platform`'s `Socket`, and `overrides` (retries, settle times).
 */
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as T3 from "../../src/T3.js"
import type * as T3Fake from "../../src/testing/T3Fake.js"

/** The runtime over `fake`. */
export const over = (fake: T3Fake.T3FakeV2, overrides: Partial<T3.Options> = {}) =>
  T3.make({
    url: fake.url,
    token: Effect.sync(() => Redacted.make(fake.token())),
    model: "claude-sonnet-5",
    workspaceRoot: "/data/{owner}__{repo}",
    ...overrides
  }).pipe(Effect.provide(FetchHttpClient.layer), Effect.provide(NodeSocket.layerWebSocketConstructor))

interface RequestFrame {
  readonly _tag: "Request"
  readonly tag: string
  readonly payload: { readonly type?: string }
}
const isRequest = (frame: unknown): frame is RequestFrame =>
  typeof frame === "object" && frame !== null && (frame as { readonly _tag?: unknown })._tag === "Request"

/** The command types the client sent over RPC (`orchestration.dispatchCommand`), oldest first. */
export const commands = (fake: T3Fake.T3FakeV2, type?: string): ReadonlyArray<string> =>
  fake.frames()
    .flatMap((f) =>
      f.direction === "in" && isRequest(f.frame) && f.frame.tag === "orchestration.dispatchCommand"
        ? [f.frame.payload.type ?? ""]
        : []
    )
    .filter((t) => type === undefined || t === type)

/** The payloads of the client's `orchestration.dispatchCommand` frames of `type`. */
export const payloads = (fake: T3Fake.T3FakeV2, type: string): ReadonlyArray<Record<string, unknown>> =>
  fake.frames().flatMap((f) =>
    f.direction === "in" && isRequest(f.frame) && f.frame.tag === "orchestration.dispatchCommand" &&
      f.frame.payload.type === type
      ? [f.frame.payload as Record<string, unknown>]
      : []
  )

/** The `_tag` of every frame the client sent. */
export const sent = (fake: T3Fake.T3FakeV2): ReadonlyArray<string | undefined> =>
  fake.frames().filter((f) => f.direction === "in").map((f) => (f.frame as { readonly _tag?: string })._tag)
