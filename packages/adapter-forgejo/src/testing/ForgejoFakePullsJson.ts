/**
 * The JSON `ForgejoFake` renders for repositories, pull requests, reviews and review comments, in the shapes of
 * Forgejo's `services/convert` (`ToAPIPullRequest`, `ToPullReview`, `ToPullReviewComment`).
 */
import type { Pull, Pulls, Review, ReviewComment } from "./ForgejoFakePulls.js"
import * as S from "./ForgejoFakeState.js"

const writers: ReadonlySet<string> = new Set(["write", "admin", "owner"])

/** Whether `login` writes to the repository (what makes a review official and an approval count). */
export const isWriter = (state: S.State, login: string) => writers.has(state.permissions.get(login.toLowerCase()) ?? "")

/**
 * Whether the review is official, as Forgejo keeps it: by a writer, and that reviewer's latest approving or
 * change-requesting review (each new one makes their earlier ones unofficial; a comment changes nothing).
 */
export const isOfficial = (state: S.State, pull: Pull, review: Review): boolean => {
  if (!isWriter(state, review.user) || (review.kind !== "APPROVED" && review.kind !== "REQUEST_CHANGES")) return false
  const latest = pull.reviews.filter((other) =>
    other.user.toLowerCase() === review.user.toLowerCase() &&
    (other.kind === "APPROVED" || other.kind === "REQUEST_CHANGES")
  ).at(-1)
  return latest === review
}

const iso = (millis: number): string => new Date(millis).toISOString().replace(/\.\d{3}Z$/, "Z")

export const repoJson = (root: string, state: S.State, pulls: Pulls) => ({
  id: 1,
  owner: S.userJson(state.owner),
  name: state.name,
  full_name: `${state.owner}/${state.name}`,
  description: "",
  empty: false,
  private: false,
  fork: false,
  archived: false,
  html_url: `${root}${state.owner}/${state.name}`,
  clone_url: `${root}${state.owner}/${state.name}.git`,
  default_branch: pulls.defaultBranch,
  has_pull_requests: true,
  allow_merge_commits: true,
  allow_rebase: true,
  allow_squash_merge: true,
  default_merge_style: "merge"
})

/** `Branch`: a branch and its head commit; the default branch is protected once approvals are required. */
export const branchJson = (root: string, state: S.State, pulls: Pulls, name: string, sha: string) => {
  const protectedBranch = name === pulls.defaultBranch && pulls.requiredApprovals > 0
  return {
    name,
    commit: {
      id: sha,
      message: `Commit ${sha.slice(0, 7)}`,
      url: `${root}${state.owner}/${state.name}/commit/${sha}`,
      author: { name: state.bot, email: "", username: state.bot },
      committer: { name: state.bot, email: "", username: state.bot },
      timestamp: "2026-01-01T00:00:00Z"
    },
    protected: protectedBranch,
    required_approvals: protectedBranch ? pulls.requiredApprovals : 0,
    enable_status_check: false,
    status_check_contexts: [],
    user_can_push: true,
    user_can_merge: isWriter(state, state.bot),
    effective_branch_protection_name: protectedBranch ? name : ""
  }
}

const sideJson = (root: string, state: S.State, pulls: Pulls, pull: Pull, side: "head" | "base") => {
  const name = side === "head" ? pull.head : pull.base
  const live = pulls.branches.get(name)
  const ref = live !== undefined || side === "base" ? name : `refs/pull/${pull.number}/head`
  const sha = side === "head" ? pull.headSha : (live ?? "")
  return { label: name, ref, sha, repo_id: 1, repo: repoJson(root, state, pulls) }
}

export const pullJson = (root: string, state: S.State, pulls: Pulls, pull: Pull) => {
  const html = `${root}${state.owner}/${state.name}/pulls/${pull.number}`
  return {
    id: pull.id,
    url: `${root}api/v1/repos/${state.owner}/${state.name}/issues/${pull.number}`,
    number: pull.number,
    user: S.userJson(pull.author),
    title: pull.title,
    body: pull.body,
    labels: [],
    milestone: null,
    assignee: null,
    assignees: null,
    requested_reviewers: [],
    requested_reviewers_teams: [],
    state: pull.state,
    draft: pull.draft,
    is_locked: false,
    comments: 0,
    review_comments: pull.reviews.reduce((count, review) => count + review.comments.length, 0),
    additions: 1,
    deletions: 0,
    changed_files: 1,
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    mergeable: !pull.conflict && !pull.draft,
    merged: pull.merged,
    merged_at: pull.merged ? iso(pull.updatedAt) : null,
    merge_commit_sha: pull.mergeSha ?? null,
    merged_by: pull.merged ? S.userJson(state.bot) : null,
    allow_maintainer_edit: false,
    base: sideJson(root, state, pulls, pull, "base"),
    head: sideJson(root, state, pulls, pull, "head"),
    merge_base: pulls.branches.get(pull.base) ?? "",
    due_date: null,
    created_at: iso(pull.createdAt),
    updated_at: iso(pull.updatedAt),
    closed_at: pull.state === "closed" ? iso(pull.updatedAt) : null,
    pin_order: 0,
    flow: 0
  }
}

export const reviewJson = (root: string, state: S.State, pull: Pull, review: Review) => ({
  id: review.id,
  user: S.userJson(review.user),
  team: null,
  state: review.kind,
  body: review.body,
  commit_id: review.commitId,
  stale: review.commitId !== pull.headSha,
  official: isOfficial(state, pull, review),
  dismissed: review.dismissed,
  comments_count: review.comments.length,
  submitted_at: iso(review.submittedAt),
  updated_at: iso(review.submittedAt),
  html_url: `${root}${state.owner}/${state.name}/pulls/${pull.number}#issuecomment-${review.id}`,
  pull_request_url: `${root}${state.owner}/${state.name}/pulls/${pull.number}`
})

export const reviewCommentJson = (
  root: string,
  state: S.State,
  pull: Pull,
  review: Review,
  comment: ReviewComment
) => ({
  id: comment.id,
  body: comment.body,
  user: S.userJson(review.user),
  resolver: null,
  pull_request_review_id: review.id,
  created_at: iso(comment.createdAt),
  updated_at: iso(comment.createdAt),
  path: comment.path,
  commit_id: review.commitId,
  original_commit_id: review.commitId,
  diff_hunk: "",
  position: comment.line ?? 0,
  original_position: comment.oldLine ?? 0,
  html_url: `${root}${state.owner}/${state.name}/pulls/${pull.number}/files#issuecomment-${comment.id}`,
  pull_request_url: `${root}${state.owner}/${state.name}/pulls/${pull.number}`
})
