/**
 * The T3 Code HTTP client (`t3-protocol.md` §1–3) on `HttpKit.client`: base URL, bearer token read per
 * request, a per-attempt timeout, bounded concurrency, retries, and the typed calls the runtime needs; what
 * is T3's own is the reading of its error bodies (401 `reason`, 403 `requiredScope`, a command's 400). A 500 on
 * dispatch is not retried blindly (§3.8): `send` reports it so the caller re-reads state. Failures become
 * `AgentRuntimeError`s that say what to do, and never carry the token (redacted even where a body echoes it).
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as AgentRuntime from "./AgentRuntime.js"
import type * as HttpFailure from "./HttpFailure.js"
import * as HttpKit from "./HttpKit.js"
import * as T3Wire from "./T3Wire.js"

export interface Options {
  /** The server's origin, e.g. `http://127.0.0.1:3773` (a trailing slash is tolerated). */
  readonly url: string
  /** The bearer access token, read again for every request so a rotated token is picked up. */
  readonly token: Effect.Effect<Redacted.Redacted>
  /** The longest one HTTP attempt may take before it counts as a transport failure (default 30 s). */
  readonly requestTimeout?: Duration.DurationInput
  readonly retry?: HttpKit.RetryOptions
}

export interface T3Client {
  /** The thread detail (only the last `turnLimit` turns when given), `None` on T3's 404 `thread_not_found`. */
  readonly readThread: (
    threadId: string,
    turnLimit?: number
  ) => Effect.Effect<Option.Option<T3Wire.Thread>, AgentRuntime.AgentRuntimeError>
  /** `GET /api/orchestration/snapshot` (projects and thread summaries). */
  readonly snapshot: Effect.Effect<typeof T3Wire.ReadModel.Type, AgentRuntime.AgentRuntimeError>
  /** `GET /api/orchestration/shell`: every non-archived thread's session, latest turn and pending flags. */
  readonly shell: Effect.Effect<typeof T3Wire.ShellSnapshot.Type, AgentRuntime.AgentRuntimeError>
  /** `GET /.well-known/t3/environment`: the server's protocol, version and environment id (it names web routes). */
  readonly probe: Effect.Effect<ProbeResult, AgentRuntime.AgentRuntimeError>
  /** Dispatches one command: `true` once accepted, `false` on the ambiguous 500 (re-read state, §3.8). */
  readonly send: (command: T3Wire.Command) => Effect.Effect<boolean, AgentRuntime.AgentRuntimeError>
}

const vendor: HttpFailure.Vendor = {
  name: "T3 Code",
  credential: "bearer token (`t3 auth session issue --token-only`)"
}
const reissue =
  "issue one on the server host with `t3 auth session issue --token-only` and configure it as the T3 token"

const summarise = (command: { readonly type: string }): string =>
  JSON.stringify(command, (key, value) =>
    key === "text" && typeof value === "string" && value.length > 200
      ? `${value.slice(0, 200)}… (${value.length} chars)`
      : value)

/** A JSON error body, or none (a 400 from schema decoding has no body). */
export const errorBody = (body: string): T3Wire.ErrorBody =>
  Option.getOrElse(Schema.decodeUnknownOption(Schema.parseJson(T3Wire.ErrorBody))(body), () => ({}))

/** A T3 call: `sent` is the command a 400 quotes (summarised, never the token). */
export type Call = HttpKit.Call & { readonly sent?: { readonly type: string } | undefined }

/**
 * T3's own reading of a failure: its 401 `reason`, its 403 `requiredScope`, a rejected command's 400; a
 * body of the wrong shape is a drift signal for negotiation.
 */
const refine = (call: Call, failure: HttpKit.Failure, fields: HttpKit.ErrorFields) =>
  Effect.gen(function*() {
    if (failure._tag === "Malformed") {
      return { ...fields, hint: "run `afk-cli doctor` to check the server's version and protocol" }
    }
    if (failure._tag !== "Answer") return fields
    const { response } = failure
    const body = errorBody(yield* Effect.orElseSucceed(response.text, () => ""))
    if (response.status === 401) {
      const missing = body.reason === "missing_credential"
      return {
        ...fields,
        detail: missing
          ? "T3 Code received no bearer token (401 missing_credential)"
          : `T3 Code rejected the bearer token as invalid or expired (401 ${body.reason ?? "auth_invalid"})`,
        hint: missing ? `configure a T3 token: ${reissue}` : `the token is wrong, expired or revoked: ${reissue}`
      }
    }
    if (response.status === 403) {
      const scope = body.requiredScope ?? "orchestration:read and orchestration:operate"
      return {
        ...fields,
        detail: `the T3 bearer token lacks the scope ${scope} (403 ${body.code ?? "insufficient_scope"})`,
        hint: `issue a token with the scopes orchestration:read and orchestration:operate: ${reissue}`
      }
    }
    if (response.status === 400 && call.sent !== undefined) {
      const answer = body.reason === undefined ? "an empty body (the command failed schema decoding)" : body.reason
      return {
        ...fields,
        detail: `T3 Code rejected the ${call.sent.type} command with HTTP 400 and ${answer}; sent: ${
          summarise(call.sent)
        }`,
        hint: "it does not match the server's contract: `afk-cli doctor` checks the server's version and protocol"
      }
    }
    return fields
  })

const error = (fields: HttpKit.ErrorFields) => new AgentRuntime.AgentRuntimeError(fields)

/**
 * The `HttpKit.client` every T3 call goes through: the origin, JSON, the bearer token read per call, the
 * per-attempt timeout, at most 8 requests at once, and T3's reading of its error bodies.
 */
export const client = (
  options: Options,
  overrides: Partial<HttpKit.ClientOptions<AgentRuntime.AgentRuntimeError, Call>> = {}
) =>
  HttpKit.client<AgentRuntime.AgentRuntimeError, Call>({
    vendor,
    baseUrl: options.url,
    authorize: HttpKit.authorization("Bearer", options.token),
    retry: options.retry,
    timeout: options.requestTimeout ?? "30 seconds",
    transform: HttpClient.mapRequest(HttpClientRequest.acceptJson),
    refine,
    error,
    ...overrides
  })

const dispatchPath = "/api/orchestration/dispatch"

/** Builds the client on the ambient `HttpClient`; nothing is sent until a call runs. */
export const make = (options: Options): Effect.Effect<T3Client, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const retry = options.retry ?? HttpKit.defaultRetry
    const t3 = yield* client(options, {
      // A 500 on a command is ambiguous (§3.8): never resent, the caller re-reads state instead.
      retry: {
        ...retry,
        isFinal: (response) => response.status === 500 && new URL(response.request.url).pathname === dispatchPath
      }
    })

    const getJson = <A, I>(operation: string, path: string, schema: Schema.Schema<A, I>) =>
      t3.json(schema)({ operation, idempotent: true }, HttpClientRequest.get(path))

    const readThread: T3Client["readThread"] = (threadId, turnLimit) => {
      const call: Call = { operation: "GET /api/orchestration/threads/:id", idempotent: true, accept: [404] }
      const query = turnLimit === undefined ? "" : `?turnLimit=${turnLimit}`
      return t3.execute(
        call,
        HttpClientRequest.get(`/api/orchestration/threads/${encodeURIComponent(threadId)}${query}`)
      )
        .pipe(
          Effect.flatMap((response) =>
            Effect.gen(function*() {
              if (response.status !== 404) {
                return Option.some((yield* t3.decode(T3Wire.ThreadDetailSnapshot)(call, response)).thread)
              }
              const body = errorBody(yield* Effect.orElseSucceed(response.text, () => ""))
              if (body.code === "not_found" || body.reason === "thread_not_found") return Option.none()
              return yield* Effect.fail(t3.fail(response.request, {
                operation: call.operation,
                status: 404,
                detail: "HTTP 404 without T3's thread_not_found body",
                transient: true,
                hint: "check the T3 URL: it does not look like a T3 Code server (or one older than 2026-07-05)"
              }))
            })
          )
        )
    }

    const snapshot = getJson("GET /api/orchestration/snapshot", "/api/orchestration/snapshot", T3Wire.ReadModel)
    const shell = getJson("GET /api/orchestration/shell", "/api/orchestration/shell", T3Wire.ShellSnapshot)
    const environment = getJson(
      "GET /.well-known/t3/environment",
      "/.well-known/t3/environment",
      T3Wire.EnvironmentDescriptor
    )

    /** Sends one command: `true` once the server took it, `false` on the ambiguous 500 (§3.8) — re-read state. */
    const send = (command: T3Wire.Command): Effect.Effect<boolean, AgentRuntime.AgentRuntimeError> => {
      const call: Call = { operation: `dispatch ${command.type}`, idempotent: true, accept: [500], sent: command }
      const request = HttpClientRequest.post(dispatchPath).pipe(HttpClientRequest.bodyUnsafeJson(command))
      return Effect.flatMap(
        t3.execute(call, request),
        (response) =>
          response.status === 500 ? Effect.succeed(false) : Effect.as(t3.decode(Schema.Unknown)(call, response), true)
      )
    }

    return { readThread, snapshot, shell, probe: Effect.map(environment, probeResult), send }
  })

/** What `probe` learns from `GET /.well-known/t3/environment`. */
export interface ProbeResult {
  readonly serverVersion: string
  /** The orchestration protocol the server speaks (1 when its descriptor does not say). */
  readonly orchestrationProtocol: number
  readonly environmentId: string
  readonly label: string | undefined
  readonly capabilities: Readonly<Record<string, unknown>>
}

/** The descriptor read for negotiation: a missing `orchestrationProtocolVersion` is protocol 1 (§1.2). */
const probeResult = (descriptor: T3Wire.EnvironmentDescriptor): ProbeResult => ({
  serverVersion: descriptor.serverVersion,
  orchestrationProtocol: descriptor.orchestrationProtocolVersion ?? 1,
  environmentId: descriptor.environmentId,
  label: descriptor.label,
  capabilities: descriptor.capabilities
})

/** Checks that `url` is a reachable T3 Code server (no credential needed) and reads its version. */
export const probe = (url: string): Effect.Effect<ProbeResult, AgentRuntime.AgentRuntimeError, HttpClient.HttpClient> =>
  HttpKit.client<AgentRuntime.AgentRuntimeError, Call>({
    vendor,
    baseUrl: url,
    timeout: "10 seconds",
    retry: { times: 1, base: "200 millis", maxWait: "1 second" },
    transform: HttpClient.mapRequest(HttpClientRequest.acceptJson),
    refine,
    error
  }).pipe(
    Effect.flatMap((t3) =>
      t3.json(T3Wire.EnvironmentDescriptor)(
        { operation: "GET /.well-known/t3/environment", idempotent: true },
        HttpClientRequest.get("/.well-known/t3/environment")
      )
    ),
    Effect.map(probeResult)
  )

/**
 * The scopes the bearer `token` carries, from `GET /api/auth/session` (a read: nothing is created, nothing
 * retried); `None` when the server does not list them.
 */
export const scopes = (
  url: string,
  token: Redacted.Redacted
): Effect.Effect<Option.Option<ReadonlyArray<string>>, AgentRuntime.AgentRuntimeError, HttpClient.HttpClient> =>
  client({ url, token: Effect.succeed(token), requestTimeout: "10 seconds" }, {
    retry: { ...HttpKit.defaultRetry, times: 0 }
  }).pipe(
    Effect.flatMap((t3) =>
      t3.json(T3Wire.AuthSession)(
        { operation: "GET /api/auth/session", idempotent: true },
        HttpClientRequest.get("/api/auth/session")
      )
    ),
    Effect.map((session) => Option.fromNullable(session.scopes))
  )
