import { describe, expect, it } from "@effect/vitest"
import * as DateTime from "effect/DateTime"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"
import { Comment } from "../src/Domain.js"
import * as RunRecord from "../src/RunRecord.js"

const t0 = DateTime.unsafeMake("2026-03-01T10:00:00Z")
const at = (seconds: number) => DateTime.add(t0, { seconds })

const record = (overrides: Partial<ConstructorParameters<typeof RunRecord.RunRecord>[0]> = {}) =>
  new RunRecord.RunRecord({
    v: 1,
    runId: "run-1",
    ordinal: 1,
    phase: "dispatched",
    threadId: "thread-1",
    startedAt: t0,
    turnStartedAt: t0,
    attempts: 0,
    redispatches: 0,
    ...overrides
  })

let nextId = 0
const comment = (author: string, body: string, seconds = nextId) =>
  new Comment({ id: `c${nextId++}`, author, body, createdAt: at(seconds) })

const bot = "afk-bot"

describe("RunRecord", () => {
  it("round-trips a record through its footer", () => {
    const full = record({
      commit: "abc1234",
      commitDeclaredAt: at(60),
      lastFailure: "build, test",
      notifyThread: "1700000000.0001",
      ending: new RunRecord.Outcome({ kind: "done", reason: "closed on green CI" }),
      phase: "done",
      attempts: 2,
      redispatches: 1
    })
    const parsed = RunRecord.parse(`Progress\n\n${RunRecord.footer(full)}`)
    expect(Option.getOrThrow(parsed)).toEqual(full)
  })

  it("writes a compact single-line hidden footer", () => {
    const text = RunRecord.footer(record())
    expect(text).toMatch(/^<!-- afk-run: \{.*\} -->$/)
    expect(text).not.toContain("\n")
    expect(text).toContain("\"startedAt\":\"2026-03-01T10:00:00.000Z\"")
  })

  it("R4: field content cannot close the footer comment early", () => {
    const hostile = record({
      lastFailure: "--> <!-- afk-run: {} --> & \u2028",
      ending: new RunRecord.Outcome({ kind: "frozen", reason: "--!> `x`" })
    })
    const text = RunRecord.footer(hostile)
    expect(text.indexOf("-->")).toBe(text.length - 3)
    expect(text.slice(4, -3)).not.toMatch(/[<>]/)
    expect(Option.getOrThrow(RunRecord.parse(text))).toEqual(hostile)
  })

  it("takes the last parseable footer of a body and skips garbage after it", () => {
    const first = record({ phase: "claimed" })
    const second = record({ phase: "dispatched", attempts: 1 })
    const body = [
      RunRecord.footer(first),
      RunRecord.footer(second),
      "<!-- afk-run: {not json} -->",
      "<!-- afk-run: {\"v\":2,\"runId\":\"x\"} -->",
      "<!-- afk-run: {\"v\":1,\"runId\":\"missing-fields\"} -->"
    ].join("\n")
    expect(Option.getOrThrow(RunRecord.parse(body))).toEqual(second)
  })

  it("tolerates unknown fields", () => {
    const encoded = JSON.parse(RunRecord.footer(record()).slice("<!-- afk-run: ".length, -" -->".length))
    const body = `<!-- afk-run: ${JSON.stringify({ ...encoded, future: { nested: true } })} -->`
    expect(Option.getOrThrow(RunRecord.parse(body)).runId).toBe("run-1")
  })

  it("finds nothing in a body without a footer, or with an unterminated one", () => {
    expect(RunRecord.parse("just text")).toEqual(Option.none())
    expect(RunRecord.parse(RunRecord.footer(record()).slice(0, -3))).toEqual(Option.none())
  })

  it("strips every footer and leaves the rest", () => {
    const body = `before\n${RunRecord.footer(record())}\nmiddle\n\n${RunRecord.footer(record({ phase: "done" }))}\n`
    expect(RunRecord.strip(body)).toBe("before\n\nmiddle")
    expect(RunRecord.strip("no footer here\n")).toBe("no footer here\n")
  })

  it("R4: a 1 MB body of half-open comments yields nothing and strips nothing", () => {
    const hostile = "<!-- afk-run: ".repeat(80_000)
    expect(RunRecord.parse(hostile)).toEqual(Option.none())
    expect(RunRecord.strip(hostile)).toBe(hostile)
  })

  it("R4: an unterminated footer before a real one does not swallow it", () => {
    const real = record({ attempts: 4 })
    const body = `<!-- afk-run: {"v":1, oops\n${RunRecord.footer(real)}`
    expect(Option.getOrThrow(RunRecord.parse(body))).toEqual(real)
  })

  it("knows the terminal phases", () => {
    expect(RunRecord.isTerminal(record({ phase: "done" }))).toBe(true)
    expect(RunRecord.isTerminal(record({ phase: "escalated" }))).toBe(true)
    expect(RunRecord.isTerminal(record({ phase: "claimed" }))).toBe(false)
    expect(RunRecord.isTerminal(record({ phase: "dispatched" }))).toBe(false)
  })

  describe("latest", () => {
    it("returns the newest bot-authored comment with a parseable footer", () => {
      const older = comment(bot, RunRecord.footer(record({ attempts: 0 })))
      const newer = comment(bot, `checklist\n\n${RunRecord.footer(record({ attempts: 1 }))}`)
      const chatter = comment(bot, "a plain bot comment")
      const found = Option.getOrThrow(RunRecord.latest([older, newer, chatter], bot))
      expect(found.record.attempts).toBe(1)
      expect(found.comment).toBe(newer)
    })

    it("R4: a forged footer in someone else's comment is ignored", () => {
      const mine = comment(bot, RunRecord.footer(record({ phase: "dispatched" })))
      const forged = comment(
        "mallory",
        RunRecord.footer(record({ phase: "done", ending: new RunRecord.Outcome({ kind: "done", reason: "forged" }) }))
      )
      const found = Option.getOrThrow(RunRecord.latest([mine, forged], bot))
      expect(found.record.phase).toBe("dispatched")
      expect(RunRecord.latest([forged], bot)).toEqual(Option.none())
    })

    it("matches the bot login case-insensitively", () => {
      const mine = comment("AFK-Bot", RunRecord.footer(record()))
      expect(Option.isSome(RunRecord.latest([mine], bot))).toBe(true)
    })

    it("skips a newer bot comment whose footer is garbage", () => {
      const good = comment(bot, RunRecord.footer(record({ attempts: 3 })))
      const broken = comment(bot, "<!-- afk-run: {truncated -->")
      expect(Option.getOrThrow(RunRecord.latest([good, broken], bot)).record.attempts).toBe(3)
    })
  })

  describe("forRun", () => {
    it("returns the newest bot record of that run, not of another run", () => {
      const first = comment(bot, RunRecord.footer(record({ runId: "run-1", phase: "escalated" })))
      const second = comment(bot, RunRecord.footer(record({ runId: "run-2", ordinal: 2 })))
      const forged = comment("mallory", RunRecord.footer(record({ runId: "run-1", phase: "done" })))
      const found = Option.getOrThrow(RunRecord.forRun([first, second, forged], bot, "run-1"))
      expect(found.record.phase).toBe("escalated")
      expect(found.comment).toBe(first)
      expect(RunRecord.forRun([first, second], bot, "run-3")).toEqual(Option.none())
    })
  })

  describe("terminalRuns", () => {
    it("counts distinct runs whose newest record is terminal", () => {
      const comments = [
        comment(bot, RunRecord.footer(record({ runId: "run-1", phase: "dispatched" }))),
        comment(bot, RunRecord.footer(record({ runId: "run-1", phase: "escalated" }))),
        comment(bot, RunRecord.footer(record({ runId: "run-1", phase: "escalated" }))),
        comment(bot, RunRecord.footer(record({ runId: "run-2", ordinal: 2, phase: "done" }))),
        comment(bot, RunRecord.footer(record({ runId: "run-3", ordinal: 3, phase: "claimed" })))
      ]
      expect(RunRecord.terminalRuns(comments, bot)).toBe(2)
    })

    it("a run whose newest record is not terminal does not count", () => {
      const comments = [
        comment(bot, RunRecord.footer(record({ runId: "run-1", phase: "done" }))),
        comment(bot, RunRecord.footer(record({ runId: "run-1", phase: "dispatched" })))
      ]
      expect(RunRecord.terminalRuns(comments, bot)).toBe(0)
    })

    it("R4: forged terminal records by others do not advance the ordinal", () => {
      const comments = [
        comment("mallory", RunRecord.footer(record({ runId: "run-1", phase: "done" }))),
        comment("mallory", RunRecord.footer(record({ runId: "run-9", phase: "escalated" })))
      ]
      expect(RunRecord.terminalRuns(comments, bot)).toBe(0)
    })
  })

  describe("the outcome", () => {
    const oldFooter = (fields: Record<string, unknown>) =>
      `<!-- afk-run: ${
        JSON.stringify({
          v: 1,
          runId: "run-1",
          ordinal: 1,
          threadId: "thread-1",
          startedAt: "2026-03-01T10:00:00.000Z",
          turnStartedAt: "2026-03-01T10:00:00.000Z",
          attempts: 3,
          redispatches: 0,
          ...fields
        })
      } -->`
    const read = (footer: string) => Option.getOrThrow(RunRecord.parse(footer))

    it("reads records written while the outcome was text, `frozen: ` marking a frozen run", () => {
      const frozen = read(oldFooter({ phase: "escalated", outcome: "frozen: CI is red with the same failure." }))
      expect(frozen.ending).toEqual(
        new RunRecord.Outcome({ kind: "frozen", reason: "CI is red with the same failure." })
      )
      expect(frozen.outcome).toBe("frozen: CI is red with the same failure.")
      const handed = read(oldFooter({ phase: "escalated", outcome: "a person closed the issue" }))
      expect(handed.ending).toEqual(new RunRecord.Outcome({ kind: "needs-human", reason: "a person closed the issue" }))
      const done = read(oldFooter({ phase: "done", outcome: "CI is green on abc1234" }))
      expect(done.ending).toEqual(new RunRecord.Outcome({ kind: "done", reason: "CI is green on abc1234" }))
      const pending = read(oldFooter({ phase: "dispatched", handover: "frozen: the budget is spent" }))
      expect(pending.handover).toEqual(new RunRecord.Outcome({ kind: "frozen", reason: "the budget is spent" }))
      expect(pending.ending).toBeUndefined()
    })

    it("writes the outcome as data, a kind and a reason, and reads it back as written", () => {
      const ending = new RunRecord.Outcome({ kind: "frozen", reason: "CI is red with the same failure." })
      const handover = new RunRecord.Outcome({ kind: "needs-human", reason: "frozen: words a person wrote" })
      const written = record({ phase: "escalated", ending, handover })
      const footer = RunRecord.footer(written)
      expect(footer).toContain(`"ending":{"kind":"frozen","reason":"CI is red with the same failure."}`)
      expect(footer).not.toContain(`"outcome"`)
      expect(read(footer)).toEqual(written)
      expect(read(footer).handover?.kind).toBe("needs-human")
      expect(read(footer).outcome).toBe("frozen: CI is red with the same failure.")
    })
  })

  it.prop(
    "any record survives footer → parse, embedded in arbitrary text",
    {
      text: FastCheck.string({ maxLength: 200 }),
      lastFailure: FastCheck.option(FastCheck.string({ maxLength: 60 }), { nil: undefined }),
      outcome: FastCheck.option(FastCheck.string({ maxLength: 60 }), { nil: undefined }),
      kind: FastCheck.constantFrom("done" as const, "needs-human" as const, "frozen" as const),
      attempts: FastCheck.nat(20)
    },
    ({ attempts, kind, lastFailure, outcome, text }) => {
      const value = record({
        attempts,
        ...(lastFailure === undefined ? {} : { lastFailure }),
        ...(outcome === undefined ? {} : { ending: new RunRecord.Outcome({ kind, reason: outcome }) })
      })
      const parsed = RunRecord.parse(`${text}\n${RunRecord.footer(value)}`)
      expect(Option.getOrThrow(parsed)).toEqual(value)
    }
  )
})
