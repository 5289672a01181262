/**
 * The T3 Code HTTP client (`t3-protocol.md` §1–3): base URL, bearer token read per request, a per-attempt
 * timeout, bounded concurrency, `HttpKit` retries, and the typed calls the runtime needs. A 500 on
 * dispatch is not retried blindly (§3.8): `send` reports it so the caller re-reads state. Failures become
 * `AgentRuntimeError`s that say what to do, and never carry the token (redacted even where a body echoes it).
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as AgentRuntime from "./AgentRuntime.js"
import * as HttpKit from "./HttpKit.js"
import type * as PortError from "./PortError.js"
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

const vendor: HttpKit.Vendor = { name: "T3 Code", credential: "bearer token (`t3 auth session issue --token-only`)" }
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

/** The port error, with the bearer token the request carried redacted from whatever the server echoed. */
const redacted = (
  request: HttpClientRequest.HttpClientRequest,
  fields: PortError.Fields & { readonly cause?: unknown }
) => new AgentRuntime.AgentRuntimeError(HttpKit.redactFields(HttpKit.credentialOf(request))(fields))

/** Maps an HTTP answer that is not a success into the port error; `sent` is the command, never the token. */
export const fromResponse = (
  operation: string,
  response: HttpClientResponse.HttpClientResponse,
  sent?: { readonly type: string }
) =>
  Effect.gen(function*() {
    const fields = yield* HttpKit.fromResponse(vendor, operation, response)
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
    if (response.status === 400 && sent !== undefined) {
      const answer = body.reason === undefined ? "an empty body (the command failed schema decoding)" : body.reason
      return {
        ...fields,
        detail: `T3 Code rejected the ${sent.type} command with HTTP 400 and ${answer}; sent: ${summarise(sent)}`,
        hint: "it does not match the server's contract: `afk-cli doctor` checks the server's version and protocol"
      }
    }
    return fields
  }).pipe(Effect.map((fields) => redacted(response.request, fields)))

/** A transport failure as the port error (transient). */
export const fromClientError = (operation: string) => (error: HttpClientError.HttpClientError) =>
  new AgentRuntime.AgentRuntimeError(HttpKit.fromClientError(vendor, operation, error))

/** A body of the wrong shape as the port error: transient, and a drift signal for negotiation. */
export const fromParseError = (operation: string, request: HttpClientRequest.HttpClientRequest) => (error: unknown) =>
  redacted(request, {
    operation,
    detail: "T3 Code answered with a body that does not match the expected shape",
    transient: true,
    hint: "run `afk-cli doctor` to check the server's version and protocol",
    cause: error
  })

/**
 * The HTTP pipeline every T3 call goes through: the origin, JSON, the bearer token read per request, the
 * per-attempt timeout and at most 8 requests at once; `reads` retries transient failures.
 */
export const pipeline = (options: Options) =>
  Effect.gen(function*() {
    const origin = options.url.replace(/\/+$/, "")
    const retry = options.retry ?? HttpKit.defaultRetry
    const base = (yield* HttpClient.HttpClient).pipe(
      HttpClient.mapRequest(HttpClientRequest.prependUrl(origin)),
      HttpClient.mapRequest(HttpClientRequest.acceptJson),
      HttpClient.mapRequestEffect((request) =>
        Effect.map(options.token, (token) => HttpClientRequest.bearerToken(request, token))
      ),
      HttpKit.withTimeout(options.requestTimeout ?? "30 seconds")
    )
    const limited = yield* HttpKit.withConcurrency(8)(base)
    return { limited, reads: limited.pipe(HttpKit.withRetries(retry)), retry }
  })

/** Builds the client on the ambient `HttpClient`; nothing is sent until a call runs. */
export const make = (options: Options): Effect.Effect<T3Client, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const { limited, reads, retry } = yield* pipeline(options)
    const commands = limited.pipe(
      HttpClient.filterStatus((status) => status !== 500),
      HttpKit.withRetries(retry)
    )

    const getJson = <A, I>(operation: string, path: string, schema: Schema.Schema<A, I>) =>
      reads.get(path).pipe(
        Effect.mapError(fromClientError(operation)),
        Effect.flatMap((response) =>
          response.status === 200
            ? response.json.pipe(
              Effect.flatMap(Schema.decodeUnknown(schema)),
              Effect.mapError(fromParseError(operation, response.request))
            )
            : Effect.flatMap(fromResponse(operation, response), Effect.fail)
        )
      )

    const readThread: T3Client["readThread"] = (threadId, turnLimit) => {
      const operation = "GET /api/orchestration/threads/:id"
      const query = turnLimit === undefined ? "" : `?turnLimit=${turnLimit}`
      return reads.get(`/api/orchestration/threads/${encodeURIComponent(threadId)}${query}`).pipe(
        Effect.mapError(fromClientError(operation)),
        Effect.flatMap((response) =>
          Effect.gen(function*() {
            if (response.status === 200) {
              const json = yield* Effect.mapError(response.json, fromClientError(operation))
              const detail = yield* Effect.mapError(
                Schema.decodeUnknown(T3Wire.ThreadDetailSnapshot)(json),
                fromParseError(operation, response.request)
              )
              return Option.some(detail.thread)
            }
            if (response.status === 404) {
              const body = errorBody(yield* Effect.orElseSucceed(response.text, () => ""))
              if (body.code === "not_found" || body.reason === "thread_not_found") return Option.none()
              return yield* new AgentRuntime.AgentRuntimeError({
                operation,
                status: 404,
                detail: "HTTP 404 without T3's thread_not_found body",
                transient: true,
                hint: "check the T3 URL: it does not look like a T3 Code server (or one older than 2026-07-05)"
              })
            }
            return yield* Effect.flatMap(fromResponse(operation, response), Effect.fail)
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
      const operation = `dispatch ${command.type}`
      const request = HttpClientRequest.post("/api/orchestration/dispatch").pipe(
        HttpClientRequest.bodyUnsafeJson(command)
      )
      return commands.execute(request).pipe(
        Effect.flatMap(
          (response): Effect.Effect<boolean, AgentRuntime.AgentRuntimeError | HttpClientError.HttpClientError> =>
            response.status === 200
              ? Effect.as(response.json, true)
              : Effect.flatMap(fromResponse(operation, response, command), Effect.fail)
        ),
        Effect.catchAll((error) => {
          if (error._tag === "AgentRuntimeError") return Effect.fail(error)
          if (error._tag === "ResponseError" && error.reason === "StatusCode" && error.response.status === 500) {
            return Effect.succeed(false)
          }
          return Effect.fail(fromClientError(operation)(error))
        })
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
  Effect.gen(function*() {
    const operation = "GET /.well-known/t3/environment"
    const client = (yield* HttpClient.HttpClient).pipe(
      HttpKit.withTimeout("10 seconds"),
      HttpKit.withRetries({ times: 1, base: "200 millis", maxWait: "1 second" })
    )
    const response = yield* client
      .get(`${url.replace(/\/+$/, "")}/.well-known/t3/environment`, { acceptJson: true })
      .pipe(Effect.mapError(fromClientError(operation)))
    if (response.status !== 200) return yield* Effect.flatMap(fromResponse(operation, response), Effect.fail)
    const descriptor = yield* response.json.pipe(
      Effect.flatMap(Schema.decodeUnknown(T3Wire.EnvironmentDescriptor)),
      Effect.mapError(fromParseError(operation, response.request))
    )
    return probeResult(descriptor)
  })

/**
 * The scopes the bearer `token` carries, from `GET /api/auth/session` (a read: nothing is created); `None`
 * when the server does not list them.
 */
export const scopes = (
  url: string,
  token: Redacted.Redacted
): Effect.Effect<Option.Option<ReadonlyArray<string>>, AgentRuntime.AgentRuntimeError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const operation = "GET /api/auth/session"
    const client = (yield* HttpClient.HttpClient).pipe(HttpKit.withTimeout("10 seconds"))
    const request = HttpClientRequest.get(`${url.replace(/\/+$/, "")}/api/auth/session`).pipe(
      HttpClientRequest.acceptJson,
      HttpClientRequest.bearerToken(token)
    )
    const response = yield* client.execute(request).pipe(Effect.mapError(fromClientError(operation)))
    if (response.status !== 200) return yield* Effect.flatMap(fromResponse(operation, response), Effect.fail)
    const session = yield* response.json.pipe(
      Effect.flatMap(Schema.decodeUnknown(T3Wire.AuthSession)),
      Effect.mapError(fromParseError(operation, response.request))
    )
    return Option.fromNullable(session.scopes)
  })
