/**
 * A plain client for the protocol-2 fake's contract tests: HTTP by `fetch`, the WebSocket by `ws` (whose
 * `unexpected-response` shows a refused upgrade's status and body), RPC frames as raw JSON, and a seeded
 * fake with one project and one thread.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import WebSocket from "ws"
import * as T3Fake from "../src/testing/T3Fake.js"

export type Fake = T3Fake.T3FakeV2

/** A JSON value, read loosely in assertions (a missing key reads as a `Json` too; `expect` checks it). */
export interface Json {
  readonly [key: string]: Json
  readonly [index: number]: Json
}

/** An HTTP answer: status, content type, text and parsed JSON (when it is JSON). */
export interface Answer {
  readonly status: number
  readonly type: string
  readonly text: string
  readonly json: Json
}

export const http = (
  fake: Fake,
  method: string,
  path: string,
  options: { readonly body?: unknown; readonly header?: boolean; readonly auth?: string | null } = {}
): Effect.Effect<Answer> =>
  Effect.promise(async () => {
    const headers: Record<string, string> = {}
    const auth = options.auth === undefined ? `Bearer ${fake.token()}` : options.auth
    if (auth !== null) headers.authorization = auth
    if (options.header !== false) headers["x-t3-orchestration-protocol"] = "2"
    if (options.body !== undefined) headers["content-type"] = "application/json"
    const response = await fetch(`${fake.url}${path}`, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) })
    })
    const text = await response.text()
    const type = response.headers.get("content-type") ?? ""
    return { status: response.status, type, text, json: type.includes("json") ? JSON.parse(text) : undefined }
  })

export const mintTicket = (fake: Fake): Effect.Effect<string> =>
  Effect.map(http(fake, "POST", "/api/auth/websocket-ticket"), (answer) => String(answer.json.ticket))

/** An open socket with its received messages queued. */
export interface Connection {
  readonly send: (frame: unknown) => void
  /** The next message from the server; fails after `millis` with "no frame". */
  readonly next: (millis?: number) => Effect.Effect<Json, string>
  readonly close: () => void
  readonly closed: () => boolean
}

/** The outcome of an upgrade: an open connection, or the refused upgrade's status and JSON body. */
export type Upgrade =
  | { readonly _tag: "Open"; readonly connection: Connection }
  | { readonly _tag: "Refused"; readonly status: number; readonly body: Json | undefined }

export const upgrade = (fake: Fake, query: string): Effect.Effect<Upgrade> =>
  Effect.async<Upgrade>((resume) => {
    const ws = new WebSocket(`${fake.url.replace("http:", "ws:")}/ws?${query}`)
    const inbox: Array<Json> = []
    const waiters: Array<(message: Json) => void> = []
    let isClosed = false
    ws.on("message", (data) => {
      const message = JSON.parse(String(data)) as Json
      const waiter = waiters.shift()
      if (waiter === undefined) inbox.push(message)
      else waiter(message)
    })
    ws.on("close", () => {
      isClosed = true
    })
    ws.on("unexpected-response", (_req, res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8")
        resume(
          Effect.succeed({
            _tag: "Refused",
            status: res.statusCode ?? 0,
            body: text === "" ? undefined : JSON.parse(text)
          })
        )
      })
    })
    ws.on("error", () => undefined)
    ws.on("open", () =>
      resume(Effect.succeed({
        _tag: "Open",
        connection: {
          send: (frame) => ws.send(typeof frame === "string" ? frame : JSON.stringify(frame)),
          next: (millis = 2_000) =>
            Effect.async<Json, string>((done) => {
              const queued = inbox.shift()
              if (queued !== undefined) return done(Effect.succeed(queued))
              const timer = setTimeout(() => {
                waiters.splice(waiters.indexOf(waiter), 1)
                done(Effect.fail("no frame"))
              }, millis)
              const waiter = (message: Json) => {
                clearTimeout(timer)
                done(Effect.succeed(message))
              }
              waiters.push(waiter)
            }),
          close: () => ws.close(),
          closed: () => isClosed
        }
      })))
  })

/** Mints a ticket and opens `/ws` with it; dies when the upgrade is refused. */
export const connect = (fake: Fake): Effect.Effect<Connection> =>
  Effect.gen(function*() {
    const ticket = yield* mintTicket(fake)
    const result = yield* upgrade(fake, `wsTicket=${ticket}&orchestrationProtocol=2`)
    if (result._tag === "Refused") return yield* Effect.dieMessage(`upgrade refused: ${result.status}`)
    return result.connection
  })

let requestIds = 0

/** Sends one `Request` and returns its `Exit`. */
export const call = (connection: Connection, tag: string, payload: unknown): Effect.Effect<Json, string> =>
  Effect.gen(function*() {
    const id = String(++requestIds)
    connection.send({ _tag: "Request", id, tag, payload, headers: [] })
    const answer = yield* connection.next()
    if (String(answer.requestId) !== id) return yield* Effect.fail(`answer to ${String(answer.requestId)}, not ${id}`)
    return answer.exit ?? (yield* Effect.fail(`answer to ${id} without an exit`))
  })

/** `orchestration.dispatchCommand` over a fresh connection. */
export const dispatch = (fake: Fake, command: unknown): Effect.Effect<Json, string> =>
  Effect.gen(function*() {
    const connection = yield* connect(fake)
    const exit = yield* call(connection, "orchestration.dispatchCommand", command)
    connection.close()
    return exit
  })

export const projectId = "p-1"
export const threadId = "t-1"

export const projectCreate = (fields: Record<string, unknown> = {}) => ({
  type: "project.create",
  commandId: "c-project",
  projectId,
  title: "acme/widgets",
  workspaceRoot: "/data/acme__widgets",
  createWorkspaceRootIfMissing: true,
  ...fields
})

export const threadCreate = (fields: Record<string, unknown> = {}) => ({
  type: "thread.create",
  commandId: "c-thread",
  threadId,
  projectId,
  title: "Issue #7: crash",
  modelSelection: { instanceId: "claudeAgent", model: "claude-sonnet-5" },
  runtimeMode: "full-access",
  interactionMode: "default",
  branch: null,
  worktreePath: null,
  createdBy: "user",
  creationSource: "web",
  ...fields
})

export const messageDispatch = (step: number, fields: Record<string, unknown> = {}) => ({
  type: "message.dispatch",
  commandId: `c-message-${step}`,
  threadId,
  messageId: `m-${step}`,
  text: `Turn ${step}.`,
  attachments: [],
  createdBy: "user",
  creationSource: "web",
  dispatchMode: { type: "start_immediately" },
  ...fields
})

/** A protocol-2 fake with one project and one thread (no run yet). */
export const seeded = (
  options: Omit<T3Fake.FakeOptionsV2, "protocol"> = {}
): Effect.Effect<Fake, string, Scope.Scope> =>
  Effect.gen(function*() {
    const fake = yield* T3Fake.start({ ...options, protocol: 2 })
    const project = yield* http(fake, "POST", "/api/projects/mutate", { body: projectCreate() })
    if (project.status !== 200) return yield* Effect.fail(`project.create: ${project.status}`)
    const exit = yield* dispatch(fake, threadCreate())
    if (String(exit._tag) !== "Success") return yield* Effect.fail(`thread.create: ${JSON.stringify(exit)}`)
    return fake
  })

/** The bounded read of the seeded thread. */
export const bounded = (fake: Fake, id = threadId) => http(fake, "GET", `/api/orchestration/threads/${id}/bounded`)
