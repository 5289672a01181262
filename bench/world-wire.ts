/**
 * The wire of the simulated world: per-request latency and injected faults around any `HttpClient`
 * (each host says how a fault is answered, so the fakes themselves produce the answer), a request tally,
 * and a loopback server that serves an in-process fake to another process (e.g. `afk-cli tick`).
 */
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as http from "node:http"
import type { AddressInfo } from "node:net"

/** The faults §1 names: server errors, rate limits with `Retry-After`, dropped connections, broken JSON. */
export type FaultKind = "5xx" | "429" | "secondary-403" | "reset" | "malformed"

export interface Faults {
  /** The share of requests (0–1) answered with a fault instead. */
  readonly rate: number
  /** Drawn uniformly for each faulted request. */
  readonly kinds: ReadonlyArray<FaultKind>
  /** Seed of the deterministic draw; 1 by default. */
  readonly seed?: number
}

/** Makes the host's fake answer the next `request` with the fault (`reset` never reaches it). */
export type Injector = (
  kind: Exclude<FaultKind, "reset">,
  request: HttpClientRequest.HttpClientRequest,
  url: URL
) => Effect.Effect<void>

/** A small seeded PRNG (mulberry32), so a faulty run can be replayed. */
export const random = (seed: number): () => number => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** One draw: no fault, or which one. */
export const drawer = (faults: Faults | undefined): () => FaultKind | undefined => {
  if (faults === undefined || faults.rate <= 0 || faults.kinds.length === 0) return () => undefined
  const next = random(faults.seed ?? 1)
  return () => (next() < faults.rate ? faults.kinds[Math.floor(next() * faults.kinds.length)] : undefined)
}

const reset = (request: HttpClientRequest.HttpClientRequest) =>
  new HttpClientError.RequestError({ request, reason: "Transport", cause: new Error("connection reset (injected)") })

/** Waits `latency` before every request, then maybe faults it (the host's fake answers the fault). */
export const shape = <E, R>(
  client: HttpClient.HttpClient.With<E, R>,
  options: {
    readonly latency: Duration.Duration
    readonly draw: () => FaultKind | undefined
    readonly inject: Injector
  }
): HttpClient.HttpClient.With<E | HttpClientError.RequestError, R> =>
  HttpClient.transform(client, (execute, request) =>
    Effect.gen(function*() {
      if (Duration.greaterThan(options.latency, Duration.zero)) yield* Effect.sleep(options.latency)
      const kind = options.draw()
      if (kind === "reset") return yield* Effect.fail(reset(request))
      if (kind !== undefined) yield* options.inject(kind, request, new URL(request.url))
      return yield* execute
    }))

/** Calls `sent` with every request before it is sent, and `answered` when its answer (or failure) is back. */
export const observe = <E, R>(
  client: HttpClient.HttpClient.With<E, R>,
  sent: (request: HttpClientRequest.HttpClientRequest) => void,
  answered: () => void
): HttpClient.HttpClient.With<E, R> =>
  HttpClient.transform(client, (execute, request) =>
    Effect.sync(() => sent(request)).pipe(
      Effect.zipRight(execute),
      Effect.ensuring(Effect.sync(answered))
    ))

/**
 * A request as a kind, for the breakdowns: `GET issues?labels=ready-for-agent`, `POST issues/:n/comments`,
 * `PATCH issues/comments/:id`. The repository, numbers, logins, label names in paths and shas are elided.
 */
export const kindOf = (method: string, url: URL, prefix: string): string => {
  const relative = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : url.pathname
  const segments = relative.split("/").filter((segment) => segment !== "")
  const rest = segments[0] === "repos" ? segments.slice(3) : segments
  const named = rest.map((segment, i) => {
    const before = rest[i - 1]
    if (/^\d+$/.test(segment)) return before === "comments" ? ":id" : ":n"
    if (/^[0-9a-f]{7,40}$/.test(segment) && before === "commits") return ":sha"
    if (before === "collaborators") return ":login"
    if (before === "labels" && method === "DELETE") return ":label"
    return segment
  })
  const labels = url.searchParams.get("labels")
  return `${method} ${named.join("/")}${labels === null ? "" : `?labels=${labels}`}`
}

/** A server on 127.0.0.1 (a free port, closed with the scope) that answers through `client()`. */
export const serve = (
  client: () => HttpClient.HttpClient | undefined
): Effect.Effect<string, never, Scope.Scope> =>
  Effect.map(
    Effect.acquireRelease(
      Effect.async<http.Server>((resume) => {
        const server = http.createServer((request, response) => {
          const chunks: Array<Buffer> = []
          request.on("data", (chunk: Buffer) => chunks.push(chunk))
          request.on("end", () => {
            const target = client()
            if (target === undefined) return response.destroy()
            const address = server.address() as AddressInfo
            const headers = Object.fromEntries(
              Object.entries(request.headers).flatMap(([k, v]) => (typeof v === "string" ? [[k, v]] : []))
            )
            const body = Buffer.concat(chunks)
            const outgoing = HttpClientRequest.make(request.method as "GET")(
              `http://127.0.0.1:${address.port}${request.url ?? "/"}`,
              { headers }
            ).pipe(
              HttpClientRequest.setBody(
                body.length === 0 ? HttpBody.empty : HttpBody.uint8Array(body, headers["content-type"])
              )
            )
            Effect.runPromise(
              Effect.flatMap(target.execute(outgoing), (answer) =>
                Effect.map(answer.arrayBuffer, (bytes) => ({ answer, bytes })))
            ).then(
              ({ answer, bytes }) => {
                response.writeHead(answer.status, answer.headers)
                response.end(Buffer.from(bytes))
              },
              () =>
                response.destroy()
            )
          })
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
