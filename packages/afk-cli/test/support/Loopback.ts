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

/** A server on a free port of 127.0.0.1 handing `handle` each request with its whole body; stopped with the scope. */
export const serve = (
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

export interface Collector {
  readonly url: string
  /** Every request body received, by path (`/v1/traces`, `/v1/metrics`, `/v1/logs`). */
  readonly received: (path: string) => ReadonlyArray<string>
  /** The header values received, all requests together. */
  readonly headers: () => ReadonlyArray<string>
}

/** An OpenTelemetry collector's OTLP/HTTP receiver that keeps what it is sent and answers 200. */
export const collector: Effect.Effect<Collector, never, Scope.Scope> = Effect.gen(function*() {
  const bodies: Array<{ readonly path: string; readonly body: string }> = []
  const headers: Array<string> = []
  const url = yield* serve((request, body, response) => {
    bodies.push({ path: new URL(request.url ?? "/", "http://loopback").pathname, body: body.toString("utf8") })
    headers.push(...Object.values(request.headers).flatMap((v) => (typeof v === "string" ? [v] : [])))
    response.writeHead(200, { "content-type": "application/json" })
    response.end("{}")
  })
  return {
    url,
    received: (path) => bodies.filter((b) => b.path === path).map((b) => b.body),
    headers: () => headers
  }
})

/** A request the loopback server received: method, path with its query, and body text. */
export interface Received {
  readonly method: string
  readonly path: string
  readonly body: string
  /** The request's header names, lower-case. */
  readonly headerNames: ReadonlyArray<string>
}

/**
 * What to do with a request before the fake answers it: nothing (`undefined`, answered as usual), or `"lose"`:
 * the fake acts on it, then the connection is destroyed before the answer (an answer lost on the way back).
 */
export type Intercept = (request: Received) => "lose" | undefined

export interface Github {
  readonly url: string
  readonly fake: GithubFake.GithubFake
  /** Writes the fake received, as `METHOD path` (GraphQL queries are reads). */
  readonly writes: () => ReadonlyArray<string>
  /** Every request received, with its body, oldest first. */
  readonly received: () => ReadonlyArray<Received>
  /** Sets (or, with `undefined`, clears) the hook each request passes before the fake answers it. */
  readonly intercept: (hook: Intercept | undefined) => void
}

/**
 * The GitHub fake on a loopback port, accepting `tokens` or acting as GitHub for `app`; `headers` are added
 * to every answer (e.g. `x-oauth-scopes`), each sent after `latency` milliseconds.
 */
export const github = (
  seeds: ReadonlyArray<GithubFake.Seed>,
  options: {
    readonly tokens?: ReadonlyArray<string>
    readonly app?: GithubFake.AppOptions
    readonly headers?: Readonly<Record<string, string>>
    /** Milliseconds each answer waits before it is sent (a forge's latency). */
    readonly latency?: number
  } = {}
): Effect.Effect<Github, never, Scope.Scope> =>
  Effect.gen(function*() {
    let fake: GithubFake.GithubFake | undefined
    const received: Array<Received> = []
    let hook: Intercept | undefined
    const url = yield* serve((request, body, response) => {
      const target = fake
      if (target === undefined) return response.destroy()
      const seen = {
        method: request.method ?? "GET",
        path: request.url ?? "/",
        body: body.toString("utf8"),
        headerNames: Object.keys(request.headers)
      }
      received.push(seen)
      const lose = hook?.(seen) === "lose"
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
          Effect.map(answer.arrayBuffer, (bytes) => ({ answer, bytes }))).pipe(
            Effect.delay(options.latency ?? 0)
          )
      ).then(
        ({ answer, bytes }) => {
          if (lose) {
            return response.destroy()
          }
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
      // A GraphQL query is a read that travels as a POST.
      writes: () =>
        current.log.filter((entry) => entry.method !== "GET" && !entry.path.startsWith("/graphql")).map((e) =>
          `${e.method} ${e.path}`
        ),
      received: () => [...received],
      intercept: (next) => {
        hook = next
      }
    }
  })

export interface T3Protocol {
  readonly url: string
  /** The paths requested, in order. */
  readonly paths: () => ReadonlyArray<string>
}

/**
 * A T3 Code server whose descriptor says `orchestrationProtocolVersion: <version>`, as far as doctor reads it:
 * an `/api/orchestration/*` request without the `x-t3-orchestration-protocol` header naming that version is
 * refused with 400; with it, a thread read is 404 `thread_not_found`; `/api/auth/session` lists the operator
 * scopes for the bearer token `token`; every other route is 404.
 */
export const t3Protocol = (version: number, token = ""): Effect.Effect<T3Protocol, never, Scope.Scope> =>
  Effect.gen(function*() {
    const paths: Array<string> = []
    const url = yield* serve((request, _body, response) => {
      const path = new URL(request.url ?? "/", "http://loopback").pathname
      paths.push(path)
      const answer = (status: number, body: object) => {
        response.writeHead(status, { "content-type": "application/json" })
        response.end(JSON.stringify(body))
      }
      if (path === "/.well-known/t3/environment") {
        return answer(200, {
          environmentId: "env-protocol-2",
          label: "protocol 2",
          platform: { os: "linux", arch: "x64" },
          serverVersion: "0.0.99-nightly.20270101.1",
          orchestrationProtocolVersion: version,
          capabilities: { threadSettlement: true }
        })
      }
      if (path.startsWith("/api/orchestration/") && request.headers["x-t3-orchestration-protocol"] !== `${version}`) {
        return answer(400, {
          _tag: "HttpApiDecodeError",
          message: `x-t3-orchestration-protocol: expected "${version}"`
        })
      }
      if (path.startsWith("/api/orchestration/threads/")) {
        return answer(404, { _tag: "EnvironmentResourceNotFoundError", code: "not_found", reason: "thread_not_found" })
      }
      if (path === "/api/auth/session" && request.headers.authorization === `Bearer ${token}`) {
        return answer(200, { authenticated: true, scopes: ["orchestration:read", "orchestration:operate"] })
      }
      answer(404, { _tag: "RouteNotFound" })
    })
    return { url, paths: () => paths }
  })
