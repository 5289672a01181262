/**
 * The T3 client's errors when the server echoes the bearer token back (quality R5): in a 401 reason, a 403
 * scope, a 400 reason, a 5xx body, a 200 that is not JSON. The token never reaches the message, the hint,
 * the cause or `String(error)`.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import type { AgentRuntimeError } from "../src/AgentRuntime.js"
import * as T3Client from "../src/T3Client.js"
import * as Renderings from "../src/testing/Renderings.js"

const token = "t3-KnownSecretBearerValue-0123456789"

/** Answers every request with `status` and a body built from the `Authorization` header it received. */
const echoing = (status: number, body: (authorization: string) => string) =>
  Effect.acquireRelease(
    Effect.async<{ readonly server: http.Server; readonly url: string }>((resume) => {
      const server = http.createServer((request, response) => {
        request.resume()
        request.on("end", () => {
          response.writeHead(status, { "content-type": "application/json" })
          response.end(body(request.headers.authorization ?? ""))
        })
      })
      server.listen(0, "127.0.0.1", () =>
        resume(Effect.succeed({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })))
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() =>
          resume(Effect.void)
        )
      })
  )

const interrupt = {
  type: "thread.turn.interrupt",
  commandId: "c-1",
  threadId: "t-1",
  createdAt: "2026-01-01T00:00:00.000Z"
} as const

const cases: ReadonlyArray<
  readonly [
    string,
    number,
    (authorization: string) => string,
    (client: T3Client.T3Client) => Effect.Effect<unknown, AgentRuntimeError>
  ]
> = [
  ["a 401 reason", 401, (auth) => JSON.stringify({ reason: `bad ${auth}` }), (client) => client.snapshot],
  ["a 403 scope", 403, (auth) => JSON.stringify({ requiredScope: auth, code: auth }), (client) => client.snapshot],
  ["a 400 reason on dispatch", 400, (auth) => JSON.stringify({ reason: auth }), (client) => client.send(interrupt)],
  ["a 502 body", 502, (auth) => `upstream said ${auth}`, (client) => client.readThread("t-1")],
  ["a 200 that is not JSON", 200, (auth) => `${auth.slice(7)} <html>`, (client) => client.snapshot],
  [
    "a 200 of the wrong shape",
    200,
    (auth) => JSON.stringify({ snapshotSequence: auth }),
    (client) => client.readThread("t-1")
  ]
]

describe("quality R5: a T3 server echoing the bearer token", () => {
  for (const [name, status, body, call] of cases) {
    it.scopedLive(`${name}: the token is in no message, hint, cause or String(error)`, () =>
      Effect.gen(function*() {
        const { url } = yield* echoing(status, body)
        const client = yield* T3Client.make({
          url,
          token: Effect.succeed(Redacted.make(token)),
          retry: { times: 0, base: "0 millis", maxWait: "0 millis" }
        })
        const error = yield* Effect.flip(call(client))
        expect(error._tag).toBe("AgentRuntimeError")
        expect(Renderings.everyRendering(error)).not.toContain(token)
        expect(Renderings.everyRendering(error)).not.toContain(token.slice(0, 10))
      }).pipe(Effect.provide(FetchHttpClient.layer)))
  }
})
