/**
 * The `PullRequests` port: pull-request delivery on the forge (GitHub, Forgejo, or an integrator's own). A run
 * in `pull-request` delivery commits to a branch of its own; AFK opens the pull request with the bot's
 * credentials, reads its reviews, merges it on green with the head commit it verified, and deletes the
 * branch. Every write is idempotent or adoptable, so a crash between a write and the run record that notes it
 * never makes a second pull request or a second merge.
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { Repo } from "./Domain.js"
import * as PortError from "./PortError.js"

export class PullRequestsError extends Schema.TaggedError<PullRequestsError>()("PullRequestsError", PortError.fields) {
  override get message(): string {
    return PortError.message("PullRequests", this)
  }
}

/** Where a pull request stands: open, merged, or closed without being merged. */
export const PullState = Schema.Literal("open", "merged", "closed")
export type PullState = typeof PullState.Type

/** One pull request as the forge reports it now. */
export class PullRequest extends Schema.Class<PullRequest>("PullRequest")({
  number: Schema.Int.pipe(Schema.positive()),
  /** The page a person opens. */
  url: Schema.String,
  state: PullState,
  /** The branch it merges from (in the same repository). */
  head: Schema.String,
  /** The commit at the head of that branch now. */
  headSha: Schema.String,
  /** The branch it merges into. */
  base: Schema.String,
  /** The merge commit, once merged. */
  mergeSha: Schema.optional(Schema.String),
  /**
   * Whether it can be merged without a conflict: `false` only when the forge found a conflict; `undefined`
   * while the forge has not computed it yet.
   */
  mergeable: Schema.optional(Schema.Boolean),
  /** Who opened it. */
  author: Schema.String
}) {}

/** What a review asks: approval, changes, or only comments (a dismissed review asks nothing). */
export const ReviewState = Schema.Literal("approved", "changes-requested", "commented", "dismissed")
export type ReviewState = typeof ReviewState.Type

/** One submitted review, with its inline comments; pending (unsubmitted) reviews are never listed. */
export class Review extends Schema.Class<Review>("Review")({
  id: Schema.String,
  author: Schema.String,
  state: ReviewState,
  body: Schema.String,
  /** The head commit the review was given on, when the forge tells. */
  commitSha: Schema.optional(Schema.String),
  submittedAt: Schema.DateTimeUtc,
  /** The review's inline comments, oldest first: where (`path`, `line` when known) and what. */
  comments: Schema.Array(Schema.Struct({
    path: Schema.String,
    line: Schema.optional(Schema.Int),
    body: Schema.String
  }))
}) {}

/** Why the forge would not merge, as AFK acts on it. */
export type MergeRefusal = Data.TaggedEnum<{
  /** The head moved since the commit AFK verified: re-read, never merge what was not verified. */
  HeadMoved: { readonly detail: string }
  /** The branch conflicts with its base: the agent must bring it up to date. */
  Conflict: { readonly detail: string }
  /** Branch protection, a ruleset, a required review or check refused it: a person or time must act. */
  Blocked: { readonly detail: string }
}>
export const MergeRefusal: Data.TaggedEnum.Constructor<MergeRefusal> = Data.taggedEnum<MergeRefusal>()

/** How a merge ended: merged (with the merge commit), or refused for a reason AFK acts on. */
export type MergeResult =
  | { readonly _tag: "Merged"; readonly sha: string }
  | { readonly _tag: "Refused"; readonly refusal: MergeRefusal }

export const MergeMethod = Schema.Literal("squash", "merge", "rebase")
export type MergeMethod = typeof MergeMethod.Type

export interface OpenRequest {
  /** The run's branch, in the same repository. */
  readonly head: string
  readonly title: string
  readonly body: string
}

export interface Service {
  /** The open pull request from `head` (a branch of `repo`) into the default branch, if there is one. */
  readonly findOpen: (repo: Repo, head: string) => Effect.Effect<Option.Option<PullRequest>, PullRequestsError>
  /**
   * Opens a pull request from `head` into the default branch, as the bot. An answer that one already exists
   * adopts it (returns the open one), so a retry after a lost answer never makes two. A `head` that does not
   * exist fails, not transient.
   */
  readonly open: (repo: Repo, request: OpenRequest) => Effect.Effect<PullRequest, PullRequestsError>
  /** One pull request as it is now. */
  readonly get: (repo: Repo, number: number) => Effect.Effect<PullRequest, PullRequestsError>
  /** Every submitted review, oldest first, each with its inline comments; all pages. */
  readonly reviews: (repo: Repo, number: number) => Effect.Effect<ReadonlyArray<Review>, PullRequestsError>
  /**
   * Merges with `method`, only if the head is still `sha` (the forge checks it, so a push that lands
   * meanwhile is never merged unseen). An answer that it is already merged reads back the merge commit.
   */
  readonly merge: (
    repo: Repo,
    number: number,
    options: { readonly sha: string; readonly method: MergeMethod; readonly title: string }
  ) => Effect.Effect<MergeResult, PullRequestsError>
  /** Deletes `branch` of `repo`; a no-op when it is already gone. Never the default branch. */
  readonly deleteBranch: (repo: Repo, branch: string) => Effect.Effect<void, PullRequestsError>
}

export class PullRequests extends Context.Tag("afk-core/PullRequests")<PullRequests, Service>() {}

/** The branch a run commits to: one per run, so a new run never reuses an old run's branch. */
export const branchFor = (issue: number, ordinal: number): string => `afk/${issue}-r${ordinal}`

/** The branch named in a prompt, as an agent reads it (`afk/<issue>-r<run>`); none when the prompt names none. */
export const branchIn = (text: string): Option.Option<string> =>
  Option.fromNullable(/`(afk\/\d+-r\d+)`/.exec(text)?.[1])
