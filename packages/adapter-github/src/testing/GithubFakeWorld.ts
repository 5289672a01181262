/**
 * The state behind `GithubFake`: repositories with labels, issues (and pull requests), label and title
 * events, each issue's last body edit, comments, collaborators, commit statuses, check runs and the check
 * suites they belong to (plus suites with no run yet), deployments, the default branch and the status
 * checks it requires, seeded from plain data; and a person's edit of an issue, as GitHub records it.
 */
import { TrackerSeed } from "afk-core/testing"
import { createHash } from "node:crypto"
import type { PullState } from "./GithubFakePulls.js"

export type SeedEvent = TrackerSeed.Event
export type SeedComment = TrackerSeed.Comment
export type SeedIssue = TrackerSeed.Issue

/** One repository's starting state; `bot` is the login requests are made as (`GET /user`). */
export type Seed = TrackerSeed.Repository

export interface CheckRunSeed {
  readonly name: string
  readonly status: "queued" | "in_progress" | "completed"
  readonly conclusion?: string | undefined
  readonly url?: string | undefined
  /** The app (and so the check suite) that reports it; `github-actions` by default. */
  readonly app?: string | undefined
}

/**
 * A check suite as GitHub creates one per app for a commit. The suites of the apps that reported check
 * runs exist without being seeded; seed a suite to set its status, or for an app with no run yet.
 */
export interface CheckSuiteSeed {
  readonly app: string
  readonly status: "queued" | "in_progress" | "requested" | "waiting" | "pending" | "completed"
  readonly conclusion?: string | undefined
  /** ISO time; when the checks were set by default. */
  readonly createdAt?: string | undefined
}

/** Status checks the default branch requires, and how a token may read them. */
export interface RequiredChecksSeed {
  readonly contexts: ReadonlyArray<string>
  /** Branch protection (its endpoint needs administration read) or a ruleset; protection by default. */
  readonly via?: "protection" | "rules" | undefined
  /** Whether the token may read branch protection (403 otherwise); true by default. */
  readonly readable?: boolean | undefined
}

export interface StatusSeed {
  readonly context: string
  readonly state: "pending" | "success" | "failure" | "error"
  readonly url?: string | undefined
  readonly description?: string | undefined
}

export interface DeploymentSeed {
  readonly sha: string
  readonly environment: string
  /** Oldest first; the last one is the deployment's current state. */
  readonly statuses: ReadonlyArray<string>
}

export interface Event {
  readonly id: number
  readonly event: string
  readonly actor: string
  readonly at: string
  readonly label?: string
  readonly rename?: { readonly from: string; readonly to: string }
}

/** A body edit as GraphQL shows it (`lastEditedAt`, `editor`); a deleted editor is `null`. */
export interface BodyEdit {
  readonly at: string
  readonly editor: string | null
}

export interface IssueState {
  number: number
  title: string
  body: string
  labels: Array<string>
  state: "open" | "closed"
  stateReason: string | null
  author: string
  isPullRequest: boolean
  events: Array<Event>
  commentIds: Array<number>
  /** The last edit of the body, if any (GitHub keeps the whole history; GraphQL answers the last). */
  bodyEdit?: BodyEdit
  /**
   * GitHub's `updated_at` (second precision, never moving back): stamped by every change the routes make
   * (labels, comments, edits, close, reopen) and by any change made to this state directly, when the fake
   * next serves the issue. Absent on an issue added directly: stamped when first served.
   */
  updatedAt?: string
  /** What the issue looked like when `updatedAt` was stamped. */
  stamped?: Fingerprint
}

/** The parts of an issue whose change bumps `updated_at`. */
export interface Fingerprint {
  readonly title: string
  readonly body: string
  readonly labels: string
  readonly state: string
  readonly comments: number
  readonly events: number
}

export interface CommentState {
  readonly id: number
  readonly repo: string
  readonly issue: number
  readonly author: string
  body: string
  readonly createdAt: string
  updatedAt: string
  /** Reactions on the comment, oldest first (at most one per user and content, as GitHub keeps them). */
  reactions?: Array<
    { readonly id: number; readonly user: string; readonly content: string; readonly createdAt: string }
  >
}

/** What lies at a path of the default branch: a file's text, a symlink (to a path) or a submodule (at a commit). */
export type FileState =
  | string
  | { readonly kind: "symlink"; readonly target: string }
  | { readonly kind: "submodule"; readonly url: string; readonly sha: string }

export interface RepoState {
  readonly slug: string
  readonly owner: string
  readonly labels: Map<string, string>
  readonly issues: Map<number, IssueState>
  readonly trusted: Set<string>
  readonly statuses: Map<string, ReadonlyArray<StatusSeed>>
  readonly checkRuns: Map<string, ReadonlyArray<CheckRunSeed>>
  readonly checkSuites: Map<string, ReadonlyArray<CheckSuiteSeed & { readonly createdAt: string }>>
  defaultBranch: string
  required: RequiredChecksSeed | undefined
  readonly deployments: Array<{ readonly id: number; readonly seed: DeploymentSeed; readonly createdAt: string }>
  /**
   * The files at the head of the default branch, by path (only what a test put there): a file's text, or a
   * symlink or submodule; a path with files under it is a directory.
   */
  readonly files: Map<string, FileState>
  /** Branches and their head commits; the default branch exists from the start. */
  readonly branches: Map<string, string>
  readonly pulls: Map<number, PullState>
  /** Approving reviews branch protection requires before a merge into the default branch; none by default. */
  requiredApprovals: number
}

export interface World {
  bot: string
  readonly repos: Map<string, RepoState>
  readonly comments: Map<number, CommentState>
  nextId: number
  autoCreateLabels: boolean
}

export const makeWorld = (): World => ({
  bot: "afk-bot",
  repos: new Map(),
  comments: new Map(),
  nextId: 1000,
  autoCreateLabels: true
})

export const lower = (text: string): string => text.toLowerCase()

/** A deterministic 40-hex commit id made from `text`. */
export const fakeSha = (text: string): string => createHash("sha1").update(text).digest("hex")

const fingerprint = (issue: IssueState): Fingerprint => ({
  title: issue.title,
  body: issue.body,
  labels: issue.labels.join("\u0000"),
  state: issue.state,
  comments: issue.commentIds.length,
  events: issue.events.length
})

const sameFingerprint = (a: Fingerprint, b: Fingerprint): boolean =>
  a.title === b.title && a.body === b.body && a.labels === b.labels && a.state === b.state &&
  a.comments === b.comments && a.events === b.events

const seconds = (millis: number): string =>
  new Date(Math.floor(millis / 1000) * 1000).toISOString().replace(".000Z", "Z")

/** Stamps `updated_at` as GitHub does on a change: now, or where it already is if the fake's clock is behind it. */
export const touch = (issue: IssueState, now: string): void => {
  const previous = issue.updatedAt === undefined ? -Infinity : Date.parse(issue.updatedAt)
  issue.updatedAt = seconds(Math.max(Date.parse(now), previous))
  issue.stamped = fingerprint(issue)
}

/** The issue's `updated_at`, first stamping any change made to its state directly since the last stamp. */
export const updatedAt = (issue: IssueState, now: string): string => {
  if (
    issue.updatedAt === undefined || issue.stamped === undefined || !sameFingerprint(issue.stamped, fingerprint(issue))
  ) {
    touch(issue, now)
  }
  return issue.updatedAt ?? now
}

export const addRepo = (world: World, seed: Seed): void => {
  world.bot = seed.bot
  const [owner = ""] = seed.repo.split("/")
  const repo: RepoState = {
    slug: seed.repo,
    owner,
    labels: new Map(seed.labels.map((label) => [lower(label), label])),
    issues: new Map(),
    trusted: new Set(seed.trusted.map(lower)),
    statuses: new Map(),
    checkRuns: new Map(),
    checkSuites: new Map(),
    defaultBranch: "main",
    required: undefined,
    deployments: [],
    files: new Map(seed.policyFile === undefined ? [] : [[".afk.json", seed.policyFile]]),
    branches: new Map([["main", fakeSha(`${seed.repo} main`)]]),
    pulls: new Map(),
    requiredApprovals: 0
  }
  for (const issue of seed.issues) {
    for (const label of issue.labels) if (!repo.labels.has(lower(label))) repo.labels.set(lower(label), label)
    const edits = issue.edits ?? []
    const commentIds = issue.comments.map((comment) => {
      const id = world.nextId++
      world.comments.set(id, { id, repo: seed.repo, issue: issue.number, ...comment, updatedAt: comment.createdAt })
      return id
    })
    const latest = Math.max(
      Date.parse("2026-01-01T00:00:00Z"),
      ...issue.events.map((event) => Date.parse(event.at)),
      ...issue.comments.map((comment) => Date.parse(comment.createdAt)),
      ...edits.map((edit) => Date.parse(edit.at))
    )
    const text = TrackerSeed.edited(issue)
    const state: IssueState = {
      number: issue.number,
      title: text.title,
      body: text.body,
      labels: [...issue.labels],
      state: issue.state,
      stateReason: issue.state === "closed" ? "completed" : null,
      author: issue.author,
      isPullRequest: issue.isPullRequest === true,
      events: issue.events.map((event) => ({
        id: world.nextId++,
        event: event.action === "added" ? "labeled" : "unlabeled",
        actor: event.actor,
        at: event.at,
        label: event.label
      })),
      commentIds
    }
    let title = issue.title
    for (const edit of edits) {
      if (edit.title !== undefined && edit.title !== title) {
        state.events.push(renamed(world, edit.editor, edit.at, title, edit.title))
        title = edit.title
      }
      if (edit.body !== undefined || edit.title === undefined) state.bodyEdit = { at: edit.at, editor: edit.editor }
    }
    state.events.sort((a, b) => Date.parse(a.at) - Date.parse(b.at))
    touch(state, new Date(latest).toISOString())
    repo.issues.set(issue.number, state)
  }
  world.repos.set(lower(seed.repo), repo)
}

const renamed = (world: World, actor: string, at: string, from: string, to: string): Event => ({
  id: world.nextId++,
  event: "renamed",
  actor,
  at,
  rename: { from, to }
})

/**
 * `editor` changes the title and/or body at `now`, as GitHub records it: a `renamed` event for a new title,
 * the body's last edit for a new body (an unchanged text records nothing), `updated_at` moved.
 */
export const editIssue = (
  world: World,
  issue: IssueState,
  editor: string,
  change: { readonly title?: string | undefined; readonly body?: string | undefined },
  now: string
): void => {
  if (change.title !== undefined && change.title !== issue.title) {
    issue.events.push(renamed(world, editor, seconds(Date.parse(now)), issue.title, change.title))
    issue.title = change.title
  }
  if (change.body !== undefined && change.body !== issue.body) {
    issue.body = change.body
    issue.bodyEdit = { at: seconds(Date.parse(now)), editor }
  }
  touch(issue, now)
}

/** `actor` adds `label` (the repository's spelling, created if missing) at `now`; a label it has is left alone. */
export const labelIssue = (
  world: World,
  slug: string,
  issue: IssueState,
  actor: string,
  label: string,
  now: string
) => {
  const repo = world.repos.get(lower(slug))
  if (repo === undefined || issue.labels.some((have) => lower(have) === lower(label))) return
  if (!repo.labels.has(lower(label))) repo.labels.set(lower(label), label)
  const canonical = repo.labels.get(lower(label)) ?? label
  issue.labels.push(canonical)
  issue.events.push({ id: world.nextId++, event: "labeled", actor, at: seconds(Date.parse(now)), label: canonical })
  touch(issue, now)
}

/** Removes a label from the issue as `actor` (an `unlabeled` event), if it carries it. */
export const unlabelIssue = (world: World, issue: IssueState, actor: string, label: string, now: string) => {
  const index = issue.labels.findIndex((have) => lower(have) === lower(label))
  if (index < 0) return
  const [removed = label] = issue.labels.splice(index, 1)
  issue.events.push({ id: world.nextId++, event: "unlabeled", actor, at: seconds(Date.parse(now)), label: removed })
  touch(issue, now)
}

/** The issue, or an error naming what is missing (for test helpers acting on the world). */
export const issueIn = (world: World, slug: string, number: number): IssueState => {
  const issue = world.repos.get(lower(slug))?.issues.get(number)
  if (issue === undefined) throw new Error(`GithubFake: no issue ${slug}#${number}`)
  return issue
}

export const setChecks = (
  world: World,
  slug: string,
  sha: string,
  checks: {
    readonly statuses?: ReadonlyArray<StatusSeed>
    readonly checkRuns?: ReadonlyArray<CheckRunSeed>
    readonly checkSuites?: ReadonlyArray<CheckSuiteSeed>
  },
  now: string
): void => {
  const repo = world.repos.get(lower(slug))
  if (repo === undefined) throw new Error(`GithubFake: no repository ${slug}`)
  if (checks.statuses !== undefined) repo.statuses.set(sha, checks.statuses)
  if (checks.checkRuns !== undefined) repo.checkRuns.set(sha, checks.checkRuns)
  if (checks.checkSuites !== undefined) {
    repo.checkSuites.set(sha, checks.checkSuites.map((suite) => ({ ...suite, createdAt: suite.createdAt ?? now })))
  }
}

/** A check suite as GitHub lists it: one per app that reported runs or was seeded. */
export interface Suite {
  readonly app: string
  readonly status: string
  readonly conclusion: string | null
  readonly runs: number
  readonly createdAt: string
}

const rank = ["success", "skipped", "neutral", "stale", "cancelled", "timed_out", "action_required", "failure"]

/** The check suites of a commit: the seeded ones, and one per app whose runs were not seeded a suite. */
export const suitesOf = (repo: RepoState, sha: string, now: string): ReadonlyArray<Suite> => {
  const runs = repo.checkRuns.get(sha) ?? []
  const seeded = repo.checkSuites.get(sha) ?? []
  const apps = [...new Set([...seeded.map((suite) => suite.app), ...runs.map((run) => run.app ?? "github-actions")])]
  return apps.map((app) => {
    const own = runs.filter((run) => (run.app ?? "github-actions") === app)
    const suite = seeded.find((candidate) => candidate.app === app)
    if (suite !== undefined) {
      return {
        app,
        status: suite.status,
        conclusion: suite.conclusion ?? null,
        runs: own.length,
        createdAt: suite.createdAt
      }
    }
    const done = own.every((run) => run.status === "completed")
    const worst = own.map((run) => run.conclusion ?? "neutral").sort((a, b) => rank.indexOf(b) - rank.indexOf(a))[0]
    return {
      app,
      status: done ? "completed" : own.some((run) => run.status === "in_progress") ? "in_progress" : "queued",
      conclusion: done ? (worst ?? "neutral") : null,
      runs: own.length,
      createdAt: now
    }
  })
}

export const addDeployment = (world: World, slug: string, deployment: DeploymentSeed, createdAt: string): void => {
  const repo = world.repos.get(lower(slug))
  if (repo === undefined) throw new Error(`GithubFake: no repository ${slug}`)
  repo.deployments.push({ id: world.nextId++, seed: deployment, createdAt })
}
