/**
 * The invariants of quality.md R1–R3, read straight from the simulated world's fakes (GitHub issues, labels
 * and comments; T3 threads; Slack messages) for the fault-injection and chaos suites. Each check returns the
 * violations it found, as sentences, so a failure says which issue broke which rule at which tick.
 */
import { RunRecord } from "afk-core"
import * as Option from "effect/Option"
import * as Faults from "../../world/Faults.js"
import { bot, labels } from "../../world/Forge.js"
import * as Script from "../../world/Script.js"
import * as World from "../../world/World.js"

/** What the GitHub fake holds for one planned issue. */
export const view = (world: World.World, issue: World.Planned) => {
  const github = World.github(world).world
  const repo = github.repos.get(issue.repo.toLowerCase())!
  const state = repo.issues.get(issue.number)!
  const botComments = state.commentIds
    .flatMap((id) => github.comments.get(id) ?? [])
    .filter((comment) => comment.author === bot)
  const records = botComments.flatMap((comment) => Option.toArray(RunRecord.parse(comment.body)))
  const isGreen = (sha: string | undefined) => {
    const runs = sha === undefined ? undefined : repo.checkRuns.get(sha)
    return runs !== undefined && runs.length > 0 &&
      runs.every((run) => run.status === "completed" && run.conclusion === "success")
  }
  return {
    open: state.state === "open",
    labels: state.labels,
    latest: records.at(-1),
    checklists: botComments.filter((comment) => comment.body.startsWith("<!-- afk-checklist -->")).length,
    isGreen
  }
}

/** The outcome watch records when it finds the human label on a run that is not over (a person's handover). */
const handoverOutcome = "a person handed the issue to a human"

/** The rules that must hold after every tick, whatever failed during it. */
export const afterTick = (world: World.World, label: string): ReadonlyArray<string> => {
  const violations: Array<string> = []
  const threads = world.t3.threads()
  const known = new Set(world.planned().map((issue) => issue.threadId))
  for (const thread of threads) {
    if (!known.has(thread.id)) violations.push(`${label}: T3 has a thread no run should have made (${thread.title})`)
  }
  for (const issue of world.planned()) {
    const v = view(world, issue)
    const mine = threads.filter((thread) => thread.id === issue.threadId)
    const say = (rule: string) => violations.push(`${label}: ${issue.ref} (${issue.kind}) ${rule}`)
    if (mine.length > 1) say(`has ${mine.length} agent threads`)
    if (v.checklists > 1) say(`has ${v.checklists} checklist comments (one per run, edited in place)`)
    if (v.latest?.outcome === handoverOutcome) {
      say("has its escalation recorded as a person's handover: the reason was lost (no person acts here)")
    }
    if (!issue.eligible) {
      if (mine.length > 0) say("was dispatched although it is not eligible")
      if (v.latest !== undefined) say("has a run record although it is not eligible")
      if (!v.open) say("was closed although it is not eligible")
      if (v.labels.includes(labels.lock)) say("was locked although it is not eligible")
    }
    if (!v.open && (v.latest?.phase !== "done" || !v.isGreen(v.latest.commit))) {
      say(`was closed without a done run on green CI (record ${v.latest?.phase ?? "none"})`)
    }
    if (v.latest?.phase === "escalated" && v.open && !v.labels.includes(labels.lock)) {
      if (!v.labels.includes(labels.human)) say("was escalated and unlocked without the human label")
    }
  }
  return violations
}

/**
 * The rules at quiescence: every run reached the verdict its behaviour calls for and was notified
 * (`delivered` is the text of every Slack message), no issue is locked — open or closed (watch lists closed
 * issues carrying the lock and finishes their terminal steps) — and no lock is without a record.
 */
export const atRest = (
  world: World.World,
  label: string,
  delivered: ReadonlyArray<string>
): ReadonlyArray<string> => {
  const violations: Array<string> = []
  const threads = world.t3.threads()
  for (const issue of world.planned()) {
    const v = view(world, issue)
    const say = (rule: string) => violations.push(`${label}: ${issue.ref} (${issue.kind}) ${rule}`)
    if (v.labels.includes(labels.lock) && v.latest === undefined) say("carries the lock without a run record")
    if (v.labels.includes(labels.lock)) {
      say(`is ${v.open ? "open" : "closed"} and still locked (record ${v.latest?.phase ?? "none"})`)
    }
    if (!issue.eligible) continue
    const thread = threads.find((t) => t.id === issue.threadId)
    if (thread === undefined) {
      say("was never dispatched")
      continue
    }
    const record = v.latest
    if (record === undefined || !RunRecord.isTerminal(record)) {
      say(`did not reach a verdict (record ${record?.phase ?? "none"})`)
      continue
    }
    const turns = turnsOf(thread)
    if (turns < 1 + record.attempts) say(`counts ${record.attempts} fix-forward attempts but had ${turns} turns`)
    if (turns > 1 + world.config.fixForwardMaxAttempts) say(`had ${turns} turns, past the fix-forward budget`)
    if (Script.closingKinds.has(issue.kind)) {
      if (record.phase !== "done" || v.open) say(`should be closed with proof, is ${record.phase}`)
      if (issue.kind === "redThenGreen" && turns !== 2) say(`had ${turns} turns, not one fix-forward turn`)
    } else {
      if (record.phase !== "escalated" || !v.open) say(`should be escalated and open, is ${record.phase}`)
      if (!v.labels.includes(labels.human)) say("was escalated without the human label")
      const handover = record.outcome === handoverOutcome
      if (issue.kind === "frozen" && !handover && !record.outcome?.startsWith("frozen")) {
        say(`should be frozen: ${record.outcome}`)
      }
    }
    if (!delivered.some((text) => text.includes(` ${issue.ref} `))) say("was never notified in Slack")
  }
  return violations
}

const turnsOf = (thread: { readonly messages: ReadonlyArray<{ readonly role: string }> }) =>
  thread.messages.filter((message) => message.role === "user").length

/**
 * Runs whose record counts fewer fix-forward attempts than the follow-up turns the agent got: watch sends
 * the follow-up, then saves the record with the attempt counted; when that save fails, the turn happened
 * and the count is lost. The budget still holds (checked in `atRest`). Reported as a finding.
 */
export const uncountedFixForwards = (world: World.World): ReadonlyArray<string> => {
  const threads = world.t3.threads()
  return world.planned().filter((issue) => {
    const thread = threads.find((t) => t.id === issue.threadId)
    const record = view(world, issue).latest
    return thread !== undefined && record !== undefined && turnsOf(thread) > 1 + record.attempts
  }).map((issue) => issue.ref)
}

/** The findings above as one line for a suite's summary. */
export const findings = (world: World.World): string =>
  ([
    ["fix-forwards sent but not counted", uncountedFixForwards(world)]
  ] as const).map(([finding, refs]) => `${finding}: ${refs.join(", ") || "none"}`).join("; ")

/** Retries: never of a 400/401/404/422, and after a 429 or a limited 403 only once `Retry-After` passed. */
export const retries = (
  journal: Faults.Journal,
  maxRetries: number,
  key: (entry: Faults.Entry) => string = Faults.byFiber
) => {
  const violations: Array<string> = []
  const { next, previous } = Faults.neighbours(journal, key)
  const transient = (e: Faults.Entry) =>
    e.status === 0 || e.status >= 500 || e.status === 429 || (e.status === 403 && e.retryAfter !== undefined)
  const attempt = (entry: Faults.Entry) => {
    let n = 0
    for (let p = previous.get(entry.seq), cur = entry; p !== undefined; cur = p, p = previous.get(p.seq)) {
      if (!Faults.sameRequest(p, cur) || !transient(p)) break
      n++
    }
    return n
  }
  let refusedOnce = 0
  let waited = 0
  let overshootMillis = 0
  for (const entry of journal.entries) {
    const after = next.get(entry.seq)
    if ([400, 401, 404, 422].includes(entry.status)) {
      refusedOnce++
      if (after !== undefined && Faults.sameRequest(entry, after)) {
        violations.push(`${entry.method} ${entry.url} answered ${entry.status} was sent again`)
      }
    }
    const limited = entry.retryAfter !== undefined && (entry.status === 429 || entry.status === 403)
    // No later request from the fiber: it ended there, or was interrupted mid-wait (a sibling of
    // `Effect.all` failed), which is not a missing retry. Any other next request must be the retry.
    if (limited && attempt(entry) < maxRetries && after !== undefined) {
      if (!Faults.sameRequest(entry, after)) {
        violations.push(`${entry.method} ${entry.url} answered ${entry.status} was not retried`)
        continue
      }
      const asked = entry.retryAfter! * 1000
      const taken = after.at - entry.at
      waited++
      overshootMillis = Math.max(overshootMillis, taken - asked)
      if (taken < asked) {
        violations.push(`${entry.method} ${entry.url}: asked to wait ${asked} ms, retried after ${taken}`)
      }
    }
  }
  return { violations, refusedOnce, waited, overshootMillis }
}
