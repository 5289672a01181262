/**
 * Pull requests, branches and reviews in `ForgejoFake`, answering as Forgejo's handlers do
 * (`routers/api/v1/repo/pull.go`, `pull_review.go`, `branch.go`):
 *
 * - `POST /pulls`: head equal to base → 422; a base or head that is no branch → 404 whose `errors` say
 *   "could not find '…' to be a commit, branch or tag in the base / head repository o/r"; an open pull request
 *   for the same head and base → 409 "pull request already exists for these targets […]"; else 201.
 * - `GET /pulls/{base}/{head}`: the first pull request for the pair in any state (Forgejo's `Get`), else 404.
 * - `GET /pulls`: by `state` (open by default), most recently updated first, paged with `Link` and
 *   `X-Total-Count`.
 * - `POST /pulls/{index}/merge`, checked in Forgejo's order: merged → 405 with an empty message; closed →
 *   404; the bot not a writer → 405 "User not allowed to merge PR"; a draft → 405; a conflict → 405 "Please try
 *   again later"; too few approvals (official ones not dismissed: a writer's approval while it is their latest
 *   approving or change-requesting review) → 405 "not allowed to merge [reason:
 *   Does not have enough approvals]"; `head_commit_id` not the head → 409 "head out of date"; else 200 with no
 *   body, a merge commit whose sha is derived from the pull request (40 hex, deterministic) on the base.
 * - Reviews are listed oldest first, paged with `X-Total-Count` only, which counts others' pending reviews
 *   that are not listed; a review's comments come whole, in no particular order (newest first here).
 * - `GET /branches/{branch}`: the branch and its head commit, or 404 "branch does not exist [name: …]".
 * - `DELETE /branches/{branch}`: the default branch → 403 "can not delete default branch"; none → 404
 *   "branch does not exist [name: …]"; else 204, closing the open pull requests from it. Once its branch is
 *   gone a pull request's `head.ref` is `refs/pull/{index}/head` (its `label` stays the branch).
 *
 * Pull requests take numbers after the issues' but are not listed among issues (the tracker asks
 * `type=issues` anyway).
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { createHash } from "node:crypto"
import type { Reply } from "./ForgejoFakeIssues.js"
import { invalid, isObject } from "./ForgejoFakeIssues.js"
import {
  branchJson,
  isOfficial,
  isWriter,
  pullJson,
  repoJson,
  reviewCommentJson,
  reviewJson
} from "./ForgejoFakePullsJson.js"
import * as S from "./ForgejoFakeState.js"

export type ReviewKind = "APPROVED" | "REQUEST_CHANGES" | "COMMENT" | "PENDING" | "REQUEST_REVIEW"

export interface ReviewComment {
  readonly id: number
  readonly path: string
  /** The line on the new side, or on the old side (`oldLine`); neither for a comment on the file. */
  readonly line?: number | undefined
  readonly oldLine?: number | undefined
  readonly body: string
  readonly createdAt: number
}

export interface Review {
  readonly id: number
  readonly user: string
  readonly kind: ReviewKind
  readonly body: string
  readonly commitId: string
  dismissed: boolean
  readonly submittedAt: number
  readonly comments: Array<ReviewComment>
}

export interface Pull {
  readonly id: number
  readonly number: number
  readonly title: string
  readonly body: string
  readonly author: string
  readonly head: string
  readonly base: string
  /** `refs/pull/{index}/head`: follows the branch while the pull request is open, kept once it is gone. */
  headSha: string
  state: "open" | "closed"
  merged: boolean
  mergeSha?: string
  conflict: boolean
  draft: boolean
  readonly createdAt: number
  updatedAt: number
  readonly reviews: Array<Review>
}

export interface Pulls {
  readonly defaultBranch: string
  /** Branch → the sha at its head. */
  readonly branches: Map<string, string>
  readonly pulls: Map<number, Pull>
  /** The default branch's protection: approvals needed to merge into it. */
  requiredApprovals: number
}

export const sha1 = (text: string): string => createHash("sha1").update(text).digest("hex")

export const make = (): Pulls => ({
  defaultBranch: "main",
  branches: new Map([["main", sha1("main")]]),
  pulls: new Map(),
  requiredApprovals: 0
})

const error = (status: number, message: string): Reply => ({ status, body: { message, url: "" } })
const missing = (...errors: ReadonlyArray<string>): Reply => ({
  status: 404,
  body: { message: "The target couldn't be found.", url: "", errors }
})

/** A person (or the bot) pushes `sha` to `branch`, creating it; open pull requests from it follow. */
export const push = (pulls: Pulls, branch: string, sha: string, now: number): void => {
  pulls.branches.set(branch, sha)
  for (const pull of pulls.pulls.values()) {
    if (pull.head === branch && pull.state === "open") {
      pull.headSha = sha
      pull.updatedAt = now
    }
  }
}

/** Opens a pull request as `author` (no checks: the route checks what Forgejo checks). */
export const open = (
  state: S.State,
  pulls: Pulls,
  request: {
    readonly author: string
    readonly head: string
    readonly base: string
    readonly title: string
    readonly body: string
  },
  now: number
): Pull => {
  const number = Math.max(0, ...state.issues.keys(), ...pulls.pulls.keys()) + 1
  const at = S.stamp(state, now)
  const pull: Pull = {
    ...request,
    id: state.nextId++,
    number,
    headSha: pulls.branches.get(request.head) ?? "",
    state: "open",
    merged: false,
    conflict: false,
    draft: /^(WIP:|\[WIP\])/i.test(request.title),
    createdAt: at,
    updatedAt: at,
    reviews: []
  }
  pulls.pulls.set(number, pull)
  return pull
}

/** `user` submits a review now; returns its id. */
export const review = (
  state: S.State,
  pull: Pull,
  user: string,
  submitted: {
    readonly kind: ReviewKind
    readonly body?: string
    readonly commitId?: string
    readonly comments?: ReadonlyArray<{ path: string; line?: number; oldLine?: number; body: string }>
  },
  now: number
): number => {
  const submittedAt = S.stamp(state, now)
  const made: Review = {
    id: state.nextId++,
    user,
    kind: submitted.kind,
    body: submitted.body ?? "",
    commitId: submitted.commitId ?? pull.headSha,
    dismissed: false,
    submittedAt,
    comments: (submitted.comments ?? []).map((comment) => ({
      ...comment,
      id: state.nextId++,
      createdAt: S.stamp(state, now)
    }))
  }
  pull.reviews.push(made)
  pull.updatedAt = submittedAt
  return made.id
}

/** What a test does to pull requests on the server, as people and CI would, between the adapter's requests. */
export interface World {
  /** Someone pushes a commit `sha` to `branch`, creating it; open pull requests from it follow. */
  readonly pushBranch: (branch: string, sha: string) => Effect.Effect<void>
  /** The sha at the head of `branch`, if it exists. */
  readonly branch: (name: string) => Effect.Effect<string | undefined>
  /** `author` opens a pull request from `head` into the default branch; returns its number. */
  readonly open: (author: string, head: string, title?: string) => Effect.Effect<number>
  /** `user` submits a review; returns its id. */
  readonly review: (number: number, user: string, submitted: Parameters<typeof review>[3]) => Effect.Effect<number>
  readonly dismiss: (number: number, id: number) => Effect.Effect<void>
  /** Whether Forgejo finds the pull request conflicting with its base. */
  readonly conflict: (number: number, conflicting: boolean) => Effect.Effect<void>
  /** Protects the default branch: `approvals` non-dismissed approvals by writers needed to merge. */
  readonly protect: (approvals: number) => Effect.Effect<void>
  /** A person closes the pull request without merging it. */
  readonly close: (number: number) => Effect.Effect<void>
  /** The pull request as the server holds it. */
  readonly get: (number: number) => Effect.Effect<Pull>
}

export const world = (state: S.State, pulls: Pulls): World => {
  const at = <A>(f: (now: number) => A) => Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => f(now)))
  const find = (number: number): Pull => {
    const pull = pulls.pulls.get(number)
    if (pull === undefined) throw new Error(`ForgejoFake: no pull request #${number}`)
    return pull
  }
  return {
    pushBranch: (branch, sha) => at((now) => push(pulls, branch, sha, now)),
    branch: (name) => Effect.sync(() => pulls.branches.get(name)),
    open: (author, head, title = `Change ${head}`) =>
      at((now) => open(state, pulls, { author, head, base: pulls.defaultBranch, title, body: "" }, now).number),
    review: (number, user, submitted) => at((now) => review(state, find(number), user, submitted, now)),
    dismiss: (number, id) =>
      Effect.sync(() => {
        const found = find(number).reviews.find((candidate) => candidate.id === id)
        if (found !== undefined) found.dismissed = true
      }),
    conflict: (number, conflicting) => Effect.sync(() => void (find(number).conflict = conflicting)),
    protect: (approvals) => Effect.sync(() => void (pulls.requiredApprovals = approvals)),
    close: (number) =>
      at((now) => {
        const pull = find(number)
        pull.state = "closed"
        pull.updatedAt = S.stamp(state, now)
      }),
    get: (number) => Effect.sync(() => find(number))
  }
}

const visible = (state: S.State, review: Review) => review.kind !== "PENDING" || review.user === state.bot

export interface Request {
  readonly method: string
  /** The path below `/repos/{o}/{r}`, split and decoded (empty for the repository itself). */
  readonly rest: ReadonlyArray<string>
  readonly query: Record<string, string>
  readonly body: unknown
  readonly now: number
  readonly rel: string
}

const create = (state: S.State, pulls: Pulls, body: unknown, now: number, root: string): Reply => {
  if (!isObject(body) || typeof body.head !== "string" || body.head === "") return invalid("[Head]: Required")
  if (typeof body.base !== "string" || body.base === "") return invalid("[Base]: Required")
  if (typeof body.title !== "string" || body.title === "") return invalid("[Title]: Required")
  const { base, head } = body
  if (head === base) return invalid("Invalid PullRequest: There are no changes between the head and the base")
  const where = (side: string) => `in the ${side} repository ${state.owner}/${state.name}`
  if (!pulls.branches.has(base)) {
    return missing(`could not find '${base}' to be a commit, branch or tag ${where("base")}`)
  }
  if (!pulls.branches.has(head)) {
    return missing(`could not find '${head}' to be a commit, branch or tag ${where("head")}`)
  }
  const existing = [...pulls.pulls.values()].find((pull) =>
    pull.head === head && pull.base === base && pull.state === "open" && !pull.merged
  )
  if (existing !== undefined) {
    return error(
      409,
      `pull request already exists for these targets [id: ${existing.id}, issue_id: ${existing.number}, head_repo_id: 1, base_repo_id: 1, head_branch: ${head}, base_branch: ${base}]`
    )
  }
  const text = typeof body.body === "string" ? body.body : ""
  const pull = open(state, pulls, { author: state.bot, head, base, title: body.title, body: text }, now)
  return { status: 201, body: pullJson(root, state, pulls, pull) }
}

const merge = (state: S.State, pulls: Pulls, pull: Pull, body: unknown, now: number): Reply => {
  const styles = ["merge", "rebase", "rebase-merge", "squash", "fast-forward-only", "manually-merged"]
  if (!isObject(body) || typeof body.Do !== "string" || !styles.includes(body.Do)) return invalid("[Do]: Required")
  if (pull.merged) return error(405, "")
  if (pull.state === "closed") return missing()
  if (!isWriter(state, state.bot)) return error(405, "User not allowed to merge PR")
  if (pull.draft) return error(405, "Work in progress PRs cannot be merged")
  if (pull.conflict) return error(405, "Please try again later")
  const approvals =
    pull.reviews.filter((review) => review.kind === "APPROVED" && !review.dismissed && isOfficial(state, pull, review))
      .length
  if (approvals < pulls.requiredApprovals) {
    return error(405, "not allowed to merge [reason: Does not have enough approvals]")
  }
  const expected = typeof body.head_commit_id === "string" ? body.head_commit_id : ""
  if (expected !== "" && expected !== pull.headSha) return error(409, "head out of date")
  const base = pulls.branches.get(pull.base) ?? ""
  pull.mergeSha = sha1(`${body.Do} ${base} ${pull.headSha} #${pull.number}`)
  pull.merged = true
  pull.state = "closed"
  pull.updatedAt = S.stamp(state, now)
  pulls.branches.set(pull.base, pull.mergeSha)
  return { status: 200 }
}

/** Answers one request about the repository, its pull requests or its branches; none when not one of them. */
export const route = (
  state: S.State,
  pulls: Pulls,
  root: string,
  paging: S.Paging,
  request: Request
): Reply | undefined => {
  const { body, method, now, query, rel, rest } = request
  const [head, second, third, fourth, fifth] = rest
  if (head === undefined && method === "GET") return { status: 200, body: repoJson(root, state, pulls) }
  if (head === "branches" && second !== undefined && method === "GET") {
    const name = rest.slice(1).join("/")
    const sha = pulls.branches.get(name)
    if (sha === undefined) return missing(`branch does not exist [name: ${name}]`)
    return { status: 200, body: branchJson(root, state, pulls, name, sha) }
  }
  if (head === "branches" && second !== undefined && method === "DELETE") {
    const name = rest.slice(1).join("/")
    if (name === pulls.defaultBranch) return error(403, "can not delete default branch")
    if (!pulls.branches.delete(name)) return missing(`branch does not exist [name: ${name}]`)
    for (const pull of pulls.pulls.values()) {
      if (pull.head === name && pull.state === "open") {
        pull.state = "closed"
        pull.updatedAt = S.stamp(state, now)
      }
    }
    return { status: 204 }
  }
  if (head !== "pulls") return undefined
  if (second === undefined && method === "GET") {
    const wanted = query.state ?? "open"
    const listed = [...pulls.pulls.values()]
      .filter((pull) => wanted === "all" || pull.state === wanted)
      .sort((a, b) => b.updatedAt - a.updatedAt || b.number - a.number)
    const { headers, items } = S.page(paging, listed, query, rel, true)
    return { status: 200, body: items.map((pull) => pullJson(root, state, pulls, pull)), headers }
  }
  if (second === undefined && method === "POST") return create(state, pulls, body, now, root)
  const pull = /^\d+$/.test(second ?? "") ? pulls.pulls.get(Number(second)) : undefined
  const indexed = third === undefined || third === "merge" || third === "reviews"
  if (second !== undefined && third !== undefined && !indexed && method === "GET") {
    const name = rest.slice(2).join("/")
    const found = [...pulls.pulls.values()].find((candidate) => candidate.base === second && candidate.head === name)
    return found === undefined ? missing() : { status: 200, body: pullJson(root, state, pulls, found) }
  }
  if (pull === undefined) return missing()
  if (third === undefined && method === "GET") return { status: 200, body: pullJson(root, state, pulls, pull) }
  if (third === "merge" && fourth === undefined && method === "POST") return merge(state, pulls, pull, body, now)
  if (third === "reviews" && fourth === undefined && method === "GET") {
    const all = [...pull.reviews].sort((a, b) => a.submittedAt - b.submittedAt || a.id - b.id)
    const { items } = S.page(paging, all, query, rel, false)
    return {
      status: 200,
      body: items.filter((review) => visible(state, review)).map((review) => reviewJson(root, state, pull, review)),
      headers: { "x-total-count": String(all.length) }
    }
  }
  if (third === "reviews" && fifth === "comments" && method === "GET") {
    const review = pull.reviews.find((candidate) => String(candidate.id) === fourth)
    if (review === undefined || !visible(state, review)) return missing()
    const comments = [...review.comments].reverse()
    return { status: 200, body: comments.map((comment) => reviewCommentJson(root, state, pull, review, comment)) }
  }
  return missing()
}
