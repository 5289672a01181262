/**
 * What the demo prints, as a person would want to follow it: each decision once (a refusal or a wait is
 * not repeated while it stays the same), each checklist comment whenever it changes, and a closing
 * summary of where every issue ended up and why.
 */
import { Checklist, type Domain, type MemoryTracker, type Pass, RunRecord } from "../Core.js"

/** What was shown so far: the last line per pass and subject, and how each run ended. */
export interface Seen {
  readonly lines: Map<string, string>
  readonly endings: Map<string, string>
}

export const seen = (): Seen => ({ lines: new Map(), endings: new Map() })

const endings = new Set(["Close", "Escalate", "EscalateNoVerdict", "Freeze"])

/**
 * The decisions of one tick worth showing: new ones, or ones that changed since last shown. A run in
 * flight is followed through watch's decisions; poll's refusal of it (its repo is locked — by itself) is
 * left out.
 */
export const decisions = (reports: ReadonlyArray<Pass.Report>, seen: Seen): ReadonlyArray<string> => {
  const watched = new Set(reports.filter((r) => r.pass === "watch").flatMap((r) => r.decisions.map((d) => d.subject)))
  return reports.flatMap((report) => [
    ...report.decisions.flatMap((d) => {
      if (report.pass === "poll" && watched.has(d.subject)) return []
      const line = `${d.action}: ${d.reason}`
      const key = `${report.pass} ${d.subject}`
      if (endings.has(d.action)) seen.endings.set(d.subject, line)
      if (seen.lines.get(key) === line) return []
      seen.lines.set(key, line)
      return [`  ${d.subject}  ${line}`]
    }),
    ...report.failures.map((f) => `  ${f.subject}  FAILED: ${f.message}`),
    ...backlogLine(report, seen)
  ])
}

/** The unexamined backlog of a poll, in one line, when it changed since last shown. */
const backlogLine = (report: Pass.Report, seen: Seen): ReadonlyArray<string> => {
  const backlog = report.unexamined
  const line = backlog === undefined
    ? undefined
    : `${backlog.count} ready issue(s) not examined, every slot decided before them (first: ${
      backlog.first.join(", ")
    })`
  const key = `${report.pass} backlog`
  if (line === undefined || seen.lines.get(key) === line) return []
  seen.lines.set(key, line)
  return [`  ${line}`]
}

const checklistOf = (tracker: MemoryTracker.MemoryTracker, ref: Domain.IssueRef, bot: string): string | undefined =>
  tracker
    .comments(ref.repo, ref.number)
    .filter((c) => c.author === bot && Checklist.isChecklist(c.body))
    .at(-1)?.body

/** The checklist comments that changed since `shown`, boxed, footer (the hidden run record) left out. */
export const checklists = (
  tracker: MemoryTracker.MemoryTracker,
  refs: ReadonlyArray<Domain.IssueRef>,
  bot: string,
  shown: Map<string, string>
): ReadonlyArray<string> =>
  refs.flatMap((ref) => {
    const body = checklistOf(tracker, ref, bot)
    const key = String(ref)
    if (body === undefined || shown.get(key) === body) return []
    const verb = shown.has(key) ? "edited" : "posted"
    shown.set(key, body)
    const visible = RunRecord.strip(body)
      .split("\n")
      .filter((line) => line !== Checklist.marker)
    return [`  ┌ checklist on ${key} (${verb})`, ...visible.map((line) => `  │ ${line}`), "  └"]
  })

/** Where each issue ended up: its state and labels, and how its run ended or why it never started. */
export const summary = (
  tracker: MemoryTracker.MemoryTracker,
  refs: ReadonlyArray<Domain.IssueRef>,
  seen: Seen
): ReadonlyArray<string> => {
  const width = Math.max(...refs.map((ref) => String(ref).length))
  return refs.flatMap((ref) => {
    const issue = tracker.issue(ref.repo, ref.number)
    const labels = issue.labels.length === 0 ? "no labels" : issue.labels.join(", ")
    const key = String(ref)
    const last = seen.endings.get(key) ?? seen.lines.get(`poll ${key}`) ?? seen.lines.get(`watch ${key}`) ?? "-"
    return [`  ${String(ref).padEnd(width)}  ${issue.state.padEnd(6)}  [${labels}]`, `  ${"".padEnd(width)}  ${last}`]
  })
}
