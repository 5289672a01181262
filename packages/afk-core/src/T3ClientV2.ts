/**
 * The protocol-2 T3 Code client (`t3-protocol-v2.md` §2–5): reads over HTTP with the protocol header (the
 * bounded thread projection, the project list), projects created over `POST /api/projects/mutate`, and
 * orchestration commands over the WebSocket — a fresh ticket, one short connection, one
 * `orchestration.dispatchCommand` — answered as accepted, rejected or lost (ambiguous: read back, §4.6).
 * Failures become `AgentRuntimeError`s that say what to do and never carry the token.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import type * as Socket from "@effect/platform/Socket"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as AgentRuntime from "./AgentRuntime.js"
import * as T3Client from "./T3Client.js"
import * as T3Rpc from "./T3Rpc.js"
import * as T3WireV2 from "./T3WireV2.js"

/** What became of one command sent over the WebSocket. */
export type Dispatched =
  | { readonly _tag: "Accepted" }
  /** The server refused it; `previouslyRejected` is the one certain rejection (§4.6, §7 row 10). */
  | { readonly _tag: "Rejected"; readonly message: string; readonly previouslyRejected: boolean }
  /** No answer (a refused, dropped or silent connection): it may or may not have been applied. */
  | { readonly _tag: "Lost"; readonly detail: string }

export interface T3ClientV2 {
  /** `GET /api/orchestration/threads/:id/bounded`; `None` on 404 `thread_not_found`. */
  readonly readThread: (
    threadId: string
  ) => Effect.Effect<Option.Option<T3WireV2.Projection>, AgentRuntime.AgentRuntimeError>
  /** `GET /api/projects`. */
  readonly projects: Effect.Effect<ReadonlyArray<T3WireV2.Project>, AgentRuntime.AgentRuntimeError>
  /** `POST /api/projects/mutate` `project.create`: `conflict` when another active project has the root. */
  readonly createProject: (
    body: ReturnType<typeof T3WireV2.projectCreate>
  ) => Effect.Effect<"created" | "conflict", AgentRuntime.AgentRuntimeError>
  /**
   * One command over a fresh ticket and connection; a refused token or scope, a defect, or a WebSocket that
   * did not open (nothing sent) is an error.
   */
  readonly dispatch: (command: T3WireV2.Command) => Effect.Effect<Dispatched, AgentRuntime.AgentRuntimeError>
}

export interface Options extends T3Client.Options {
  /** How long the WebSocket may take to open (default: `requestTimeout` when set, else 10 s). */
  readonly openTimeout?: number
}

const drift = (operation: string, detail: string) =>
  new AgentRuntime.AgentRuntimeError({
    operation,
    detail: `${detail}; the body does not match the expected shape`,
    transient: true,
    hint: "the server may have changed protocol: AFK reads its descriptor again (`afk-cli doctor` shows it)"
  })

/** The operation of a WebSocket that did not open: nothing was sent, and it is a drift signal (§1.3). */
export const connectOperation = "connect to /ws"

const isJson = (response: HttpClientResponse.HttpClientResponse) =>
  (response.headers["content-type"] ?? "").includes("json")

const decodeRpcError = Schema.decodeUnknownOption(T3WireV2.RpcError)

/** `ws://host/ws?wsTicket=…&orchestrationProtocol=2` (§2.4), `wss` behind TLS. */
export const socketUrl = (origin: string, ticket: string): string => {
  const url = new URL("/ws", origin)
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:"
  url.searchParams.set("wsTicket", ticket)
  url.searchParams.set("orchestrationProtocol", "2")
  return url.toString()
}

/** Builds the client on the ambient `HttpClient` and WebSocket constructor; nothing is sent until a call runs. */
export const make = (
  options: Options
): Effect.Effect<T3ClientV2, never, HttpClient.HttpClient | Socket.WebSocketConstructor> =>
  Effect.gen(function*() {
    const origin = options.url.replace(/\/+$/, "")
    const t3 = yield* T3Client.client(options, {
      transform: <E, R>(client: HttpClient.HttpClient.With<E, R>) =>
        HttpClient.mapRequest(
          client,
          (request) => HttpClientRequest.setHeader(HttpClientRequest.acceptJson(request), T3WireV2.protocolHeader, "2")
        )
    })
    const context = yield* Effect.context<Socket.WebSocketConstructor>()

    const json = <A, I>(
      call: T3Client.Call,
      response: HttpClientResponse.HttpClientResponse,
      schema: Schema.Schema<A, I>
    ) =>
      isJson(response)
        ? t3.decode(schema)(call, response)
        : Effect.fail(
          drift(
            call.operation,
            `T3 Code answered ${call.operation} with ${response.headers["content-type"] ?? "no content type"}`
          )
        )

    const read = <A, I>(
      call: T3Client.Call,
      request: HttpClientRequest.HttpClientRequest,
      schema: Schema.Schema<A, I>
    ) => Effect.flatMap(t3.execute(call, request), (response) => json(call, response, schema))

    const readThread: T3ClientV2["readThread"] = (threadId) => {
      const call: T3Client.Call = {
        operation: "GET /api/orchestration/threads/:id/bounded",
        idempotent: true,
        accept: [400, 404]
      }
      return t3.execute(
        call,
        HttpClientRequest.get(`/api/orchestration/threads/${encodeURIComponent(threadId)}/bounded`)
      )
        .pipe(Effect.flatMap((response) =>
          Effect.gen(function*() {
            if (response.status === 404) {
              const body = T3Client.errorBody(yield* Effect.orElseSucceed(response.text, () => ""))
              if (body.reason === "thread_not_found" || body.code === "not_found") return Option.none()
              return yield* drift(call.operation, "HTTP 404 without T3's thread_not_found body")
            }
            if (response.status === 400) {
              return yield* new AgentRuntime.AgentRuntimeError({
                operation: call.operation,
                status: 400,
                detail: "T3 Code refused a protocol-2 read with HTTP 400: it may no longer speak protocol 2",
                transient: true,
                hint: "AFK reads the server's descriptor again; `afk-cli doctor` shows its protocol"
              })
            }
            return Option.some((yield* json(call, response, T3WireV2.BoundedSnapshot)).projection)
          })
        ))
    }

    const projects = Effect.map(
      read(
        { operation: "GET /api/projects", idempotent: true },
        HttpClientRequest.get("/api/projects"),
        T3WireV2.ProjectList
      ),
      (list) => list.projects
    )

    const createProject: T3ClientV2["createProject"] = (body) => {
      const call: T3Client.Call = {
        operation: "POST /api/projects/mutate",
        idempotent: true,
        accept: [400],
        sent: body
      }
      return t3.execute(
        call,
        HttpClientRequest.post("/api/projects/mutate").pipe(HttpClientRequest.bodyUnsafeJson(body))
      )
        .pipe(Effect.flatMap((response) =>
          Effect.gen(function*() {
            if (response.status !== 400) return "created" as const
            const text = yield* Effect.orElseSucceed(response.text, () => "")
            if (T3Client.errorBody(text).reason === "invalid_command") return "conflict" as const
            return yield* t3.refuse(call, response)
          })
        ))
    }

    const ticket = Effect.map(
      read(
        { operation: "POST /api/auth/websocket-ticket", idempotent: true },
        HttpClientRequest.post("/api/auth/websocket-ticket"),
        T3WireV2.Ticket
      ),
      (t) => t.ticket
    )

    const dispatch: T3ClientV2["dispatch"] = (command) =>
      Effect.gen(function*() {
        const operation = `dispatch ${command.type}`
        const url = socketUrl(origin, yield* ticket)
        const answer = yield* T3Rpc.call(url, "orchestration.dispatchCommand", command, {
          openTimeout: options.openTimeout ??
            (options.requestTimeout === undefined
              ? 10_000
              : Duration.toMillis(Duration.decode(options.requestTimeout))),
          timeout: options.requestTimeout ?? "30 seconds"
        }).pipe(Effect.either, Effect.provide(context))
        if (answer._tag === "Left" && answer.left.reason === "open") {
          return yield* new AgentRuntime.AgentRuntimeError({
            operation: connectOperation,
            detail: `the WebSocket to T3 Code did not open, so ${command.type} was not sent: ${answer.left.detail}`,
            transient: true,
            hint: "the server may have changed protocol (a 426) or refused the ticket; AFK reads its descriptor again"
          })
        }
        if (answer._tag === "Left") return { _tag: "Lost", detail: answer.left.detail } as const
        const exit = answer.right
        if (exit._tag === "Success") return { _tag: "Accepted" } as const
        const errors = T3Rpc.failures(exit).flatMap((e) => Option.toArray(decodeRpcError(e)))
        const scope = errors.find((e) => e._tag === "EnvironmentAuthorizationError")
        if (scope !== undefined) {
          return yield* new AgentRuntime.AgentRuntimeError({
            operation,
            status: 403,
            detail: `the T3 bearer token lacks the scope ${scope.requiredScope ?? "orchestration:operate"}`,
            transient: false,
            hint:
              "issue a token with the scopes orchestration:read and orchestration:operate: `t3 auth session issue --token-only`"
          })
        }
        const refused = errors[0]
        if (refused !== undefined) {
          const message = [refused.message, typeof refused.detail === "string" ? refused.detail : undefined]
            .filter((part) => part !== undefined && part !== "").join(": ")
          return { _tag: "Rejected", message, previouslyRejected: /was previously rejected/.test(message) } as const
        }
        const died = T3Rpc.defect(exit)
        if (Option.isSome(died)) {
          return yield* new AgentRuntime.AgentRuntimeError({
            operation,
            detail: `T3 Code refused the ${command.type} command as malformed: ${died.value.slice(0, 300)}`,
            transient: false,
            hint: "it does not match the server's contract: `afk-cli doctor` checks the server's version and protocol"
          })
        }
        return { _tag: "Lost", detail: "the server interrupted the command" } as const
      })

    return { readThread, projects, createProject, dispatch }
  })
