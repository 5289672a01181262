/**
 * The protocol-2 T3 fake's HTTP face (`t3-protocol-v2.md` §1, §2.3, §4.1, §5, §6.1): the descriptor, the
 * WebSocket ticket, the project routes, and the orchestration reads behind `x-t3-orchestration-protocol: 2`
 * (400 with an empty body without it). The retired protocol-1 routes answer as a protocol-2 server does:
 * `GET /api/orchestration/snapshot` is the web app's HTML page (200), `POST /api/orchestration/dispatch` 404.
 */
import type * as http from "node:http"
import type * as Auth from "./Auth2.js"
import * as Commands from "./Commands2.js"
import { type Faults, json, type LoggedRequest, threadNotFound, traced } from "./Http.js"
import * as Projection from "./Projection2.js"
import type { World } from "./World2.js"

/** The header every `/api/orchestration/*` request carries, and its one accepted value (§1.4). */
export const protocolHeader = "x-t3-orchestration-protocol"

const appPage = "<!doctype html><html><head><title>T3 Code</title></head><body><div id=\"root\"></div></body></html>"

const invalidRequest = (reason: string) =>
  traced({ _tag: "EnvironmentRequestInvalidError", code: "invalid_request", reason })

const internal = (reason: string) => traced({ _tag: "EnvironmentInternalError", code: "internal_error", reason })

const isDenied = (value: Auth.Principal | Auth.Denied): value is Auth.Denied => "status" in value

/** Headers as logged: the bearer value replaced, never kept. */
export const loggedHeaders = (req: http.IncomingMessage): Record<string, string> => {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    const text = Array.isArray(value) ? value.join(", ") : value
    const scheme = /^(\S+)\s/.exec(text)?.[1]
    headers[name] = name !== "authorization" ? text : scheme === undefined ? "<redacted>" : `${scheme} <redacted>`
  }
  return headers
}

export interface Options {
  readonly world: World
  readonly auth: Auth.Auth
  readonly faults: Faults
  readonly log: Array<LoggedRequest>
  /** The descriptor's body (§1.1). */
  readonly descriptor: object
}

/** Reads the body, logs the request and answers it from the world. */
export const handler = ({ world, auth, faults, log, descriptor }: Options) => {
  const orchestration = (method: string, url: URL, req: http.IncomingMessage, res: http.ServerResponse) => {
    const path = url.pathname.slice("/api/orchestration".length)
    if (path === "/snapshot" && method === "GET") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" })
      return void res.end(appPage)
    }
    const thread = /^\/threads\/([^/]+)(\/bounded|\/history)?$/.exec(path)
    const known = method === "GET" && (path === "/shell" || thread !== null)
    if (!known) return json(res, 404)
    const principal = auth.bearer(req, "orchestration:read")
    if (isDenied(principal)) return json(res, principal.status, principal.body)
    // §1.4, §8: the header is a required schema literal; the 400's body was never recorded, so it is empty.
    if (req.headers[protocolHeader] !== "2") return json(res, 400)
    if (path === "/shell") {
      for (const state of world.states()) world.advance(state.thread.id)
      return json(res, 200, Projection.shell(world.projects(), world.states(), world.sequence()))
    }
    const threadId = decodeURIComponent(thread?.[1] ?? "")
    world.advance(threadId)
    const state = world.state(threadId)
    if (state === undefined) return json(res, 404, threadNotFound)
    if (thread?.[2] === "/bounded") return json(res, 200, Projection.bounded(state, world.sequence()))
    if (thread?.[2] === "/history") {
      const page = Projection.history(state, url.searchParams.get("cursor"), world.sequence())
      return page === undefined ? json(res, 400, invalidRequest("invalid_history_cursor")) : json(res, 200, page)
    }
    return json(res, 200, { snapshotSequence: world.sequence(), projection: Projection.full(state) })
  }

  const projects = (method: string, url: URL, body: unknown, req: http.IncomingMessage, res: http.ServerResponse) => {
    if (method === "GET" && url.pathname === "/api/projects") {
      const principal = auth.bearer(req, "orchestration:read")
      if (isDenied(principal)) return json(res, principal.status, principal.body)
      return json(res, 200, { projects: world.projects(), updatedAt: world.stamp() })
    }
    if (method !== "POST" || url.pathname !== "/api/projects/mutate") return json(res, 404)
    const principal = auth.bearer(req, "orchestration:operate")
    if (isDenied(principal)) return json(res, principal.status, principal.body)
    const decoded = Commands.decode(Commands.ProjectMutation, body)
    if (decoded._tag === "Left") return json(res, 400)
    const outcome = world.mutateProject(decoded.right)
    if (faults.dropOnce.delete(decoded.right.type)) return void req.socket.destroy()
    if (outcome._tag === "Ok") return json(res, 200, outcome.project)
    return outcome._tag === "Invalid"
      ? json(res, 400, invalidRequest("invalid_command"))
      : json(res, 500, internal("project_mutation_failed"))
  }

  const route = (method: string, url: URL, body: unknown, req: http.IncomingMessage, res: http.ServerResponse) => {
    if (method === "GET" && url.pathname === "/.well-known/t3/environment") return json(res, 200, descriptor)
    if (method === "POST" && url.pathname === "/api/auth/websocket-ticket") {
      const principal = auth.bearer(req)
      if (isDenied(principal)) return json(res, principal.status, principal.body)
      return json(res, 200, auth.mint(principal))
    }
    if (method === "GET" && url.pathname === "/api/auth/session") {
      const principal = auth.bearer(req, "orchestration:read")
      const token = isDenied(principal) ? undefined : principal.token
      return json(res, 200, {
        authenticated: token !== undefined,
        auth: { policy: "remote-reachable", bootstrapMethods: [], sessionMethods: ["bearer"], sessionCookieName: "t3" },
        ...(token === undefined ? {} : { scopes: token.scopes, sessionMethod: "bearer" })
      })
    }
    if (url.pathname.startsWith("/api/orchestration/")) return orchestration(method, url, req, res)
    if (url.pathname.startsWith("/api/projects")) return projects(method, url, body, req, res)
    return json(res, 404)
  }

  return (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8")
      let body: unknown = raw === "" ? undefined : raw
      try {
        body = raw === "" ? undefined : JSON.parse(raw)
      } catch {
        // not JSON: the raw text is kept, and decoding answers 400
      }
      const method = req.method ?? "GET"
      const url = new URL(req.url ?? "/", "http://127.0.0.1")
      log.push({ method, path: `${url.pathname}${url.search}`, headers: loggedHeaders(req), body })
      if (faults.unreachable) return void req.socket.destroy()
      const failure = faults.failNext[0]
      const type = typeof body === "object" && body !== null && "type" in body ? body.type : undefined
      if (failure !== undefined && (failure.commandType === undefined || failure.commandType === type)) {
        faults.failNext.shift()
        return json(
          res,
          failure.status,
          failure.status === 500 ? traced({ _tag: "EnvironmentInternalError", code: "internal_error" }) : undefined
        )
      }
      route(method, url, body, req, res)
    })
  }
}
