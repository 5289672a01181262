/**
 * Pull requests in `GithubFake`, in GitHub's shapes and with its refusals: branches with head commits (a push
 * creates or moves one, and moves the open pull requests from it), pull requests listed, opened, read and
 * merged, reviews with inline comments, and refs deleted.
 *
 * - Opening a second pull request from the same head into the same base is GitHub's 422 "A pull request already
 *   exists for owner:branch."; a head branch that does not exist is a 422 on `head` (`invalid`); a head with
 *   nothing new is "No commits between …".
 * - A merge with a stale `sha` is a 409 ("Head branch was modified. Review and try the merge again."); a
 *   conflicting head, or a pull request already merged or closed, is a 405 "Pull Request is not mergeable";
 *   too few approving reviews under protection (each writer's latest say; a reviewer without write access
 *   counts for nothing) is a 405 with GitHub's message. A merge makes a deterministic
 *   merge commit, moves the base branch to it, and marks the pull request (and its issue) merged and closed.
 * - Deleting a ref that does not exist is a 422 "Reference does not exist"; deleting a head branch closes its
 *   open pull requests, as GitHub does.
 */
import type { Reply, Request } from "./GithubFakeRoutes.js"
import { fakeSha, type IssueState, lower, type RepoState, touch, type World } from "./GithubFakeWorld.js"

/** An inline comment of a review, where GitHub anchors it (`line` null when the diff no longer shows it). */
export interface ReviewCommentState {
  readonly id: number
  readonly path: string
  readonly line: number | null
  readonly body: string
  readonly createdAt: string
}

export type ReviewStateName = "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "DISMISSED" | "PENDING"

export interface ReviewState {
  readonly id: number
  /** Null for a deleted account (GitHub's ghost). */
  readonly user: string | null
  state: ReviewStateName
  readonly body: string
  readonly commitId: string
  /** Null while pending. */
  readonly submittedAt: string | null
  readonly comments: ReadonlyArray<ReviewCommentState>
}

/** A pull request; its number is an issue's too (`issues` holds it, flagged a pull request), as GitHub numbers them. */
export interface PullState {
  readonly number: number
  readonly head: string
  readonly base: string
  readonly author: string
  readonly createdAt: string
  /** The head branch's commit, following pushes while the pull request is open. */
  headSha: string
  state: "open" | "closed"
  mergeSha: string | null
  mergedAt: string | null
  closedAt: string | null
  updatedAt: string
  /** Whether the head conflicts with the base (GitHub's `mergeable: false`). */
  conflict: boolean
  readonly reviews: Array<ReviewState>
}

/** A review a person submits (`PENDING` stays unsubmitted: only its author sees it). */
export interface ReviewSeed {
  readonly state: ReviewStateName
  readonly body?: string | undefined
  /** The commit reviewed; the pull request's head now by default. */
  readonly commitId?: string | undefined
  readonly comments?: ReadonlyArray<{ readonly path: string; readonly line?: number | null; readonly body: string }>
}

const api = "https://api.github.com"
const docs = "https://docs.github.com/rest/pulls/pulls"

const user = (login: string | null) =>
  login === null ? null : { login, id: 1, type: login.endsWith("[bot]") ? "Bot" : "User" }

const refused = (status: number, message: string) => ({ status, body: { message, documentation_url: docs } })

const validation = (error: Record<string, string>) => ({
  status: 422,
  body: { message: "Validation Failed", errors: [error], documentation_url: docs }
})

const field = (body: unknown, name: string): unknown =>
  typeof body === "object" && body !== null ? (body as Record<string, unknown>)[name] : undefined

const repoIn = (world: World, slug: string): RepoState => {
  const repo = world.repos.get(lower(slug))
  if (repo === undefined) throw new Error(`GithubFake: no repository ${slug}`)
  return repo
}

/** The pull request, or an error naming what is missing (for test helpers acting on the world). */
export const pullIn = (world: World, slug: string, number: number): PullState => {
  const pull = repoIn(world, slug).pulls.get(number)
  if (pull === undefined) throw new Error(`GithubFake: no pull request ${slug}#${number}`)
  return pull
}

/** Pushes `sha` to `branch` (creating it); the open pull requests from it follow. */
export const pushBranch = (world: World, slug: string, branch: string, sha: string, now: string): void => {
  const repo = repoIn(world, slug)
  repo.branches.set(branch, sha)
  for (const pull of repo.pulls.values()) {
    if (pull.state === "open" && pull.head === branch) {
      pull.headSha = sha
      pull.updatedAt = now
    }
  }
}

/** `reviewer` submits a review (with inline comments) at `now`; its id. */
export const submitReview = (
  world: World,
  slug: string,
  number: number,
  reviewer: string | null,
  review: ReviewSeed,
  now: string
): number => {
  const pull = pullIn(world, slug, number)
  const id = world.nextId++
  pull.reviews.push({
    id,
    user: reviewer,
    state: review.state,
    body: review.body ?? "",
    commitId: review.commitId ?? pull.headSha,
    submittedAt: review.state === "PENDING" ? null : now,
    comments: (review.comments ?? []).map((comment) => ({
      id: world.nextId++,
      path: comment.path,
      line: comment.line ?? null,
      body: comment.body,
      createdAt: now
    }))
  })
  pull.updatedAt = now
  return id
}

const issueOf = (repo: RepoState, pull: PullState): IssueState | undefined => repo.issues.get(pull.number)

/** Closes the pull request (without merging), as a person does. */
export const closePull = (world: World, slug: string, number: number, now: string): void => {
  const repo = repoIn(world, slug)
  const pull = pullIn(world, slug, number)
  if (pull.state === "closed") return
  pull.state = "closed"
  pull.closedAt = now
  pull.updatedAt = now
  const issue = issueOf(repo, pull)
  if (issue !== undefined) {
    issue.state = "closed"
    touch(issue, now)
  }
}

/**
 * Approvals that count: each writer's (the owner's or a write collaborator's) latest approving or
 * change-requesting review, approving; GitHub counts no approval from a reviewer without write access.
 */
const approvals = (repo: RepoState, pull: PullState): number => {
  const latest = new Map<string, string>()
  for (const review of pull.reviews) {
    if (review.user === null || (review.state !== "APPROVED" && review.state !== "CHANGES_REQUESTED")) continue
    const login = lower(review.user)
    if (login !== lower(repo.owner) && !repo.trusted.has(login)) continue
    latest.set(login, review.state)
  }
  return [...latest.values()].filter((state) => state === "APPROVED").length
}

/** A repository as GitHub shows it (`GET /repos/{o}/{r}`, and a pull request's `head.repo` / `base.repo`). */
export const repoJson = (repo: RepoState) => ({
  id: 1,
  name: repo.slug.split("/")[1],
  full_name: repo.slug,
  owner: user(repo.owner),
  private: false,
  default_branch: repo.defaultBranch
})

const pullJson = (repo: RepoState, pull: PullState, full: boolean) => {
  const issue = issueOf(repo, pull)
  const side = (ref: string, sha: string) => ({
    label: `${repo.owner}:${ref}`,
    ref,
    sha,
    user: user(repo.owner),
    repo: repoJson(repo)
  })
  const merged = pull.mergedAt !== null
  return {
    url: `${api}/repos/${repo.slug}/pulls/${pull.number}`,
    id: pull.number,
    node_id: `PR_${pull.number}`,
    html_url: `https://github.com/${repo.slug}/pull/${pull.number}`,
    issue_url: `${api}/repos/${repo.slug}/issues/${pull.number}`,
    number: pull.number,
    state: pull.state,
    locked: false,
    title: issue?.title ?? "",
    user: user(pull.author),
    body: issue === undefined || issue.body === "" ? null : issue.body,
    labels: [],
    created_at: pull.createdAt,
    updated_at: pull.updatedAt,
    closed_at: pull.closedAt,
    merged_at: pull.mergedAt,
    // GitHub names a test merge commit while the pull request is open; the merge commit once merged.
    merge_commit_sha: pull.mergeSha ?? fakeSha(`test merge ${repo.slug} ${pull.number} ${pull.headSha}`),
    head: side(pull.head, pull.headSha),
    base: side(pull.base, repo.branches.get(pull.base) ?? fakeSha(pull.base)),
    draft: false,
    author_association: "NONE",
    auto_merge: null,
    ...(full
      ? {
        merged,
        mergeable: pull.state === "open" ? !pull.conflict : null,
        mergeable_state: pull.state !== "open" ? "unknown" : pull.conflict ? "dirty" : "clean",
        merged_by: merged ? user("afk-bot") : null,
        maintainer_can_modify: false,
        comments: issue?.commentIds.length ?? 0,
        review_comments: pull.reviews.reduce((sum, review) => sum + review.comments.length, 0),
        commits: 1
      }
      : {})
  }
}

/** Reviews as their reader sees them: submitted ones, and the reader's own pending one. */
const visible = (pull: PullState, reader: string) =>
  pull.reviews.filter((review) =>
    review.state !== "PENDING" || (review.user !== null && lower(review.user) === lower(reader))
  )

const reviewJson = (repo: RepoState, pull: PullState, review: ReviewState) => ({
  id: review.id,
  node_id: `PRR_${review.id}`,
  user: user(review.user),
  body: review.body,
  state: review.state,
  html_url: `https://github.com/${repo.slug}/pull/${pull.number}#pullrequestreview-${review.id}`,
  pull_request_url: `${api}/repos/${repo.slug}/pulls/${pull.number}`,
  commit_id: review.commitId,
  author_association: "COLLABORATOR",
  ...(review.submittedAt === null ? {} : { submitted_at: review.submittedAt })
})

const commentJson = (repo: RepoState, pull: PullState, review: ReviewState, comment: ReviewCommentState) => ({
  id: comment.id,
  node_id: `PRRC_${comment.id}`,
  pull_request_review_id: review.id,
  path: comment.path,
  line: comment.line,
  body: comment.body,
  commit_id: review.commitId,
  user: user(review.user),
  created_at: comment.createdAt,
  updated_at: comment.createdAt,
  html_url: `https://github.com/${repo.slug}/pull/${pull.number}#discussion_r${comment.id}`,
  pull_request_url: `${api}/repos/${repo.slug}/pulls/${pull.number}`
})

const create = (repo: RepoState, request: Request): Reply => {
  const [title, head, base, text] = ["title", "head", "base", "body"].map((name) => field(request.body, name))
  if (typeof title !== "string" || title === "") {
    return validation({ resource: "PullRequest", field: "title", code: "missing_field" })
  }
  if (typeof head !== "string") return validation({ resource: "PullRequest", field: "head", code: "missing_field" })
  if (typeof base !== "string") return validation({ resource: "PullRequest", field: "base", code: "missing_field" })
  const [owner, branch] = head.includes(":") ? head.split(/:(.*)/s) as [string, string] : [repo.owner, head]
  const headSha = lower(owner) === lower(repo.owner) ? repo.branches.get(branch) : undefined
  if (headSha === undefined) return validation({ resource: "PullRequest", field: "head", code: "invalid" })
  const baseSha = repo.branches.get(base)
  if (baseSha === undefined) return validation({ resource: "PullRequest", field: "base", code: "invalid" })
  const existing = [...repo.pulls.values()].find((p) => p.state === "open" && p.head === branch && p.base === base)
  if (existing !== undefined) {
    return validation({
      resource: "PullRequest",
      code: "custom",
      message: `A pull request already exists for ${repo.owner}:${branch}.`
    })
  }
  if (headSha === baseSha) {
    return validation({ resource: "PullRequest", code: "custom", message: `No commits between ${base} and ${branch}` })
  }
  const number = Math.max(0, ...repo.issues.keys()) + 1
  const issue: IssueState = {
    number,
    title,
    body: typeof text === "string" ? text : "",
    labels: [],
    state: "open",
    stateReason: null,
    author: request.actor,
    isPullRequest: true,
    events: [],
    commentIds: []
  }
  touch(issue, request.now)
  repo.issues.set(number, issue)
  const pull: PullState = {
    number,
    head: branch,
    base,
    author: request.actor,
    createdAt: request.now,
    headSha,
    state: "open",
    mergeSha: null,
    mergedAt: null,
    closedAt: null,
    updatedAt: request.now,
    conflict: false,
    reviews: []
  }
  repo.pulls.set(number, pull)
  return { status: 201, body: pullJson(repo, pull, true) }
}

const approvalMessage = (required: number) =>
  `At least ${required} approving review${required === 1 ? " is" : "s are"} required by reviewers with write access.`

const merge = (world: World, repo: RepoState, pull: PullState, request: Request): Reply => {
  const [sha, method, title] = ["sha", "merge_method", "commit_title"].map((name) => field(request.body, name))
  if (method !== undefined && method !== "merge" && method !== "squash" && method !== "rebase") {
    return validation({ resource: "PullRequest", field: "merge_method", code: "invalid" })
  }
  if (pull.state !== "open") return refused(405, "Pull Request is not mergeable")
  if (sha !== undefined && sha !== pull.headSha) {
    return refused(409, "Head branch was modified. Review and try the merge again.")
  }
  if (pull.conflict) return refused(405, "Pull Request is not mergeable")
  if (pull.base === repo.defaultBranch && approvals(repo, pull) < repo.requiredApprovals) {
    return refused(405, approvalMessage(repo.requiredApprovals))
  }
  const mergeSha = fakeSha(
    `merge ${repo.slug} ${pull.number} ${pull.headSha} ${String(method ?? "merge")} ${String(title ?? "")}`
  )
  repo.branches.set(pull.base, mergeSha)
  pull.mergeSha = mergeSha
  pull.mergedAt = request.now
  closePull(world, repo.slug, pull.number, request.now)
  return { status: 200, body: { sha: mergeSha, merged: true, message: "Pull Request successfully merged" } }
}

/** Answers the pulls and git-refs routes of a repository; none for any other route. */
export const route = (
  world: World,
  repo: RepoState,
  rest: ReadonlyArray<string>,
  request: Request
): Reply | undefined => {
  const [section, ...tail] = rest
  const { method, query } = request
  if (section === "git" && tail[0] === "refs" && method === "DELETE") {
    const ref = tail.slice(1).join("/")
    const branch = ref.startsWith("heads/") ? ref.slice("heads/".length) : undefined
    if (branch === undefined || !repo.branches.has(branch)) return refused(422, "Reference does not exist")
    repo.branches.delete(branch)
    for (const pull of repo.pulls.values()) {
      if (pull.state === "open" && pull.head === branch) closePull(world, repo.slug, pull.number, request.now)
    }
    return { status: 204 }
  }
  if (section !== "pulls") return undefined
  const [number, sub] = tail
  if (number === undefined && method === "GET") {
    const state = query.get("state") ?? "open"
    const head = query.get("head")
    const base = query.get("base")
    const pulls = [...repo.pulls.values()]
      .filter((pull) => state === "all" || pull.state === state)
      .filter((pull) =>
        head === null || lower(head) === lower(`${repo.owner}:${pull.head}`) || lower(head) === lower(pull.head)
      )
      .filter((pull) => base === null || pull.base === base)
      .sort((a, b) => b.number - a.number)
    return { status: 200, items: pulls.map((pull) => pullJson(repo, pull, false)) }
  }
  if (number === undefined && method === "POST") return create(repo, request)
  const pull = repo.pulls.get(Number(number))
  if (pull === undefined) return { status: 404, body: { message: "Not Found", documentation_url: docs } }
  if (sub === undefined && method === "GET") return { status: 200, body: pullJson(repo, pull, true) }
  if (sub === "reviews" && tail.length === 2 && method === "GET") {
    return { status: 200, items: visible(pull, request.actor).map((review) => reviewJson(repo, pull, review)) }
  }
  if (sub === "comments" && tail.length === 2 && method === "GET") {
    const comments = visible(pull, request.actor).flatMap((review) =>
      review.comments.map((comment) => commentJson(repo, pull, review, comment))
    )
    return { status: 200, items: comments.sort((a, b) => a.id - b.id) }
  }
  if (sub === "merge" && method === "PUT") return merge(world, repo, pull, request)
  return { status: 404, body: { message: "Not Found", documentation_url: docs } }
}
