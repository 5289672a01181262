/**
 * `HttpKit` over real loopback HTTP: a non-idempotent write (a comment, a chat message) is sent again only
 * when the server certainly did not act on it, and whatever a server echoes is quoted with the credential
 * redacted (quality R5). An ambiguous failure reads as unknown, never as "not done" (prior-art §8.13).
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { describe, expect, it } from "@effect/vitest"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as HttpFailure from "../src/HttpFailure.js"
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
const vendor: HttpFailure.Vendor = { name: "Forge", credential: "token" }
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
          ? HttpFailure.fromClientError(vendor, "postComment", outcome.left, { idempotent: false })
          : yield* HttpFailure.fromResponse(vendor, "postComment", outcome.right, { idempotent: false })
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
      expect(HttpFailure.isUnsent(error)).toBe(true)
      const fields = HttpFailure.fromClientError(vendor, "postComment", error, { idempotent: false })
      expect(fields).toMatchObject({ transient: true, hint: "check that Forge is up and reachable from here" })
      expect(fields.detail).not.toContain("may have applied")
    }))

  it.scopedLive("a 2xx whose body is cut short is unsettled too: the write landed, its answer did not", () =>
    Effect.gen(function*() {
      const server = yield* loopback({ status: 201, body: "{\"id\":" })
      const { http: wire } = yield* client
      const response = yield* HttpKit.nonIdempotent(wire.execute(post(server.url)))
      const error = yield* Effect.flip(response.json)
      const fields = HttpFailure.fromClientError(vendor, "postComment", error, { idempotent: false })
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
      const fields = yield* HttpFailure.fromResponse(vendor, "postComment", response)
      expect(fields.detail).toContain("Bearer [redacted]")
      expect(everything(fields)).not.toContain(token)
    }))

  it.scopedLive("a body that fails to parse is described in the cause with the token redacted", () =>
    Effect.gen(function*() {
      const server = yield* loopback({ status: 200, body: `${token} is not JSON` })
      const { http: wire } = yield* client
      const error = yield* Effect.flip(Effect.flatMap(wire.get(server.url), (response) => response.json))
      const fields = HttpFailure.fromClientError(vendor, "get", error)
      expect(String(error.cause)).toContain(token.slice(0, 10))
      expect(everything(fields)).not.toContain(token.slice(0, 10))
    }))

  it("redact replaces every given secret, and leaves values too short to be secrets", () => {
    const scrub = HttpFailure.redact([Redacted.make("s3cr3t-value"), Redacted.make("ab")])
    expect(scrub("a s3cr3t-value and s3cr3t-value, ab")).toBe("a [redacted] and [redacted], ab")
  })

  it("redact elides the excerpt a JSON parse error quotes, where a secret may be cut short", () => {
    const parsed = Effect.runSync(Effect.flip(Effect.try(() => JSON.parse(`{"a": 1, "b": ${token}}`))))
    const message = String(parsed.error)
    expect(message).toContain(token.slice(0, 10))
    expect(HttpFailure.redact([])(message)).not.toContain(token.slice(0, 10))
    expect(HttpFailure.redact([])(message)).toContain("is not valid JSON")
  })

  it("redactFields covers the detail, the hint and the cause (kept in words)", () => {
    const fields = HttpFailure.redactFields([Redacted.make(token)])({
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

describe("repoPath", () => {
  it("encodes each segment as encodeURIComponent does, whether or not it needs it", () => {
    const reference = (repo: string, ...segments: ReadonlyArray<string | number>) =>
      [
        "/repos",
        ...repo.split("/").map(encodeURIComponent),
        ...segments.map((each) => encodeURIComponent(String(each)))
      ]
        .join("/")
    const repos = [
      "org/repo",
      "Org/My.Repo_2",
      "org/.github",
      "org/repo~x",
      "o r/é",
      "org/a%2Fb",
      "org",
      "a/b/c",
      "/x",
      ""
    ]
    const segments: ReadonlyArray<ReadonlyArray<string | number>> = [
      [],
      ["issues"],
      ["issues", 12, "comments"],
      ["contents", ".afk.json"],
      ["git", "ref", "heads/main"],
      ["labels", "ready for agent"],
      ["labels", "p1:?#&"]
    ]
    for (const repo of repos) {
      for (const rest of segments) expect(HttpKit.repoPath(repo, ...rest)).toBe(reference(repo, ...rest))
    }
  })
})

describe("client: the one vendor client every adapter builds on", () => {
  interface Sent {
    readonly method: string
    readonly url: string
    readonly authorization: string | undefined
  }
  type Reply = { readonly status: number; readonly body?: string; readonly headers?: Record<string, string> }

  /** An `HttpClient` answering from a script (200 `[]` after it), recording what it was sent. */
  const scripted = (...replies: ReadonlyArray<Reply>) => {
    const sent: Array<Sent> = []
    const queue = [...replies]
    const fake = HttpClient.make((request) =>
      Effect.sync(() => {
        sent.push({ method: request.method, url: request.url, authorization: request.headers.authorization })
        const reply = queue.shift() ?? { status: 200, body: "[]" }
        return HttpClientResponse.fromWeb(request, new Response(reply.body ?? "", reply))
      })
    )
    return { sent, layer: Layer.succeed(HttpClient.HttpClient, fake) }
  }

  class ForgeError extends Data.TaggedError("ForgeError")<HttpKit.ErrorFields> {}

  const make = (overrides: Partial<HttpKit.ClientOptions<ForgeError, HttpKit.Call>> = {}) =>
    HttpKit.client({
      vendor,
      baseUrl: "https://forge.test/api/v1/",
      authorize: HttpKit.authorization("token", Redacted.make(token)),
      retry,
      error: (fields) => new ForgeError(fields),
      ...overrides
    })

  const read: HttpKit.Call = { operation: "getIssue", permission: "issues: read", idempotent: true }
  const write: HttpKit.Call = { operation: "postComment", idempotent: false }
  const Issue = Schema.Struct({ number: Schema.Number })

  it.effect("json prepends the base URL, adds the credential and decodes ignoring unknown fields", () => {
    const wire = scripted({ status: 200, body: "{\"number\":7,\"extra\":true}" })
    return Effect.gen(function*() {
      const forge = yield* make()
      const issue = yield* forge.json(Issue)(read, HttpClientRequest.get("/issues/7"))
      expect(issue).toEqual({ number: 7 })
      expect(wire.sent).toEqual([
        { method: "GET", url: "https://forge.test/api/v1/issues/7", authorization: `token ${token}` }
      ])
    }).pipe(Effect.provide(wire.layer))
  })

  it.effect("headers go on every request; observe sees every attempt sent and every answer, retries included", () => {
    const wire = scripted({ status: 503, headers: { "retry-after": "0", "x-budget": "9" } }, {
      status: 200,
      body: "{\"number\":7}",
      headers: { "x-budget": "8" }
    })
    const seen: Array<string> = []
    const headers: Array<string | undefined> = []
    return Effect.gen(function*() {
      const forge = yield* make({
        headers: { "x-api-version": "2" },
        observe: {
          sent: (request) => {
            seen.push(`sent ${request.url}`)
            headers.push(request.headers["x-api-version"])
          },
          answered: (response) => seen.push(`answered ${response.status} ${response.headers["x-budget"]}`)
        }
      })
      expect(yield* forge.json(Issue)(read, HttpClientRequest.get("/issues/7"))).toEqual({ number: 7 })
      expect(seen).toEqual([
        "sent https://forge.test/api/v1/issues/7",
        "answered 503 9",
        "sent https://forge.test/api/v1/issues/7",
        "answered 200 8"
      ])
      expect(headers).toEqual(["2", "2"])
      expect(wire.sent.map((request) => request.authorization)).toEqual([`token ${token}`, `token ${token}`])
    }).pipe(Effect.provide(wire.layer))
  })

  it.effect("a credential read through an effect is read again for every call", () => {
    const wire = scripted({ status: 200, body: "{\"number\":1}" }, { status: 200, body: "{\"number\":2}" })
    let reads = 0
    const rotating = Effect.sync(() => Redacted.make(`${token}-${++reads}`))
    return Effect.gen(function*() {
      const forge = yield* make({ authorize: HttpKit.authorization("token", rotating) })
      yield* forge.json(Issue)(read, HttpClientRequest.get("/issues/1"))
      yield* forge.json(Issue)(read, HttpClientRequest.get("/issues/2"))
      expect(wire.sent.map((request) => request.authorization)).toEqual([`token ${token}-1`, `token ${token}-2`])
    }).pipe(Effect.provide(wire.layer))
  })

  it.effect("a refusal is the port error naming the permission, the echoed token redacted, not retried", () => {
    const wire = scripted({ status: 403, body: `{"message":"no, token ${token}"}` })
    return Effect.gen(function*() {
      const forge = yield* make()
      const error = yield* Effect.flip(forge.json(Issue)(read, HttpClientRequest.get("/issues/7")))
      expect(error).toMatchObject({ operation: "getIssue", status: 403, transient: false })
      expect(error.hint).toBe("Forge refused getIssue: the token lacks the \"issues: read\" permission")
      expect(error.detail).toContain("token [redacted]")
      expect(wire.sent).toHaveLength(1)
    }).pipe(Effect.provide(wire.layer))
  })

  it.effect("a malformed body is one transient error; after a write it says the write may have applied", () => {
    const wire = scripted({ status: 200, body: "{\"number\":\"seven\"}" }, { status: 201, body: "{\"number\":" })
    return Effect.gen(function*() {
      const forge = yield* make()
      const shape = yield* Effect.flip(forge.json(Issue)(read, HttpClientRequest.get("/issues/7")))
      expect(shape).toMatchObject({ status: 200, transient: true })
      expect(shape.detail).toContain("malformed or unexpected body (unexpected shape:")
      const cut = yield* Effect.flip(forge.json(Issue)(write, HttpClientRequest.post("/issues/7/comments")))
      expect(cut.detail).toContain("Forge may have applied the write")
      expect(cut.hint).toContain("not sent again")
    }).pipe(Effect.provide(wire.layer))
  })

  it.effect("§8.13 a write answered 502 is sent once; a read is retried (Retry-After honoured) until it succeeds", () => {
    const wire = scripted(
      { status: 502 },
      { status: 503, headers: { "retry-after": "0" } },
      { status: 200, body: "{\"number\":7}" }
    )
    return Effect.gen(function*() {
      const forge = yield* make()
      const once = yield* Effect.flip(forge.execute(write, HttpClientRequest.post("/issues/7/comments")))
      expect(once.detail).toContain("may have applied")
      expect(yield* forge.json(Issue)(read, HttpClientRequest.get("/issues/7"))).toEqual({ number: 7 })
      expect(wire.sent.map((request) => request.method)).toEqual(["POST", "GET", "GET"])
    }).pipe(Effect.provide(wire.layer))
  })

  it.effect("accept hands a status back (refuse maps it if unusable); isFinal keeps an answer from being retried", () => {
    const wire = scripted({ status: 404 }, { status: 500 })
    return Effect.gen(function*() {
      const forge = yield* make({ retry: { ...retry, isFinal: (response) => response.status === 500 } })
      const absent = yield* forge.execute({ ...read, accept: [404] }, HttpClientRequest.get("/issues/8"))
      expect(absent.status).toBe(404)
      const refused = yield* Effect.flip(forge.refuse(read, absent))
      expect([refused.status, refused.hint]).toEqual([404, "not found on Forge, or not visible to this token"])
      const error = yield* Effect.flip(forge.execute(read, HttpClientRequest.get("/issues/9")))
      expect([error.status, wire.sent.length]).toEqual([500, 2])
    }).pipe(Effect.provide(wire.layer))
  })

  it.effect("list follows Link to the end, and refuses a next page on another origin (no credential sent there)", () => {
    const wire = scripted(
      {
        status: 200,
        body: "[{\"number\":1}]",
        headers: { link: "<https://forge.test/api/v1/issues?page=2>; rel=\"next\"" }
      },
      { status: 200, body: "[{\"number\":2}]" },
      { status: 200, body: "[]", headers: { link: "<https://elsewhere.test/issues?page=2>; rel=\"next\"" } }
    )
    return Effect.gen(function*() {
      const forge = yield* make()
      const issues = yield* forge.list(Issue)(read, "/issues")
      expect(issues).toEqual([{ number: 1 }, { number: 2 }])
      const error = yield* Effect.flip(forge.list(Issue)(read, "/issues"))
      expect(error.detail).toContain("points at https://elsewhere.test")
      expect(wire.sent).toHaveLength(3)
    }).pipe(Effect.provide(wire.layer))
  })

  it.effect("a request waiting out a Retry-After keeps its permit: the others wait too", () => {
    const wire = scripted(
      { status: 429, headers: { "retry-after": "5" } },
      { status: 200, body: "{\"number\":1}" },
      { status: 200, body: "{\"number\":2}" }
    )
    return Effect.gen(function*() {
      const forge = yield* make({ concurrency: 1, retry: { ...retry, maxWait: "10 seconds" } })
      const fiber = yield* Effect.fork(Effect.all(
        [1, 2].map((n) => forge.json(Issue)(read, HttpClientRequest.get(`/issues/${n}`))),
        { concurrency: "unbounded" }
      ))
      yield* TestClock.adjust("4 seconds")
      expect(wire.sent.map((request) => request.url)).toEqual(["https://forge.test/api/v1/issues/1"])
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(fiber)).toEqual([{ number: 1 }, { number: 2 }])
    }).pipe(Effect.provide(wire.layer))
  })

  it.effect("refine adds the vendor's own reading of a failure, and its words are redacted too", () => {
    const wire = scripted({ status: 409, body: "{\"reason\":\"conflict\"}" })
    return Effect.gen(function*() {
      const forge = yield* make({
        refine: (_call, failure, fields) =>
          Effect.succeed(failure._tag === "Answer" ? { ...fields, hint: `already there (${token})` } : fields)
      })
      const error = yield* Effect.flip(forge.execute(read, HttpClientRequest.get("/issues/7")))
      expect(error.hint).toBe("already there ([redacted])")
    }).pipe(Effect.provide(wire.layer))
  })
})
