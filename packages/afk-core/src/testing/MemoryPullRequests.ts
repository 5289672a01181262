/**
 * An in-memory `PullRequests` that refuses what a forge refuses: a pull request from a branch nobody pushed,
 * a second open one from the same branch (the open one is adopted, as the adapters do), a merge whose `sha`
 * is not the head (head moved), a conflicting branch, a merge short of the approvals branch protection asks
 * for (each writer's latest say, on the head), and deleting the default branch. Branches move only when
 * someone pushes (`push`), as an agent following its prompt does, and an open pull request's head with its
 * branch; deleting a branch closes its open pull request. Reviews come from `review`, a person's close from
 * `close`. `merges` counts real merges, which the crash and overlap suites assert on.
 */
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { createHash } from "node:crypto"
import type { Repo } from "../Domain.js"
import {
  MergeRefusal,
  type MergeResult,
  PullRequest,
  PullRequestsError,
  Review,
  type ReviewState,
  type Service
} from "../PullRequests.js"

interface Pull {
  readonly repo: Repo
  readonly number: number
  readonly head: string
  /** The branch's commit, following pushes while the pull request is open. */
  headSha: string
  state: "open" | "merged" | "closed"
  mergeSha?: string
  conflict: boolean
  readonly reviews: Array<Review>
}

export interface ReviewInput {
  readonly author: string
  readonly state: ReviewState
  readonly body?: string
  readonly comments?: ReadonlyArray<{ readonly path: string; readonly line?: number; readonly body: string }>
  /** The head the review is given on; the current head by default. */
  readonly commitSha?: string
}

export interface MemoryPullRequests {
  readonly service: Service
  /** A push to `branch` of `repo` (creating it): its head becomes `sha`. */
  readonly push: (repo: Repo, branch: string, sha: string) => void
  readonly head: (repo: Repo, branch: string) => string | undefined
  readonly pulls: (repo?: Repo) => ReadonlyArray<PullRequest>
  /** A review submitted now by `author`. */
  readonly review: (repo: Repo, number: number, input: ReviewInput) => Effect.Effect<void>
  /** A person closes the pull request without merging it. */
  readonly close: (repo: Repo, number: number) => void
  /** Whether the pull request's branch conflicts with the default branch. */
  readonly conflict: (repo: Repo, number: number, conflicting: boolean) => void
  /** Approvals branch protection asks for before a merge (0: none). */
  protection: number
  /** Whether a conflict outlives a push to the branch (by default a push resolves it). */
  stickyConflicts: boolean
  /** Real merges made (a refused or repeated merge is not counted). */
  readonly merges: () => number
  /** Pull requests actually created. */
  readonly opened: () => number
  readonly deleted: () => ReadonlyArray<string>
  hook: (op: string) => Effect.Effect<void, PullRequestsError>
  afterWrite: (op: string) => Effect.Effect<void>
}

const defaultBranch = "main"

const mergeShaFor = (repo: Repo, number: number, head: string): string =>
  createHash("sha1").update(`merge:${repo}#${number}:${head}`).digest("hex")

export const make = (options: {
  readonly bot?: string
  /** The logins with write access, whose approvals branch protection counts; anyone's when absent. */
  readonly writers?: ReadonlyArray<string>
} = {}) =>
  Effect.sync(() => {
    const branches = new Map<string, string>()
    const all: Array<Pull> = []
    const deleted: Array<string> = []
    let merges = 0
    let opened = 0
    let reviewIds = 0
    const key = (repo: Repo, branch: string) => `${repo.toLowerCase()}:${branch}`
    const find = (repo: Repo, number: number) =>
      all.find((pull) => pull.repo.toLowerCase() === repo.toLowerCase() && pull.number === number)
    const view = (pull: Pull) =>
      new PullRequest({
        number: pull.number,
        url: `https://forge.example/${pull.repo}/pull/${pull.number}`,
        state: pull.state,
        head: pull.head,
        headSha: pull.headSha,
        base: defaultBranch,
        ...(pull.mergeSha === undefined ? {} : { mergeSha: pull.mergeSha }),
        mergeable: !pull.conflict,
        author: options.bot ?? "afk-bot"
      })
    const failure = (operation: string, detail: string, status: number) =>
      Effect.fail(new PullRequestsError({ operation, detail, transient: false, status }))
    const call = <A>(op: string, isWrite: boolean, effect: Effect.Effect<A, PullRequestsError>) =>
      Effect.suspend(() => fake.hook(op)).pipe(
        Effect.zipRight(Effect.suspend(() => effect)),
        Effect.tap(() => (isWrite ? fake.afterWrite(op) : Effect.void))
      )
    const writers = options.writers === undefined ? undefined : new Set(options.writers.map((w) => w.toLowerCase()))
    /**
     * Approvals protection counts: each writer's latest approving or change-requesting review, approving and
     * given on `head` (a later request for changes withdraws an approval, as on the forges).
     */
    const approving = (pull: Pull, head: string) => {
      const latest = new Map<string, Review>()
      for (const review of pull.reviews) {
        if (review.state !== "approved" && review.state !== "changes-requested") continue
        if (writers !== undefined && !writers.has(review.author.toLowerCase())) continue
        latest.set(review.author.toLowerCase(), review)
      }
      return [...latest.values()].filter((review) => review.state === "approved" && review.commitSha === head).length
    }
    const openFrom = (repo: Repo, head: string) =>
      all.find((pull) => pull.repo.toLowerCase() === repo.toLowerCase() && pull.head === head && pull.state === "open")

    const service: Service = {
      findOpen: (repo, head) =>
        call("findOpen", false, Effect.sync(() => Option.map(Option.fromNullable(openFrom(repo, head)), view))),
      open: (repo, request) =>
        call(
          "open",
          true,
          Effect.suspend(() => {
            if (!branches.has(key(repo, request.head))) {
              return failure("open", `the branch ${request.head} does not exist in ${repo}`, 422)
            }
            const existing = openFrom(repo, request.head)
            if (existing !== undefined) return Effect.succeed(view(existing))
            const pull: Pull = {
              repo,
              number: 1000 + all.length + 1,
              head: request.head,
              headSha: branches.get(key(repo, request.head))!,
              state: "open",
              conflict: false,
              reviews: []
            }
            all.push(pull)
            opened++
            return Effect.succeed(view(pull))
          })
        ),
      get: (repo, number) =>
        call(
          "get",
          false,
          Effect.suspend(() => {
            const pull = find(repo, number)
            return pull === undefined ? failure("get", `no pull request #${number}`, 404) : Effect.succeed(view(pull))
          })
        ),
      reviews: (repo, number) =>
        call(
          "reviews",
          false,
          Effect.suspend(() => {
            const pull = find(repo, number)
            return pull === undefined
              ? failure("reviews", `no pull request #${number}`, 404)
              : Effect.succeed([...pull.reviews])
          })
        ),
      merge: (repo, number, { sha }) =>
        call(
          "merge",
          true,
          Effect.suspend((): Effect.Effect<MergeResult, PullRequestsError> => {
            const pull = find(repo, number)
            if (pull === undefined) return failure("merge", `no pull request #${number}`, 404)
            if (pull.state === "merged") return Effect.succeed({ _tag: "Merged" as const, sha: pull.mergeSha! })
            if (pull.state === "closed") {
              return Effect.succeed({
                _tag: "Refused" as const,
                refusal: MergeRefusal.Blocked({ detail: "Pull Request is not mergeable" })
              })
            }
            const head = pull.headSha
            if (head !== sha) {
              return Effect.succeed({
                _tag: "Refused" as const,
                refusal: MergeRefusal.HeadMoved({ detail: "Head branch was modified. Review and try the merge again." })
              })
            }
            if (pull.conflict) {
              return Effect.succeed({
                _tag: "Refused" as const,
                refusal: MergeRefusal.Conflict({ detail: "Pull Request is not mergeable" })
              })
            }
            const approvals = approving(pull, head)
            if (approvals < fake.protection) {
              return Effect.succeed({
                _tag: "Refused" as const,
                refusal: MergeRefusal.Blocked({
                  detail: `At least ${fake.protection} approving review is required by reviewers with write access.`
                })
              })
            }
            pull.state = "merged"
            pull.mergeSha = mergeShaFor(repo, number, head)
            merges++
            return Effect.succeed({ _tag: "Merged" as const, sha: pull.mergeSha })
          })
        ),
      deleteBranch: (repo, branch) =>
        call(
          "deleteBranch",
          true,
          Effect.suspend(() => {
            if (branch === defaultBranch) return failure("deleteBranch", "refusing to delete the default branch", 422)
            if (branches.delete(key(repo, branch))) deleted.push(`${repo}:${branch}`)
            // The forge closes the open pull request from a deleted branch.
            const open = openFrom(repo, branch)
            if (open !== undefined) open.state = "closed"
            return Effect.void
          })
        )
    }

    const fake: MemoryPullRequests = {
      service,
      push: (repo, branch, sha) => {
        branches.set(key(repo, branch), sha)
        const pull = openFrom(repo, branch)
        if (pull === undefined) return
        pull.headSha = sha
        // A push to a conflicting branch is the agent bringing it up to date, unless conflicts are sticky.
        if (!fake.stickyConflicts) pull.conflict = false
      },
      head: (repo, branch) => branches.get(key(repo, branch)),
      pulls: (repo) =>
        all.filter((pull) => repo === undefined || pull.repo.toLowerCase() === repo.toLowerCase()).map(view),
      review: (repo, number, input) =>
        Effect.map(DateTime.now, (now) => {
          const pull = find(repo, number)!
          pull.reviews.push(
            new Review({
              id: String(++reviewIds),
              author: input.author,
              state: input.state,
              body: input.body ?? "",
              commitSha: input.commitSha ?? pull.headSha,
              submittedAt: now,
              comments: [...(input.comments ?? [])]
            })
          )
        }),
      close: (repo, number) => {
        find(repo, number)!.state = "closed"
      },
      conflict: (repo, number, conflicting) => {
        find(repo, number)!.conflict = conflicting
      },
      protection: 0,
      stickyConflicts: false,
      merges: () => merges,
      opened: () => opened,
      deleted: () => [...deleted],
      hook: () => Effect.void,
      afterWrite: () => Effect.void
    }
    return fake
  })
