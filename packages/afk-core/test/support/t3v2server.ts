/**
 * A small protocol-2 T3 Code server for the client's end-to-end tests (`t3-protocol-v2.md`), on 127.0.0.1:
 * the descriptor, single-use tickets, `/ws` (426 without `orchestrationProtocol=2`, 401 for a bad ticket,
 * then JSON RPC frames with Effect 4 exits), receipts per command id, projects, and bounded reads that need
 * the protocol header. A run moves one step per read of its thread (`running` → `waiting` → `completed`, or
 * its script's end). `dropAnswerOnce(type)` applies the next such command, then cuts the connection.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as http from "node:http"
import { createRequire } from "node:module"
import type { AddressInfo } from "node:net"
import type { Duplex } from "node:stream"

interface Connection {
  on(event: "message", listener: (data: Buffer) => void): void
  send(text: string): void
  terminate(): void
}
interface WebSocketServer {
  handleUpgrade(request: http.IncomingMessage, socket: Duplex, head: Buffer, done: (ws: Connection) => void): void
  close(): void
}
const { WebSocketServer } = createRequire(import.meta.url)("ws") as {
  WebSocketServer: new(options: { noServer: true }) => WebSocketServer
}

/** How a run started by a message ends. */
export type Script = "complete" | "fail" | "block" | "hang"

interface Run {
  id: string
  userMessageId: string
  rootNodeId: string
  status: string
  script: Script
  reads: number
}
interface Thread {
  id: string
  projectId: string
  archivedAt: string | null
  runs: Array<Run>
  messages: Array<{ id: string; runId: string; role: string; text: string; streaming: boolean }>
}

export interface Logged {
  readonly method: string
  readonly path: string
}

export const start = (options: { readonly script?: (text: string) => Script } = {}) =>
  Effect.gen(function*() {
    const threads = new Map<string, Thread>()
    const projects: Array<Record<string, unknown>> = []
    const receipts = new Map<string, "accepted" | "rejected">()
    const tickets = new Set<string>()
    const requests: Array<Logged> = []
    const frames: Array<Record<string, unknown>> = []
    const drop = new Set<string>()
    let nextTicket = 0

    const finish = (thread: Thread, run: Run) => {
      const active = thread.runs.some((r) => r !== run && ["starting", "running", "waiting"].includes(r.status))
      if (run.status === "queued" && !active) run.status = "running"
      if (run.status !== "running" && run.status !== "waiting") return
      run.reads++
      if (run.script === "hang" || run.script === "block") return
      if (run.script === "fail") run.status = "failed"
      else if (run.status === "running") run.status = "waiting"
      else {
        run.status = "completed"
        thread.messages.push({
          id: `${run.id}:answer`,
          runId: run.id,
          role: "assistant",
          text: "Done.",
          streaming: false
        })
      }
    }

    const projection = (thread: Thread) => ({
      thread: { id: thread.id, projectId: thread.projectId, archivedAt: thread.archivedAt, deletedAt: null },
      runs: thread.runs.map(({ reads: _r, script: _s, ...run }) => ({ ...run, threadId: thread.id })),
      nodes: thread.runs.map((r) => ({ id: r.rootNodeId, runId: r.id })),
      messages: thread.messages,
      runtimeRequests: thread.runs.filter((r) => r.script === "block" && r.status === "running").map((r) => ({
        id: `${r.id}:question`,
        nodeId: r.rootNodeId,
        kind: "user_input",
        status: "pending",
        responseCapability: { type: "live", providerSessionId: "s" }
      })),
      turnItems: thread.runs.filter((r) => r.status === "failed").map((r) => ({
        id: `${r.id}:error`,
        type: "error",
        runId: r.id,
        nodeId: r.rootNodeId,
        status: "failed",
        failure: { class: "provider_error", message: "Provider turn failed.", retryable: false }
      }))
    })

    const apply = (command: Record<string, unknown>): string | undefined => {
      const thread = threads.get(String(command.threadId))
      switch (command.type) {
        case "thread.create":
          if (thread !== undefined) return "thread already exists"
          if (command.branch !== null || command.worktreePath !== null) return "branch and worktreePath must be null"
          threads.set(String(command.threadId), {
            id: String(command.threadId),
            projectId: String(command.projectId),
            archivedAt: null,
            runs: [],
            messages: []
          })
          return undefined
        case "message.dispatch": {
          if (thread === undefined) return "thread not found"
          const id = `run:thread:${thread.id}:ordinal:${thread.runs.length + 1}`
          const busy = thread.runs.some((r) => ["starting", "running", "waiting"].includes(r.status))
          const text = String(command.text)
          thread.messages.push({ id: String(command.messageId), runId: id, role: "user", text, streaming: false })
          const script = options.script?.(text) ?? "complete"
          thread.runs.push({
            id,
            userMessageId: String(command.messageId),
            rootNodeId: `${id}:root`,
            status: busy ? "queued" : "running",
            script,
            reads: 0
          })
          return undefined
        }
        case "run.interrupt": {
          const run = thread?.runs.find((r) => r.id === command.runId)
          if (run === undefined || !["preparing", "starting", "running"].includes(run.status)) {
            return `Run ${String(command.runId)} is not interruptible.`
          }
          run.status = "interrupted"
          return undefined
        }
        case "queued-run.cancel": {
          const run = thread?.runs.find((r) => r.id === command.runId)
          if (run?.status !== "queued") return `Run ${String(command.runId)} is not queued.`
          run.status = "cancelled"
          return undefined
        }
        case "thread.archive":
          if (thread === undefined) return "thread not found"
          thread.archivedAt = "2026-12-05T10:00:00.000Z"
          return undefined
        default:
          return `unknown command ${String(command.type)}`
      }
    }

    const exit = (requestId: unknown, value: Record<string, unknown>) =>
      JSON.stringify({ _tag: "Exit", requestId, exit: value })
    const fail = (command: Record<string, unknown>, message: string) => ({
      _tag: "Failure",
      cause: [{
        _tag: "Fail",
        error: {
          _tag: "OrchestrationV2DispatchCommandError",
          commandId: command.commandId,
          commandType: command.type,
          message
        }
      }]
    })

    const onFrame = (ws: Connection, raw: string) => {
      const frame = JSON.parse(raw) as Record<string, unknown>
      frames.push(frame)
      if (frame._tag === "Ping") return ws.send(JSON.stringify({ _tag: "Pong" }))
      if (frame._tag !== "Request") return
      if (!("payload" in frame) || !Array.isArray(frame.headers)) {
        return ws.send(
          exit(frame.id, { _tag: "Failure", cause: [{ _tag: "Die", defect: "missing payload or headers" }] })
        )
      }
      if (frame.tag !== "orchestration.dispatchCommand") {
        return ws.send(
          exit(frame.id, {
            _tag: "Failure",
            cause: [{ _tag: "Die", defect: `Unknown request tag: ${String(frame.tag)}` }]
          })
        )
      }
      const command = frame.payload as Record<string, unknown>
      const id = String(command.commandId)
      const receipt = receipts.get(id)
      if (receipt === "accepted") return ws.send(exit(frame.id, { _tag: "Success", value: { sequence: 1 } }))
      if (receipt === "rejected") {
        return ws.send(exit(frame.id, fail(command, `Command ${id} was previously rejected: x`)))
      }
      const refused = apply(command)
      receipts.set(id, refused === undefined ? "accepted" : "rejected")
      if (refused === undefined && drop.delete(String(command.type))) return ws.terminate()
      ws.send(
        exit(frame.id, refused === undefined ? { _tag: "Success", value: { sequence: 1 } } : fail(command, refused))
      )
    }

    const json = (res: http.ServerResponse, status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" })
      res.end(JSON.stringify(body))
    }
    const handle = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1")
      requests.push({ method: req.method ?? "", path: url.pathname })
      if (url.pathname === "/.well-known/t3/environment") {
        return json(res, 200, {
          environmentId: "env-v2",
          label: "v2",
          serverVersion: "0.0.46-test",
          orchestrationProtocolVersion: 2
        })
      }
      if (req.headers.authorization !== "Bearer t3-v2-token") {
        return json(res, 401, {
          _tag: "EnvironmentAuthInvalidError",
          code: "auth_invalid",
          reason: "invalid_credential"
        })
      }
      if (req.method === "POST" && url.pathname === "/api/auth/websocket-ticket") {
        const ticket = `ticket-${++nextTicket}`
        tickets.add(ticket)
        return json(res, 200, { ticket, expiresAt: "2026-12-05T10:05:00.000Z" })
      }
      if (req.method === "GET" && url.pathname === "/api/projects") return json(res, 200, { projects, updatedAt: "x" })
      if (req.method === "POST" && url.pathname === "/api/projects/mutate") {
        const mutation = JSON.parse(body) as Record<string, unknown>
        if (!projects.some((p) => p.id === mutation.projectId)) {
          projects.push({
            id: mutation.projectId,
            title: mutation.title,
            workspaceRoot: mutation.workspaceRoot,
            deletedAt: null
          })
        }
        return json(res, 200, projects.find((p) => p.id === mutation.projectId))
      }
      if (url.pathname.startsWith("/api/orchestration/")) {
        if (req.headers["x-t3-orchestration-protocol"] !== "2") {
          res.writeHead(400)
          return res.end()
        }
        const match = /^\/api\/orchestration\/threads\/([^/]+)\/bounded$/.exec(url.pathname)
        const thread = match === null ? undefined : threads.get(decodeURIComponent(match[1] ?? ""))
        if (thread === undefined) {
          return json(res, 404, {
            _tag: "EnvironmentResourceNotFoundError",
            code: "not_found",
            reason: "thread_not_found"
          })
        }
        for (const run of thread.runs) finish(thread, run)
        return json(res, 200, {
          snapshotSequence: 1,
          projection: projection(thread),
          historyCursor: null,
          hasMoreHistory: false
        })
      }
      json(res, 404, { _tag: "RouteNotFound" })
    }

    const wss = new WebSocketServer({ noServer: true })
    const server = yield* Effect.acquireRelease(
      Effect.async<http.Server>((resume) => {
        const server = http.createServer((req, res) => {
          let body = ""
          req.on("data", (chunk) => (body += String(chunk)))
          req.on("end", () => handle(req, res, body))
        })
        server.on("upgrade", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
          const url = new URL(req.url ?? "/", "http://127.0.0.1")
          requests.push({ method: "UPGRADE", path: url.pathname })
          const refuse = (status: string) => socket.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\n\r\n`)
          if (url.searchParams.get("orchestrationProtocol") !== "2") return refuse("426 Upgrade Required")
          const ticket = url.searchParams.get("wsTicket") ?? ""
          if (!tickets.delete(ticket)) return refuse("401 Unauthorized")
          wss.handleUpgrade(req, socket, head, (ws) => ws.on("message", (data) => onFrame(ws, String(data))))
        })
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
      }),
      (server) =>
        Effect.async<void>((resume) => {
          wss.close()
          server.closeAllConnections()
          server.close(() => resume(Effect.void))
        })
    )
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      token: "t3-v2-token",
      threads: () => [...threads.values()],
      requests: () => [...requests],
      frames: () => [...frames],
      dropAnswerOnce: (type: string) => void drop.add(type)
    }
  }) satisfies Effect.Effect<unknown, never, Scope.Scope>
