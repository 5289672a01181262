/**
 * The GitHub REST routes the fake answers, as plain functions over its world, in GitHub's JSON shapes:
 * the issues endpoint lists pull requests too (as GitHub does) and sorts by creation or by `updated_at`
 * (which every label, comment, edit, close and reopen moves to now), adding a label GitHub does not know
 * creates it (unless the world says otherwise), removing an absent label is a 404. A commit's check suites,
 * the repository (its default branch) and the status checks that branch requires (branch protection: 404
 * "Branch not protected" when there is none, 403 when the token may not read it; rulesets), pull requests and
 * branch refs (`GithubFakePulls`) and the contents endpoint (`GithubFakeContents`) are answered too.
 * Paging, ETags, rate limits, auth and fault injection are `GithubFake`'s job.
 */
import * as Contents from "./GithubFakeContents.js"
import * as Pulls from "./GithubFakePulls.js"
import {
  type CommentState,
  editIssue,
  type Event,
  type IssueState,
  lower,
  type RepoState,
  suitesOf,
  touch,
  updatedAt,
  type World
} from "./GithubFakeWorld.js"

/** What a route answers: a body, or a list the fake pages (optionally wrapped in an object per page). */
export type Reply =
  | { readonly status: number; readonly body?: unknown }
  | {
    readonly status: 200
    readonly items: ReadonlyArray<unknown>
    readonly wrap?: (page: ReadonlyArray<unknown>, total: number) => unknown
  }

export interface Request {
  readonly method: string
  readonly path: string
  readonly query: URLSearchParams
  readonly body: unknown
  readonly now: string
  /** The login the request acts as: the seeded bot for a token, `<slug>[bot]` for an App installation token. */
  readonly actor: string
}

const user = (login: string) => ({ login, id: 1, type: login.endsWith("[bot]") ? "Bot" : "User" })
const notFound = { status: 404, body: { message: "Not Found", documentation_url: "https://docs.github.com/rest" } }
const invalid = (resource: string, field: string, code = "invalid") => ({
  status: 422,
  body: {
    message: "Validation Failed",
    errors: [{ resource, code, field }],
    documentation_url: "https://docs.github.com/rest"
  }
})

const labelJson = (name: string) => ({ id: 1, name, color: "ededed", default: false, description: null })

const issueJson = (repo: RepoState, issue: IssueState, now: string) => ({
  id: issue.number,
  url: `https://api.github.com/repos/${repo.slug}/issues/${issue.number}`,
  repository_url: `https://api.github.com/repos/${repo.slug}`,
  html_url: `https://github.com/${repo.slug}/${issue.isPullRequest ? "pull" : "issues"}/${issue.number}`,
  number: issue.number,
  title: issue.title,
  body: issue.body === "" ? null : issue.body,
  state: issue.state,
  state_reason: issue.stateReason,
  user: user(issue.author),
  labels: issue.labels.map(labelJson),
  comments: issue.commentIds.length,
  locked: false,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: updatedAt(issue, now),
  closed_at: null,
  ...(issue.isPullRequest
    ? { pull_request: { url: `https://api.github.com/repos/${repo.slug}/pulls/${issue.number}` } }
    : {})
})

/** The reactions GitHub accepts; any other `content` is a 422. */
const reactionContents = new Set(["+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"])

const reactionJson = (reaction: { id: number; user: string; content: string; createdAt: string }) => ({
  id: reaction.id,
  node_id: `REA_${reaction.id}`,
  user: user(reaction.user),
  content: reaction.content,
  created_at: reaction.createdAt
})

const commentJson = (comment: CommentState) => ({
  id: comment.id,
  html_url: `https://github.com/${comment.repo}/issues/${comment.issue}#issuecomment-${comment.id}`,
  user: user(comment.author),
  body: comment.body,
  created_at: comment.createdAt,
  updated_at: comment.updatedAt
})

const eventJson = (event: Event) => ({
  id: event.id,
  event: event.event,
  actor: user(event.actor),
  created_at: event.at,
  ...(event.label === undefined ? {} : { label: { name: event.label, color: "ededed" } }),
  ...(event.rename === undefined ? {} : { rename: event.rename })
})

const record = (world: World, issue: IssueState, event: string, request: Request, label?: string): void => {
  issue.events.push({
    id: world.nextId++,
    event,
    actor: request.actor,
    at: request.now,
    ...(label === undefined ? {} : { label })
  })
}

const bodyField = (body: unknown, field: string): unknown =>
  typeof body === "object" && body !== null ? (body as Record<string, unknown>)[field] : undefined

const issueRoutes = (world: World, repo: RepoState, rest: ReadonlyArray<string>, request: Request): Reply => {
  const [number, sub, name] = rest
  const issue = repo.issues.get(Number(number))
  if (issue === undefined) return notFound
  const { method, body, now } = request
  if (sub === undefined && method === "GET") return { status: 200, body: issueJson(repo, issue, now) }
  if (sub === undefined && method === "PATCH") {
    const state = bodyField(body, "state")
    if (state === "closed" && issue.state === "open") record(world, issue, "closed", request)
    if (state === "open" && issue.state === "closed") record(world, issue, "reopened", request)
    if (state === "open" || state === "closed") issue.state = state
    const reason = bodyField(body, "state_reason")
    issue.stateReason = issue.state === "closed" ? (typeof reason === "string" ? reason : "completed") : null
    const [title, text] = [bodyField(body, "title"), bodyField(body, "body")]
    editIssue(world, issue, world.bot, {
      title: typeof title === "string" ? title : undefined,
      body: typeof text === "string" || text === null ? (text ?? "") : undefined
    }, now)
    return { status: 200, body: issueJson(repo, issue, now) }
  }
  if (sub === "events" && method === "GET") return { status: 200, items: issue.events.map(eventJson) }
  if (sub === "comments" && method === "GET") {
    return { status: 200, items: issue.commentIds.flatMap((id) => world.comments.get(id) ?? []).map(commentJson) }
  }
  if (sub === "comments" && method === "POST") {
    const text = bodyField(body, "body")
    if (typeof text !== "string") return invalid("IssueComment", "body", "missing_field")
    const comment = {
      id: world.nextId++,
      repo: repo.slug,
      issue: issue.number,
      author: request.actor,
      body: text,
      createdAt: now,
      updatedAt: now
    }
    world.comments.set(comment.id, comment)
    issue.commentIds.push(comment.id)
    touch(issue, now)
    return { status: 201, body: commentJson(comment) }
  }
  if (sub === "labels" && method === "POST" && name === undefined) {
    const labels = bodyField(body, "labels")
    if (!Array.isArray(labels) || !labels.every((label) => typeof label === "string")) return invalid("Label", "labels")
    for (const label of labels as ReadonlyArray<string>) {
      if (!repo.labels.has(lower(label))) {
        if (!world.autoCreateLabels) return invalid("Label", "name")
        repo.labels.set(lower(label), label)
      }
      const canonical = repo.labels.get(lower(label)) ?? label
      if (!issue.labels.some((have) => lower(have) === lower(label))) {
        issue.labels.push(canonical)
        record(world, issue, "labeled", request, canonical)
        touch(issue, now)
      }
    }
    return { status: 200, body: issue.labels.map(labelJson) }
  }
  if (sub === "labels" && method === "DELETE" && name !== undefined) {
    const index = issue.labels.findIndex((have) => lower(have) === lower(name))
    if (index < 0) return { status: 404, body: { message: "Label does not exist" } }
    const [removed = name] = issue.labels.splice(index, 1)
    record(world, issue, "unlabeled", request, removed)
    touch(issue, now)
    return { status: 200, body: issue.labels.map(labelJson) }
  }
  return notFound
}

const repoRoutes = (world: World, repo: RepoState, rest: ReadonlyArray<string>, request: Request): Reply => {
  const [section, ...tail] = rest
  const { method, query, body, now } = request
  if (section === "issues" && tail.length === 0 && method === "GET") {
    const state = query.get("state") ?? "open"
    const wanted = (query.get("labels") ?? "")
      .split(",")
      .filter((label) => label !== "")
      .map(lower)
    const direction = query.get("direction") === "asc" ? -1 : 1
    const issues = [...repo.issues.values()]
      .filter((issue) => state === "all" || issue.state === state)
      .filter((issue) => wanted.every((label) => issue.labels.some((have) => lower(have) === label)))
    const updated = new Map(issues.map((issue) => [issue, Date.parse(updatedAt(issue, now))]))
    const since = query.get("since")
    if (since !== null && Number.isNaN(Date.parse(since))) return invalid("Issue", "since", "invalid")
    const recent = since === null
      ? issues
      : issues.filter((issue) => (updated.get(issue) ?? 0) >= Date.parse(since))
    const newer = (a: IssueState, b: IssueState) =>
      query.get("sort") === "updated" ? (updated.get(b) ?? 0) - (updated.get(a) ?? 0) : 0
    recent.sort((a, b) => direction * (newer(a, b) || b.number - a.number))
    return { status: 200, items: recent.map((issue) => issueJson(repo, issue, now)) }
  }
  if (section === "issues" && tail[0] === "comments" && tail[1] !== undefined && method === "PATCH") {
    const comment = world.comments.get(Number(tail[1]))
    const text = bodyField(body, "body")
    if (comment === undefined || lower(comment.repo) !== lower(repo.slug)) return notFound
    if (typeof text !== "string") return invalid("IssueComment", "body", "missing_field")
    comment.body = text
    comment.updatedAt = request.now
    const issue = repo.issues.get(comment.issue)
    if (issue !== undefined) touch(issue, request.now)
    return { status: 200, body: commentJson(comment) }
  }
  if (section === "issues" && tail[0] === "comments" && tail[2] === "reactions" && method === "POST") {
    const comment = world.comments.get(Number(tail[1]))
    const content = bodyField(body, "content")
    if (comment === undefined || lower(comment.repo) !== lower(repo.slug)) return notFound
    if (typeof content !== "string" || !reactionContents.has(content)) {
      return invalid("Reaction", "content", "invalid")
    }
    const reactions = comment.reactions ?? (comment.reactions = [])
    const existing = reactions.find((r) => r.content === content && lower(r.user) === lower(request.actor))
    if (existing !== undefined) return { status: 200, body: reactionJson(existing) }
    const reaction = { id: world.nextId++, user: request.actor, content, createdAt: request.now }
    reactions.push(reaction)
    return { status: 201, body: reactionJson(reaction) }
  }
  if (section === "issues") return issueRoutes(world, repo, tail, request)
  if (section === "labels" && tail.length === 0 && method === "POST") {
    const name = bodyField(body, "name")
    if (typeof name !== "string" || name === "") return invalid("Label", "name", "missing_field")
    if (repo.labels.has(lower(name))) return invalid("Label", "name", "already_exists")
    repo.labels.set(lower(name), name)
    return { status: 201, body: labelJson(name) }
  }
  if (section === "collaborators" && tail[1] === "permission" && method === "GET") {
    const login = lower(tail[0] ?? "")
    const permission = login === lower(repo.owner) ? "admin" : repo.trusted.has(login) ? "write" : "read"
    return { status: 200, body: { permission, role_name: permission, user: user(tail[0] ?? "") } }
  }
  if (section === "commits" && tail[1] === "status" && method === "GET") {
    const statuses = repo.statuses.get(tail[0] ?? "") ?? []
    const items = statuses.map((status, index) => ({
      id: index + 1,
      context: status.context,
      state: status.state,
      target_url: status.url ?? null,
      description: status.description ?? null
    }))
    const combined = statuses.some((s) => s.state === "failure" || s.state === "error")
      ? "failure"
      : statuses.length > 0 && statuses.every((s) => s.state === "success")
      ? "success"
      : "pending"
    return {
      status: 200,
      items,
      wrap: (page, total) => ({ state: combined, sha: tail[0], total_count: total, statuses: page })
    }
  }
  if (section === "commits" && tail[1] === "check-runs" && method === "GET") {
    const runs = (repo.checkRuns.get(tail[0] ?? "") ?? []).map((run, index) => ({
      id: index + 1,
      name: run.name,
      head_sha: tail[0],
      status: run.status,
      conclusion: run.conclusion ?? null,
      html_url: run.url ?? null,
      details_url: null,
      output: { title: null, summary: null }
    }))
    return { status: 200, items: runs, wrap: (page, total) => ({ total_count: total, check_runs: page }) }
  }
  if (section === "commits" && tail[1] === "check-suites" && method === "GET") {
    const suites = suitesOf(repo, tail[0] ?? "", request.now).map((suite, index) => ({
      id: index + 1,
      head_sha: tail[0],
      head_branch: repo.defaultBranch,
      status: suite.status,
      conclusion: suite.conclusion,
      app: { id: index + 1, slug: suite.app, name: suite.app },
      created_at: suite.createdAt,
      updated_at: suite.createdAt,
      latest_check_runs_count: suite.runs
    }))
    return { status: 200, items: suites, wrap: (page, total) => ({ total_count: total, check_suites: page }) }
  }
  if (section === undefined && method === "GET") {
    return {
      status: 200,
      body: Pulls.repoJson(repo)
    }
  }
  if (section === "branches" && tail[1] === "protection" && tail[2] === "required_status_checks" && method === "GET") {
    const required = repo.required
    if (tail[0] !== repo.defaultBranch) return { status: 404, body: { message: "Branch not found" } }
    if (required !== undefined && required.readable === false) {
      return { status: 403, body: { message: "Resource not accessible by integration" } }
    }
    if (required === undefined || (required.via ?? "protection") !== "protection") {
      return { status: 404, body: { message: "Branch not protected" } }
    }
    return { status: 200, body: { strict: false, contexts: required.contexts, checks: [] } }
  }
  if (section === "rules" && tail[0] === "branches" && tail[1] !== undefined && method === "GET") {
    const required = repo.required
    const rules = required?.via === "rules" && tail[1] === repo.defaultBranch
      ? [{
        type: "required_status_checks",
        ruleset_source_type: "Repository",
        ruleset_source: repo.slug,
        ruleset_id: 1,
        parameters: {
          strict_required_status_checks_policy: false,
          required_status_checks: required.contexts.map((context) => ({ context }))
        }
      }]
      : []
    return { status: 200, items: rules }
  }
  if (section === "contents" && method === "GET") {
    const answer = query.has("ref") && query.get("ref") !== repo.defaultBranch
      ? undefined
      : Contents.contents(repo, tail.join("/"))
    return answer === undefined ? notFound : { status: 200, body: answer }
  }
  if (section === "deployments" && tail.length === 0 && method === "GET") {
    const matching = repo.deployments.filter(
      (d) =>
        (query.get("sha") ?? d.seed.sha) === d.seed.sha &&
        (query.get("environment") ?? d.seed.environment) === d.seed.environment
    )
    const sorted = [...matching].sort((a, b) => b.id - a.id)
    return {
      status: 200,
      items: sorted.map((d) => ({
        id: d.id,
        sha: d.seed.sha,
        environment: d.seed.environment,
        created_at: d.createdAt
      }))
    }
  }
  if (section === "deployments" && tail[1] === "statuses" && method === "GET") {
    const deployment = repo.deployments.find((d) => d.id === Number(tail[0]))
    if (deployment === undefined) return notFound
    const statuses = deployment.seed.statuses.map((state, index) => ({ id: deployment.id * 100 + index, state }))
    return { status: 200, items: statuses.reverse() }
  }
  return notFound
}

/** Answers one request against the world. */
export const route = (world: World, request: Request): Reply => {
  const segments = request.path
    .split("/")
    .filter((segment) => segment !== "")
    .map(decodeURIComponent)
  if (segments[0] === "user" && segments.length === 1 && request.method === "GET") {
    return { status: 200, body: user(world.bot) }
  }
  if (segments[0] === "repos" && segments.length >= 3) {
    const repo = world.repos.get(lower(`${segments[1]}/${segments[2]}`))
    if (repo === undefined) return notFound
    return Pulls.route(world, repo, segments.slice(3), request) ?? repoRoutes(world, repo, segments.slice(3), request)
  }
  return notFound
}
