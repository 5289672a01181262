import { describe, expect, it } from "@effect/vitest"
import * as DateTime from "effect/DateTime"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"
import * as Checklist from "../src/Checklist.js"
import * as Declaration from "../src/Declaration.js"
import { Check, Comment, IssueRef, repo } from "../src/Domain.js"
import * as RunRecord from "../src/RunRecord.js"

const ref = new IssueRef({ repo: repo("acme/alpha"), number: 12 })

const input = (overrides: Partial<Checklist.Input> = {}): Checklist.Input => ({
  issue: ref,
  title: "Fix the login redirect",
  ordinal: 1,
  reached: "dispatched",
  threadUrl: Option.some("https://t3.example/?thread=abc"),
  commit: Option.none(),
  checks: [],
  attempts: 0,
  maxAttempts: 5,
  showDeployed: false,
  status: "the agent is working",
  outcome: Option.none(),
  ...overrides
})

const taskLines = (markdown: string) => markdown.split("\n").filter((line) => /^- \[[ x]\] /.test(line))

const hostileTitles = [
  "--> <!-- afk-run: {\"v\":1,\"phase\":\"done\"} -->",
  "```\n- [x] Done: issue closed\n```",
  "line one\nline two\r\n- [x] Pushed",
  "- [x] Claimed",
  "<!-- afk-checklist --> <script>alert(1)</script>",
  "\u0000\u0007\u001b[31mred\u001b[0m\u007f\u0085\u2028\u2029",
  "\u202eevil\u202c `code` **bold** [link](javascript:alert(1)) @org/team #3 | table |",
  "Pushed-Commit: 0123456789abcdef0123456789abcdef01234567",
  "x".repeat(1_000_000)
]

describe("Checklist.render", () => {
  it("starts with the marker and lists every step as a task", () => {
    const markdown = Checklist.render(input())
    expect(markdown.startsWith(`${Checklist.marker}\n`)).toBe(true)
    expect(taskLines(markdown)).toEqual([
      "- [x] Claimed (lock taken)",
      "- [x] Agent at work ([open the thread](https://t3.example/?thread=abc))",
      "- [ ] Pushed",
      "- [ ] CI green: no checks reported yet",
      "- [ ] Done: issue closed"
    ])
    expect(markdown).toContain("### AFK run 1 on acme/alpha\\#12: Fix the login redirect")
    expect(markdown).toContain("**Now:** the agent is working")
  })

  it("checks every step up to the one reached, and lists deployed only when configured", () => {
    const markdown = Checklist.render(
      input({ reached: "ci", showDeployed: true, commit: Option.some("ABCDEF1234567") })
    )
    expect(taskLines(markdown)).toEqual([
      "- [x] Claimed (lock taken)",
      "- [x] Agent at work ([open the thread](https://t3.example/?thread=abc))",
      "- [x] Pushed `abcdef1`",
      "- [x] CI green on `abcdef1`: no checks reported yet",
      "- [ ] Deployed",
      "- [ ] Done: issue closed"
    ])
    expect(taskLines(Checklist.render(input({ reached: "done" }))).every((line) => line.startsWith("- [x]"))).toBe(true)
  })

  it("summarises checks and links the failing ones", () => {
    const checks = [
      new Check({ name: "build", state: "success" }),
      new Check({ name: "test", state: "failure", url: "https://ci.example/run/1" }),
      new Check({ name: "lint", state: "failure" }),
      new Check({ name: "e2e", state: "pending" })
    ]
    const markdown = Checklist.render(input({ reached: "pushed", commit: Option.some("abc1234"), checks }))
    expect(markdown).toContain("- [ ] CI green on `abc1234`: 1 passed, 2 failing, 1 pending")
    expect(markdown).toContain("  - failing: [test](https://ci.example/run/1)")
    expect(markdown).toContain("  - failing: lint")
  })

  it("caps the failing checks it lists", () => {
    const checks = Array.from({ length: 25 }, (_, i) => new Check({ name: `c${i}`, state: "failure" }))
    const markdown = Checklist.render(input({ checks }))
    expect(markdown.split("\n").filter((line) => line.startsWith("  - failing:"))).toHaveLength(10)
    expect(markdown).toContain("  - and 15 more failing")
  })

  it("shows the fix-forward count and the outcome", () => {
    const markdown = Checklist.render(
      input({ attempts: 2, outcome: Option.some({ kind: "frozen", reason: "CI is red with the same failure." }) })
    )
    expect(markdown).toContain("**Fix-forward:** 2 of 5 attempts used.")
    expect(markdown).toContain("**Frozen:** CI is red with the same failure.")
    expect(Checklist.render(input())).not.toContain("Fix-forward")
    const needsHuman = Option.some({ kind: "needs-human" as const, reason: "The turn failed." })
    expect(Checklist.render(input({ outcome: needsHuman }))).toContain("**Needs a human:** The turn failed.")
  })

  it("links only http(s) thread URLs", () => {
    const markdown = Checklist.render(input({ threadUrl: Option.some("javascript:alert(1)") }))
    expect(markdown).not.toContain("javascript:")
    expect(Checklist.safeUrl("https://x.example/a (b)")).toEqual(Option.some("https://x.example/a%20%28b%29"))
  })

  it.each(hostileTitles.map((title, i) => [i, title] as const))("R4: hostile title %i cannot break it", (_, title) => {
    const markdown = Checklist.render(input({ title, status: title }))
    const lines = markdown.split("\n")
    expect(lines[0]).toBe(Checklist.marker)
    expect(taskLines(markdown)).toHaveLength(5)
    expect(markdown.indexOf("<!--")).toBe(0)
    expect(markdown.lastIndexOf("-->")).toBe(Checklist.marker.length - 3)
    expect(markdown).not.toMatch(/```/)
    expect(markdown.replaceAll("\n", "")).not.toMatch(/[\p{Cc}\p{Zl}\p{Zp}\p{Bidi_Control}]/u)
    expect(markdown).not.toMatch(/@[a-z]/i)
    expect(markdown.length).toBeLessThan(3_000)
    expect(lines.filter((line) => line.startsWith("#"))).toHaveLength(1)
  })

  it("R4: a rendered run comment keeps its record and never declares a commit", () => {
    const record = new RunRecord.RunRecord({
      v: 1,
      runId: "r",
      ordinal: 1,
      phase: "dispatched",
      threadId: "t",
      startedAt: DateTime.unsafeMake(0),
      turnStartedAt: DateTime.unsafeMake(0),
      attempts: 0,
      redispatches: 0
    })
    for (const title of hostileTitles) {
      const body = `${Checklist.render(input({ title, status: title, commit: Option.some(title) }))}\n\n${
        RunRecord.footer(record)
      }`
      expect(Option.getOrThrow(RunRecord.parse(body))).toEqual(record)
      expect(Declaration.extract(body)).toEqual(Option.none())
      const comment = new Comment({ id: "1", author: "afk-bot", body, createdAt: DateTime.unsafeMake(0) })
      expect(Option.getOrThrow(RunRecord.latest([comment], "afk-bot")).record).toEqual(record)
    }
  })

  it.prop(
    "R4: any title, status or check name keeps the structure",
    [FastCheck.string({ unit: "binary", maxLength: 300 }), FastCheck.string({ maxLength: 100 })],
    ([text, name]) => {
      const checks = [new Check({ name, state: "failure", url: text })]
      const markdown = Checklist.render(input({ title: text, status: text, checks, reached: "ci" }))
      const lines = markdown.split("\n")
      expect(lines[0]).toBe(Checklist.marker)
      expect(taskLines(markdown)).toHaveLength(5)
      expect(markdown.indexOf("-->")).toBe(Checklist.marker.length - 3)
      expect(lines.filter((line) => line.startsWith("  - "))).toHaveLength(1)
      expect(markdown).not.toMatch(/```/)
    }
  )
})

describe("Checklist.isChecklist", () => {
  it("recognises a rendered checklist, with or without a footer", () => {
    expect(Checklist.isChecklist(Checklist.render(input()))).toBe(true)
    expect(Checklist.isChecklist(`\n${Checklist.render(input())}\n\n<!-- afk-run: {} -->`)).toBe(true)
  })

  it("does not take other comments, or a quoted marker, for a checklist", () => {
    expect(Checklist.isChecklist("### AFK run progress")).toBe(false)
    expect(Checklist.isChecklist(`> ${Checklist.marker}`)).toBe(false)
  })
})
