/**
 * The typed Forgejo / Gitea API v1 calls the adapter makes, one function per operation of
 * `contracts/forgejo-v1.json`, each naming the token scope it needs. They return wire shapes (`ForgejoWire`); the
 * ports turn those into AFK's domain.
 */
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Effect from "effect/Effect"
import { identity } from "effect/Function"
import * as Schema from "effect/Schema"
import { type Call, type ForgejoError, repoPath, type Service } from "./ForgejoClient.js"
import * as Wire from "./ForgejoWire.js"

const repoCall = (operation: string, repo: string, scope: string, what?: string): Call => ({
  operation,
  scope,
  subject: what === undefined ? `repository ${repo}` : `${what} in ${repo}`
})

const issueCall = (operation: string, repo: string, number: number, scope: string): Call =>
  repoCall(operation, repo, scope, `issue #${number}`)

const arrayOf = <A, I>(item: Schema.Schema<A, I>) => ({ page: Schema.Array(item), items: identity<ReadonlyArray<A>> })

/** Issues (not pull requests) in `state` (open by default, or `all`) the server files under `label`, every page. */
export const openIssues = (
  client: Service,
  repo: string,
  label: string,
  state: "open" | "closed" | "all" = "open"
): Effect.Effect<ReadonlyArray<Wire.Issue>, ForgejoError> =>
  client.list(repoCall("GET /repos/{o}/{r}/issues", repo, "read:issue"), repoPath(repo, "issues"), {
    query: { state, labels: label, type: "issues" },
    paging: "counted",
    ...arrayOf(Wire.Issue)
  })

/** Every issue (not pull request), open or closed, updated at or after `since` (ISO 8601), all pages. */
export const updatedSince = (
  client: Service,
  repo: string,
  since: string
): Effect.Effect<ReadonlyArray<Wire.Issue>, ForgejoError> =>
  client.list(repoCall("GET /repos/{o}/{r}/issues", repo, "read:issue"), repoPath(repo, "issues"), {
    query: { state: "all", since, type: "issues" },
    paging: "counted",
    ...arrayOf(Wire.Issue)
  })

export const issue = (client: Service, repo: string, number: number): Effect.Effect<Wire.Issue, ForgejoError> =>
  client.json(
    issueCall("GET /repos/{o}/{r}/issues/{index}", repo, number, "read:issue"),
    HttpClientRequest.get(repoPath(repo, "issues", number)),
    Wire.Issue
  )

export const closeIssue = (client: Service, repo: string, number: number): Effect.Effect<void, ForgejoError> =>
  client.send(
    issueCall("PATCH /repos/{o}/{r}/issues/{index}", repo, number, "write:issue"),
    HttpClientRequest.patch(repoPath(repo, "issues", number)).pipe(
      HttpClientRequest.bodyUnsafeJson({ state: "closed" })
    )
  )

/** Every timeline entry of the issue (comments, labels, state changes…), oldest first, every page. */
export const timeline = (
  client: Service,
  repo: string,
  number: number
): Effect.Effect<ReadonlyArray<Wire.TimelineEvent>, ForgejoError> =>
  client.list(
    issueCall("GET /repos/{o}/{r}/issues/{index}/timeline", repo, number, "read:issue"),
    repoPath(repo, "issues", number, "timeline"),
    { paging: "untilEmpty", ...arrayOf(Wire.TimelineEvent) }
  )

export const comments = (
  client: Service,
  repo: string,
  number: number
): Effect.Effect<ReadonlyArray<Wire.Comment>, ForgejoError> =>
  client.list(
    issueCall("GET /repos/{o}/{r}/issues/{index}/comments", repo, number, "read:issue"),
    repoPath(repo, "issues", number, "comments"),
    { paging: "unpaged", ...arrayOf(Wire.Comment) }
  )

/** Posts a new comment, never twice: a failure after Forgejo may have acted on it is left to the next pass. */
export const createComment = (
  client: Service,
  repo: string,
  number: number,
  body: string
): Effect.Effect<Wire.Comment, ForgejoError> =>
  client.json(
    { ...issueCall("POST /repos/{o}/{r}/issues/{index}/comments", repo, number, "write:issue"), idempotent: false },
    HttpClientRequest.post(repoPath(repo, "issues", number, "comments")).pipe(
      HttpClientRequest.bodyUnsafeJson({ body })
    ),
    Wire.Comment
  )

export const editComment = (
  client: Service,
  repo: string,
  id: number,
  body: string
): Effect.Effect<void, ForgejoError> =>
  client.send(
    repoCall("PATCH /repos/{o}/{r}/issues/comments/{id}", repo, "write:issue", `comment ${id}`),
    HttpClientRequest.patch(repoPath(repo, "issues", "comments", id)).pipe(HttpClientRequest.bodyUnsafeJson({ body }))
  )

/**
 * Reacts to a comment as the bot: 201 when this request made the reaction, 200 with the existing one
 * (Forgejo's test-and-set). Repeating it changes nothing, so it is retried like a read.
 */
export const reactToComment = (
  client: Service,
  repo: string,
  id: number,
  content: string
): Effect.Effect<{ readonly created: boolean; readonly at: string }, ForgejoError> =>
  client.jsonAnswer(
    repoCall("POST /repos/{o}/{r}/issues/comments/{id}/reactions", repo, "write:issue", `comment ${id}`),
    HttpClientRequest.post(repoPath(repo, "issues", "comments", id, "reactions")).pipe(
      HttpClientRequest.bodyUnsafeJson({ content })
    ),
    Wire.Reaction
  ).pipe(Effect.map(({ status, value }) => ({ created: status === 201, at: value.created_at })))

/** The repository's own labels, every page. */
export const labels = (client: Service, repo: string): Effect.Effect<ReadonlyArray<Wire.Label>, ForgejoError> =>
  client.list(repoCall("GET /repos/{o}/{r}/labels", repo, "read:issue"), repoPath(repo, "labels"), {
    paging: "counted",
    ...arrayOf(Wire.Label)
  })

export const createLabel = (
  client: Service,
  repo: string,
  name: string,
  color: string
): Effect.Effect<Wire.Label, ForgejoError> =>
  client.json(
    repoCall("POST /repos/{o}/{r}/labels", repo, "write:issue"),
    HttpClientRequest.post(repoPath(repo, "labels")).pipe(HttpClientRequest.bodyUnsafeJson({ name, color })),
    Wire.Label
  )

/** Adds labels by id and answers the issue's labels; Forgejo silently skips ids it does not know. */
export const addIssueLabels = (
  client: Service,
  repo: string,
  number: number,
  ids: ReadonlyArray<number>
): Effect.Effect<ReadonlyArray<Wire.Label>, ForgejoError> =>
  client.json(
    issueCall("POST /repos/{o}/{r}/issues/{index}/labels", repo, number, "write:issue"),
    HttpClientRequest.post(repoPath(repo, "issues", number, "labels")).pipe(
      HttpClientRequest.bodyUnsafeJson({ labels: ids })
    ),
    Schema.Array(Wire.Label)
  )

/** Removes one label by id: 204 also when the issue did not carry it, 422 when no such label exists. */
export const removeIssueLabel = (
  client: Service,
  repo: string,
  number: number,
  id: number
): Effect.Effect<void, ForgejoError> =>
  client.send(
    issueCall("DELETE /repos/{o}/{r}/issues/{index}/labels/{identifier}", repo, number, "write:issue"),
    HttpClientRequest.del(repoPath(repo, "issues", number, "labels", id))
  )

/** A user's permission on the repository; 403 unless the token's account administers it (or asks for itself). */
export const permission = (client: Service, repo: string, login: string): Effect.Effect<string, ForgejoError> =>
  Effect.map(
    client.json(
      repoCall("GET /repos/{o}/{r}/collaborators/{collaborator}/permission", repo, "read:repository", `user ${login}`),
      HttpClientRequest.get(repoPath(repo, "collaborators", login, "permission")),
      Wire.Permission
    ),
    (answer) => answer.permission
  )

/** The account the token belongs to. */
export const currentUser = (client: Service): Effect.Effect<Wire.User, ForgejoError> =>
  client.json({ operation: "GET /user", scope: "read:user" }, HttpClientRequest.get("/user"), Wire.User)

/** Every status reported for `ref`, every page (history included; newest per context is the caller's). */
export const statuses = (
  client: Service,
  repo: string,
  ref: string
): Effect.Effect<ReadonlyArray<Wire.CommitStatus>, ForgejoError> =>
  client.list(
    repoCall("GET /repos/{o}/{r}/commits/{ref}/statuses", repo, "read:repository", `commit ${ref}`),
    repoPath(repo, "commits", ref, "statuses"),
    { paging: "counted", ...arrayOf(Wire.CommitStatus) }
  )

/** The combined status of `ref`, every page of contexts: each page's state and its newest status per context. */
export const combinedStatus = (
  client: Service,
  repo: string,
  ref: string
): Effect.Effect<ReadonlyArray<Wire.CombinedStatus>, ForgejoError> =>
  client.list(
    repoCall("GET /repos/{o}/{r}/commits/{ref}/status", repo, "read:repository", `commit ${ref}`),
    repoPath(repo, "commits", ref, "status"),
    {
      paging: "counted",
      page: Wire.CombinedStatus,
      items: (combined) => (combined.statuses.length > 0 ? [combined] : [])
    }
  )

const pullCall = (operation: string, repo: string, number: number, scope: string): Call =>
  repoCall(operation, repo, scope, `pull request #${number}`)

/** The repository itself (its default branch). */
export const repository = (client: Service, repo: string): Effect.Effect<Wire.Repository, ForgejoError> =>
  client.json(
    repoCall("GET /repos/{o}/{r}", repo, "read:repository"),
    HttpClientRequest.get(repoPath(repo)),
    Wire.Repository
  )

/**
 * The pull request from `head` (a branch of the same repository) into `base`, in any state: Forgejo answers
 * the first it finds (not necessarily the open one); 404 when there is none.
 */
export const pullByBaseHead = (
  client: Service,
  repo: string,
  base: string,
  head: string
): Effect.Effect<Wire.PullRequest, ForgejoError> =>
  client.json(
    repoCall("GET /repos/{o}/{r}/pulls/{base}/{head}", repo, "read:repository", `pull request ${base}...${head}`),
    HttpClientRequest.get(repoPath(repo, "pulls", base, head)),
    Wire.PullRequest
  )

/** Every pull request in `state`, every page. */
export const pulls = (
  client: Service,
  repo: string,
  state: "open" | "closed" | "all"
): Effect.Effect<ReadonlyArray<Wire.PullRequest>, ForgejoError> =>
  client.list(repoCall("GET /repos/{o}/{r}/pulls", repo, "read:repository"), repoPath(repo, "pulls"), {
    query: { state },
    paging: "counted",
    ...arrayOf(Wire.PullRequest)
  })

/**
 * Opens a pull request as the token's account. Retried like a read: a second one is refused (409, "pull
 * request already exists for these targets"), which the caller adopts.
 */
export const createPull = (
  client: Service,
  repo: string,
  request: { readonly head: string; readonly base: string; readonly title: string; readonly body: string }
): Effect.Effect<Wire.PullRequest, ForgejoError> =>
  client.json(
    repoCall("POST /repos/{o}/{r}/pulls", repo, "write:repository"),
    HttpClientRequest.post(repoPath(repo, "pulls")).pipe(HttpClientRequest.bodyUnsafeJson(request)),
    Wire.PullRequest
  )

export const pull = (client: Service, repo: string, number: number): Effect.Effect<Wire.PullRequest, ForgejoError> =>
  client.json(
    pullCall("GET /repos/{o}/{r}/pulls/{index}", repo, number, "read:repository"),
    HttpClientRequest.get(repoPath(repo, "pulls", number)),
    Wire.PullRequest
  )

/** Every review of the pull request, oldest first, every page (others' pending reviews are counted, not listed). */
export const pullReviews = (
  client: Service,
  repo: string,
  number: number
): Effect.Effect<ReadonlyArray<Wire.PullReview>, ForgejoError> =>
  client.list(
    pullCall("GET /repos/{o}/{r}/pulls/{index}/reviews", repo, number, "read:repository"),
    repoPath(repo, "pulls", number, "reviews"),
    { paging: "counted", ...arrayOf(Wire.PullReview) }
  )

/** A review's inline comments, answered whole and in no particular order. */
export const reviewComments = (
  client: Service,
  repo: string,
  number: number,
  id: number
): Effect.Effect<ReadonlyArray<Wire.PullReviewComment>, ForgejoError> =>
  client.list(
    repoCall(
      "GET /repos/{o}/{r}/pulls/{index}/reviews/{id}/comments",
      repo,
      "read:repository",
      `review ${id} of pull request #${number}`
    ),
    repoPath(repo, "pulls", number, "reviews", id, "comments"),
    { paging: "unpaged", ...arrayOf(Wire.PullReviewComment) }
  )

/**
 * Merges the pull request only if its head is still `head_commit_id`; 200 with no body. Retried like a read:
 * once merged, a second request is refused (405) and the caller reads the merge back.
 */
export const mergePull = (
  client: Service,
  repo: string,
  number: number,
  form: {
    readonly Do: string
    readonly head_commit_id: string
    readonly MergeTitleField: string
    readonly delete_branch_after_merge: boolean
  }
): Effect.Effect<void, ForgejoError> =>
  client.send(
    pullCall("POST /repos/{o}/{r}/pulls/{index}/merge", repo, number, "write:repository"),
    HttpClientRequest.post(repoPath(repo, "pulls", number, "merge")).pipe(HttpClientRequest.bodyUnsafeJson(form))
  )

/** One branch; 404 when there is no such branch. */
export const branch = (client: Service, repo: string, name: string): Effect.Effect<Wire.Branch, ForgejoError> =>
  client.json(
    repoCall("GET /repos/{o}/{r}/branches/{branch}", repo, "read:repository", `branch ${name}`),
    HttpClientRequest.get(repoPath(repo, "branches", name)),
    Wire.Branch
  )

/** Deletes a branch: 204; 404 when there is no such branch (or repository), 403 for the default or a protected one. */
export const deleteBranch = (client: Service, repo: string, branch: string): Effect.Effect<void, ForgejoError> =>
  client.send(
    repoCall("DELETE /repos/{o}/{r}/branches/{branch}", repo, "write:repository", `branch ${branch}`),
    HttpClientRequest.del(repoPath(repo, "branches", branch))
  )
