/**
 * The run's progress comment (PRODUCT §6): one bot comment per run, found by a hidden marker and edited
 * in place on every pass. Rendering is pure. Everything that comes from outside (the issue title, check
 * names and URLs, the status and outcome text) is flattened to one line and escaped, so it cannot add
 * list items, close or open an HTML comment, start a fence, or ping anyone (quality R4).
 */
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { Check, IssueRef } from "./Domain.js"
import * as Invisible from "./Invisible.js"
import type { OutcomeKind } from "./RunRecord.js"

/** The hidden first line of every checklist comment. */
export const marker = "<!-- afk-checklist -->"

/** The steps of a run, in order; `deployed` is listed only when deploy checks are configured. */
export const Step = Schema.Literal("claimed", "dispatched", "pushed", "ci", "deployed", "done")
export type Step = typeof Step.Type

export interface Input {
  readonly issue: IssueRef
  readonly title: string
  readonly ordinal: number
  /** The last step completed. */
  readonly reached: Step
  readonly threadUrl: Option.Option<string>
  readonly commit: Option.Option<string>
  readonly checks: ReadonlyArray<Check>
  readonly attempts: number
  readonly maxAttempts: number
  /** List the deployed step (only when deploy checks are configured). */
  readonly showDeployed: boolean
  /** One line: what is happening now, e.g. "waiting for CI on abc1234". */
  readonly status: string
  /** How the run ended (the record's `Outcome`, or the reason a person reads for it). */
  readonly outcome: Option.Option<{ readonly kind: OutcomeKind; readonly reason: string }>
  /** The run's token usage in words (`Usage.describe`), once the runtime reported any. */
  readonly tokens?: string | undefined
  /** Pull-request delivery: the branch, the pull request once opened, the review rounds and the merge. */
  readonly pull?: PullView | undefined
}

/** What the checklist shows of a pull-request run. */
export interface PullView {
  readonly branch: string
  readonly number?: number | undefined
  readonly url?: string | undefined
  readonly rounds: number
  readonly maxRounds: number
  readonly mergeSha?: string | undefined
  /** Why the forge refuses the merge, while it does. */
  readonly blocked?: string | undefined
}

const breaking = /[\p{Cc}\p{Zl}\p{Zp}\s]+/gu
const markdownSpecial = /[\\`*_[\]|~#]/g
const htmlSpecial: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;" }

/**
 * Untrusted text as one inline markdown run: control characters and line breaks become spaces,
 * invisible characters (`Invisible`) are dropped, markup is escaped, `@` cannot mention, at most `max`
 * characters (an ellipsis marks a cut).
 */
export const inline = (text: string, max = 200): string => {
  const flat = Invisible.strip(text).replace(breaking, " ").trim()
  const chars = Array.from(flat)
  const cut = chars.length > max ? `${chars.slice(0, Math.max(0, max - 1)).join("")}…` : flat
  return cut
    .replace(/[&<>"]/g, (c) => htmlSpecial[c]!)
    .replace(markdownSpecial, (c) => `\\${c}`)
    .replace(/@/g, "@\u2060")
}

const percent = (c: string): string => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`

/** An http(s) URL safe to put in a markdown link target, or none. */
export const safeUrl = (raw: string): Option.Option<string> => {
  if (raw.length > 2048) return Option.none()
  try {
    const url = new URL(raw.trim())
    if (url.protocol !== "https:" && url.protocol !== "http:") return Option.none()
    return Option.some(url.href.replace(/[()<>\s"'`[\]\\]/g, percent))
  } catch {
    return Option.none()
  }
}

const link = (text: string, url: string | undefined): string =>
  Option.match(url === undefined ? Option.none() : safeUrl(url), {
    onNone: () => text,
    onSome: (href) => `[${text}](${href})`
  })

const shortCommit = (commit: string): string =>
  /^[0-9a-f]{7,40}$/i.test(commit) ? `\`${commit.slice(0, 7).toLowerCase()}\`` : inline(commit, 40)

const order: ReadonlyArray<Step> = ["claimed", "dispatched", "pushed", "ci", "deployed", "done"]
const maxListedChecks = 10

const ciSummary = (checks: ReadonlyArray<Check>): string => {
  if (checks.length === 0) return "no checks reported yet"
  const count = (state: Check["state"]) => checks.filter((check) => check.state === state).length
  return `${count("success")} passed, ${count("failure")} failing, ${count("pending")} pending`
}

const failingLines = (checks: ReadonlyArray<Check>): ReadonlyArray<string> => {
  const failing = checks.filter((check) => check.state === "failure")
  const listed = failing
    .slice(0, maxListedChecks)
    .map((check) => `  - failing: ${link(inline(check.name, 120), check.url)}`)
  const more = failing.length - listed.length
  return more > 0 ? [...listed, `  - and ${more} more failing`] : listed
}

/** The pull request's line (and its review rounds), under the push to its branch. */
const openedLines = (pull: PullView): ReadonlyArray<string> => {
  const opened = pull.number === undefined
    ? `- [ ] Pull request from \`${inline(pull.branch, 120)}\``
    : `- [x] Pull request ${link(`#${Math.trunc(pull.number)}`, pull.url)} from \`${inline(pull.branch, 120)}\``
  return pull.rounds > 0 ? [opened, `  - review rounds: ${pull.rounds} of ${pull.maxRounds}`] : [opened]
}

/** The merge's line: the forge's refusal while it refuses, then the merge commit with its CI (`checks`). */
const mergedLines = (pull: PullView, checks: ReadonlyArray<Check>): ReadonlyArray<string> =>
  pull.mergeSha === undefined
    ? [
      "- [ ] Merged",
      ...(pull.blocked === undefined ? [] : [`  - the forge refuses the merge: ${inline(pull.blocked, 200)}`])
    ]
    : [
      `- [x] Merged as ${shortCommit(pull.mergeSha)}; CI on the merge commit: ${ciSummary(checks)}`,
      ...failingLines(checks)
    ]

const stepLine = (step: Step, done: boolean, input: Input): ReadonlyArray<string> => {
  const box = done ? "- [x]" : "- [ ]"
  const commit = Option.map(input.commit, shortCommit)
  switch (step) {
    case "claimed":
      return [`${box} Claimed (lock taken)`]
    case "dispatched":
      return [
        `${box} Agent at work${
          Option.match(input.threadUrl, { onNone: () => "", onSome: (url) => ` (${link("open the thread", url)})` })
        }`
      ]
    case "pushed":
      return input.pull === undefined
        ? [`${box} Pushed${Option.match(commit, { onNone: () => "", onSome: (sha) => ` ${sha}` })}`]
        : [`${box} Pushed to \`${inline(input.pull.branch, 120)}\``, ...openedLines(input.pull)]
    case "ci": {
      if (input.pull?.mergeSha !== undefined) {
        return ["- [x] CI green on the pull request", ...mergedLines(input.pull, input.checks)]
      }
      const line = [
        `${box} CI green${Option.match(commit, { onNone: () => "", onSome: (sha) => ` on ${sha}` })}: ${
          ciSummary(input.checks)
        }`,
        ...failingLines(input.checks)
      ]
      return input.pull === undefined ? line : [...line, ...mergedLines(input.pull, [])]
    }
    case "deployed":
      return [`${box} Deployed`]
    case "done":
      return [`${box} Done: issue closed`]
  }
}

const outcomeLabel = { done: "Done", "needs-human": "Needs a human", frozen: "Frozen" } as const

/**
 * The checklist markdown, starting with the marker: a heading, the task list of steps (completed up to
 * `reached`), the current status, the fix-forward count and the outcome. The run comment AFK writes is
 * `render(input) + "\n\n" + RunRecord.footer(record)`.
 */
export const render = (input: Input): string => {
  const reachedAt = order.indexOf(input.reached)
  const steps = order
    .filter((step) => step !== "deployed" || input.showDeployed)
    .flatMap((step) => stepLine(step, order.indexOf(step) <= reachedAt, input))
  const lines = [
    marker,
    `### AFK run ${Math.trunc(input.ordinal)} on ${inline(input.issue.toString(), 160)}: ${inline(input.title)}`,
    "",
    ...steps,
    "",
    `**Now:** ${inline(input.status, 300)}`
  ]
  if (input.attempts > 0) {
    lines.push("", `**Fix-forward:** ${input.attempts} of ${input.maxAttempts} attempts used.`)
  }
  if (input.tokens !== undefined) lines.push("", `**Tokens:** ${inline(input.tokens)}`)
  if (Option.isSome(input.outcome)) {
    const { kind, reason } = input.outcome.value
    lines.push("", `**${outcomeLabel[kind]}:** ${inline(reason, 500)}`)
  }
  return lines.join("\n")
}

/** Whether a comment body is an AFK checklist (check the author too: only the bot's count). */
export const isChecklist = (body: string): boolean => body.trimStart().startsWith(marker)
