/**
 * Servers on 127.0.0.1 (free ports, stopped with the scope) for the CLI to talk to: one that only counts
 * what reaches it, and the GitHub adapter's fake served over real HTTP (its in-process `HttpClient`
 * answers each request the server receives).
 */
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { GithubFake } from "afk-adapter-github/testing"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as http from "node:http"
import type { AddressInfo } from "node:net"

const serve = (
  handle: (request: http.IncomingMessage, body: Buffer, response: http.ServerResponse) => void
): Effect.Effect<string, never, Scope.Scope> =>
  Effect.map(
    Effect.acquireRelease(
      Effect.async<http.Server>((resume) => {
        const server = http.createServer((request, response) => {
          const chunks: Array<Buffer> = []
          request.on("data", (chunk: Buffer) => chunks.push(chunk))
          request.on("end", () => handle(request, Buffer.concat(chunks), response))
        })
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
      }),
      (server) =>
        Effect.async<void>((resume) => {
          server.closeAllConnections()
          server.close(() => resume(Effect.void))
        })
    ),
    (server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  )

export interface Counter {
  readonly url: string
  readonly requests: () => number
}

/** Counts every request and answers 503. */
export const counting: Effect.Effect<Counter, never, Scope.Scope> = Effect.gen(function*() {
  let requests = 0
  const url = yield* serve((_request, _body, response) => {
    requests++
    response.writeHead(503, { "content-type": "application/json" })
    response.end("{\"message\":\"counting server\"}")
  })
  return { url, requests: () => requests }
})

export interface Github {
  readonly url: string
  readonly fake: GithubFake.GithubFake
  /** Writes the fake received, as `METHOD path`. */
  readonly writes: () => ReadonlyArray<string>
}

/**
 * The GitHub fake on a loopback port, accepting `tokens` or acting as GitHub for `app`; `headers` are added
 * to every answer (e.g. `x-oauth-scopes`).
 */
export const github = (
  seeds: ReadonlyArray<GithubFake.Seed>,
  options: {
    readonly tokens?: ReadonlyArray<string>
    readonly app?: GithubFake.AppOptions
    readonly headers?: Readonly<Record<string, string>>
  } = {}
): Effect.Effect<Github, never, Scope.Scope> =>
  Effect.gen(function*() {
    let fake: GithubFake.GithubFake | undefined
    const url = yield* serve((request, body, response) => {
      const target = fake
      if (target === undefined) return response.destroy()
      const headers = Object.fromEntries(
        Object.entries(request.headers).flatMap(([k, v]) => (typeof v === "string" ? [[k, v]] : []))
      )
      const outgoing = HttpClientRequest.make(request.method as "GET")(`${target.baseUrl}${request.url ?? "/"}`, {
        headers
      }).pipe(
        HttpClientRequest.setBody(
          body.length === 0 ? HttpBody.empty : HttpBody.uint8Array(body, headers["content-type"])
        )
      )
      Effect.runPromise(
        Effect.flatMap(target.client.execute(outgoing), (answer) =>
          Effect.map(answer.arrayBuffer, (bytes) => ({ answer, bytes })))
      ).then(
        ({ answer, bytes }) => {
          response.writeHead(answer.status, { ...answer.headers, ...options.headers })
          response.end(Buffer.from(bytes))
        },
        () =>
          response.destroy()
      )
    })
    fake = GithubFake.make({
      baseUrl: url,
      ...(options.tokens === undefined ? {} : { tokens: options.tokens }),
      ...(options.app === undefined ? {} : { app: options.app })
    })
    for (const seed of seeds) fake.seed(seed)
    const current = fake
    return {
      url,
      fake: current,
      writes: () => current.log.filter((entry) => entry.method !== "GET").map((e) => `${e.method} ${e.path}`)
    }
  })
