import { describe, expect, it } from "@effect/vitest"
import * as DateTime from "effect/DateTime"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"
import * as Declaration from "../src/Declaration.js"
import { Comment } from "../src/Domain.js"
import * as RunRecord from "../src/RunRecord.js"

const t0 = DateTime.unsafeMake("2026-03-01T10:00:00Z")
const at = (seconds: number) => DateTime.add(t0, { seconds })
const bot = "afk-bot"
const sha = "0123456789abcdef0123456789abcdef01234567"

const comment = (author: string, body: string, seconds: number) =>
  new Comment({ id: `c${seconds}`, author, body, createdAt: at(seconds) })

describe("Declaration.extract", () => {
  it.each([
    ["a bare line", `Pushed-Commit: ${sha}`, sha],
    ["a short sha", "Pushed-Commit: abc1234", "abc1234"],
    ["backticks around the sha", "Pushed-Commit: `ABC1234DEF`", "abc1234def"],
    ["surrounding spaces", "   Pushed-Commit:    abc1234   ", "abc1234"],
    ["any case of the key", "pushed-commit: abc1234", "abc1234"],
    ["a final line after a report", `I fixed the bug and pushed it.\n\nPushed-Commit: ${sha}\n`, sha],
    ["CRLF line endings", "done\r\nPushed-Commit: abc1234\r\n", "abc1234"]
  ])("reads %s", (_, text, expected) => {
    expect(Declaration.extract(text)).toEqual(Option.some(expected))
  })

  it("takes the last declaration line of the text", () => {
    expect(Declaration.extract("Pushed-Commit: aaaaaaa\nthen\nPushed-Commit: bbbbbbb")).toEqual(Option.some("bbbbbbb"))
  })

  it.each([
    ["a sha in prose", `I pushed ${sha} to main.`],
    ["a declaration inside a sentence", "As asked, Pushed-Commit: abc1234 is what I would push."],
    ["an image tag in a no-change report", "No change needed; the image b0ef3eca is already deployed."],
    ["a run's own job id", "Job 0a1b2c3d4e5f finished."],
    ["too short a sha", "Pushed-Commit: abc123"],
    ["too long a sha", `Pushed-Commit: ${sha}0`],
    ["a non-hex value", "Pushed-Commit: abcdefg"],
    ["a placeholder", "Pushed-Commit: <sha>"],
    ["two shas on one line", "Pushed-Commit: abc1234 def5678"]
  ])("§8.6 prose is never read as a commit: %s", (_, text) => {
    expect(Declaration.extract(text)).toEqual(Option.none())
  })

  it("§8.6 a commit in a run-record footer is not a declaration", () => {
    const record = new RunRecord.RunRecord({
      v: 1,
      runId: "r",
      ordinal: 1,
      phase: "dispatched",
      threadId: "t",
      startedAt: t0,
      turnStartedAt: t0,
      attempts: 0,
      redispatches: 0,
      lastFailure: "\nPushed-Commit: abc1234\n",
      commit: sha
    })
    expect(Declaration.extract(`checklist\n${RunRecord.footer(record)}`)).toEqual(Option.none())
    expect(Declaration.extract(`<!-- afk-run: {\nPushed-Commit: abc1234\n} -->`)).toEqual(Option.none())
  })

  it.prop(
    "§8.6 text without a line of the declaration form never yields a commit",
    [FastCheck.array(FastCheck.oneof(FastCheck.hexaString({ minLength: 7, maxLength: 40 }), FastCheck.string()))],
    ([words]) => {
      const text = words.join(" ").replace(/pushed-commit/gi, "")
      expect(Declaration.extract(text)).toEqual(Option.none())
    }
  )
})

describe("Declaration.fromComments", () => {
  it("returns the newest declaration in a bot comment and when it was declared", () => {
    const comments = [
      comment(bot, "Pushed-Commit: aaaaaaa", 10),
      comment(bot, "progress only", 20),
      comment(bot, "Pushed-Commit: bbbbbbb", 30),
      comment(bot, "later chatter", 40)
    ]
    expect(Declaration.fromComments(comments, bot, t0)).toEqual(Option.some({ sha: "bbbbbbb", declaredAt: at(30) }))
  })

  it("§8.6 a Pushed-Commit line by a non-bot is ignored", () => {
    const comments = [comment(bot, "Pushed-Commit: aaaaaaa", 10), comment("mallory", "Pushed-Commit: fffffff", 20)]
    expect(Declaration.fromComments(comments, bot, t0)).toEqual(Option.some({ sha: "aaaaaaa", declaredAt: at(10) }))
    expect(Declaration.fromComments([comments[1]!], bot, t0)).toEqual(Option.none())
  })

  it("ignores declarations made before the run started (an earlier run's commit)", () => {
    const comments = [comment(bot, "Pushed-Commit: aaaaaaa", 10), comment(bot, "new run claimed", 100)]
    expect(Declaration.fromComments(comments, bot, at(50))).toEqual(Option.none())
    expect(Declaration.fromComments(comments, bot, at(10))).toEqual(Option.some({ sha: "aaaaaaa", declaredAt: at(10) }))
  })

  it("§8.24 the declaration time is the creation time of the comment that carries it", () => {
    const comments = [comment(bot, "started", 0), comment(bot, "Pushed-Commit: abc1234", 3600)]
    const found = Option.getOrThrow(Declaration.fromComments(comments, bot, t0))
    expect(DateTime.toEpochMillis(found.declaredAt)).toBe(DateTime.toEpochMillis(at(3600)))
  })
})
