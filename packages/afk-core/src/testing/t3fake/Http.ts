/**
 * The T3 fake's HTTP face on `node:http`: bearer auth with scopes (§2, §3.8), the orchestration routes in
 * their documented shapes (§1, §4), the status codes and bodies of §3.8, a request log without token
 * values, and faults (unreachable, 5xx, a dropped answer after the command was applied).
 */
import type * as http from "node:http"
import type { Project, Thread } from "./Model.js"
import type { World } from "./World.js"

export interface Token {
  value: string
  readonly scopes: ReadonlyArray<string>
}

/** One request as the fake saw it; the bearer value is replaced, never kept. */
export interface LoggedRequest {
  readonly method: string
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: unknown
}

export interface Faults {
  unreachable: boolean
  failNext: Array<{ readonly status: number; readonly commandType: string | undefined }>
  dropOnce: Set<string>
  race: Map<string, unknown>
}

/** Answers `status` with `body` as JSON, or with an empty body. */
export const json = (res: http.ServerResponse, status: number, body?: unknown) => {
  if (body === undefined) {
    res.writeHead(status, { "content-length": "0" })
    res.end()
    return
  }
  const text = JSON.stringify(body)
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
  res.end(text)
}

/** A T3 error body, with the trace id every such answer carries. */
export const traced = (body: object) => ({ ...body, traceId: "fake-trace" })

const windowed = (thread: Thread, turnLimit: number | undefined, sequence: number) => {
  if (turnLimit === undefined) return { thread }
  const users = thread.messages.flatMap((m, i) => (m.role === "user" ? [i] : []))
  const from = users.length > turnLimit ? (users[users.length - turnLimit] ?? 0) : 0
  const since = thread.messages[from]?.createdAt ?? ""
  return {
    thread: {
      ...thread,
      messages: thread.messages.slice(from),
      activities: thread.activities.filter((a) => a.createdAt >= since)
    },
    page: {
      beforeCursor: from > 0 ? `cursor:${from}` : null,
      hasMore: from > 0,
      snapshotSequence: sequence,
      threadSequence: sequence
    }
  }
}

const pending = (thread: Thread, prefix: string) => {
  const resolved = new Set(
    thread.activities.filter((a) => a.kind === `${prefix}.resolved`).map((a) => String(a.payload.requestId))
  )
  return thread.activities.some((a) => a.kind === `${prefix}.requested` && !resolved.has(String(a.payload.requestId)))
}

const shellOf = (thread: Thread) => {
  const { messages, activities: _a, checkpoints: _c, proposedPlans, ...summary } = thread
  const lastUser = messages.filter((m) => m.role === "user").at(-1)
  return {
    ...summary,
    latestUserMessageAt: lastUser?.createdAt ?? null,
    hasPendingApprovals: pending(thread, "approval"),
    hasPendingUserInput: pending(thread, "user-input"),
    hasActionableProposedPlan: proposedPlans.length > 0
  }
}

const projectShell = ({ deletedAt: _, ...project }: Project) => project

const unauthorized = (reason: string) => traced({ _tag: "EnvironmentAuthInvalidError", code: "auth_invalid", reason })

/** T3's answer for a thread it does not know. */
export const threadNotFound = traced({
  _tag: "EnvironmentResourceNotFoundError",
  code: "not_found",
  reason: "thread_not_found"
})

export interface Options {
  readonly world: World
  readonly tokens: ReadonlyArray<Token>
  readonly faults: Faults
  readonly log: Array<LoggedRequest>
  readonly serverVersion: string
  readonly environmentId: string
  /** The descriptor's `orchestrationProtocolVersion`, or `"absent"` to leave it out. */
  readonly protocolVersionReported: number | "absent"
}

/** Reads the body, logs the request and answers it from the world. */
export const handler = (
  { world, tokens, faults, log, serverVersion, environmentId, protocolVersionReported }: Options
) => {
  const authorize = (req: http.IncomingMessage, scope: string): { status: number; body: object } | undefined => {
    const header = req.headers.authorization
    const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header)
    if (match === null) return { status: 401, body: unauthorized("missing_credential") }
    const token = tokens.find((t) => t.value === match[1])
    if (token === undefined) return { status: 401, body: unauthorized("invalid_credential") }
    if (!token.scopes.includes(scope)) {
      return {
        status: 403,
        body: traced({ _tag: "EnvironmentScopeRequiredError", code: "insufficient_scope", requiredScope: scope })
      }
    }
    return undefined
  }

  const environment = {
    environmentId,
    label: "T3 fake",
    platform: { os: process.platform, arch: process.arch },
    serverVersion,
    ...(protocolVersionReported === "absent" ? {} : { orchestrationProtocolVersion: protocolVersionReported }),
    capabilities: { threadSettlement: true, threadPinning: false, pullRequests: false }
  }

  const orchestration = (
    method: string,
    url: URL,
    raw: string,
    req: http.IncomingMessage,
    res: http.ServerResponse
  ) => {
    const path = url.pathname.slice("/api/orchestration".length)
    const now = world.stamp()
    if (method === "GET" && path === "/snapshot") {
      const threads = world
        .threads()
        .filter((t) => t.deletedAt === null)
        .map((t) => ({ ...t, messages: [], activities: [], checkpoints: [] }))
      return json(res, 200, { snapshotSequence: world.sequence(), projects: world.projects(), threads, updatedAt: now })
    }
    if (method === "GET" && path === "/shell") {
      // A turn's script moves on each time someone looks at it: through the shell as through the thread.
      for (const thread of world.threads()) {
        if (thread.deletedAt === null && thread.archivedAt === null) world.advance(thread.id)
      }
      const projects = world
        .projects()
        .filter((p) => p.deletedAt === null)
        .map(projectShell)
      const threads = world
        .threads()
        .filter((t) => t.deletedAt === null && t.archivedAt === null)
        .map(shellOf)
      return json(res, 200, { snapshotSequence: world.sequence(), projects, threads, updatedAt: now })
    }
    const threadPath = /^\/threads\/([^/]+)$/.exec(path)
    if (method === "GET" && threadPath !== null) {
      const limit = url.searchParams.get("turnLimit")
      if (limit !== null && !/^[1-9]\d*$/.test(limit)) return json(res, 400)
      const threadId = decodeURIComponent(threadPath[1] ?? "")
      world.advance(threadId)
      const thread = world.thread(threadId)
      if (thread === undefined) return json(res, 404, threadNotFound)
      const view = windowed(thread, limit === null ? undefined : Number(limit), world.sequence())
      return json(res, 200, { snapshotSequence: world.sequence(), ...view })
    }
    if (method === "POST" && path === "/dispatch") {
      const type = (req.headers["content-type"] ?? "").toLowerCase()
      if (!type.startsWith("application/json")) return json(res, 415)
      let body: unknown
      try {
        body = JSON.parse(raw)
      } catch {
        return json(res, 400)
      }
      const commandType = typeof body === "object" && body !== null && "type" in body ? String(body.type) : ""
      const rival = faults.race.get(commandType)
      if (faults.race.delete(commandType)) world.dispatch(rival)
      const outcome = world.dispatch(body)
      if (faults.dropOnce.delete(commandType)) return void req.socket.destroy()
      return outcome._tag === "Accepted"
        ? json(res, 200, { sequence: outcome.sequence })
        : json(res, outcome.status, outcome.body === undefined ? undefined : traced(outcome.body))
    }
    return json(res, 404)
  }

  const route = (method: string, url: URL, raw: string, req: http.IncomingMessage, res: http.ServerResponse) => {
    if (method === "GET" && url.pathname === "/.well-known/t3/environment") return json(res, 200, environment)
    if (method === "GET" && url.pathname === "/api/auth/session") {
      const denied = authorize(req, "orchestration:read")
      const token = tokens.find((t) => req.headers.authorization === `Bearer ${t.value}`)
      return json(res, 200, {
        authenticated: denied === undefined || denied.status === 403,
        auth: { policy: "remote-reachable", bootstrapMethods: [], sessionMethods: ["bearer"], sessionCookieName: "t3" },
        ...(token === undefined ? {} : { scopes: token.scopes, sessionMethod: "bearer" })
      })
    }
    if (url.pathname.startsWith("/api/orchestration/")) {
      const denied = authorize(req, method === "GET" ? "orchestration:read" : "orchestration:operate")
      if (denied !== undefined) return json(res, denied.status, denied.body)
      return orchestration(method, url, raw, req, res)
    }
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
        // not JSON: the raw text is kept, and the schema check answers 400
      }
      const headers: Record<string, string> = {}
      for (const [name, value] of Object.entries(req.headers)) {
        if (value === undefined) continue
        const text = Array.isArray(value) ? value.join(", ") : value
        const scheme = /^(\S+)\s/.exec(text)?.[1]
        headers[name] = name !== "authorization" ? text : scheme === undefined ? "<redacted>" : `${scheme} <redacted>`
      }
      const method = req.method ?? "GET"
      const url = new URL(req.url ?? "/", "http://127.0.0.1")
      log.push({ method, path: `${url.pathname}${url.search}`, headers, body })
      if (faults.unreachable) return void req.socket.destroy()
      const failure = faults.failNext[0]
      const type = typeof body === "object" && body !== null && "type" in body ? body.type : undefined
      if (failure !== undefined && (failure.commandType === undefined || failure.commandType === type)) {
        faults.failNext.shift()
        const internal = traced({ _tag: "EnvironmentInternalError", code: "internal_error" })
        return json(res, failure.status, failure.status === 500 ? internal : undefined)
      }
      route(method, url, raw, req, res)
    })
  }
}
