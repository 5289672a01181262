/**
 * The routes of one issue in `ForgejoFake` (`/repos/{o}/{r}/issues/{index}/…`), in Forgejo's JSON shapes:
 * the issue (PATCH closes, renames with a `change_title` entry, replaces the body without an entry), its
 * timeline, its comments, and its labels written by id (names are refused, stricter than Forgejo, to pin id
 * addressing). Every new timeline entry moves the issue's `updated_at`, as Forgejo's `CreateComment` does.
 */
import * as S from "./ForgejoFakeState.js"

export interface Reply {
  readonly status: number
  readonly body?: unknown
  readonly headers?: Readonly<Record<string, string>>
}

export interface Request {
  readonly method: string
  /** The path below `/repos/{o}/{r}/issues/`, split. */
  readonly rest: ReadonlyArray<string>
  readonly query: Record<string, string>
  readonly body: unknown
  readonly now: number
  /** The path below the API root, for `Link` headers. */
  readonly rel: string
}

export const notFound: Reply = { status: 404, body: { message: "The target couldn't be found.", url: "", errors: [] } }
export const invalid = (message: string): Reply => ({ status: 422, body: { message, url: "" } })

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null

/** Answers one request about one issue. */
export const route = (state: S.State, paging: S.Paging, request: Request): Reply => {
  const { body, method, now, query, rel, rest } = request
  const root = paging.root
  const issue = state.issues.get(Number(rest[0]))
  if (issue === undefined) return notFound
  const [, sub, identifier] = rest
  if (sub === undefined && method === "GET") return { status: 200, body: S.issueJson(root, state, issue) }
  if (sub === undefined && method === "PATCH") {
    if (!isObject(body)) return invalid("invalid body")
    S.edit(state, issue, state.bot, {
      title: typeof body.title === "string" ? body.title : undefined,
      body: typeof body.body === "string" ? body.body : undefined
    }, now)
    if (body.state === "closed" && issue.state === "open") {
      issue.state = "closed"
      S.record(state, issue, { type: "close", user: state.bot }, now)
    }
    return { status: 201, body: S.issueJson(root, state, issue) }
  }
  if (sub === "timeline" && method === "GET") {
    const { items } = S.page(paging, issue.entries, query, rel, false)
    return {
      status: 200,
      body: items.map((entry) => S.timelineJson(root, state, issue, entry)),
      headers: { "x-total-count": String(items.length) }
    }
  }
  if (sub === "comments" && method === "GET") {
    const comments = issue.entries.filter((entry) => entry.type === "comment")
    return {
      status: 200,
      body: comments.map((entry) => S.commentJson(root, state, issue, entry)),
      headers: { "x-total-count": String(comments.length) }
    }
  }
  if (sub === "comments" && method === "POST") {
    if (!isObject(body) || typeof body.body !== "string") return invalid("[Body]: Required")
    const entry = S.record(state, issue, { type: "comment", body: body.body, user: state.bot }, now)
    return { status: 201, body: S.commentJson(root, state, issue, entry) }
  }
  if (sub === "labels" && method === "POST" && identifier === undefined) {
    if (!isObject(body) || !Array.isArray(body.labels)) return invalid("[Labels]: Required")
    const ids = body.labels.every((item) => typeof item === "number") ? (body.labels as Array<number>) : undefined
    if (ids === undefined) return { status: 400, body: { message: "this fake accepts label ids only", url: "" } }
    for (const label of state.labels.filter((candidate) => ids.includes(candidate.id))) {
      S.label(state, issue, label, "added", state.bot, now)
    }
    return { status: 200, body: S.issueJson(root, state, issue).labels }
  }
  if (sub === "labels" && method === "DELETE" && identifier !== undefined) {
    const label = state.labels.find((candidate) => candidate.name === identifier) ??
      state.labels.find((candidate) => String(candidate.id) === identifier)
    if (label === undefined) return invalid("label does not exist")
    S.label(state, issue, label, "removed", state.bot, now)
    return { status: 204 }
  }
  return notFound
}
