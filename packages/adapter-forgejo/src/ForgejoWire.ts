/**
 * The JSON shapes of Forgejo / Gitea API v1 that the adapter reads (`contracts/forgejo-v1.json` definitions), as
 * tolerant `effect/Schema` structs: unknown fields are ignored, fields Go may send as `null` or omit read
 * as empty. Only what the ports need is named; nothing here encodes AFK's own meaning.
 */
import * as Schema from "effect/Schema"

const text = Schema.optionalWith(Schema.String, { nullable: true, default: () => "" })

/** `User`: only the login matters. */
export const User = Schema.Struct({ login: Schema.String })
export type User = typeof User.Type

/** `Label`: addressed by id on writes, by name in AFK. */
export const Label = Schema.Struct({ id: Schema.Number, name: Schema.String })
export type Label = typeof Label.Type

/** `RepositoryMeta`: the repository an issue belongs to, as the server spells it. */
export const RepositoryMeta = Schema.Struct({ full_name: text, owner: text, name: text })
export type RepositoryMeta = typeof RepositoryMeta.Type

/** `Issue` (also a pull request when `pull_request` is set). */
export const Issue = Schema.Struct({
  number: Schema.Number,
  title: text,
  body: text,
  state: text,
  html_url: text,
  user: Schema.optionalWith(User, { nullable: true }),
  labels: Schema.optionalWith(Schema.Array(Label), { nullable: true, default: () => [] }),
  pull_request: Schema.optional(Schema.Unknown),
  created_at: text,
  updated_at: text,
  repository: Schema.optionalWith(RepositoryMeta, { nullable: true })
})
export type Issue = typeof Issue.Type

/**
 * `TimelineComment`: one entry of an issue's timeline; `type: "label"` with `body: "1"` is an addition,
 * `type: "change_title"` a title edit (`old_title`, `new_title`).
 */
export const TimelineEvent = Schema.Struct({
  id: Schema.Number,
  type: text,
  body: text,
  created_at: text,
  user: Schema.optionalWith(User, { nullable: true }),
  label: Schema.optionalWith(Label, { nullable: true })
})
export type TimelineEvent = typeof TimelineEvent.Type

/** `Comment` on an issue. */
export const Comment = Schema.Struct({
  id: Schema.Number,
  body: text,
  created_at: text,
  user: Schema.optionalWith(User, { nullable: true })
})
export type Comment = typeof Comment.Type

/** `Reaction`: the part AFK reads. */
export const Reaction = Schema.Struct({ created_at: text })

/** `CommitStatus`: note that its state is the field `status`. */
export const CommitStatus = Schema.Struct({
  id: Schema.Number,
  context: text,
  status: text,
  target_url: text,
  description: text,
  created_at: text,
  updated_at: text
})
export type CommitStatus = typeof CommitStatus.Type

/** `CombinedStatus`: the newest status per context, one page of contexts at a time. */
export const CombinedStatus = Schema.Struct({
  state: text,
  statuses: Schema.optionalWith(Schema.Array(CommitStatus), { nullable: true, default: () => [] })
})
export type CombinedStatus = typeof CombinedStatus.Type

/** `RepoCollaboratorPermission`: `none`, `read`, `write`, `admin` or `owner`. */
export const Permission = Schema.Struct({ permission: text })
export type Permission = typeof Permission.Type

/** `GeneralAPISettings`: `max_response_items` caps every page the server sends. */
export const ApiSettings = Schema.Struct({
  max_response_items: Schema.optionalWith(Schema.Number, { nullable: true }),
  default_paging_num: Schema.optionalWith(Schema.Number, { nullable: true })
})
export type ApiSettings = typeof ApiSettings.Type

/** `Repository`: the default branch is where pull requests go and the branch never deleted. */
export const Repository = Schema.Struct({ full_name: text, default_branch: text })
export type Repository = typeof Repository.Type

/**
 * `PRBranchInfo`: `label` is the branch name always; `ref` is the branch while it exists and
 * `refs/pull/{index}/head` once it is gone; `sha` the commit at its head (the pull ref's, once gone).
 */
export const BranchInfo = Schema.Struct({
  label: text,
  ref: text,
  sha: text,
  repo_id: Schema.optionalWith(Schema.Number, { nullable: true })
})
export type BranchInfo = typeof BranchInfo.Type

/**
 * `PullRequest`: `state` is the issue's (`open` / `closed`, a merged one is closed too); `mergeable` is
 * false while Forgejo checks it, on a conflict, on a check error and for a work in progress (`draft`).
 */
export const PullRequest = Schema.Struct({
  number: Schema.Number,
  html_url: text,
  state: text,
  merged: Schema.optionalWith(Schema.Boolean, { nullable: true, default: () => false }),
  merge_commit_sha: Schema.optionalWith(Schema.String, { nullable: true }),
  mergeable: Schema.optionalWith(Schema.Boolean, { nullable: true }),
  draft: Schema.optionalWith(Schema.Boolean, { nullable: true, default: () => false }),
  user: Schema.optionalWith(User, { nullable: true }),
  head: Schema.optionalWith(BranchInfo, { nullable: true }),
  base: Schema.optionalWith(BranchInfo, { nullable: true })
})
export type PullRequest = typeof PullRequest.Type

/** `PullReview`: `state` is APPROVED, REQUEST_CHANGES, COMMENT, PENDING or REQUEST_REVIEW; `dismissed` apart. */
export const PullReview = Schema.Struct({
  id: Schema.Number,
  user: Schema.optionalWith(User, { nullable: true }),
  state: text,
  body: text,
  commit_id: text,
  dismissed: Schema.optionalWith(Schema.Boolean, { nullable: true, default: () => false }),
  submitted_at: text
})
export type PullReview = typeof PullReview.Type

/** `PullReviewComment`: `position` is the line on the new side, `original_position` on the old; 0 when none. */
export const PullReviewComment = Schema.Struct({
  id: Schema.Number,
  path: text,
  body: text,
  position: Schema.optionalWith(Schema.Number, { nullable: true, default: () => 0 }),
  original_position: Schema.optionalWith(Schema.Number, { nullable: true, default: () => 0 }),
  created_at: text
})
export type PullReviewComment = typeof PullReviewComment.Type

/** `Branch`: only that it exists matters. */
export const Branch = Schema.Struct({ name: text })
export type Branch = typeof Branch.Type
