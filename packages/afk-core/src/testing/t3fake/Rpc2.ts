/**
 * The protocol-2 T3 fake's WebSocket (`t3-protocol-v2.md` §2.4, §3): the `/ws` upgrade refused as plain HTTP
 * — 426 with T3's JSON body before any auth, 401 for a bad, expired or spent ticket — then Effect RPC JSON
 * frames: `Request` → `Exit` (the Effect 4 flat-array cause), `Ping` → `Pong`, one `Chunk` per `Ack` on
 * streams, `Interrupt`, and a connection-level `Defect` for a frame that is not a message. Every frame in
 * and out is logged.
 */
import type * as http from "node:http"
import type * as net from "node:net"
import { type WebSocket, WebSocketServer } from "ws"
import * as Auth from "./Auth2.js"
import type { Faults, LoggedRequest } from "./Http.js"
import { loggedHeaders } from "./Http2.js"
import * as Methods from "./Methods2.js"
import type { World } from "./World2.js"

/** One RPC frame as the fake saw or sent it; `connection` counts accepted sockets from 1. */
export interface Frame {
  readonly connection: number
  readonly direction: "in" | "out"
  /** The parsed message, or the raw text of a frame that was not JSON. */
  readonly frame: unknown
}

/** The 426 body (§2.4; EAC quoting `apps/server/src/ws.ts`). */
export const incompatibleBody = {
  code: "orchestration_protocol_incompatible",
  message: "Update this client to one that supports orchestration protocol 2.",
  orchestrationProtocolVersion: 2
}

const refuse = (socket: net.Socket, status: number, reason: string, body: object) => {
  const text = JSON.stringify(body)
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${
      Buffer.byteLength(text)
    }\r\nconnection: close\r\n\r\n${text}`
  )
}

/** `{"_tag":"Exit","requestId","exit":{"_tag":"Failure","cause":[…]}}` with one reason (§3.3). */
const failure = (requestId: string, reason: object) => ({
  _tag: "Exit",
  requestId,
  exit: { _tag: "Failure", cause: [reason] }
})

export interface Options {
  readonly world: World
  readonly auth: Auth.Auth
  readonly faults: Faults
  readonly log: Array<LoggedRequest>
  readonly frames: Array<Frame>
  readonly descriptor: object
}

export const make = ({ world, auth, faults, log, frames, descriptor }: Options) => {
  const server = new WebSocketServer({ noServer: true })
  const sockets = new Set<WebSocket>()
  let connections = 0

  const serve = (ws: WebSocket, principal: Auth.Principal) => {
    const connection = ++connections
    sockets.add(ws)
    const streams = new Map<string, Methods.Stream>()
    const send = (message: object) => {
      frames.push({ connection, direction: "out", frame: message })
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message))
    }
    const call = Methods.make({ world, faults, descriptor, send, drop: () => ws.terminate() })

    const handle = (message: unknown) => {
      if (typeof message !== "object" || message === null || !("_tag" in message)) {
        return send({ _tag: "Defect", defect: "Invalid message: expected an object with a _tag" })
      }
      const m = message as Record<string, unknown>
      switch (m._tag) {
        case "Ping":
          return send({ _tag: "Pong" })
        case "Eof":
          return
        case "Ack":
          return streams.get(String(m.requestId))?.ack()
        case "Interrupt": {
          const id = String(m.requestId)
          const stream = streams.get(id)
          if (stream === undefined) return
          stream.stop()
          streams.delete(id)
          return send(failure(id, { _tag: "Interrupt" }))
        }
        case "Request": {
          if (typeof m.id !== "string" && typeof m.id !== "number") {
            return send({ _tag: "Defect", defect: "Invalid request id" })
          }
          const id = String(m.id)
          // NEX-GO: a missing payload dies; §8 asks the same of missing headers (the server's answer was not traced).
          if (!("payload" in m)) return send(failure(id, { _tag: "Die", defect: "Invalid request: missing payload" }))
          if (!Array.isArray(m.headers)) {
            return send(failure(id, { _tag: "Die", defect: "Invalid request: headers must be an array" }))
          }
          const method = typeof m.tag === "string" ? Methods.methods[m.tag] : undefined
          if (method === undefined) {
            return send(failure(id, { _tag: "Die", defect: `Unknown request tag: ${String(m.tag)}` }))
          }
          if (!principal.token.scopes.includes(method.scope)) {
            return send(failure(id, {
              _tag: "Fail",
              error: {
                _tag: "EnvironmentAuthorizationError",
                message: `${String(m.tag)} needs the ${method.scope} scope.`,
                requiredScope: method.scope
              }
            }))
          }
          const stream = call(id, String(m.tag), m.payload)
          if (stream) streams.set(id, stream)
          return
        }
        default:
          return send({ _tag: "Defect", defect: `Invalid message: unknown _tag ${String(m._tag)}` })
      }
    }

    ws.on("message", (data, isBinary) => {
      const text = isBinary ? "" : String(data)
      let parsed: unknown
      try {
        parsed = JSON.parse(text)
      } catch {
        frames.push({ connection, direction: "in", frame: text })
        return send({ _tag: "Defect", defect: "Invalid frame: not JSON" })
      }
      for (const message of Array.isArray(parsed) ? parsed : [parsed]) {
        frames.push({ connection, direction: "in", frame: message })
        handle(message)
      }
    })
    ws.on("close", () => {
      sockets.delete(ws)
      for (const stream of streams.values()) stream.stop()
      streams.clear()
    })
  }

  return {
    /** The node:http server's `upgrade` listener. */
    upgrade: (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1")
      const path = url.search === ""
        ? url.pathname
        : `${url.pathname}?${url.search.slice(1).replace(/(^|&)wsTicket=[^&]*/, "$1wsTicket=<redacted>")}`
      log.push({ method: req.method ?? "GET", path, headers: loggedHeaders(req), body: undefined })
      if (faults.unreachable) return void socket.destroy()
      if (url.pathname !== "/ws") return refuse(socket, 404, "Not Found", {})
      // §2.4: the protocol check runs before authentication, so a 426 never spends the ticket.
      if (url.searchParams.get("orchestrationProtocol") !== "2") {
        return refuse(socket, 426, "Upgrade Required", incompatibleBody)
      }
      const ticket = url.searchParams.get("wsTicket")
      // UNCONFIRMED (§2.4, §7 row 11): ticketless header auth on /ws; the stricter reading requires the ticket.
      const principal = auth.spend(ticket)
      if (principal === undefined) {
        const denied = Auth.invalid(ticket === null ? "missing_credential" : "invalid_credential")
        return refuse(socket, 401, "Unauthorized", denied.body)
      }
      server.handleUpgrade(req, socket, head, (ws) => serve(ws, principal))
    },
    /** Closes every WebSocket at once, as a server restart does. */
    closeAll: () => {
      for (const ws of sockets) ws.terminate()
    },
    close: () => server.close()
  }
}
