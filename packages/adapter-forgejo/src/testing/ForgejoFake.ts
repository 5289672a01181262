/**
 * An in-process Forgejo (API v1) as an `HttpClient`, speaking the real wire format: `Authorization: token`,
 * `page` / `limit` capped by `max_response_items` (`GET /settings/api`), `Link` (built from the server's
 * ROOT_URL) and `X-Total-Count` as each endpoint really sends them (the timeline counts only its page;
 * issue comments come whole), a `labels=` filter matched exactly, case included (Forgejo on SQLite or
 * PostgreSQL; MySQL's default collation ignores case), and dropped when it names no existing label, timeline
 * label events (`body: "1"` added, `""` removed), labels written by id (names are refused, stricter than
 * Forgejo, to pin id addressing), permission checks that need repo admin, commit statuses, and branches,
 * pull requests and reviews with Forgejo's refusals (`ForgejoFakePulls`). Faults
 * (5xx, 429 + `Retry-After`, malformed bodies, dropped connections, answers lost after the write took
 * effect) are injected per request. For adapter tests and the afk-core conformance suite; nothing listens
 * on a port.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Issues from "./ForgejoFakeIssues.js"
import * as Pulls from "./ForgejoFakePulls.js"
import * as S from "./ForgejoFakeState.js"

export type { Seed, StatusSeed } from "./ForgejoFakeState.js"

export interface Options {
  /** The API root the adapter is given; a sub-path instance by default: `https://forgejo.test/git/api/v1`. */
  readonly baseUrl?: string
  readonly token?: string
  /** The server's `[api] MAX_RESPONSE_ITEMS`; 10 by default so a few dozen items span pages. */
  readonly maxResponseItems?: number
  /** The server's `[api] DEFAULT_PAGING_NUM`, used when `limit` is absent; 5 by default. */
  readonly defaultPagingNum?: number
  /** The server's ROOT_URL, which `Link` headers name (may differ from how the adapter reaches it). */
  readonly rootUrl?: string
  /** Whether the bot administers the repository (needed to read others' permissions); true by default. */
  readonly botIsRepoAdmin?: boolean
  /** Statuses per commit sha, oldest first. */
  readonly statuses?: Readonly<Record<string, ReadonlyArray<S.StatusSeed>>>
}

/** One scripted answer for the next matching request(s), before any routing. */
export interface Fault {
  readonly method?: string
  /** Matched against the path below the API root, e.g. `/repos/acme/widgets/issues`. */
  readonly path: RegExp
  readonly status?: number
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string
  /** Fail as a dropped connection instead of answering. */
  readonly transport?: boolean
  /** Carry the request out first (a write takes effect), then answer with the fault: the answer is lost. */
  readonly applied?: boolean
  /** How many requests it answers; 1 by default. */
  readonly times?: number
}

export interface Recorded {
  readonly method: string
  /** The path below the API root. */
  readonly path: string
  readonly query: Readonly<Record<string, string>>
  readonly headers: Readonly<Record<string, string>>
  readonly body: unknown
}

export interface ForgejoFake {
  readonly client: HttpClient.HttpClient
  /** What to give `ForgejoTracker` / `ForgejoCi`: the API root and the token. */
  readonly options: { readonly baseUrl: string; readonly token: Redacted.Redacted<string> }
  /** Every request received, in order (faulted ones included). */
  readonly requests: Effect.Effect<ReadonlyArray<Recorded>>
  readonly inject: (fault: Fault) => Effect.Effect<void>
  /** Someone else creates a label in the repository; returns its id. */
  readonly createLabel: (name: string) => Effect.Effect<number>
  /** Someone deletes the label (from the repo and every issue) and creates one of the same name. */
  readonly recreateLabel: (name: string) => Effect.Effect<number>
  /** The issue's current labels and state, as the server holds them. */
  readonly issue: (number: number) => Effect.Effect<{ readonly labels: ReadonlyArray<string>; readonly state: string }>
  /** A person acting on the server between the adapter's requests (edits, labels, comments), now. */
  readonly actAs: (login: string) => Person
  /** Reports a commit status, as CI would. */
  readonly report: (sha: string, status: S.StatusSeed) => Effect.Effect<void>
  /** Someone pushes `path` with `text` to the default branch, or deletes it (`undefined`). */
  readonly setFile: (path: string, text: string | undefined) => Effect.Effect<void>
  /** Branches, pull requests and reviews, as people and CI act on them. */
  readonly pulls: Pulls.World
}

export interface Person {
  /** Edits the title (a `change_title` entry) and/or the body (no entry; `updated_at` moves). */
  readonly edit: (number: number, change: { readonly title?: string; readonly body?: string }) => Effect.Effect<void>
  /** Adds a label (created in the repository if missing). */
  readonly addLabel: (number: number, name: string) => Effect.Effect<void>
  readonly comment: (number: number, body: string) => Effect.Effect<void>
}

type Reply = Issues.Reply
const { invalid, isObject, notFound } = Issues

const readBody = (request: HttpClientRequest.HttpClientRequest): unknown => {
  if (request.body._tag !== "Uint8Array") return undefined
  try {
    return JSON.parse(new TextDecoder().decode(request.body.body))
  } catch {
    return Symbol.for("malformed")
  }
}

/** Builds a fake Forgejo holding `seed`. */
export const make = (seed: S.Seed, options: Options = {}): Effect.Effect<ForgejoFake> =>
  Effect.sync(() => {
    const baseUrl = (options.baseUrl ?? "https://forgejo.test/git/api/v1").replace(/\/+$/, "")
    const token = options.token ?? "fake-forgejo-token"
    const maxItems = options.maxResponseItems ?? 10
    const defaultPaging = options.defaultPagingNum ?? 5
    const root = options.rootUrl ?? baseUrl.replace(/api\/v1$/, "")
    const state = S.fromSeed(seed, options.botIsRepoAdmin ?? true)
    const pulls = Pulls.make()
    const base = new URL(baseUrl)
    const recorded: Array<Recorded> = []
    const faults: Array<{ fault: Fault; left: number }> = []

    const report = (sha: string, status: S.StatusSeed, now: number) => {
      state.statuses.push({
        id: state.nextId++,
        sha,
        context: status.context,
        state: status.state,
        targetUrl: status.targetUrl ?? "",
        description: status.description ?? "",
        createdAt: S.stamp(state, now)
      })
    }
    for (const [sha, statuses] of Object.entries(options.statuses ?? {})) {
      for (const status of statuses) report(sha, status, 0)
    }

    const paging: S.Paging = { root, maxItems, defaultPaging }
    const page = <A>(items: ReadonlyArray<A>, query: Record<string, string>, rel: string, link: boolean) =>
      S.page(paging, items, query, rel, link)

    const repoRoute = (
      method: string,
      rest: Array<string>,
      query: Record<string, string>,
      body: unknown,
      now: number,
      rel: string
    ): Reply => {
      const [head, second, third] = rest
      if (head === "issues" && second === undefined && method === "GET") {
        const wanted = (query.labels ?? "")
          .split(",")
          .flatMap((name) => state.labels.filter((label) => label.name === name))
        const status = query.state ?? "open"
        const issues = [...state.issues.values()]
          .filter((issue) => status === "all" || issue.state === status)
          .filter((issue) => (query.type === "issues" ? !issue.isPull : query.type === "pulls" ? issue.isPull : true))
          .filter((issue) => wanted.length === 0 || wanted.some((label) => issue.labelIds.includes(label.id)))
          .filter((issue) => query.since === undefined || issue.updatedAt >= Date.parse(query.since))
          .sort((a, b) => (query.sort === "oldest" ? a.number - b.number : b.number - a.number))
        const { items, headers } = page(issues, query, rel, true)
        return { status: 200, body: items.map((issue) => S.issueJson(root, state, issue)), headers }
      }
      if (head === "issues" && second === "comments" && rest[3] === "reactions" && method === "POST") {
        const entry = [...state.issues.values()].flatMap((issue) => issue.entries)
          .find((candidate) => candidate.id === Number(third) && candidate.type === "comment")
        if (entry === undefined) return notFound
        if (!isObject(body) || typeof body.content !== "string") return invalid("[Content]: Required")
        if (!S.allowedReactions.has(body.content)) {
          return { status: 403, body: { message: `'${body.content}' is not an allowed reaction` } }
        }
        const reactions = entry.reactions ?? (entry.reactions = [])
        const existing = reactions.find((r) => r.user === state.bot && r.content === body.content)
        if (existing !== undefined) return { status: 200, body: S.reactionJson(existing) }
        const reaction = { user: state.bot, content: body.content, createdAt: S.stamp(state, now) }
        reactions.push(reaction)
        return { status: 201, body: S.reactionJson(reaction) }
      }
      if (head === "issues" && second === "comments" && third !== undefined && method === "PATCH") {
        const issue = [...state.issues.values()].find((candidate) =>
          candidate.entries.some((entry) => entry.id === Number(third))
        )
        const entry = issue?.entries.find((candidate) => candidate.id === Number(third) && candidate.type === "comment")
        if (issue === undefined || entry === undefined) return notFound
        if (!isObject(body) || typeof body.body !== "string") return invalid("[Body]: Required")
        if (
          entry.user !== state.bot &&
          !["owner", "admin", "write"].includes(state.permissions.get(state.bot.toLowerCase()) ?? "")
        ) {
          return { status: 403 }
        }
        entry.body = body.body
        return { status: 200, body: S.commentJson(root, state, issue, entry) }
      }
      if (head === "issues" && second !== undefined) {
        return Issues.route(state, paging, { method, rest: rest.slice(1), query, body, now, rel })
      }
      if (head === "labels" && second === undefined && method === "GET") {
        const labels = [...state.labels].sort((a, b) => a.name.localeCompare(b.name) || a.id - b.id)
        const { items, headers } = page(labels, query, rel, false)
        return { status: 200, body: items.map((label) => S.labelJson(root, state, label)), headers }
      }
      if (head === "labels" && second === undefined && method === "POST") {
        if (!isObject(body) || typeof body.name !== "string" || body.name === "") return invalid("[Name]: Required")
        if (typeof body.color !== "string" || !/^#?[0-9a-fA-F]{6}$/.test(body.color)) return invalid("invalid color")
        const label: S.Label = { id: state.nextId++, name: body.name, color: body.color.replace(/^#/, "") }
        state.labels.push(label)
        return { status: 201, body: S.labelJson(root, state, label) }
      }
      if (head === "collaborators" && second !== undefined && third === "permission" && method === "GET") {
        const permission = state.permissions.get(second.toLowerCase())
        if (permission === undefined) return notFound
        const botPermission = state.permissions.get(state.bot.toLowerCase())
        const asksForSelf = second.toLowerCase() === state.bot.toLowerCase()
        if (!asksForSelf && botPermission !== "admin" && botPermission !== "owner") {
          return { status: 403, body: { message: "Only admins can query all permissions", url: "" } }
        }
        return { status: 200, body: { permission, role_name: permission, user: S.userJson(second) } }
      }
      if (head === "contents" && second !== undefined && third === undefined && method === "GET") {
        const text = (query.ref ?? "main") === "main" ? state.files.get(second) : undefined
        return text === undefined ? notFound : { status: 200, body: S.contentsJson(root, state, second, text) }
      }
      if (
        head === "commits" &&
        second !== undefined &&
        method === "GET" &&
        (third === "status" || third === "statuses")
      ) {
        const all = state.statuses.filter((status) => status.sha === second)
        if (third === "statuses") {
          const ordered = [...all].sort((a, b) => (query.sort === "oldest" ? a.id - b.id : b.id - a.id))
          const { items, headers } = page(ordered, query, rel, true)
          return { status: 200, body: items.map((status) => S.statusJson(root, state, status)), headers }
        }
        const newest = new Map<string, S.Status>()
        for (const status of all) newest.set(status.context, status)
        if (newest.size === 0) return { status: 200, body: { state: "", sha: "", total_count: 0, statuses: null } }
        const { items, headers } = page(
          [...newest.values()].sort((a, b) => b.id - a.id),
          query,
          rel,
          false
        )
        return {
          status: 200,
          body: {
            state: S.combinedState(items),
            sha: second,
            total_count: items.length,
            statuses: items.map((status) => S.statusJson(root, state, status))
          },
          headers: { "x-total-count": headers["x-total-count"] ?? "0" }
        }
      }
      return notFound
    }

    const route = (method: string, rel: string, query: Record<string, string>, body: unknown, now: number): Reply => {
      if (body === Symbol.for("malformed")) return invalid("malformed JSON")
      if (rel === "/settings/api" && method === "GET") {
        const settings = {
          max_response_items: maxItems,
          default_paging_num: defaultPaging,
          default_git_trees_per_page: 1000
        }
        return { status: 200, body: { ...settings, default_max_blob_size: 10485760 } }
      }
      if (rel === "/user" && method === "GET") return { status: 200, body: S.userJson(state.bot) }
      const segments = rel.split("/").slice(1).map(decodeURIComponent)
      const [top, owner, name, ...rest] = segments
      if (top !== "repos" || owner === undefined || name === undefined) return notFound
      if (owner.toLowerCase() !== state.owner.toLowerCase() || name.toLowerCase() !== state.name.toLowerCase()) {
        return notFound
      }
      return Pulls.route(state, pulls, root, paging, { method, rest, query, body, now, rel }) ??
        repoRoute(method, rest, query, body, now, rel)
    }

    const takeFault = (method: string, rel: string): Fault | undefined => {
      const index = faults.findIndex(({ fault }) => (fault.method ?? method) === method && fault.path.test(rel))
      const found = faults[index]
      if (found === undefined) return undefined
      found.left--
      if (found.left <= 0) faults.splice(index, 1)
      return found.fault
    }

    const respond = (request: HttpClientRequest.HttpClientRequest, reply: Reply, raw?: string) =>
      HttpClientResponse.fromWeb(
        request,
        new Response(
          reply.status === 204 ? null : (raw ?? (reply.body === undefined ? "" : JSON.stringify(reply.body))),
          {
            status: reply.status,
            headers: { "content-type": "application/json;charset=utf-8", ...reply.headers }
          }
        )
      )

    const client = HttpClient.make((request, url) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const rel = url.pathname.startsWith(base.pathname) ? url.pathname.slice(base.pathname.length) : url.pathname
        const query = Object.fromEntries(url.searchParams)
        const body = readBody(request)
        recorded.push({ method: request.method, path: rel, query, headers: { ...request.headers }, body })
        const fault = takeFault(request.method, rel)
        if (fault?.applied === true) route(request.method, rel, query, body, now)
        if (fault?.transport === true) {
          return yield* Effect.fail(
            new HttpClientError.RequestError({ request, reason: "Transport", cause: new Error("connection reset") })
          )
        }
        if (fault !== undefined) {
          return respond(request, { status: fault.status ?? 500, headers: fault.headers ?? {} }, fault.body ?? "")
        }
        if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) return respond(request, notFound)
        const auth = request.headers.authorization ?? ""
        if (auth !== `token ${token}` && auth !== `Bearer ${token}`) {
          return respond(request, { status: 401, body: { message: "token is required", url: "" } })
        }
        return respond(request, route(request.method, rel, query, body, now))
      })
    )

    return {
      client,
      options: { baseUrl, token: Redacted.make(token) },
      requests: Effect.sync(() => [...recorded]),
      inject: (fault) => Effect.sync(() => void faults.push({ fault, left: fault.times ?? 1 })),
      createLabel: (name) => Effect.sync(() => S.labelNamed(state, name).id),
      recreateLabel: (name) =>
        Effect.sync(() => {
          const old = S.labelNamed(state, name)
          state.labels.splice(state.labels.indexOf(old), 1)
          for (const issue of state.issues.values()) issue.labelIds = issue.labelIds.filter((id) => id !== old.id)
          return S.labelNamed(state, name).id
        }),
      issue: (number) =>
        Effect.sync(() => {
          const issue = state.issues.get(number)
          const labels = state.labels.filter((label) => issue?.labelIds.includes(label.id)).map((label) => label.name)
          return { labels, state: issue?.state ?? "missing" }
        }),
      actAs: (login) => {
        const act = (number: number, f: (issue: S.Issue, now: number) => void) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) =>
            Effect.sync(() => {
              const issue = state.issues.get(number)
              if (issue === undefined) throw new Error(`ForgejoFake: no issue #${number}`)
              f(issue, now)
            }))
        return {
          edit: (number, change) => act(number, (issue, now) => S.edit(state, issue, login, change, now)),
          addLabel: (number, name) =>
            act(number, (issue, now) => S.label(state, issue, S.labelNamed(state, name), "added", login, now)),
          comment: (number, body) =>
            act(number, (issue, now) => void S.record(state, issue, { type: "comment", body, user: login }, now))
        }
      },
      report: (sha, status) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => report(sha, status, now))),
      setFile: (path, text) =>
        Effect.sync(() => void (text === undefined ? state.files.delete(path) : state.files.set(path, text))),
      pulls: Pulls.world(state, pulls)
    }
  })
