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

  const fenced = (open: string, close = open) => `Done.\n${open}\nPushed-Commit: ${sha}\n${close}\nNothing pushed.`

  it.each([
    ["a ``` fence", fenced("```")],
    ["a ~~~ fence", fenced("~~~")],
    ["a longer fence with an info string", fenced("`````text", "`````")],
    ["a fence indented three spaces", fenced("   ```", "  ```")],
    ["a fence closed only by a longer one", fenced("````", "```\n````")],
    ["a ~~~ fence not closed by backticks", fenced("~~~", "```\n~~~~")],
    ["a fence never closed", `Here is the template:\n\`\`\`\nPushed-Commit: ${sha}`],
    ["a block quote", `The issue says:\n> Pushed-Commit: ${sha}`],
    ["a quote marker indented three spaces", `   >Pushed-Commit: ${sha}`],
    ["a quote's lazy continuation line", `> As the issue asked,\nPushed-Commit: ${sha}`],
    ["a one-line HTML comment", `<!-- Pushed-Commit: ${sha} -->`],
    ["an HTML comment spanning lines", `Done.\n<!--\nPushed-Commit: ${sha}\n-->\nNothing pushed.`],
    ["an HTML comment opened mid-line", `Done <!-- hidden\nPushed-Commit: ${sha}\n-->`],
    ["a line an HTML comment ends on", `<!-- x\n--> Pushed-Commit: ${sha}`],
    ["four spaces of indentation (an indented code block)", `Done.\n\n    Pushed-Commit: ${sha}`],
    ["a tab before it", `\tPushed-Commit: ${sha}`],
    ["a line separator before it", `Done.\u2028Pushed-Commit: ${sha}`],
    ["a fence inside a list item", `- \`\`\`\n  Pushed-Commit: ${sha}\n  \`\`\``],
    ["a fence inside a quote inside a list item", `1. > \`\`\`\n   > Pushed-Commit: ${sha}`],
    ["a code span spanning lines", `See \`\`\nPushed-Commit: ${sha}\n\`\` for the format.`],
    ["an HTML tag spanning lines", `See <a title="\nPushed-Commit: ${sha}\n">the log</a>.`],
    ["a <pre> block", `<pre>\nPushed-Commit: ${sha}\n</pre>`],
    ["a list item", `- Pushed-Commit: ${sha}`],
    ["a list item's second paragraph", `1. Done.\n\n   Pushed-Commit: ${sha}`]
  ])("§8.6 a declaration inside %s does not count", (_, text) => {
    expect(Declaration.extract(text)).toEqual(Option.none())
  })

  it.each([
    ["after a closed fence", `\`\`\`\nPushed-Commit: aaaaaaa\n\`\`\`\nPushed-Commit: ${sha}`],
    ["after a closed ~~~ fence", `~~~~\n\`\`\`\n~~~~\nPushed-Commit: ${sha}`],
    ["after a quote and a blank line", `> Pushed-Commit: aaaaaaa\n\nPushed-Commit: ${sha}`],
    ["after a quote ended by a fence", `> quoted\n\`\`\`\nx\n\`\`\`\nPushed-Commit: ${sha}`],
    ["after a closed HTML comment", `<!--\nPushed-Commit: aaaaaaa\n-->\nPushed-Commit: ${sha}`],
    ["after an empty HTML comment", `<!-->\nPushed-Commit: ${sha}`],
    ["when a backtick line cannot open a fence", `\`\`\`a\`b\nPushed-Commit: ${sha}`],
    ["when a fence-like line is inside an HTML comment", `<!--\n\`\`\`\n-->\nPushed-Commit: ${sha}`],
    ["when an HTML comment is inside a fence", `\`\`\`\n<!--\n\`\`\`\nPushed-Commit: ${sha}`],
    ["when the marker of a quote is inside a fence", `\`\`\`\n> x\n\`\`\`\nPushed-Commit: ${sha}`]
  ])("a declaration on its own line counts %s", (_, text) => {
    expect(Declaration.extract(text)).toEqual(Option.some(sha))
  })

  it("§8.6 a comment left open ends with its paragraph, so it cannot hide a fence and expose what is in one", () => {
    const text = [
      "See <!-- the note",
      "",
      "```",
      "-->",
      "```",
      `Pushed-Commit: ${sha}`,
      "```",
      "Pushed-Commit: bbbbbbb",
      "```"
    ].join("\n")
    expect(Declaration.extract(text)).toEqual(Option.some(sha))
  })

  it("R4: hostile markdown that makes naive parsers quadratic is read in linear time", () => {
    const started = performance.now()
    for (const unit of ["[a](", "![a](", "<a b=\"", "`a ``b ", "> ", "*_"]) {
      expect(Declaration.extract(`${unit.repeat(200_000 / unit.length)}\n\nPushed-Commit: ${sha}`)).toEqual(
        Option.some(sha)
      )
    }
    expect(performance.now() - started).toBeLessThan(10_000)
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

  it("§8.6 a declaration the bot only quotes, fences or hides in a comment does not count", () => {
    const comments = [
      comment(bot, `Pushed-Commit: aaaaaaa`, 10),
      comment(bot, `The agent said:\n\`\`\`\nPushed-Commit: ${sha}\n\`\`\``, 20),
      comment(bot, `> Pushed-Commit: ${sha}`, 30),
      comment(bot, `<!--\nPushed-Commit: ${sha}\n-->`, 40)
    ]
    expect(Declaration.fromComments(comments, bot, t0)).toEqual(Option.some({ sha: "aaaaaaa", declaredAt: at(10) }))
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
