/**
 * The dispatch policy (PRODUCT §4): which ready issues start a run now, and why every other one does
 * not. A pure function of the candidates, the locked repos, the runs in flight and the config: the kill
 * switch decides first, an ineligible issue never takes a slot, at most one run per repo and
 * `maxConcurrentRuns` overall, lowest `priority:<n>` then lowest number first, whatever the input order.
 */
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Approval from "./Approval.js"
import { hasLabel, type Issue, IssueRef, Repo } from "./Domain.js"

/** The settings the policy reads (`AfkConfig` satisfies it). */
export interface PolicyConfig {
  readonly killSwitch: boolean
  readonly allowlist: ReadonlyArray<Repo>
  readonly readyLabel: string
  readonly lockLabel: string
  readonly humanLabel: string
  readonly pausedLabel: string
  readonly maxConcurrentRuns: number
  readonly defaultPriority: number
}

/** An issue named as a blocker, with its state as read from the tracker. */
export interface Blocker {
  readonly ref: IssueRef
  readonly state: "open" | "closed" | "missing"
}

/**
 * An issue considered for dispatch. `trusted` = its latest ready label approves a run (`Approval.prove`);
 * when it does not, `unapproved` says why (else the refusal is `untrusted`).
 */
export interface Candidate {
  readonly issue: Issue
  readonly trusted: boolean
  readonly unapproved?: Approval.Refusal | undefined
  readonly blockers: ReadonlyArray<Blocker>
}

export interface Input {
  readonly candidates: ReadonlyArray<Candidate>
  /** Repos with an open issue carrying the lock label. */
  readonly lockedRepos: ReadonlySet<Repo>
  readonly inFlight: number
  readonly config: PolicyConfig
}

export type RefusalReason =
  | "kill-switch"
  | "closed"
  | "not-ready"
  | "human"
  | "paused"
  | "untrusted"
  | "stale-approval"
  | "edited"
  | "not-allowlisted"
  | "repo-locked"
  | "blocked"
  | "repo-busy"
  | "at-capacity"

export interface Decision {
  readonly issue: Issue
  readonly priority: number
  readonly reason: string
}

export interface Refusal {
  readonly issue: Issue
  readonly reason: RefusalReason
  readonly detail: string
}

const priorityLabel = /^priority:\s*(-?\d{1,9})$/i

/** The lowest `priority:<n>` label (lower runs first), else the default; non-numeric values are ignored. */
export const priorityOf = (labels: ReadonlyArray<string>, defaultPriority: number): number => {
  const found = labels.flatMap((label) => {
    const match = priorityLabel.exec(label.trim())
    return match === null ? [] : [Number(match[1])]
  })
  return found.length === 0 ? defaultPriority : Math.min(...found)
}

const byKeys = (pa: number, a: Issue, pb: number, b: Issue): number =>
  pa - pb || a.number - b.number || (a.repo < b.repo ? -1 : a.repo > b.repo ? 1 : 0)

/** Priority ascending, then issue number ascending, then repo (a total order; also settles claim contention). */
export const compare = (a: Issue, b: Issue, defaultPriority: number): number =>
  byKeys(priorityOf(a.labels, defaultPriority), a, priorityOf(b.labels, defaultPriority), b)

/** `items` in policy order (`compare` on each one's issue), each priority worked out once, not per comparison. */
export const inOrder = <A>(items: ReadonlyArray<A>, issueOf: (item: A) => Issue, defaultPriority: number): Array<A> =>
  items
    .map((item) => {
      const issue = issueOf(item)
      return { item, issue, priority: priorityOf(issue.labels, defaultPriority) }
    })
    .sort((a, b) => byKeys(a.priority, a.issue, b.priority, b.issue))
    .map(({ item }) => item)

const blockedByLine = /\bblocked\s+by\b(.*)$/i
const reference = /(?:^|[^\w./-])(?:([A-Za-z0-9][\w.-]*\/[\w.-]+))?#(\d{1,9})\b/g
const decodeRepo = Schema.decodeUnknownOption(Repo)

/**
 * The issues an issue names in `Blocked by #N` or `Blocked by owner/name#N` lines (several refs per line
 * allowed, any case), de-duplicated, in order of appearance; a reference to the issue itself is ignored.
 * Each ref is made from a decoded repo and a positive number, so it is not checked a second time.
 */
export const blockersOf = (issue: Issue): ReadonlyArray<IssueRef> => {
  const refs = new Map<string, IssueRef>()
  for (const line of issue.body.split(/\r\n|\r|\n/)) {
    const lead = blockedByLine.exec(line)
    if (lead === null) continue
    for (const match of lead[1]!.matchAll(reference)) {
      const repo = match[1] === undefined ? Option.some(issue.repo) : decodeRepo(match[1])
      const number = Number(match[2])
      if (Option.isNone(repo) || number < 1 || (repo.value === issue.repo && number === issue.number)) continue
      const ref = new IssueRef({ repo: repo.value, number }, true)
      refs.set(ref.toString(), ref)
    }
  }
  return [...refs.values()]
}

const allowlists = new WeakMap<ReadonlyArray<string>, ReadonlySet<string>>()

/** Whether `repo` is on the allowlist (compared case-insensitively, as the forges compare names). */
export const allowlisted = (allowlist: ReadonlyArray<string>, repo: string): boolean => {
  let set = allowlists.get(allowlist)
  if (set === undefined) {
    set = new Set(allowlist.map((entry) => entry.toLowerCase()))
    allowlists.set(allowlist, set)
  }
  return set.has(repo.toLowerCase())
}

const unresolved = (candidate: Candidate): ReadonlyArray<Blocker> => {
  const known = new Map(candidate.blockers.map((blocker) => [blocker.ref.toString(), blocker]))
  const named = blockersOf(candidate.issue).map(
    (ref): Blocker => known.get(ref.toString()) ?? { ref, state: "missing" }
  )
  return [...candidate.blockers, ...named.filter((blocker) => !known.has(blocker.ref.toString()))].filter(
    (blocker) => blocker.state !== "closed"
  )
}

type Verdict = Option.Option<{ readonly reason: RefusalReason; readonly detail: string }>

const refuse = (reason: RefusalReason, detail: string): Verdict => Option.some({ reason, detail })

/**
 * The checks that need nothing but the issue and the locked repos (no tracker read): closed, not ready,
 * handed to a human, paused, not allowlisted, repo locked. Poll screens with it before reading who applied
 * the ready label, so a refused issue costs no request.
 */
export const screen = (issue: Issue, lockedRepos: ReadonlySet<string>, config: PolicyConfig): Verdict => {
  if (issue.state !== "open") return refuse("closed", `${issue.ref} is closed.`)
  if (!hasLabel(issue.labels, config.readyLabel)) {
    return refuse("not-ready", `${issue.ref} does not carry the ${config.readyLabel} label.`)
  }
  if (hasLabel(issue.labels, config.humanLabel)) {
    return refuse("human", `${issue.ref} carries ${config.humanLabel}: it was handed to a human, who must remove it.`)
  }
  if (hasLabel(issue.labels, config.pausedLabel)) return refuse("paused", `${issue.ref} carries ${config.pausedLabel}.`)
  if (!allowlisted(config.allowlist, issue.repo)) {
    return refuse("not-allowlisted", `${issue.repo} is not in the allowlist.`)
  }
  if (lockedRepos.has(issue.repo.toLowerCase()) || hasLabel(issue.labels, config.lockLabel)) {
    return refuse("repo-locked", `${issue.repo} already has a run in flight (an issue carries ${config.lockLabel}).`)
  }
  return Option.none()
}

const ineligibility = (candidate: Candidate, locked: ReadonlySet<string>, config: PolicyConfig): Verdict => {
  const screened = screen(candidate.issue, locked, config)
  if (Option.isSome(screened)) return screened
  const { issue } = candidate
  if (!candidate.trusted) {
    if (candidate.unapproved !== undefined) return refuse(candidate.unapproved.reason, candidate.unapproved.detail)
    return refuse(
      "untrusted",
      `The latest ${config.readyLabel} label on ${issue.ref} was not applied by a trusted actor.`
    )
  }
  const blocking = unresolved(candidate)
  if (blocking.length > 0) {
    const list = blocking.map((blocker) => `${blocker.ref} (${blocker.state})`).join(", ")
    return refuse("blocked", `${issue.ref} is blocked by ${list}.`)
  }
  return Option.none()
}

// A pass refuses its whole unexamined backlog with a few distinct texts (every issue of a repository behind
// the same winner, every other issue behind the same full cap): each text is made once and shared, not once
// per issue (80,000 ready issues over 4,000 repositories made 80,000 copies).
const busyTexts = new WeakMap<Issue, string>()
let fullText:
  | { readonly cap: number; readonly inFlight: number; readonly examined: boolean; readonly text: string }
  | undefined

const busyText = (issue: Issue, winner: Issue) =>
  `${winner.ref} takes ${issue.repo}'s one slot this pass (it comes first by priority and number).`

const busy = (issue: Issue, winner: Issue): Refusal => {
  if (issue.repo !== winner.repo) return { issue, reason: "repo-busy", detail: busyText(issue, winner) }
  let detail = busyTexts.get(winner)
  if (detail === undefined) {
    detail = busyText(issue, winner)
    busyTexts.set(winner, detail)
  }
  return { issue, reason: "repo-busy", detail }
}

const full = (issue: Issue, config: PolicyConfig, inFlight: number, examined: boolean): Refusal => {
  const cap = config.maxConcurrentRuns
  if (fullText?.cap !== cap || fullText.inFlight !== inFlight || fullText.examined !== examined) {
    const text = `The cap of ${cap} run(s) in flight is reached (${inFlight} were in flight before this pass)${
      examined ? "" : "; not examined further this pass"
    }.`
    fullText = { cap, inFlight, examined, text }
  }
  return { issue, reason: "at-capacity", detail: fullText.text }
}

/**
 * The refusal of an issue that passed `screen` but was not read because the pass was already decided: its
 * repo's slot went to `winner` (an issue before it in policy order), or every slot is taken.
 */
export const unexamined = (
  issue: Issue,
  winner: Issue | undefined,
  input: Pick<Input, "inFlight" | "config">
): Refusal => winner !== undefined ? busy(issue, winner) : full(issue, input.config, input.inFlight, false)

/**
 * Decides one pass: the issues to dispatch now, each with its priority and reason, and a refusal with a
 * reason for every other candidate. Both lists come out in policy order, independent of input order.
 */
export const decide = (
  input: Input
): { readonly dispatch: ReadonlyArray<Decision>; readonly refused: ReadonlyArray<Refusal> } => {
  const { config } = input
  const ordered = inOrder(input.candidates, (candidate) => candidate.issue, config.defaultPriority)
  if (config.killSwitch) {
    return {
      dispatch: [],
      refused: ordered.map(({ issue }) => ({
        issue,
        reason: "kill-switch",
        detail: "The kill switch is on, so nothing is dispatched."
      }))
    }
  }
  const locked = new Set<string>([...input.lockedRepos].map((repo) => repo.toLowerCase()))
  for (const { issue } of ordered) {
    if (issue.state === "open" && hasLabel(issue.labels, config.lockLabel)) locked.add(issue.repo.toLowerCase())
  }
  const dispatch: Array<Decision> = []
  const refused: Array<Refusal> = []
  const taken = new Map<string, Issue>()
  let slots = Math.max(0, config.maxConcurrentRuns - Math.max(0, input.inFlight))
  for (const candidate of ordered) {
    const { issue } = candidate
    const ineligible = ineligibility(candidate, locked, config)
    if (Option.isSome(ineligible)) {
      refused.push({ issue, ...ineligible.value })
      continue
    }
    const winner = taken.get(issue.repo.toLowerCase())
    if (winner !== undefined) {
      refused.push(busy(issue, winner))
      continue
    }
    if (slots === 0) {
      refused.push(full(issue, config, input.inFlight, true))
      continue
    }
    const priority = priorityOf(issue.labels, config.defaultPriority)
    taken.set(issue.repo.toLowerCase(), issue)
    slots--
    dispatch.push({
      issue,
      priority,
      reason: `${issue.ref}: eligible (trusted, allowlisted, unblocked, repo free), priority ${priority}.`
    })
  }
  return { dispatch, refused }
}
