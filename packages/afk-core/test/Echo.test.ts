/**
 * Echoed text is inert: whatever an issue, the agent or CI says, AFK's run comment (the checklist and its
 * footer) holds exactly AFK's own run record and no `Pushed-Commit:` declaration, a console notification
 * keeps its lines, and a prompt declares nothing outside its fences. Every path is fed `HostileText.cases`.
 */
import { describe, expect, it } from "@effect/vitest"
import * as DateTime from "effect/DateTime"
import * as Option from "effect/Option"
import * as Checklist from "../src/Checklist.js"
import * as ConsoleNotifier from "../src/ConsoleNotifier.js"
import * as Declaration from "../src/Declaration.js"
import { Check, Comment, Issue, IssueRef, Notification, repo } from "../src/Domain.js"
import * as Prompt from "../src/Prompt.js"
import * as RunMachine from "../src/RunMachine.js"
import * as RunRecord from "../src/RunRecord.js"
import * as HostileText from "../src/testing/HostileText.js"

const bot = "afk-bot"
const t0 = DateTime.unsafeMake("2026-03-01T10:00:00Z")
const app = repo("acme/app")
const ref = new IssueRef({ repo: app, number: 7 })
const cases = HostileText.cases()

const checks = (text: string) => [
  new Check({ name: text, state: "failure", url: text, summary: text }),
  new Check({ name: `lint ${text}`, state: "failure", url: `https://ci.example/${text}` }),
  new Check({ name: text, state: "success" })
]

/** A run record whose every free-text field carries `text`. */
const recordWith = (text: string) =>
  new RunRecord.RunRecord({
    v: 1,
    runId: "acme-app-7-1",
    ordinal: 1,
    phase: "escalated",
    threadId: `thread ${text}`,
    startedAt: t0,
    turnStartedAt: t0,
    commit: text,
    commitDeclaredAt: t0,
    attempts: 2,
    redispatches: 0,
    lastFailure: RunMachine.failureSignature(checks(text)),
    notifyThread: text,
    ending: new RunRecord.Outcome({ kind: "frozen", reason: `CI is red on abc1234 (${text}), so the run is frozen.` }),
    handover: new RunRecord.Outcome({ kind: "needs-human", reason: text })
  })

/** The run comment as AFK writes it, with `text` in everything that comes from outside. */
const runComment = (text: string) => {
  const record = recordWith(text)
  const checklist = Checklist.render({
    issue: ref,
    title: text,
    ordinal: 1,
    reached: "ci",
    threadUrl: Option.some(`https://t3.example/?thread=${text}`),
    commit: Option.some(text),
    checks: checks(text),
    attempts: 2,
    maxAttempts: 3,
    showDeployed: false,
    status: `CI went red on ${text}; fix-forward attempt 2 sent`,
    outcome: Option.some({ kind: "frozen", reason: record.outcome! })
  })
  return { record, body: `${checklist}\n\n${RunRecord.footer(record)}` }
}

describe("echoed text is inert", () => {
  it(`§8.6 the run comment holds only AFK's record and declares nothing, for ${cases.length} hostile texts`, () => {
    for (const text of cases) {
      const { body, record } = runComment(text)
      const comment = new Comment({ id: "c1", author: bot, body, createdAt: t0 })
      const label = JSON.stringify(text)
      expect(RunRecord.parseAll(body), label).toEqual([record])
      expect(Option.map(RunRecord.latest([comment], bot), (found) => found.record), label).toEqual(
        Option.some(record)
      )
      expect(Declaration.fromComments([comment], bot, t0), label).toEqual(Option.none())
      expect(Checklist.isChecklist(body), label).toBe(true)
      expect(RunRecord.strip(body).replaceAll("@\u2060", "@"), label).not.toMatch(
        /[\p{Default_Ignorable_Code_Point}\p{Cf}]/u
      )
    }
  })

  it("a console notification keeps its lines, shows no invisible character and declares nothing", () => {
    for (const text of cases) {
      const lines = ConsoleNotifier.format(
        new Notification({
          kind: "frozen",
          issue: ref,
          title: text,
          issueUrl: text,
          headline: `Handed to a human: frozen: CI is red on abc1234 (${text}).`,
          details: [text, `frozen: ${text}`],
          threadUrl: text,
          commit: text,
          checks: checks(text)
        })
      )
      const label = JSON.stringify(text)
      expect(lines, label).toHaveLength(8)
      for (const line of lines) expect(line, label).not.toMatch(/[\p{Cc}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u)
      expect(Declaration.extract(lines.join("\n")), label).toEqual(Option.none())
    }
  })

  it("§8.6 a prompt declares no commit outside its fences, whatever the issue and CI say", () => {
    for (const text of cases) {
      const issue = new Issue({
        repo: app,
        number: 7,
        title: text,
        body: text,
        labels: [],
        state: "open",
        author: "maintainer",
        url: text
      })
      const label = JSON.stringify(text)
      expect(Declaration.extract(Prompt.firstTurn({ issue, preamble: Option.none() })), label).toEqual(
        Option.none()
      )
      const fix = Prompt.fixForward({ issue, attempt: 1, maxAttempts: 3, commit: text, failing: checks(text) })
      expect(Declaration.extract(fix), label).toEqual(Option.none())
    }
  })
})
