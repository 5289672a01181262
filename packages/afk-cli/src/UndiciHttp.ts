/**
 * undici's HTTP client for `@effect/platform` (`Wiring.nodeHttp` loads this module when a command first goes on
 * the network), over `@effect/platform-node`'s dispatcher. A request the tracer records is sent as
 * `@effect/platform-node`'s undici client sends it, through the platform's `HttpClient.make` (its span, an abort
 * when the fiber is interrupted, a body nobody reads released); any other (`afk-cli` runs with the tracer off)
 * is sent by `make` with the same abort and release and without the platform's wrapping (bench/RESULTS.md,
 * thirteenth part). The answer is this module's own: the platform's undici answer wraps
 * the first read of a body in a memoised effect that it runs on a fiber of its own (`Effect.cached` and
 * `Effect.runSync`) and builds its headers again at every read: about 0.05 ms of CPU per GitHub request on a
 * cold tick, some 8 % (bench/RESULTS.md, eleventh part; `bench/http-layers.ts`). Here a body is read once into
 * a promise every read awaits, and the headers are built once.
 *
 * Imported by name from `@effect/platform-node`, so the bundle leaves out its other client, built on
 * `node:http` and `node:https`, which no command uses and which cost every armed start its module loads.
 */
import { Dispatcher, dispatcherLayer } from "@effect/platform-node/NodeHttpClient"
import * as NodeStream from "@effect/platform-node/NodeStream"
import type * as Undici from "@effect/platform-node/Undici"
import * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import type * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FiberRef from "effect/FiberRef"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Stream from "effect/Stream"

type Body = NonNullable<Undici.Dispatcher.RequestOptions["body"]> | null

/** The body as undici sends it: at hand for all but a stream, which is read through an effect. */
const bodyOf = (body: HttpBody.HttpBody): Body | Effect.Effect<Body> => {
  switch (body._tag) {
    case "Empty":
      return null
    case "Uint8Array":
      return body.body
    case "Raw":
      return body.body as Body
    case "FormData":
      return body.formData as Body
    case "Stream":
      return NodeStream.toReadable(body.stream)
  }
}

const ignore = () => undefined

/**
 * The abort undici listens to, for a request with no span to record: the one listener undici adds, called at
 * most once, and nothing of an `EventTarget`. Node's `AbortController`, which the platform's client makes for
 * every request, cost more per request than the rest of its send (bench/RESULTS.md, thirteenth part). undici
 * takes any object with `addEventListener`; with no `reason` it aborts with its own `RequestAbortedError`.
 */
class Abort {
  aborted = false
  #listener: (() => void) | undefined = undefined

  addEventListener(_type: "abort", listener: () => void): void {
    this.#listener = listener
  }

  removeEventListener(_type: "abort", listener: () => void): void {
    if (this.#listener === listener) this.#listener = undefined
  }

  abort(): void {
    if (this.aborted) return
    this.aborted = true
    const listener = this.#listener
    this.#listener = undefined
    listener?.()
  }
}

/**
 * Answers whose body nobody read are aborted once they are collected, so undici gives their connection back
 * (as the platform's client does for its answers).
 */
const unread = new FinalizationRegistry<Abort>((abort) => abort.abort())

/** One answer: its body is read at most once in each form (text, bytes, form data), whoever asks first. */
class Answer extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  #headers: Headers.Headers | undefined
  #cookies: Cookies.Cookies | undefined
  #text: Promise<string> | undefined
  #bytes: Promise<ArrayBuffer> | undefined
  #form: Promise<FormData> | undefined

  /**
   * `abort` is the request's own when this client sent it without the platform's wrapping (no span): a body read
   * interrupted then aborts the request here, and an answer collected unread aborts it.
   */
  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    private readonly source: Undici.Dispatcher.ResponseData,
    private readonly abort?: Abort
  ) {
    super()
    // A body that fails after nobody reads it (a reset connection) must not crash the process.
    source.body.on("error", ignore)
    if (abort !== undefined) unread.register(this, abort, this)
  }

  get status(): number {
    return this.source.statusCode
  }

  get headers(): Headers.Headers {
    return this.#headers ??= Headers.fromInput(this.source.headers as Headers.Input)
  }

  get cookies(): Cookies.Cookies {
    if (this.#cookies !== undefined) return this.#cookies
    const header = this.source.headers["set-cookie"]
    return this.#cookies = header === undefined ? Cookies.empty : Cookies.fromSetCookie(header)
  }

  get remoteAddress(): Option.Option<string> {
    return Option.none()
  }

  private failed(cause: unknown): HttpClientError.ResponseError {
    return new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause })
  }

  private read<A>(start: () => Promise<A>): Effect.Effect<A, HttpClientError.ResponseError> {
    const abort = this.abort
    if (abort === undefined) return Effect.tryPromise({ try: start, catch: (cause) => this.failed(cause) })
    return Effect.async<A, HttpClientError.ResponseError>((resume) => {
      unread.unregister(this)
      start().then(
        (value) => resume(Effect.succeed(value)),
        (cause: unknown) => resume(Effect.fail(this.failed(cause)))
      )
      return Effect.sync(() => abort.abort())
    })
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return NodeStream.fromReadable(() => {
      unread.unregister(this)
      return this.source.body
    }, (cause) => this.failed(cause))
  }

  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return this.read(() => this.#text ??= this.source.body.text())
  }

  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: (): unknown => (text === "" ? null : JSON.parse(text)),
        catch: (cause) => this.failed(cause)
      }))
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: () => UrlParams.fromInput(new URLSearchParams(text)),
        catch: (cause) => this.failed(cause)
      }))
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return this.read(() => this.#bytes ??= this.source.body.arrayBuffer())
  }

  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return this.read(() => this.#form ??= this.source.body.formData() as Promise<FormData>)
  }

  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status
    })
  }
}

/**
 * A client sending through `dispatcher`. A request the tracer records goes through the platform's
 * `HttpClient.make` (its span, its trace headers, its abort on interruption); any other is sent here with the
 * same effect on the wire and an `Abort` of its own: interrupted while it waits for its answer or while its body
 * is read, the request is aborted, and an answer nobody reads is aborted once collected.
 */
export const make = (dispatcher: Undici.Dispatcher): HttpClient.HttpClient => {
  const dispatch = (request: HttpClientRequest.HttpClientRequest, url: URL, signal: AbortSignal | Abort, body: Body) =>
    dispatcher.request({
      // undici takes any object with `addEventListener` (see `Abort`).
      signal: signal as AbortSignal,
      method: request.method,
      headers: request.headers,
      origin: url.origin,
      path: url.pathname + url.search + url.hash,
      body,
      // Timeouts are the caller's (`Effect.timeout`, `HttpKit.withTimeout`), as in the platform's client.
      headersTimeout: 60 * 60 * 1000,
      bodyTimeout: 0
    })
  const transport = (request: HttpClientRequest.HttpClientRequest) => (cause: unknown) =>
    new HttpClientError.RequestError({ request, reason: "Transport", cause })
  const withBody = <A, E>(request: HttpClientRequest.HttpClientRequest, send: (body: Body) => Effect.Effect<A, E>) => {
    const body = bodyOf(request.body)
    return Effect.isEffect(body) ? Effect.flatMap(body, send) : send(body)
  }

  const traced = HttpClient.make((request, url, signal) =>
    withBody(request, (body) =>
      Effect.tryPromise({
        try: () =>
          dispatch(request, url, signal, body).then((source): HttpClientResponse.HttpClientResponse =>
            new Answer(request, source)
          ),
        catch: transport(request)
      }))
  )

  const send = (request: HttpClientRequest.HttpClientRequest, url: URL, body: Body) =>
    Effect.async<HttpClientResponse.HttpClientResponse, HttpClientError.RequestError>((resume) => {
      const abort = new Abort()
      dispatch(request, url, abort, body).then(
        (source) => resume(Effect.succeed(new Answer(request, source, abort))),
        (cause: unknown) => resume(Effect.fail(transport(request)(cause)))
      )
      return Effect.sync(() => abort.abort())
    })

  return HttpClient.makeWith<never, never, HttpClientError.HttpClientError, never>(
    (effect) =>
      Effect.flatMap(
        effect,
        (request) =>
          Effect.withFiberRuntime<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>((fiber) => {
            if (
              fiber.getFiberRef(FiberRef.currentTracerEnabled) &&
              !fiber.getFiberRef(HttpClient.currentTracerDisabledWhen)(request)
            ) return traced.execute(request)
            const url = UrlParams.makeUrl(request.url, request.urlParams, request.hash)
            if (Either.isLeft(url)) {
              return Effect.fail(new HttpClientError.RequestError({ request, reason: "InvalidUrl", cause: url.left }))
            }
            return withBody(request, (body) => send(request, url.right, body))
          })
      ),
    Effect.succeed
  )
}

/**
 * The client over an undici `Agent` of its own, closed with the layer. The client needs nothing from the
 * context its requests run in (it holds its dispatcher), so it is provided as it is: the platform's
 * `layerMergedContext` merges the layer's context into every request's, a `Context.merge` and a scoped
 * `provideContext` (some dozen runtime operations) per request.
 */
export const layerUndici: Layer.Layer<HttpClient.HttpClient> = Layer.provide(
  Layer.effect(HttpClient.HttpClient, Effect.map(Dispatcher, make)),
  dispatcherLayer
)
