/**
 * The Forgejo / Gitea API v1 client that `ForgejoTracker` and `ForgejoCi` stand on. One client serves both
 * forges (they share API v1): `Authorization: token …`, an API root kept whole (so instances under a
 * sub-path such as `https://host/git/api/v1` work), retries of 5xx / 429 honouring `Retry-After` (a new
 * comment only after a refusal: never posted twice), bounded concurrency per host, error bodies quoted with
 * the token redacted, and every list read to its end. Page sizes honour the server's
 * `max_response_items`; whether another page follows is read from `Link` and `X-Total-Count`, and the next
 * URL is always built from the API root, never taken from `Link` (which names the server's `ROOT_URL`).
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpFailure from "afk-core/HttpFailure"
import * as HttpKit from "afk-core/HttpKit"
import * as PortError from "afk-core/PortError"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import type * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Wire from "./ForgejoWire.js"

/** Every Forgejo failure, before a port maps it into its own error. */
export class ForgejoError extends Schema.TaggedError<ForgejoError>()("ForgejoError", PortError.fields) {
  override get message(): string {
    return PortError.message("Forgejo", this)
  }
}

/** What a request is: its operation (path template), what it is about, and the token scope it needs. */
export interface Call {
  readonly operation: string
  /** Named in 404 hints, e.g. `repository acme/widgets`. */
  readonly subject?: string
  /** Named in 403 hints: `read:issue`, `write:issue`, `read:repository`, `read:user`. */
  readonly scope?: string
  /** `false` for a write that must not be applied twice (a new comment); see `HttpKit.nonIdempotent`. */
  readonly idempotent?: boolean
}

export interface Options {
  /** The API root, kept whole: `https://codeberg.org/api/v1`, `https://host/git/api/v1`. */
  readonly baseUrl: string
  /** A personal access token, sent as `Authorization: token …`. */
  readonly token: Redacted.Redacted<string>
  /** `Forgejo` (default) or `Gitea`, for the wording of errors. */
  readonly product?: string | undefined
  /** Items asked per page, capped by the server's `max_response_items`; 50 by default. */
  readonly pageSize?: number | undefined
  /** Pages read before a list is declared runaway (an error, never a truncation); 1000 by default. */
  readonly maxPages?: number | undefined
  /** Requests in flight at once against this host; 8 by default. */
  readonly concurrency?: number | undefined
  /** Retries of 5xx / 429 / dropped connections; `HttpKit.defaultRetry` by default. */
  readonly retry?: HttpKit.RetryOptions | undefined
}

/**
 * How a list endpoint pages. `counted`: `page`/`limit`, more follow while `Link` has `rel="next"` or
 * `X-Total-Count` exceeds what was read. `untilEmpty`: the timeline, whose `X-Total-Count` counts only the
 * page and whose pages may be short after the server filters them, so it is read until a page is empty.
 * `unpaged`: issue comments, answered whole without `page`/`limit`; pages on if the server ever says more.
 */
export type Paging = "counted" | "untilEmpty" | "unpaged"

export type Query = Readonly<Record<string, string | number>>

export interface Service {
  readonly baseUrl: string
  readonly product: string
  /** One request; a non-2xx answer fails with its status and a hint. */
  readonly send: (call: Call, request: HttpClientRequest.HttpClientRequest) => Effect.Effect<void, ForgejoError>
  /** One request whose answer is decoded with `schema`. */
  readonly json: <A, I>(
    call: Call,
    request: HttpClientRequest.HttpClientRequest,
    schema: Schema.Schema<A, I>
  ) => Effect.Effect<A, ForgejoError>
  /** Like `json`, with the answer's status (e.g. 201 created against 200 already there). */
  readonly jsonAnswer: <A, I>(
    call: Call,
    request: HttpClientRequest.HttpClientRequest,
    schema: Schema.Schema<A, I>
  ) => Effect.Effect<{ readonly status: number; readonly value: A }, ForgejoError>
  /** Every item of a list endpoint, all pages; `items` picks them out of a page. */
  readonly list: <P, I, A>(
    call: Call,
    path: string,
    options: {
      readonly query?: Query
      readonly paging: Paging
      readonly page: Schema.Schema<P, I>
      readonly items: (page: P) => ReadonlyArray<A>
    }
  ) => Effect.Effect<ReadonlyArray<A>, ForgejoError>
  /** The page size used for lists: `pageSize` capped by `max_response_items` (read once). */
  readonly pageSize: Effect.Effect<number>
}

export class ForgejoClient extends Context.Tag("afk-adapter-forgejo/ForgejoClient")<ForgejoClient, Service>() {}

/** `/repos/{owner}/{name}/…`, each segment URL-encoded. */
export const repoPath = HttpKit.repoPath

const withQuery = (path: string, query: Query): string => {
  const entries = Object.entries(query).map(([key, value]) => [key, String(value)])
  return entries.length === 0 ? path : `${path}?${new URLSearchParams(entries).toString()}`
}

const totalCount = (response: HttpClientResponse.HttpClientResponse): Option.Option<number> => {
  const raw = response.headers["x-total-count"]
  const total = raw === undefined ? Number.NaN : Number(raw)
  return Number.isInteger(total) && total >= 0 ? Option.some(total) : Option.none()
}

const hintFor = (
  vendor: HttpFailure.Vendor,
  call: HttpKit.Call & { readonly subject?: string | undefined },
  status: number
): string | undefined => {
  if (status === 403 && call.permission !== undefined) {
    return `${vendor.name} refused the request: the access token needs the "${call.permission}" scope, or its account lacks permission on the repository`
  }
  if (status === 404 && call.subject !== undefined) {
    return `${call.subject} not found on ${vendor.name}, or not visible to this access token`
  }
  if (status === 400) {
    return `${vendor.name} rejected the request as malformed: the server may run an API version AFK does not know`
  }
  return HttpFailure.hintFor(vendor, status)
}

/** The call as `HttpKit.client` takes it: the scope is the permission a 403 names. */
type KitCall = HttpKit.Call & { readonly subject?: string | undefined }

const kitCall = (call: Call): KitCall => ({
  operation: call.operation,
  subject: call.subject,
  permission: call.scope,
  idempotent: call.idempotent !== false
})

/** Builds a client over the ambient `HttpClient`. */
export const make = (options: Options): Effect.Effect<Service, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const product = options.product ?? "Forgejo"
    const vendor: HttpFailure.Vendor = { name: product, credential: `${product} access token` }
    const baseUrl = options.baseUrl.replace(/\/+$/, "")
    const wanted = Math.max(1, options.pageSize ?? 50)
    const maxPages = options.maxPages ?? 1000
    const kit = yield* HttpKit.client<ForgejoError, KitCall>({
      vendor,
      baseUrl,
      authorize: HttpKit.authorization("token", options.token),
      retry: options.retry,
      concurrency: options.concurrency,
      secrets: [options.token],
      transform: HttpClient.mapRequest(HttpClientRequest.acceptJson),
      refine: (call, failure, fields) =>
        Effect.succeed(
          failure._tag !== "Answer" || fields.status === undefined ||
            (!call.idempotent && HttpFailure.isUnsettledStatus(fields.status))
            ? fields
            : { ...fields, hint: hintFor(vendor, call, fields.status) }
        ),
      error: (fields) => new ForgejoError(fields)
    })

    const execute = (call: Call, request: HttpClientRequest.HttpClientRequest) => kit.execute(kitCall(call), request)
    const decode =
      <A, I>(call: Call, schema: Schema.Schema<A, I>) => (response: HttpClientResponse.HttpClientResponse) =>
        kit.decode(schema)(kitCall(call), response)

    const send: Service["send"] = (call, request) =>
      Effect.flatMap(execute(call, request), (response) => Effect.ignore(response.text))

    const json: Service["json"] = (call, request, schema) => kit.json(schema)(kitCall(call), request)

    const jsonAnswer: Service["jsonAnswer"] = (call, request, schema) =>
      Effect.flatMap(
        execute(call, request),
        (response) => Effect.map(decode(call, schema)(response), (value) => ({ status: response.status, value }))
      )

    const pageSize = yield* Effect.cached(
      json({ operation: "GET /settings/api" }, HttpClientRequest.get("/settings/api"), Wire.ApiSettings).pipe(
        Effect.map(({ max_response_items }) =>
          max_response_items !== undefined && max_response_items > 0 ? Math.min(wanted, max_response_items) : wanted
        ),
        Effect.tapError((error) => Effect.logDebug(`${product} page size unknown, asking ${wanted}: ${error.detail}`)),
        Effect.orElseSucceed(() => wanted)
      )
    )

    const list: Service["list"] = (call, path, { items, page, paging, query = {} }) =>
      Effect.gen(function*() {
        const limit = yield* pageSize
        let collected = 0
        let number = 1
        let unpagedLimit = limit
        const urlFor = (n: number) =>
          paging === "unpaged"
            ? withQuery(path, n === 1 ? query : { ...query, page: n, limit: unpagedLimit })
            : withQuery(path, { ...query, page: n, limit })
        return yield* HttpKit.collectPages(
          urlFor(1),
          (url) =>
            Effect.gen(function*() {
              const response = yield* execute(call, HttpClientRequest.get(url))
              const batch = items(yield* decode(call, page)(response))
              if (number === 1 && paging === "unpaged" && batch.length > 0) unpagedLimit = batch.length
              collected += batch.length
              const linked = Option.isSome(HttpKit.nextLink(response.headers.link))
              const total = totalCount(response)
              const more = batch.length > 0 &&
                (paging === "untilEmpty" ||
                  linked ||
                  Option.match(total, {
                    onSome: (count) => collected < count,
                    onNone: () => paging === "counted" && batch.length >= limit
                  }))
              number++
              return [batch, more ? Option.some(urlFor(number)) : Option.none()] as const
            }),
          (pages) =>
            new ForgejoError({
              operation: call.operation,
              detail: `${product} still had more pages after ${pages}; refusing to return a partial list`,
              transient: false,
              hint: "raise maxPages if the list is really this long"
            }),
          maxPages
        )
      })

    return { baseUrl, product, send, json, jsonAnswer, list, pageSize }
  })

/** The client as a layer. */
export const layer = (options: Options): Layer.Layer<ForgejoClient, never, HttpClient.HttpClient> =>
  Layer.effect(ForgejoClient, make(options))

/** The client from configuration, e.g. `{ baseUrl: Config.string("FORGEJO_URL"), token: Config.redacted("FORGEJO_TOKEN") }`. */
export const layerConfig = (
  config: Config.Config.Wrap<Options>
): Layer.Layer<ForgejoClient, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.effect(ForgejoClient, Effect.flatMap(Config.unwrap(config), make))

/**
 * A port error's fields for an answer whose value AFK cannot use (it failed `method`'s schema): transient, as
 * the forge may answer well on the next pass.
 */
export const malformed = (method: string, error: ParseResult.ParseError) => ({
  operation: method,
  detail: `Forgejo sent a value AFK cannot use: ${ParseResult.TreeFormatter.formatErrorSync(error).slice(0, 300)}`,
  transient: true,
  hint: "the forge sent a malformed answer; it will be retried on the next pass",
  cause: error
})
