/**
 * The state behind `ForgejoFake`: one repository with labels (by id), issues and pull requests, a timeline
 * per issue in which comments, label changes, title changes and closes share one id space (as in
 * Forgejo's `comment` table), users with repository permissions, and commit statuses; plus the JSON
 * Forgejo renders for each. As in Forgejo, every new timeline entry and every body edit moves the issue's
 * `updated_at` to now, a body edit leaves no entry, and editing a comment does not touch the issue.
 */
import { TrackerSeed } from "afk-core/testing"
import { createHash } from "node:crypto"

/** The seed the adapter conformance suite hands over. */
export type Seed = TrackerSeed.Repository

/** A commit status as CI reports it (`state`: pending, success, error, failure, warning, skipped). */
export interface StatusSeed {
  readonly context: string
  readonly state: string
  readonly targetUrl?: string
  readonly description?: string
}

export interface Label {
  readonly id: number
  name: string
  color: string
}

export interface Entry {
  readonly id: number
  readonly type: "comment" | "label" | "close" | "change_title"
  body: string
  readonly user: string
  readonly createdAt: number
  readonly labelId?: number
  readonly oldTitle?: string
  readonly newTitle?: string
  /** A comment's reactions (at most one per user and content, as Forgejo keeps them). */
  reactions?: Array<{ readonly user: string; readonly content: string; readonly createdAt: number }>
}

export interface Issue {
  readonly number: number
  title: string
  body: string
  readonly createdAt: number
  /** Moved to now by every new timeline entry and body edit. */
  updatedAt: number
  state: "open" | "closed"
  readonly author: string
  readonly isPull: boolean
  labelIds: Array<number>
  readonly entries: Array<Entry>
}

export interface Status {
  readonly id: number
  readonly sha: string
  readonly context: string
  readonly state: string
  readonly targetUrl: string
  readonly description: string
  readonly createdAt: number
}

export interface State {
  readonly owner: string
  readonly name: string
  readonly bot: string
  /** Lower-cased login → permission (`owner`, `admin`, `write`, `read`). */
  readonly permissions: Map<string, string>
  readonly labels: Array<Label>
  readonly issues: Map<number, Issue>
  readonly statuses: Array<Status>
  /** The files at the head of the default branch (`main`), by path (only what a test put there). */
  readonly files: Map<string, string>
  nextId: number
  /** The last timestamp handed out; new entries are never older than anything seeded. */
  lastAt: number
}

const parseTime = (iso: string): number => {
  const at = Date.parse(iso)
  if (Number.isNaN(at)) throw new Error(`ForgejoFake: "${iso}" is not an ISO time`)
  return at
}

export const labelNamed = (state: State, name: string): Label => {
  const found = state.labels.find((label) => label.name === name)
  if (found !== undefined) return found
  const label = { id: state.nextId++, name, color: "ededed" }
  state.labels.push(label)
  return label
}

/** Seed order is creation order (ids); the two kinds are merged by time, each keeping its own order. */
const interleave = (events: ReadonlyArray<Entry>, comments: ReadonlyArray<Entry>): Array<Entry> => {
  const merged: Array<Entry> = []
  let e = 0
  let c = 0
  while (e < events.length || c < comments.length) {
    const event = events[e]
    const comment = comments[c]
    if (comment === undefined || (event !== undefined && event.createdAt <= comment.createdAt)) {
      merged.push(event as Entry)
      e++
    } else {
      merged.push(comment)
      c++
    }
  }
  return merged
}

/** Builds the state from a seed; `botIsRepoAdmin` lets the bot read others' permissions (Forgejo's rule). */
export const fromSeed = (seed: Seed, botIsRepoAdmin: boolean): State => {
  const [owner = "", name = ""] = seed.repo.split("/")
  const state: State = {
    owner,
    name,
    bot: seed.bot,
    permissions: new Map(),
    labels: [],
    issues: new Map(),
    statuses: [],
    files: new Map(seed.policyFile === undefined ? [] : [[".afk.json", seed.policyFile]]),
    nextId: 1,
    lastAt: 0
  }
  const know = (login: string, permission = "read") => {
    const key = login.toLowerCase()
    if (!state.permissions.has(key)) state.permissions.set(key, permission)
  }
  know(owner, "owner")
  know(seed.bot, botIsRepoAdmin ? "admin" : "read")
  for (const login of seed.trusted) know(login, "write")
  for (const label of seed.labels) labelNamed(state, label)
  for (const issue of seed.issues) {
    know(issue.author)
    const events: Array<Entry> = issue.events.map((event) => {
      know(event.actor)
      const labelId = labelNamed(state, event.label).id
      const body = event.action === "added" ? "1" : ""
      return { id: 0, type: "label", body, user: event.actor, createdAt: parseTime(event.at), labelId }
    })
    const comments: Array<Entry> = issue.comments.map((comment) => {
      know(comment.author)
      return {
        id: 0,
        type: "comment",
        body: comment.body,
        user: comment.author,
        createdAt: parseTime(comment.createdAt)
      }
    })
    const edits = issue.edits ?? []
    let title = issue.title
    const renames: Array<Entry> = []
    for (const edit of edits) {
      know(edit.editor)
      if (edit.title === undefined || edit.title === title) continue
      const at = parseTime(edit.at)
      renames.push({
        id: 0,
        type: "change_title",
        body: "",
        user: edit.editor,
        createdAt: at,
        oldTitle: title,
        newTitle: edit.title
      })
      title = edit.title
    }
    const entries = interleave(interleave(events, renames), comments).map((entry) => ({ ...entry, id: state.nextId++ }))
    entries.sort((a, b) => a.createdAt - b.createdAt || a.id - b.id)
    const times = [...entries.map((entry) => entry.createdAt), ...edits.map((edit) => parseTime(edit.at))]
    const createdAt = Math.min(opened, ...times)
    const text = TrackerSeed.edited(issue)
    state.issues.set(issue.number, {
      number: issue.number,
      title: text.title,
      body: text.body,
      createdAt,
      updatedAt: Math.max(createdAt, ...times),
      state: issue.state,
      author: issue.author,
      isPull: issue.isPullRequest ?? false,
      labelIds: issue.labels.map((label) => labelNamed(state, label).id),
      entries
    })
    state.lastAt = Math.max(state.lastAt, ...times)
  }
  return state
}

/** When seeded issues were opened, unless something on them is older. */
const opened = Date.parse("2026-01-01T00:00:00Z")

/** A timestamp after everything seeded or handed out before, and not before `now`. */
export const stamp = (state: State, now: number): number => {
  state.lastAt = Math.max(now, state.lastAt + 1000)
  return state.lastAt
}

/** Adds a timeline entry made by `user` now; the issue's `updated_at` moves with it. */
export const record = (
  state: State,
  issue: Issue,
  entry: Omit<Entry, "id" | "createdAt" | "body"> & { readonly body?: string },
  now: number
): Entry => {
  const made: Entry = { ...entry, body: entry.body ?? "", id: state.nextId++, createdAt: stamp(state, now) }
  issue.entries.push(made)
  issue.updatedAt = made.createdAt
  return made
}

/** `user` adds or removes `label` now (a `label` entry, `body` "1" for added); a no-op if nothing changes. */
export const label = (
  state: State,
  issue: Issue,
  which: Label,
  action: "added" | "removed",
  user: string,
  now: number
): void => {
  const has = issue.labelIds.includes(which.id)
  if (has === (action === "added")) return
  issue.labelIds = action === "added" ? [...issue.labelIds, which.id] : issue.labelIds.filter((id) => id !== which.id)
  record(state, issue, { type: "label", body: action === "added" ? "1" : "", user, labelId: which.id }, now)
}

/** `user` edits the title (a `change_title` entry) and/or the body (no entry; `updated_at` moves), now. */
export const edit = (
  state: State,
  issue: Issue,
  user: string,
  change: { readonly title?: string | undefined; readonly body?: string | undefined },
  now: number
): void => {
  if (change.title !== undefined && change.title !== issue.title) {
    record(state, issue, { type: "change_title", user, oldTitle: issue.title, newTitle: change.title }, now)
    issue.title = change.title
  }
  if (change.body !== undefined && change.body !== issue.body) {
    issue.body = change.body
    issue.updatedAt = stamp(state, now)
  }
}

export interface Paging {
  /** The server's ROOT_URL, which `Link` headers name. */
  readonly root: string
  readonly maxItems: number
  readonly defaultPaging: number
}

/** One page as Forgejo cuts it (`limit` capped, default when absent), with `X-Total-Count` and `Link`. */
export const page = <A>(
  paging: Paging,
  items: ReadonlyArray<A>,
  query: Readonly<Record<string, string>>,
  rel: string,
  link: boolean
) => {
  const asked = Number(query.limit)
  const size = asked > 0 ? Math.min(asked, paging.maxItems) : paging.defaultPaging
  const number = Math.max(1, Math.trunc(Number(query.page)) || 1)
  const headers: Record<string, string> = { "x-total-count": String(items.length) }
  const last = Math.ceil(items.length / size)
  const at = (n: number) => `<${paging.root}api/v1${rel}?${new URLSearchParams({ ...query, page: String(n) })}>`
  const links = [
    ...(number < last ? [`${at(number + 1)}; rel="next"`, `${at(last)}; rel="last"`] : []),
    ...(number > 1 ? [`${at(1)}; rel="first"`, `${at(number - 1)}; rel="prev"`] : [])
  ]
  if (link && links.length > 0) headers.link = links.join(",")
  return { items: items.slice((number - 1) * size, number * size), headers }
}

const iso = (millis: number): string => new Date(millis).toISOString().replace(/\.\d{3}Z$/, "Z")

export const userJson = (login: string) => ({
  id: [...login].reduce((hash, char) => (hash * 31 + char.charCodeAt(0)) % 1_000_000, 7),
  login,
  login_name: "",
  full_name: "",
  email: `${login.toLowerCase()}@noreply.forgejo.test`,
  avatar_url: "",
  html_url: "",
  is_admin: false,
  active: true
})

export const labelJson = (root: string, state: State, label: Label) => ({
  id: label.id,
  name: label.name,
  exclusive: false,
  is_archived: false,
  color: label.color,
  description: "",
  url: `${root}api/v1/repos/${state.owner}/${state.name}/labels/${label.id}`
})

export const issueJson = (root: string, state: State, issue: Issue) => {
  const kind = issue.isPull ? "pulls" : "issues"
  const htmlUrl = `${root}${state.owner}/${state.name}/${kind}/${issue.number}`
  return {
    id: issue.number * 10 + 1,
    url: `${root}api/v1/repos/${state.owner}/${state.name}/issues/${issue.number}`,
    html_url: htmlUrl,
    number: issue.number,
    user: userJson(issue.author),
    original_author: "",
    original_author_id: 0,
    title: issue.title,
    body: issue.body,
    ref: "",
    assets: [],
    labels: state.labels
      .filter((label) => issue.labelIds.includes(label.id))
      .map((label) => labelJson(root, state, label)),
    milestone: null,
    assignee: null,
    assignees: null,
    state: issue.state,
    is_locked: false,
    comments: issue.entries.filter((entry) => entry.type === "comment").length,
    created_at: iso(issue.createdAt),
    updated_at: iso(issue.updatedAt),
    closed_at: null,
    due_date: null,
    pull_request: issue.isPull ? { merged: false, merged_at: null, draft: false, html_url: htmlUrl } : null,
    repository: { id: 1, name: state.name, owner: state.owner, full_name: `${state.owner}/${state.name}` },
    pin_order: 0
  }
}

/** Forgejo's default `allowed_reactions`; any other content is refused (403). */
export const allowedReactions: ReadonlySet<string> = new Set([
  "+1",
  "-1",
  "laugh",
  "hooray",
  "confused",
  "heart",
  "rocket",
  "eyes"
])

export const reactionJson = (reaction: { user: string; content: string; createdAt: number }) => ({
  user: userJson(reaction.user),
  content: reaction.content,
  created_at: iso(reaction.createdAt)
})

export const commentJson = (root: string, state: State, issue: Issue, entry: Entry) => ({
  id: entry.id,
  html_url: `${root}${state.owner}/${state.name}/issues/${issue.number}#issuecomment-${entry.id}`,
  pull_request_url: "",
  issue_url: `${root}${state.owner}/${state.name}/issues/${issue.number}`,
  user: userJson(entry.user),
  original_author: "",
  original_author_id: 0,
  body: entry.body,
  assets: [],
  created_at: iso(entry.createdAt),
  updated_at: iso(entry.createdAt)
})

export const timelineJson = (root: string, state: State, issue: Issue, entry: Entry) => {
  const label = state.labels.find((candidate) => candidate.id === entry.labelId)
  return {
    ...commentJson(root, state, issue, entry),
    type: entry.type,
    label: entry.type === "label" && label !== undefined ? labelJson(root, state, label) : null,
    old_title: entry.oldTitle ?? "",
    new_title: entry.newTitle ?? ""
  }
}

export const statusJson = (root: string, state: State, status: Status) => ({
  id: status.id,
  status: status.state,
  target_url: status.targetUrl,
  description: status.description,
  url: `${root}api/v1/repos/${state.owner}/${state.name}/statuses/${status.sha}`,
  context: status.context,
  creator: userJson(state.bot),
  created_at: iso(status.createdAt),
  updated_at: iso(status.createdAt)
})

const priority: Readonly<Record<string, number>> = {
  error: 0,
  failure: 1,
  warning: 2,
  pending: 3,
  success: 4,
  skipped: 5
}

/** Forgejo's combined state: the worst of the statuses by its priority table. */
export const combinedState = (statuses: ReadonlyArray<Status>): string =>
  statuses.reduce<string>(
    (worst, status) => ((priority[status.state] ?? 6) < (priority[worst] ?? 6) ? status.state : worst),
    statuses[0]?.state ?? ""
  )

/** A file as the contents endpoint answers it (`ContentsResponse`): base64 content, its blob sha and links. */
export const contentsJson = (root: string, state: State, path: string, text: string) => {
  const bytes = Buffer.from(text, "utf8")
  const sha = createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex")
  const api = `${root}api/v1/repos/${state.owner}/${state.name}`
  const html = `${root}${state.owner}/${state.name}/src/branch/main/${path}`
  return {
    name: path.split("/").pop(),
    path,
    sha,
    last_commit_sha: "0".repeat(40),
    type: "file",
    size: bytes.length,
    encoding: "base64",
    content: bytes.toString("base64"),
    target: null,
    url: `${api}/contents/${path}?ref=main`,
    html_url: html,
    git_url: `${api}/git/blobs/${sha}`,
    download_url: `${root}${state.owner}/${state.name}/raw/branch/main/${path}`,
    submodule_git_url: null,
    _links: { self: `${api}/contents/${path}?ref=main`, git: `${api}/git/blobs/${sha}`, html }
  }
}
