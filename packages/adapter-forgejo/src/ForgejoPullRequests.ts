/**
 * The `PullRequests` port over Forgejo / Gitea API v1, with what Forgejo's handlers answer:
 *
 * - `findOpen` asks `GET /pulls/{base}/{head}` (base: the default branch). Forgejo answers the first pull
 *   request it finds for the pair in any state, so when that one is not open, the open list is read to its
 *   end for one from `head` in the same repository.
 * - `open` posts the pull request into the default branch. A second one is refused with 409 ("pull request
 *   already exists for these targets"), which is adopted: the open one is found and returned. A head that does
 *   not exist is a 404 naming "the head repository"; it fails, not transient, saying the branch is missing.
 * - `get` reads one pull request: merged (with `merge_commit_sha`), closed, or open. The head is the branch
 *   name Forgejo keeps (`head.label`: `head.ref` becomes `refs/pull/{n}/head` once the branch is deleted).
 *   Forgejo's `mergeable` is also false while it checks and for a work in progress; a draft reads as unknown.
 * - `reviews` lists every review, oldest first, then each review's inline comments (answered whole, in no
 *   order: sorted oldest first). Pending reviews and review requests are dropped; a dismissed review is
 *   `dismissed` whatever it asked.
 * - `merge` posts the merge with `head_commit_id`; 200 has no body, so the merge commit is read back. A
 *   refusal (405, 409, or 404 for a closed pull request) reads the pull request and decides: merged → merged;
 *   closed → blocked; head not the verified one (or "head out of date") → head moved; not mergeable or a merge
 *   conflict → conflict; anything else (approvals, status checks, permission, a rejected push) → blocked with
 *   Forgejo's words. Forgejo also refuses an unmerged conflict-free request while it is still checking
 *   mergeability ("Please try again later") and then reports `mergeable: false`: right after a push that reads
 *   as a conflict; AFK merges only after CI is green, long after that check.
 * - `deleteBranch` deletes the branch; 404 (already gone) is done. The default branch is refused before any
 *   DELETE is sent.
 */
import type * as Domain from "afk-core/Domain"
import * as PortError from "afk-core/PortError"
import * as PullRequests from "afk-core/PullRequests"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Api from "./ForgejoApi.js"
import * as ForgejoClient from "./ForgejoClient.js"
import type * as Wire from "./ForgejoWire.js"

/** The login Forgejo shows for a deleted account. */
const ghost = "Ghost"

/** The port error: `operation` names the port method; `detail` leads with the request. */
const toError = (method: string) => (error: ForgejoClient.ForgejoError): PullRequests.PullRequestsError =>
  new PullRequests.PullRequestsError(PortError.carry(error, method))

const failure = (method: string, detail: string, transient: boolean, hint?: string) =>
  new PullRequests.PullRequestsError({ operation: method, detail, transient, hint })

const decodeAs = <A, I>(method: string, schema: Schema.Schema<A, I>) => (value: I) =>
  Schema.decode(schema)(value).pipe(
    Effect.mapError((error) => new PullRequests.PullRequestsError(ForgejoClient.malformed(method, error)))
  )

/** What Forgejo said in an error body (`message`, or a merge conflict's `StdErr`); the quoted detail otherwise. */
export const forgejoSaid = (error: ForgejoClient.ForgejoError): string => {
  const body = error.detail.replace(/^HTTP \d+ ?/, "")
  try {
    const parsed: unknown = JSON.parse(body)
    if (typeof parsed === "object" && parsed !== null) {
      const fields = parsed as Record<string, unknown>
      for (const key of ["message", "StdErr", "StdOut"]) {
        const value = fields[key]
        if (typeof value === "string" && value.trim() !== "") return value.trim()
      }
    }
  } catch {
    // not JSON (cut short, or plain text): the detail as quoted
  }
  return body === "" ? error.detail : body
}

/** A 409 body Forgejo renders for a failed merge attempt (`ErrMergeConflicts` and kin): a `Style` field. */
const isMergeConflict = (error: ForgejoClient.ForgejoError): boolean =>
  error.status === 409 && /"Style"\s*:/.test(error.detail)

const stateOf = (pull: Wire.PullRequest): PullRequests.PullState | undefined =>
  pull.merged ? "merged" : pull.state === "closed" ? "closed" : pull.state === "open" ? "open" : undefined

/** The branch name of a side: `label` (always the branch), `ref` when the label is missing. */
const branchOf = (side: Wire.BranchInfo | undefined): string => (side?.label || side?.ref) ?? ""

/** A wire pull request as the port's `PullRequest`. */
export const toPull = (method: string, pull: Wire.PullRequest) => {
  const state = stateOf(pull)
  const mergeSha = state === "merged" && pull.merge_commit_sha ? { mergeSha: pull.merge_commit_sha } : {}
  const mergeable = state === "open" && !pull.draft && pull.mergeable !== undefined
    ? { mergeable: pull.mergeable }
    : {}
  return decodeAs(method, PullRequests.PullRequest)({
    number: pull.number,
    url: pull.html_url,
    state: state ?? (pull.state as PullRequests.PullState),
    head: branchOf(pull.head),
    headSha: pull.head?.sha ?? "",
    base: branchOf(pull.base),
    ...mergeSha,
    ...mergeable,
    author: pull.user?.login ?? ghost
  })
}

const reviewStates: Readonly<Record<string, PullRequests.ReviewState>> = {
  APPROVED: "approved",
  REQUEST_CHANGES: "changes-requested",
  COMMENT: "commented"
}

/** The port's state of a review; none for a pending review, a review request or a state AFK does not know. */
export const reviewState = (review: Wire.PullReview): PullRequests.ReviewState | undefined => {
  const state = reviewStates[review.state]
  return state === undefined ? undefined : review.dismissed ? "dismissed" : state
}

const time = (iso: string): number => {
  const at = Date.parse(iso)
  return Number.isNaN(at) ? 0 : at
}

const oldestFirst = <A extends { readonly id: number }>(items: ReadonlyArray<A>, at: (item: A) => string) =>
  [...items].sort((a, b) => time(at(a)) - time(at(b)) || a.id - b.id)

/** A comment's line: the new side's when it has one, else the old side's; none for a comment on the file. */
const lineOf = (comment: Wire.PullReviewComment) =>
  comment.position > 0
    ? { line: comment.position }
    : comment.original_position > 0
    ? { line: comment.original_position }
    : {}

/** The port over the given client (`make` takes it from the context). */
export const fromClient = (client: ForgejoClient.Service): PullRequests.Service => {
  const defaultBranch = (method: string, repo: Domain.Repo) =>
    Api.repository(client, repo).pipe(
      Effect.mapError(toError(method)),
      Effect.filterOrFail(
        (meta) => meta.default_branch !== "",
        () => failure(method, `Forgejo named no default branch for ${repo}`, true)
      ),
      Effect.map((meta) => meta.default_branch)
    )

  const isOpenFrom = (head: string, base: string) => (pull: Wire.PullRequest) =>
    stateOf(pull) === "open" &&
    branchOf(pull.head) === head &&
    branchOf(pull.base) === base &&
    (pull.head?.repo_id === undefined || pull.base?.repo_id === undefined || pull.head.repo_id === pull.base.repo_id)

  const openFrom = (method: string, repo: Domain.Repo, head: string, base: string) =>
    Effect.gen(function*() {
      const first = yield* Api.pullByBaseHead(client, repo, base, head).pipe(
        Effect.map(Option.some),
        Effect.catchIf((error) => error.status === 404, () => Effect.succeed(Option.none())),
        Effect.mapError(toError(method))
      )
      if (Option.isNone(first)) return Option.none<Wire.PullRequest>()
      if (isOpenFrom(head, base)(first.value)) return first
      const open = yield* Effect.mapError(Api.pulls(client, repo, "open"), toError(method))
      return Option.fromNullable(open.find(isOpenFrom(head, base)))
    })

  const findOpen: PullRequests.Service["findOpen"] = (repo, head) =>
    Effect.gen(function*() {
      const base = yield* defaultBranch("findOpen", repo)
      const found = yield* openFrom("findOpen", repo, head, base)
      return Option.isNone(found) ? Option.none() : Option.some(yield* toPull("findOpen", found.value))
    })

  /**
   * A 404 from `POST /pulls` names a missing head in an error body that may be cut short, or a pulls unit
   * this account cannot read: the branch is asked for to tell which.
   */
  const missingHead = (repo: Domain.Repo, head: string, refusal: ForgejoClient.ForgejoError) =>
    Api.branch(client, repo, head).pipe(
      Effect.matchEffect({
        onSuccess: () => Effect.fail(toError("open")(refusal)),
        onFailure: (error) =>
          Effect.fail(
            error.status === 404
              ? new PullRequests.PullRequestsError({
                operation: "open",
                detail: `branch ${head} does not exist in ${repo} (${refusal.operation}: ${refusal.detail})`,
                transient: false,
                hint: `push the branch ${head} before opening its pull request`,
                status: 404
              })
              : toError("open")(refusal)
          )
      })
    )

  const open: PullRequests.Service["open"] = (repo, request) =>
    Effect.gen(function*() {
      const base = yield* defaultBranch("open", repo)
      const created = yield* Api.createPull(client, repo, { ...request, base }).pipe(
        Effect.map(Option.some),
        Effect.catchAll((error) =>
          error.status === 409
            ? Effect.succeed(Option.none())
            : error.status === 404
            ? missingHead(repo, request.head, error)
            : Effect.fail(toError("open")(error))
        )
      )
      if (Option.isSome(created)) return yield* toPull("open", created.value)
      const adopted = yield* openFrom("open", repo, request.head, base)
      if (Option.isSome(adopted)) return yield* toPull("open", adopted.value)
      return yield* failure(
        "open",
        `Forgejo answered that a pull request from ${request.head} into ${base} already exists, but none is open`,
        true,
        "it was closed or merged meanwhile; the next pass reads it again"
      )
    })

  const read = (method: string, repo: Domain.Repo, number: number) =>
    Effect.flatMap(Effect.mapError(Api.pull(client, repo, number), toError(method)), (pull) => toPull(method, pull))

  const get: PullRequests.Service["get"] = (repo, number) => read("get", repo, number)

  const reviews: PullRequests.Service["reviews"] = (repo, number) =>
    Effect.gen(function*() {
      const listed = yield* Effect.mapError(Api.pullReviews(client, repo, number), toError("reviews"))
      const kept = oldestFirst(listed, (review) => review.submitted_at).flatMap((review) => {
        const state = reviewState(review)
        return state === undefined ? [] : [{ review, state }]
      })
      return yield* Effect.forEach(kept, ({ review, state }) =>
        Effect.gen(function*() {
          const comments = yield* Effect.mapError(
            Api.reviewComments(client, repo, number, review.id),
            toError("reviews")
          )
          return yield* decodeAs("reviews", PullRequests.Review)({
            id: String(review.id),
            author: review.user?.login ?? ghost,
            state,
            body: review.body,
            ...(review.commit_id === "" ? {} : { commitSha: review.commit_id }),
            submittedAt: review.submitted_at,
            comments: oldestFirst(comments, (comment) => comment.created_at).map((comment) => ({
              path: comment.path,
              ...lineOf(comment),
              body: comment.body
            }))
          })
        }), { concurrency: 4 })
    })

  const merged = (
    pull: PullRequests.PullRequest
  ): Effect.Effect<PullRequests.MergeResult, PullRequests.PullRequestsError> =>
    pull.mergeSha === undefined
      ? Effect.fail(failure("merge", `pull request #${pull.number} reads as merged without its merge commit`, true))
      : Effect.succeed({ _tag: "Merged", sha: pull.mergeSha })

  const refused = (refusal: PullRequests.MergeRefusal): PullRequests.MergeResult => ({ _tag: "Refused", refusal })

  /** What a refused merge means, from the pull request as it is now and what Forgejo said. */
  const judge = (
    pull: PullRequests.PullRequest,
    sha: string,
    error: ForgejoClient.ForgejoError
  ): Effect.Effect<PullRequests.MergeResult, PullRequests.PullRequestsError> => {
    const said = forgejoSaid(error)
    if (pull.state === "merged") return merged(pull)
    if (pull.state === "closed") {
      return Effect.succeed(
        refused(
          PullRequests.MergeRefusal.Blocked({ detail: `pull request #${pull.number} was closed without merging` })
        )
      )
    }
    if (error.status === 404) return Effect.fail(toError("merge")(error))
    if (pull.headSha !== sha || (error.status === 409 && said === "head out of date")) {
      const detail = pull.headSha === sha
        ? `Forgejo found the head out of date (verified ${sha})`
        : `the head is now ${pull.headSha}, not the verified ${sha}`
      return Effect.succeed(refused(PullRequests.MergeRefusal.HeadMoved({ detail })))
    }
    if (isMergeConflict(error) || pull.mergeable === false) {
      return Effect.succeed(
        refused(PullRequests.MergeRefusal.Conflict({ detail: `${pull.head} conflicts with ${pull.base}: ${said}` }))
      )
    }
    return Effect.succeed(refused(PullRequests.MergeRefusal.Blocked({ detail: said })))
  }

  const merge: PullRequests.Service["merge"] = (repo, number, { method, sha, title }) =>
    Api.mergePull(client, repo, number, {
      Do: method,
      head_commit_id: sha,
      MergeTitleField: title,
      delete_branch_after_merge: false
    }).pipe(
      Effect.as(Option.none<ForgejoClient.ForgejoError>()),
      Effect.catchIf((error) => [404, 405, 409].includes(error.status ?? 0), (error) => Effect.succeedSome(error)),
      Effect.mapError(toError("merge")),
      Effect.flatMap((refusal) =>
        Effect.flatMap(read("merge", repo, number), (pull) =>
          Option.match(refusal, {
            onSome: (error) => judge(pull, sha, error),
            onNone: () =>
              pull.state === "merged"
                ? merged(pull)
                : Effect.fail(
                  failure("merge", `Forgejo accepted the merge of #${number} but it reads as ${pull.state}`, true)
                )
          }))
      )
    )

  const deleteBranch: PullRequests.Service["deleteBranch"] = (repo, branch) =>
    Effect.gen(function*() {
      const base = yield* defaultBranch("deleteBranch", repo)
      if (branch === base) {
        return yield* failure(
          "deleteBranch",
          `${branch} is the default branch of ${repo}; AFK never deletes it`,
          false,
          "only a run's own branch is deleted after its pull request merges"
        )
      }
      yield* Api.deleteBranch(client, repo, branch).pipe(
        Effect.catchIf((error) => error.status === 404, () => Effect.void),
        Effect.mapError(toError("deleteBranch"))
      )
    })

  return { findOpen, open, get, reviews, merge, deleteBranch }
}

/** A `PullRequests` over the ambient `ForgejoClient`. */
export const make = (): Effect.Effect<PullRequests.Service, never, ForgejoClient.ForgejoClient> =>
  Effect.map(ForgejoClient.ForgejoClient, fromClient)
