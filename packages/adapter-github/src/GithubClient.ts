/**
 * The GitHub REST client the adapter's ports stand on: base URL (api.github.com or a GitHub Enterprise
 * `https://host/api/v3`), token or GitHub App auth, GitHub's media type and API version headers, `Link`
 * pagination at `per_page=100`, rate limits (waits GitHub asks for, within a bound), conditional GETs
 * (`ETag` → `If-None-Match`, a 304 served from the cache for free), bounded concurrency, and the mapping
 * of every failure into a `GithubError` with a hint. Bodies are decoded with Schema, unknown fields ignored.
 * GraphQL queries (`POST /graphql`, or `/api/graphql` beside a GitHub Enterprise `/api/v3`) go through the
 * same pipeline: they are reads, retried like GETs, and an answer's `errors` fail like an HTTP error does.
 * Its contract (`Service`, `Options` and the shapes of its answers) is in `GithubClientService`, named here too.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpKit from "afk-core/HttpKit"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as GithubApp from "./GithubApp.js"
import * as GithubCache from "./GithubCache.js"
import type * as GithubClientService from "./GithubClientService.js"
import * as GithubCodec from "./GithubCodec.js"
import * as GithubError from "./GithubError.js"
import * as GithubRateLimit from "./GithubRateLimit.js"

export type Call = GithubClientService.Call
export type Options = GithubClientService.Options
export type Stats = GithubClientService.Stats
export type Params = GithubClientService.Params
export type WriteMethod = GithubClientService.WriteMethod
export type Service = GithubClientService.Service
export type MemoOptions = GithubClientService.MemoOptions
export type Attempt<A> = GithubClientService.Attempt<A>
export type Tagged<A> = GithubClientService.Tagged<A>

export class GithubClient extends Context.Tag("afk-adapter-github/GithubClient")<GithubClient, Service>() {}

/** `/repos/{owner}/{name}/…`, each segment URL-encoded. */
export const repoPath = HttpKit.repoPath

/** GitHub's GraphQL endpoint beside a REST base: `…/graphql`, or `https://HOST/api/graphql` for `https://HOST/api/v3`. */
export const graphqlUrl = (baseUrl: string): string => {
  const base = baseUrl.replace(/\/+$/, "")
  return /\/api\/v3$/.test(base) ? base.replace(/\/api\/v3$/, "/api/graphql") : `${base}/graphql`
}

/** Segments the URL parser keeps as they are: no dot segments, no query or fragment, no character it encodes. */
const plainPath = /^(?:\/[\w~%-][\w.~%-]*)+$/

/**
 * The URLs of a base URL's paths and query parameters, as the URL parser makes them. A path of plain segments
 * under a base URL already in its parsed form is joined as the parser would join it, without parsing each
 * request's URL again; anything else goes through the parser. @internal exported for its test.
 */
export const urlMaker = (baseUrl: string) => {
  const baseIsParsed = URL.canParse(baseUrl) && new URL(baseUrl).href.replace(/\/$/, "") === baseUrl
  const parsed = (path: string, params: Params): string => {
    const url = new URL(`${baseUrl}${path}`)
    for (const [key, value] of Object.entries(params)) {
      if (value !== undefined) url.searchParams.set(key, String(value))
    }
    return url.toString()
  }
  return (path: string, params: Params = {}): string => {
    if (baseIsParsed && plainPath.test(path)) {
      let search = ""
      for (const key in params) {
        const value = params[key]
        if (value === undefined) continue
        const pair = `${formEncoded(key)}=${formEncoded(String(value))}`
        if (pair.includes("\uFFFD")) return parsed(path, params)
        search = search === "" ? pair : `${search}&${pair}`
      }
      return search === "" ? `${baseUrl}${path}` : `${baseUrl}${path}?${search}`
    }
    return parsed(path, params)
  }
}

/** What the form encoding leaves as it is: alphanumerics and `*-._`. */
const formPlain = /^[\w*.-]*$/

/**
 * A query component as the URL parser's `searchParams` writes it (application/x-www-form-urlencoded): every
 * byte but alphanumerics and `*-._` percent-encoded, a space as `+`. A lone surrogate, which it writes as
 * U+FFFD, comes back as U+FFFD here, and the caller lets the parser do it.
 */
const formEncoded = (text: string): string => {
  if (formPlain.test(text)) return text
  let encoded: string
  try {
    encoded = encodeURIComponent(text)
  } catch {
    return "\uFFFD"
  }
  return encoded.replace(/%20/g, "+").replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

/** The most memos one client keeps; the oldest are forgotten first. */
const maxMemos = 10_000

/**
 * This client's memos, a store of their own: decoded values under a key, each valid while its tag (an ETag,
 * an `updated_at`) holds. In memory only, never beside the HTTP answers of the conditional-request cache.
 */
const memoStore = () => {
  const memos = new Map<string, { readonly tag: string; readonly value: unknown }>()
  return {
    recall: (key: string, tag: string): Option.Option<unknown> => {
      const memo = memos.get(key)
      return memo !== undefined && memo.tag === tag ? Option.some(memo.value) : Option.none()
    },
    remember: (key: string, tag: string, value: unknown): void => {
      memos.delete(key)
      memos.set(key, { tag, value })
      if (memos.size > maxMemos) {
        const oldest = memos.keys().next()
        if (oldest.done !== true) memos.delete(oldest.value)
      }
    }
  }
}

const UserBody = Schema.Struct({ login: Schema.String })

/** Builds a client over the ambient `HttpClient`; its cache file (if any) is written when `scope` closes. */
export const make = (options: Options): Effect.Effect<Service, never, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function*() {
    const baseUrl = (options.baseUrl ?? "https://api.github.com").replace(/\/+$/, "")
    const perPage = options.perPage ?? 100
    const maxWait = options.maxWait ?? "60 seconds"
    const cache = yield* GithubCache.make({ directory: options.cacheDirectory })
    const inMemory = yield* GithubCache.make()
    const counters: { requests: number; notModified: number; rateLimit: Option.Option<GithubRateLimit.RateLimit> } = {
      requests: 0,
      notModified: 0,
      rateLimit: Option.none()
    }
    let clockOffset = 0
    const clock = yield* Effect.clock
    const headers = {
      accept: options.accept ?? "application/vnd.github+json",
      "x-github-api-version": "2022-11-28",
      "user-agent": options.userAgent ?? "afk-adapter-github"
    }
    /** What every answer tells: the rate limit, and GitHub's clock (never ahead of the local one). */
    const noteAnswer = (response: HttpClientResponse.HttpClientResponse) => {
      counters.rateLimit = Option.orElse(GithubRateLimit.read(response), () => counters.rateLimit)
      const date = Date.parse(response.headers.date ?? "")
      if (!Number.isNaN(date)) clockOffset = Math.min(0, date - clock.unsafeCurrentTimeMillis())
    }

    const kit = yield* HttpKit.client<GithubError.GithubError, GithubError.KitCall>({
      vendor: GithubError.vendor,
      baseUrl,
      retry: {
        times: options.retries ?? 4,
        base: "500 millis",
        maxWait,
        isTransient: GithubRateLimit.isRateLimited,
        waitHint: GithubRateLimit.waitForReset
      },
      authorize: options.auth._tag === "Token" ? HttpKit.authorization("Bearer", options.auth.token) : undefined,
      concurrency: options.concurrency ?? 8,
      secrets: [options.auth._tag === "Token" ? options.auth.token : options.auth.privateKey],
      headers,
      observe: { sent: () => counters.requests++, answered: noteAnswer },
      refine: GithubError.refine(maxWait),
      error: (fields) => new GithubError.GithubError(fields)
    })

    // A call as the kit takes it, made once per call rather than at each of a request's steps.
    const kitCalls = new WeakMap<Call, GithubError.KitCall>()
    const kitCallOf = (call: Call): GithubError.KitCall => {
      const known = kitCalls.get(call)
      if (known !== undefined) return known
      const made = GithubError.kitCall(call)
      kitCalls.set(call, made)
      return made
    }
    const reads = new WeakMap<Call, GithubError.KitCall>()
    /** The call accepting a 304 (answered from the cache), and any refusals the caller reads itself. */
    const accepting = (call: Call, refusals: ReadonlyArray<number>): GithubError.KitCall => {
      if (refusals.length > 0) return { ...kitCallOf(call), accept: [304, ...refusals] }
      const known = reads.get(call)
      if (known !== undefined) return known
      const made = { ...kitCallOf(call), accept: [304] }
      reads.set(call, made)
      return made
    }

    const send = (call: Call, request: HttpClientRequest.HttpClientRequest, refusals: ReadonlyArray<number> = []) =>
      kit.execute(accepting(call, refusals), request)

    const decodeAnswer =
      <A, I>(call: Call, schema: Schema.Schema<A, I>) => (response: HttpClientResponse.HttpClientResponse) =>
        kit.decode(schema)(kitCallOf(call), response)

    const json: GithubApp.Json = (call, request, schema) =>
      Effect.flatMap(send(call, request), (response) => decodeAnswer(call, schema)(response))
    const app = options.auth._tag === "App" ? yield* GithubApp.make(options.auth, baseUrl, json) : undefined

    const bearer = (request: HttpClientRequest.HttpClientRequest, token: Redacted.Redacted) =>
      HttpClientRequest.setHeader(request, "authorization", `Bearer ${Redacted.value(token)}`)

    const asInstallation = (
      installation: GithubApp.Tokens,
      call: Call,
      request: HttpClientRequest.HttpClientRequest,
      refusals: ReadonlyArray<number>
    ) =>
      Effect.gen(function*() {
        const scope = call.repo === undefined ? request.url : `${baseUrl}/repos/${call.repo}`
        const token = yield* installation.token(scope)
        const answer = yield* Effect.either(send(call, bearer(request, token), refusals))
        if (Either.isLeft(answer) && answer.left.status === 401) {
          yield* installation.invalidate(scope, token)
          return yield* send(call, bearer(request, yield* installation.token(scope)), refusals)
        }
        return yield* answer
      })

    const execute = (call: Call, request: HttpClientRequest.HttpClientRequest, refusals: ReadonlyArray<number> = []) =>
      app === undefined ? send(call, request, refusals) : asInstallation(app, call, request, refusals)

    const urlOf = urlMaker(baseUrl)

    const getPage = <A, I>(call: Call, url: string, schema: Schema.Schema<A, I>) =>
      Effect.gen(function*() {
        const store = call.decidesTrust === true ? inMemory : cache
        const cached = yield* store.get(url, schema)
        const plain = HttpClientRequest.get(url)
        const request = Option.match(cached, {
          onNone: () => plain,
          onSome: (entry) => HttpClientRequest.setHeader(plain, "if-none-match", entry.etag)
        })
        const response = yield* execute(call, request)
        if (response.status === 304 && Option.isSome(cached)) {
          counters.notModified++
          return { value: cached.value.value, link: cached.value.link, etag: Option.some(cached.value.etag) }
        }
        const value = yield* decodeAnswer(call, schema)(response)
        const etag = response.headers.etag
        const link = response.headers.link
        if (etag !== undefined && response.status === 200) {
          yield* store.set(url, schema, { etag, value, link })
        }
        return { value, link, etag: Option.fromNullable(etag) }
      })

    const paginate = <P, I, A>(
      call: Call,
      path: string,
      params: Params,
      page: Schema.Schema<P, I>,
      items: (page: P) => ReadonlyArray<A>
    ) =>
      kit.pages(
        kitCallOf(call),
        urlOf(path, { ...params, per_page: perPage }),
        (url) => Effect.map(getPage(call, url, page), ({ link, value }) => ({ items: items(value), link }))
      )

    const writeRequest = (method: WriteMethod, path: string, body: unknown) => {
      const request = HttpClientRequest.make(method)(`${baseUrl}${path}`)
      return body === undefined ? request : HttpClientRequest.bodyUnsafeJson(request, body)
    }

    /** A GraphQL query sent and its answer decoded (`data` and `errors` as GitHub gave them), with its request. */
    const ask = <A, I>(
      call: Call,
      query: string,
      variables: Readonly<Record<string, string | number>>,
      schema: Schema.Schema<A, I>
    ) => {
      const request = HttpClientRequest.bodyUnsafeJson(HttpClientRequest.post(graphqlUrl(baseUrl)), {
        query,
        variables
      })
      return Effect.flatMap(
        execute(call, request),
        (response) =>
          Effect.map(decodeAnswer(call, GithubCodec.graphqlAnswer(schema))(response), (answer) => ({
            request: response.request,
            data: Option.fromNullable(answer.data),
            errors: answer.errors ?? []
          }))
      )
    }

    const graphql: Service["graphql"] = (call, query, variables, schema) =>
      Effect.flatMap(
        ask(call, query, variables, schema),
        ({ data, errors, request }) =>
          errors.length > 0 || Option.isNone(data)
            ? Effect.fail(kit.fail(request, GithubError.fromGraphql(call, request, errors)))
            : Effect.succeed(data.value)
      )

    const graphqlPartial: Service["graphqlPartial"] = (call, query, variables, schema) =>
      Effect.map(ask(call, query, variables, schema), ({ data, errors }) => ({ data, errors }))

    const attempt = <A, I>(
      call: Call,
      method: WriteMethod,
      path: string,
      body: unknown,
      schema: Schema.Schema<A, I>,
      refusals: ReadonlyArray<number>
    ): Effect.Effect<Attempt<A>, GithubError.GithubError> =>
      Effect.flatMap(
        execute(call, writeRequest(method, path, body), refusals),
        (response): Effect.Effect<Attempt<A>, GithubError.GithubError> =>
          refusals.includes(response.status)
            ? Effect.map(decodeAnswer(call, GithubCodec.Refusal)(response), (refusal) => ({
              _tag: "Refused" as const,
              status: response.status,
              message: refusal.message ?? "",
              errors: refusal.errors ?? []
            }))
            : response.status === 204
            ? Effect.succeed({ _tag: "Done" as const, status: 204, value: Option.none<A>() })
            : Effect.map(
              decodeAnswer(call, schema)(response),
              (value) => ({ _tag: "Done" as const, status: response.status, value: Option.some(value) })
            )
      )

    const memos = memoStore()
    const recall: Service["recall"] = (key, tag, schema, memo) =>
      memo?.durable === true
        ? cache.recall(key, tag, schema)
        : Effect.sync(() => memos.recall(key, tag) as Option.Option<never>)
    const remember: Service["remember"] = (key, tag, schema, value, memo) =>
      memo?.durable === true
        ? cache.remember(key, tag, schema, value)
        : Effect.sync(() => memos.remember(key, tag, value))
    const login = yield* Ref.make(Option.none<string>())
    const whoamiCall = { operation: "whoami", permission: "Metadata: read", decidesTrust: true }
    const fetchLogin = app === undefined
      ? getPage(whoamiCall, `${baseUrl}/user`, UserBody).pipe(Effect.map(({ value }) => value.login))
      : Effect.map(app.info, (info) => `${info.slug}[bot]`)

    return GithubClient.of({
      baseUrl,
      get: (call, path, schema, params) =>
        getPage(call, urlOf(path, params), schema).pipe(Effect.map(({ value }) => value)),
      getTagged: (call, path, schema, params) =>
        getPage(call, urlOf(path, params), schema).pipe(Effect.map(({ etag, value }) => ({ value, etag }))),
      getUnlessChanged: (call, path, schema, etag) =>
        Effect.flatMap(
          execute(call, HttpClientRequest.setHeader(HttpClientRequest.get(urlOf(path)), "if-none-match", etag)),
          (response) =>
            response.status === 304
              ? Effect.sync(() => {
                counters.notModified++
                return Option.none()
              })
              : Effect.map(
                decodeAnswer(call, schema)(response),
                (value) => Option.some({ value, etag: Option.fromNullable(response.headers.etag) })
              )
        ),
      list: (call, path, item, params = {}) => paginate(call, path, params, GithubCodec.arrayOf(item), (page) => page),
      listIn: (call, path, key, item, params = {}) =>
        paginate(call, path, params, GithubCodec.pageOf(key, item), (page) => page[key] ?? []),
      send: (call, method, path, body, schema) => {
        const request = writeRequest(method, path, body)
        return Effect.flatMap(execute(call, request), (response) => decodeAnswer(call, schema)(response))
      },
      sendAnswer: (call, method, path, body, schema) => {
        const request = writeRequest(method, path, body)
        return Effect.flatMap(
          execute(call, request),
          (response) =>
            Effect.map(decodeAnswer(call, schema)(response), (value) => ({ status: response.status, value }))
        )
      },
      attempt,
      graphql,
      graphqlPartial,
      sendVoid: (call, method, path, body) => Effect.asVoid(execute(call, writeRequest(method, path, body))),
      whoami: Effect.flatMap(Ref.get(login), (known) =>
        Option.match(known, {
          onSome: Effect.succeed,
          onNone: () => Effect.tap(fetchLogin, (value) => Ref.set(login, Option.some(value)))
        })),
      viewer: (viewer) =>
        app === undefined
          ? Ref.update(login, (known) => (Option.isSome(known) ? known : Option.some(viewer)))
          : Effect.void,
      app: app === undefined ? Option.none() : Option.some({ info: app.info, installation: app.installation }),
      stats: Effect.sync((): Stats => ({ ...counters })),
      serverTime: Effect.sync(() => clock.unsafeCurrentTimeMillis() + clockOffset),
      listed: (path, params = {}) => cache.held(urlOf(path, { ...params, per_page: perPage })),
      recall,
      remember
    })
  })

export const layer = (options: Options): Layer.Layer<GithubClient, never, HttpClient.HttpClient> =>
  Layer.scoped(GithubClient, make(options))

/** The client from configuration, e.g. `{ auth: Config.map(Config.redacted("GITHUB_TOKEN"), GithubAuth.token) }`. */
export const layerConfig = (
  config: Config.Config.Wrap<Options>
): Layer.Layer<GithubClient, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.scoped(GithubClient, Config.unwrap(config).pipe(Effect.flatMap(make)))
