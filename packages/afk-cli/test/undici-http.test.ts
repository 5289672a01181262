/**
 * The CLI's HTTP client (`UndiciHttp`) against a real server on 127.0.0.1: what it sends, how an answer reads
 * (a body read once whoever asks, headers built once), and that an interrupted request is abandoned on the
 * wire, as `@effect/platform-node`'s undici client does.
 */
import * as Cookies from "@effect/platform/Cookies"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type * as http from "node:http"
import * as UndiciHttp from "../src/UndiciHttp.js"
import * as Loopback from "./support/Loopback.js"

interface Seen {
  readonly method: string
  readonly path: string
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
}

/** A server answering by path; every request it received, body included. */
const server = (closed: Deferred.Deferred<void>) =>
  Effect.gen(function*() {
    const seen: Array<Seen> = []
    const url = yield* Loopback.serve((request, body, response) => {
      const path = request.url ?? ""
      seen.push({ method: request.method ?? "", path, headers: request.headers, body: body.toString() })
      if (path === "/never") {
        response.on("close", () => Deferred.unsafeDone(closed, Effect.void))
        return
      }
      if (path === "/half") {
        response.on("close", () => Deferred.unsafeDone(closed, Effect.void))
        response.writeHead(200, { "content-type": "application/json", "content-length": "1000" })
        response.write("{\"partial\":")
        return
      }
      const answer = path === "/empty" ? "" : path === "/broken" ? "{not json" : JSON.stringify({ path })
      response.writeHead(path === "/missing" ? 404 : 200, {
        "content-type": "application/json",
        etag: "\"v1\"",
        "set-cookie": ["a=1; Path=/", "b=2; Path=/"]
      })
      response.end(answer)
    })
    return { url, seen }
  })

// Every case runs with Effect's tracer on (the platform's client sends, with its span) and off (as in
// `afk-cli`: this module sends, with an abort of its own).
describe.each([{ traced: true }, { traced: false }])(
  "UndiciHttp, the CLI's HTTP client (traced: $traced)",
  ({ traced }) => {
    const withClient = <A, E>(
      test: (
        client: HttpClient.HttpClient,
        url: string,
        seen: ReadonlyArray<Seen>,
        closed: Deferred.Deferred<void>
      ) => Effect.Effect<A, E>
    ) =>
      Effect.gen(function*() {
        const closed = yield* Deferred.make<void>()
        const { seen, url } = yield* server(closed)
        const client = yield* HttpClient.HttpClient
        return yield* test(client, url, seen, closed)
      }).pipe(Effect.provide(UndiciHttp.layerUndici), Effect.withTracerEnabled(traced))

    it.scoped("an answer's body is read once: text, text again and json agree; headers are built once", () =>
      withClient((client, url) =>
        Effect.gen(function*() {
          const response = yield* client.execute(HttpClientRequest.get(`${url}/thing?x=1`))
          expect(response.status).toBe(200)
          expect(yield* response.text).toBe("{\"path\":\"/thing?x=1\"}")
          expect(yield* response.text).toBe("{\"path\":\"/thing?x=1\"}")
          expect(yield* response.json).toEqual({ path: "/thing?x=1" })
          expect(response.headers.etag).toBe("\"v1\"")
          expect(response.headers).toBe(response.headers)
          expect(Cookies.toRecord(response.cookies)).toEqual({ a: "1", b: "2" })
        })
      ))

    it.scoped("an answer outside 2xx is handed back; an empty body is null as JSON; bytes and a stream read", () =>
      withClient((client, url) =>
        Effect.gen(function*() {
          const missing = yield* client.execute(HttpClientRequest.get(`${url}/missing`))
          expect(missing.status).toBe(404)
          expect(new TextDecoder().decode(yield* missing.arrayBuffer)).toBe("{\"path\":\"/missing\"}")
          const empty = yield* client.execute(HttpClientRequest.get(`${url}/empty`))
          expect(yield* empty.json).toBeNull()
          const streamed = yield* client.execute(HttpClientRequest.get(`${url}/streamed`))
          const chunks = yield* Stream.runCollect(streamed.stream)
          expect(Buffer.concat(Chunk.toReadonlyArray(chunks)).toString()).toBe("{\"path\":\"/streamed\"}")
        })
      ))

    it.scoped("a body that is not JSON fails json with a decode error, not a defect", () =>
      withClient((client, url) =>
        Effect.gen(function*() {
          const response = yield* client.execute(HttpClientRequest.get(`${url}/broken`))
          const error = yield* Effect.flip(response.json)
          expect(error._tag).toBe("ResponseError")
          expect(error.reason).toBe("Decode")
        })
      ))

    it.scoped("sends the method, headers and a JSON body as given", () =>
      withClient((client, url, seen) =>
        Effect.gen(function*() {
          const request = HttpClientRequest.post(`${url}/write`).pipe(
            HttpClientRequest.setHeader("x-test", "yes"),
            HttpClientRequest.bodyUnsafeJson({ a: 1 })
          )
          const response = yield* client.execute(request)
          yield* response.text
          expect(seen.at(-1)).toMatchObject({ method: "POST", path: "/write", body: "{\"a\":1}" })
          expect(seen.at(-1)?.headers["x-test"]).toBe("yes")
          expect(seen.at(-1)?.headers["content-type"]).toBe("application/json")
        })
      ))

    it.scopedLive("an interrupted request is abandoned: the server sees its connection close", () =>
      withClient((client, url, _seen, closed) =>
        Effect.gen(function*() {
          const answer = yield* client.execute(HttpClientRequest.get(`${url}/never`)).pipe(
            Effect.timeoutOption("200 millis")
          )
          expect(answer._tag).toBe("None")
          yield* Deferred.await(closed).pipe(Effect.timeoutFail({
            duration: "5 seconds",
            onTimeout: () => new Error("the server never saw the connection close")
          }))
        })
      ))

    it.scopedLive("a body read that is interrupted abandons the request: the server sees its connection close", () =>
      withClient((client, url, _seen, closed) =>
        Effect.gen(function*() {
          const response = yield* client.execute(HttpClientRequest.get(`${url}/half`))
          expect(response.status).toBe(200)
          expect(yield* Effect.timeoutOption(response.text, "200 millis")).toEqual(Option.none())
          yield* Deferred.await(closed).pipe(Effect.timeoutFail({
            duration: "5 seconds",
            onTimeout: () => new Error("the server never saw the connection close")
          }))
        })
      ))

    it.scoped("a request the tracer records carries its trace context; one it does not, none", () =>
      withClient((client, url, seen) =>
        Effect.gen(function*() {
          yield* Effect.flatMap(client.execute(HttpClientRequest.get(`${url}/traced`)), (response) => response.text)
          expect(seen.at(-1)?.headers.traceparent !== undefined).toBe(traced)
        })
      ))

    it.scoped("an unusable URL fails as an invalid URL, before anything is sent", () =>
      withClient((client, _url, seen) =>
        Effect.gen(function*() {
          const error = yield* Effect.flip(client.execute(HttpClientRequest.get("not a url")))
          expect(error._tag).toBe("RequestError")
          expect(error.reason).toBe("InvalidUrl")
          expect(seen).toHaveLength(0)
        })
      ))
  }
)
