/**
 * `HttpKit` over real loopback HTTP: a non-idempotent write (a comment, a chat message) is sent again only
 * when the server certainly did not act on it, and whatever a server echoes is quoted with the credential
 * redacted (quality R5). An ambiguous failure reads as unknown, never as "not done" (prior-art §8.13).
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as HttpKit from "../src/HttpKit.js"

/** What the server does with one request it has read (and, for a POST, applied). */
type Answer = "reset" | "hang" | { readonly status: number; readonly body?: string; readonly retryAfter?: string }

interface Loopback {
  readonly url: string
  /** POSTs the server applied, whatever it answered. */
  readonly applied: () => number
}

/** A server on 127.0.0.1 that applies every POST, then answers with the next scripted answer (200 after). */
const loopback = (...script: ReadonlyArray<Answer>): Effect.Effect<Loopback, never, Scope.Scope> =>
  Effect.gen(function*() {
    let applied = 0
    const answers = [...script]
    const server = http.createServer((request, response) => {
      request.resume()
      request.on("end", () => {
        if (request.method === "POST") applied++
        const answer = answers.shift() ?? { status: 200, body: "{\"id\":1}" }
        if (answer === "reset") return request.socket.destroy()
        if (answer === "hang") return
        response.writeHead(answer.status, answer.retryAfter === undefined ? {} : { "retry-after": answer.retryAfter })
        response.end(answer.body ?? "")
      })
    })
    const port = yield* Effect.acquireRelease(
      Effect.async<number>((resume) => {
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as AddressInfo).port)))
      }),
      () =>
        Effect.async<void>((resume) => {
          server.closeAllConnections()
          server.close(() => resume(Effect.void))
        })
    )
    return { url: `http://127.0.0.1:${port}`, applied: () => applied }
  })

/** A port nothing listens on. */
const closedPort = Effect.async<number>((resume) => {
  const server = http.createServer()
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as AddressInfo
    server.close(() => resume(Effect.succeed(port)))
  })
})

const retry: HttpKit.RetryOptions = { times: 3, base: "1 millis", maxWait: "1 second" }
const vendor: HttpKit.Vendor = { name: "Forge", credential: "token" }
const token = "ghp_KnownSecretTokenValue0123456789"

/** The retrying client as adapters build it, counting what reaches the wire. */
const client = Effect.gen(function*() {
  let sent = 0
  const fetch = (yield* HttpClient.HttpClient).pipe(
    HttpClient.mapRequest(HttpClientRequest.bearerToken(token)),
    HttpClient.transform((execute) => Effect.zipRight(Effect.sync(() => sent++), execute)),
    HttpKit.withTimeout("300 millis"),
    HttpKit.withRetries(retry)
  )
  return { http: fetch, sent: () => sent }
}).pipe(Effect.provide(FetchHttpClient.layer))

const post = (url: string) =>
  HttpClientRequest.post(`${url}/comments`).pipe(HttpClientRequest.bodyText("{\"body\":\"hi\"}"))

describe("a non-idempotent write is never applied twice", () => {
  for (
    const [name, answer] of [
      ["answers 502", { status: 502, body: "bad gateway" }],
      ["answers 503 with Retry-After", { status: 503, retryAfter: "0" }],
      ["resets the connection", "reset"],
      ["never answers (timeout)", "hang"]
    ] as const
  ) {
    it.scopedLive(`§8.13 a server that applies the POST then ${name}: one request, a transient "may have applied"`, () =>
      Effect.gen(function*() {
        const server = yield* loopback(answer, answer, answer, answer)
        const { http: wire, sent } = yield* client
        const outcome = yield* Effect.either(HttpKit.nonIdempotent(wire.execute(post(server.url))))
        expect(sent()).toBe(1)
        expect(server.applied()).toBe(1)
        const fields = outcome._tag === "Left"
          ? HttpKit.fromClientError(vendor, "postComment", outcome.left, { idempotent: false })
          : yield* HttpKit.fromResponse(vendor, "postComment", outcome.right, { idempotent: false })
        expect(fields.transient).toBe(true)
        expect(fields.detail).toContain("Forge may have applied the write")
        expect(fields.hint).toContain("not sent again")
      }))
  }

  it.scopedLive("the same failures on an idempotent request are retried (the default)", () =>
    Effect.gen(function*() {
      const server = yield* loopback({ status: 502 }, "reset")
      const { http: wire, sent } = yield* client
      const response = yield* wire.execute(post(server.url))
      expect(response.status).toBe(200)
      expect([sent(), server.applied()]).toEqual([3, 3])
    }))

  it.scopedLive("a 429 with Retry-After on the same POST is retried and applied once", () =>
    Effect.gen(function*() {
      const server = yield* loopback({ status: 429, retryAfter: "0" })
      const { http: wire, sent } = yield* client
      const response = yield* HttpKit.nonIdempotent(wire.execute(post(server.url)))
      expect(response.status).toBe(200)
      expect(sent()).toBe(2)
    }))

  it.scopedLive("a vendor's rate-limit refusal below 500 (GitHub's 403 with Retry-After) is retried", () =>
    Effect.gen(function*() {
      const server = yield* loopback({ status: 403, retryAfter: "0" })
      const wire = (yield* HttpClient.HttpClient).pipe(
        HttpKit.withRetries({ ...retry, isTransient: (response) => response.headers["retry-after"] !== undefined })
      )
      const response = yield* HttpKit.nonIdempotent(wire.execute(post(server.url)))
      expect(response.status).toBe(200)
      expect(server.applied()).toBe(2)
    }).pipe(Effect.provide(FetchHttpClient.layer)))

  it.scopedLive("a connection refused before sending is retried, and then fails as not applied", () =>
    Effect.gen(function*() {
      const port = yield* closedPort
      const { http: wire, sent } = yield* client
      const error = yield* Effect.flip(HttpKit.nonIdempotent(wire.execute(post(`http://127.0.0.1:${port}`))))
      expect(sent()).toBe(retry.times + 1)
      expect(HttpKit.isUnsent(error)).toBe(true)
      const fields = HttpKit.fromClientError(vendor, "postComment", error, { idempotent: false })
      expect(fields).toMatchObject({ transient: true, hint: "check that Forge is up and reachable from here" })
      expect(fields.detail).not.toContain("may have applied")
    }))

  it.scopedLive("a 2xx whose body is cut short is unsettled too: the write landed, its answer did not", () =>
    Effect.gen(function*() {
      const server = yield* loopback({ status: 201, body: "{\"id\":" })
      const { http: wire } = yield* client
      const response = yield* HttpKit.nonIdempotent(wire.execute(post(server.url)))
      const error = yield* Effect.flip(response.json)
      const fields = HttpKit.fromClientError(vendor, "postComment", error, { idempotent: false })
      expect(fields.detail).toContain("may have applied the write")
      expect(server.applied()).toBe(1)
    }))
})

describe("quality R5: a credential echoed by a server is never quoted", () => {
  const everything = (
    fields: { readonly detail: string; readonly hint?: string | undefined; readonly cause?: unknown }
  ) => `${fields.detail} ${fields.hint ?? ""} ${String(fields.cause)}`

  it.scopedLive("an error body echoing the Authorization header is quoted with the token redacted", () =>
    Effect.gen(function*() {
      const server = yield* loopback({ status: 400, body: `{"message":"bad header Authorization: Bearer ${token}"}` })
      const { http: wire } = yield* client
      const response = yield* wire.execute(post(server.url))
      const fields = yield* HttpKit.fromResponse(vendor, "postComment", response)
      expect(fields.detail).toContain("Bearer [redacted]")
      expect(everything(fields)).not.toContain(token)
    }))

  it.scopedLive("a body that fails to parse is described in the cause with the token redacted", () =>
    Effect.gen(function*() {
      const server = yield* loopback({ status: 200, body: `${token} is not JSON` })
      const { http: wire } = yield* client
      const error = yield* Effect.flip(Effect.flatMap(wire.get(server.url), (response) => response.json))
      const fields = HttpKit.fromClientError(vendor, "get", error)
      expect(String(error.cause)).toContain(token.slice(0, 10))
      expect(everything(fields)).not.toContain(token.slice(0, 10))
    }))

  it("redact replaces every given secret, and leaves values too short to be secrets", () => {
    const scrub = HttpKit.redact([Redacted.make("s3cr3t-value"), Redacted.make("ab")])
    expect(scrub("a s3cr3t-value and s3cr3t-value, ab")).toBe("a [redacted] and [redacted], ab")
  })

  it("redact elides the excerpt a JSON parse error quotes, where a secret may be cut short", () => {
    const parsed = Effect.runSync(Effect.flip(Effect.try(() => JSON.parse(`{"a": 1, "b": ${token}}`))))
    const message = String(parsed.error)
    expect(message).toContain(token.slice(0, 10))
    expect(HttpKit.redact([])(message)).not.toContain(token.slice(0, 10))
    expect(HttpKit.redact([])(message)).toContain("is not valid JSON")
  })

  it("redactFields covers the detail, the hint and the cause (kept in words)", () => {
    const fields = HttpKit.redactFields([Redacted.make(token)])({
      operation: "x",
      detail: `d ${token}`,
      hint: `h ${token}`,
      transient: false,
      cause: new Error(`c ${token}`, { cause: new Error(`inner ${token}`) })
    })
    expect(everything(fields)).not.toContain(token)
    expect(fields.cause).toBe("Error: c [redacted] (Error: inner [redacted])")
  })
})
