/**
 * The `PullRequests` port over GitHub's pulls endpoints, for pull-request delivery:
 *
 * - `findOpen`: `GET /repos/{o}/{r}/pulls?state=open&head={owner}:{branch}` (every page), heads of this
 *   repository only (a fork's branch of the same name is not the run's).
 * - `open`: `POST /repos/{o}/{r}/pulls` into the default branch (`GET /repos/{o}/{r}`, conditional), with
 *   `maintainer_can_modify: false`. GitHub's 422 "A pull request already exists for …" adopts the open one, so a
 *   retry after a lost answer never makes a second; its 422 on `head` (the branch does not exist) fails, not
 *   transient.
 * - `get`: `GET /repos/{o}/{r}/pulls/{n}`: `merged` → merged (with `merge_commit_sha`), `closed` → closed;
 *   `mergeable: null` (not computed yet) is unknown.
 * - `reviews`: `GET …/pulls/{n}/reviews` and `GET …/pulls/{n}/comments` (every page of both), each inline comment
 *   on the review it belongs to (`pull_request_review_id`), oldest first; pending reviews are left out.
 * - `merge`: `PUT …/pulls/{n}/merge` with the verified head `sha`. 409 (the head moved) is `HeadMoved`; 405
 *   (not mergeable, or branch protection) reads the pull request back: already merged is merged, a conflict
 *   (`mergeable: false`) is `Conflict`, anything else `Blocked` with GitHub's words; 422 (e.g. a merge method
 *   the repository does not allow) is `Blocked`.
 * - `deleteBranch`: `DELETE /repos/{o}/{r}/git/refs/heads/{branch}`; a ref already gone (422 "Reference does
 *   not exist", 404) is a no-op, and the default branch is refused without a request.
 */
import * as Domain from "afk-core/Domain"
import * as PortError from "afk-core/PortError"
import * as PullRequests from "afk-core/PullRequests"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as GithubClient from "./GithubClient.js"
import type * as GithubCodec from "./GithubCodec.js"
import type * as GithubError from "./GithubError.js"
import * as GithubRequirements from "./GithubRequirements.js"

/** None yet: the port reads what it needs (the default branch) from GitHub. */
export interface Options {}

const Login = Schema.Struct({ login: Schema.String })

const Ref = Schema.Struct({
  ref: Schema.String,
  sha: Schema.String,
  /** Null when the head's fork was deleted. */
  repo: Schema.optional(Schema.NullOr(Schema.Struct({ full_name: Schema.String })))
})

/** A pull request as the list (`pull-request-simple`, no `merged`/`mergeable`) and the single read give it. */
const PullBody = Schema.Struct({
  number: Schema.Int.pipe(Schema.positive()),
  html_url: Schema.String,
  state: Schema.String,
  merged: Schema.optional(Schema.Boolean),
  merged_at: Schema.optional(Schema.NullOr(Schema.String)),
  merge_commit_sha: Schema.optional(Schema.NullOr(Schema.String)),
  mergeable: Schema.optional(Schema.NullOr(Schema.Boolean)),
  head: Ref,
  base: Ref,
  user: Schema.NullOr(Login)
})
type PullBody = typeof PullBody.Type

const ReviewBody = Schema.Struct({
  id: Schema.Number,
  user: Schema.NullOr(Login),
  body: Schema.optional(Schema.NullOr(Schema.String)),
  state: Schema.String,
  commit_id: Schema.optional(Schema.NullOr(Schema.String)),
  /** Absent on a pending review. */
  submitted_at: Schema.optional(Schema.NullOr(Schema.DateTimeUtc))
})

const ReviewCommentBody = Schema.Struct({
  id: Schema.Number,
  pull_request_review_id: Schema.optional(Schema.NullOr(Schema.Number)),
  path: Schema.String,
  line: Schema.optional(Schema.NullOr(Schema.Int)),
  body: Schema.String,
  created_at: Schema.String
})
type ReviewCommentBody = typeof ReviewCommentBody.Type

const MergeBody = Schema.Struct({
  merged: Schema.optional(Schema.Boolean),
  sha: Schema.optional(Schema.NullOr(Schema.String)),
  message: Schema.optional(Schema.String)
})

/** What GitHub calls a user it no longer knows (deleted accounts). */
const ghost = "ghost"

const reviewStates: Readonly<Record<string, PullRequests.ReviewState>> = {
  APPROVED: "approved",
  CHANGES_REQUESTED: "changes-requested",
  COMMENTED: "commented",
  DISMISSED: "dismissed"
}

const read = (operation: string): GithubClient.Call => ({ operation, permission: "Pull requests: read" })
const write = (operation: string): GithubClient.Call => ({ operation, permission: "Pull requests: write" })
const contents = (operation: string): GithubClient.Call => ({ operation, permission: "Contents: write" })

const toError = (error: GithubError.GithubError): PullRequests.PullRequestsError =>
  new PullRequests.PullRequestsError(PortError.carry(error))

/** A refusal GitHub answered that this port does not turn into a result: not transient, in GitHub's words. */
const refused = (
  operation: string,
  where: string,
  refusal: {
    readonly status: number
    readonly message: string
    readonly errors: ReadonlyArray<GithubCodec.ValidationError>
  },
  hint: string
) =>
  new PullRequests.PullRequestsError({
    operation,
    detail: `${where}: HTTP ${refusal.status} ${said(refusal)}`,
    transient: false,
    status: refusal.status,
    hint
  })

/** GitHub's words for a refusal: its message, and those of its validation errors. */
const said = (refusal: { readonly message: string; readonly errors: ReadonlyArray<GithubCodec.ValidationError> }) =>
  [
    refusal.message,
    ...refusal.errors.map((error) =>
      error.message ?? [error.resource, error.field, error.code].filter((part) => part !== undefined).join(" ")
    )
  ].filter((part) => part !== "").join("; ")

const toPull = (body: PullBody): PullRequests.PullRequest => {
  // An open pull request is open; a closed one merged when `merged` says so (the list omits it: `merged_at`).
  const merged = body.state !== "open" && (body.merged ?? (body.merged_at !== undefined && body.merged_at !== null))
  return new PullRequests.PullRequest({
    number: body.number,
    url: body.html_url,
    state: body.state === "open" ? "open" : merged ? "merged" : "closed",
    head: body.head.ref,
    headSha: body.head.sha,
    base: body.base.ref,
    ...(merged && typeof body.merge_commit_sha === "string" ? { mergeSha: body.merge_commit_sha } : {}),
    ...(typeof body.mergeable === "boolean" ? { mergeable: body.mergeable } : {}),
    author: body.user?.login ?? ghost
  }, true)
}

/** Whether the pull request's head is a branch of the repository it merges into (not a fork's). */
const sameRepoHead = (body: PullBody): boolean =>
  body.head.repo !== undefined && body.head.repo !== null && body.base.repo !== undefined &&
  body.base.repo !== null && Domain.sameRepo(body.head.repo.full_name, body.base.repo.full_name)

const byTimeThenId = (a: ReviewCommentBody, b: ReviewCommentBody) =>
  Date.parse(a.created_at) - Date.parse(b.created_at) || a.id - b.id

/** The path of `refs/heads/{branch}`, each segment of the branch escaped on its own (`heads/afk/12-r1`). */
const refPath = (repo: Domain.Repo, branch: string) =>
  GithubClient.repoPath(repo, "git", "refs", "heads", ...branch.split("/"))

/** A `PullRequests` over the ambient `GithubClient`. */
export const make = (_options: Options = {}): Effect.Effect<PullRequests.Service, never, GithubClient.GithubClient> =>
  Effect.gen(function*() {
    const client = yield* GithubClient.GithubClient

    const get = (repo: Domain.Repo, number: number) =>
      client.get(read("get"), GithubClient.repoPath(repo, "pulls", number), PullBody).pipe(Effect.map(toPull))

    const findOpen = (repo: Domain.Repo, head: string, operation = "findOpen") =>
      client.list(read(operation), GithubClient.repoPath(repo, "pulls"), PullBody, {
        state: "open",
        head: `${Domain.repoOwner(repo)}:${head}`
      }).pipe(
        Effect.map((bodies) =>
          Option.map(
            Option.fromNullable(bodies.find((body) => body.head.ref === head && sameRepoHead(body))),
            toPull
          )
        )
      )

    const open = (repo: Domain.Repo, request: PullRequests.OpenRequest) =>
      Effect.gen(function*() {
        const base = yield* GithubRequirements.defaultBranch(client, repo, "open")
        const path = GithubClient.repoPath(repo, "pulls")
        // Repeating the create is harmless: a second one is refused as a duplicate, and adopted below.
        const answer = yield* client.attempt(
          write("open"),
          "POST",
          path,
          {
            title: request.title,
            head: request.head,
            base,
            body: request.body,
            maintainer_can_modify: false
          },
          PullBody,
          [422]
        )
        if (answer._tag === "Done" && Option.isSome(answer.value)) return toPull(answer.value.value)
        const where = `POST ${path}`
        if (answer._tag === "Done") {
          return yield* new PullRequests.PullRequestsError({
            operation: "open",
            detail: `${where}: HTTP ${answer.status} without the pull request`,
            transient: true,
            status: answer.status,
            hint: "GitHub's answer lacked the pull request; the next pass looks for it again"
          })
        }
        if (answer.errors.some((error) => /pull request already exists/i.test(error.message ?? ""))) {
          const existing = yield* findOpen(repo, request.head, "open")
          if (Option.isSome(existing)) return existing.value
          return yield* new PullRequests.PullRequestsError({
            operation: "open",
            detail: `${where}: GitHub says a pull request from ${request.head} already exists, but none is open`,
            transient: true,
            status: answer.status,
            hint: "it was closed or merged meanwhile; the next pass reads it again"
          })
        }
        if (answer.errors.some((error) => error.field === "head")) {
          return yield* new PullRequests.PullRequestsError({
            operation: "open",
            detail: `the branch ${request.head} does not exist in ${repo} (${where}: HTTP ${answer.status} ${
              said(answer)
            })`,
            transient: false,
            status: answer.status,
            hint: `push the run's commits to ${request.head} before opening its pull request`
          })
        }
        return yield* refused("open", where, answer, "GitHub refused to open the pull request; see its words")
      })

    const reviews = (repo: Domain.Repo, number: number) =>
      Effect.gen(function*() {
        const [bodies, comments] = yield* Effect.all([
          client.list(read("reviews"), GithubClient.repoPath(repo, "pulls", number, "reviews"), ReviewBody),
          client.list(read("reviews"), GithubClient.repoPath(repo, "pulls", number, "comments"), ReviewCommentBody)
        ], { concurrency: 2 })
        const byReview = new Map<number, Array<ReviewCommentBody>>()
        for (const comment of [...comments].sort(byTimeThenId)) {
          const id = comment.pull_request_review_id
          if (id === undefined || id === null) continue
          byReview.set(id, [...(byReview.get(id) ?? []), comment])
        }
        return bodies.flatMap((body) => {
          const state = reviewStates[body.state]
          if (state === undefined || body.submitted_at === undefined || body.submitted_at === null) return []
          return [
            new PullRequests.Review({
              id: String(body.id),
              author: body.user?.login ?? ghost,
              state,
              body: body.body ?? "",
              ...(typeof body.commit_id === "string" ? { commitSha: body.commit_id } : {}),
              submittedAt: body.submitted_at,
              comments: (byReview.get(body.id) ?? []).map((comment) => ({
                path: comment.path,
                ...(typeof comment.line === "number" ? { line: comment.line } : {}),
                body: comment.body
              }))
            })
          ]
        }).sort((a, b) => a.submittedAt.epochMillis - b.submittedAt.epochMillis)
      })

    const merge = (
      repo: Domain.Repo,
      number: number,
      options: { readonly sha: string; readonly method: PullRequests.MergeMethod; readonly title: string }
    ) =>
      Effect.gen(function*() {
        // Repeating a merge is harmless: the head is pinned, and an answer that it is merged reads it back.
        const answer = yield* client.attempt(
          contents("merge"),
          "PUT",
          GithubClient.repoPath(repo, "pulls", number, "merge"),
          {
            sha: options.sha,
            merge_method: options.method,
            commit_title: options.title
          },
          MergeBody,
          [405, 409, 422]
        )
        if (answer._tag === "Done") {
          const body = Option.getOrUndefined(answer.value)
          if (body?.merged === true && typeof body.sha === "string") {
            return { _tag: "Merged", sha: body.sha } satisfies PullRequests.MergeResult
          }
          return refusal(PullRequests.MergeRefusal.Blocked({ detail: body?.message ?? "GitHub did not merge it" }))
        }
        const detail = said(answer) || `HTTP ${answer.status}`
        if (answer.status === 409) return refusal(PullRequests.MergeRefusal.HeadMoved({ detail }))
        if (answer.status === 422) return refusal(PullRequests.MergeRefusal.Blocked({ detail }))
        const now = yield* get(repo, number)
        if (now.state === "merged" && now.mergeSha !== undefined) {
          return { _tag: "Merged", sha: now.mergeSha } satisfies PullRequests.MergeResult
        }
        return refusal(
          now.mergeable === false
            ? PullRequests.MergeRefusal.Conflict({ detail })
            : PullRequests.MergeRefusal.Blocked({ detail })
        )
      })

    const deleteBranch = (repo: Domain.Repo, branch: string) =>
      Effect.gen(function*() {
        const defaultBranch = yield* GithubRequirements.defaultBranch(client, repo, "deleteBranch")
        if (branch === defaultBranch) {
          return yield* new PullRequests.PullRequestsError({
            operation: "deleteBranch",
            detail: `refused to delete ${branch}, the default branch of ${repo}`,
            transient: false,
            hint: "only a run's own branch is deleted after its pull request merged"
          })
        }
        const answer = yield* client.attempt(
          contents("deleteBranch"),
          "DELETE",
          refPath(repo, branch),
          undefined,
          Schema.Unknown,
          [404, 422]
        )
        if (answer._tag === "Done" || answer.status === 404 || /reference does not exist/i.test(said(answer))) return
        return yield* refused(
          "deleteBranch",
          `DELETE ${refPath(repo, branch)}`,
          answer,
          `GitHub refused to delete ${branch} (a protected branch or a ruleset may forbid it)`
        )
      })

    return PullRequests.PullRequests.of({
      findOpen: (repo, head) => findOpen(repo, head).pipe(Effect.mapError(toError)),
      open: (repo, request) => open(repo, request).pipe(Effect.mapError(mapAny)),
      get: (repo, number) => get(repo, number).pipe(Effect.mapError(toError)),
      reviews: (repo, number) => reviews(repo, number).pipe(Effect.mapError(toError)),
      merge: (repo, number, options) => merge(repo, number, options).pipe(Effect.mapError(toError)),
      deleteBranch: (repo, branch) => deleteBranch(repo, branch).pipe(Effect.mapError(mapAny))
    })
  })

const refusal = (refusal: PullRequests.MergeRefusal): PullRequests.MergeResult => ({ _tag: "Refused", refusal })

const mapAny = (
  error: GithubError.GithubError | PullRequests.PullRequestsError
): PullRequests.PullRequestsError => error._tag === "PullRequestsError" ? error : toError(error)
