/**
 * The simulated world as other processes and the benchmarks see it: a loopback server that serves an
 * in-process fake to another process (e.g. `afk-cli tick`), and requests named by kind for the breakdowns.
 */
import * as HttpBody from "@effect/platform/HttpBody"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type { T3Fake } from "afk-core/testing"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as http from "node:http"
import type { AddressInfo } from "node:net"

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

/** A T3 request as a kind: `T3 POST dispatch thread.create`, `T3 GET threads/:id`. */
export const t3KindOf = (request: T3Fake.LoggedRequest): string => {
  const path = (request.path.split("?")[0] ?? "").replace("/api/orchestration/", "").replace(
    /^threads\/.+/,
    "threads/:id"
  )
  const body = request.body
  const type = typeof body === "object" && body !== null && "type" in body ? ` ${String(body.type)}` : ""
  return `T3 ${request.method} ${path}${type}`
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
