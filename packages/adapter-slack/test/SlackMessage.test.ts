/** Rendering: markers, links, mentions, escaping of hostile issue content, and Block Kit limits. */
import { describe, expect, it } from "@effect/vitest"
import { Declaration, Domain, RunRecord } from "afk-core"
import { HostileText } from "afk-core/testing"
import * as Option from "effect/Option"
import { SlackMessage } from "../src/index.js"
import { BlockKitRules } from "../src/testing/index.js"
import { allKinds, done, mention, notification, slackTokens } from "./fixtures.js"

const texts = (message: SlackMessage.Message): ReadonlyArray<string> => [
  message.text,
  ...message.blocks.flatMap((block) => block.type === "section" ? [block.text.text] : block.elements.map((e) => e.text))
]

const allText = (message: SlackMessage.Message): string => texts(message).join("\n")

describe("SlackMessage.render", () => {
  it("opens every kind with its emoji-free marker, in the blocks and in the text fallback", () => {
    const markers = allKinds.map((n) => {
      const message = SlackMessage.render(n)
      const first = message.blocks[0]
      expect(first?.type).toBe("section")
      expect(message.text).toContain(SlackMessage.marker(n.kind))
      expect(allText(message)).not.toMatch(/:[a-z0-9_+-]+:/)
      return first?.type === "section" ? first.text.text.split(" ")[0] : undefined
    })
    expect(markers).toEqual(["*[DONE]*", "*[NEEDS-HUMAN]*", "*[FROZEN]*", "*[DISPATCHED]*"])
  })

  it("links owner/repo#n and the title to the issue, with the headline beneath", () => {
    const message = SlackMessage.render(notification())
    const first = message.blocks[0]
    expect(first).toEqual({
      type: "section",
      text: {
        type: "mrkdwn",
        verbatim: true,
        text:
          "*[NEEDS-HUMAN]* <https://github.com/acme/widgets/issues/42|acme/widgets#42 Login page times out under load>\nThe run stopped and needs a person."
      }
    })
    expect(message.text).toBe(
      "[NEEDS-HUMAN] acme/widgets#42 Login page times out under load: The run stopped and needs a person."
    )
  })

  it("lists what was found, tried and why it stopped, and links the agent thread", () => {
    const text = allText(SlackMessage.render(notification()))
    expect(text).toContain("*What happened*\n• Found: the session store drops connections after 30 s.")
    expect(text).toContain("• Tried: raising the pool size; CI stayed red.\n• Stopped: 5 fix-forward attempts used.")
    expect(text).toContain(
      "Thread: <https://t3.example/?thread=0b0e6b9e-2a37-5c1c-9c1d-1b9c1f4d2f10|open the agent thread>"
    )
  })

  it("shows the commit and every check with its state when a run is done", () => {
    const text = allText(SlackMessage.render(done()))
    expect(text).toContain("*Commit* `f69e3dcc1a2b3c4d5e6f708192a3b4c5d6e7f809`")
    expect(text).toContain("*Checks*\n• passed <https://ci.example/runs/1|build>\n• passed deploy/production")
  })

  it("puts the mention, verbatim, on escalations only", () => {
    const mentioned = allKinds.map((n) => {
      const message = SlackMessage.render(n, { mention })
      return [n.kind, message.text.startsWith(`${mention} `), allText(message).includes(mention)]
    })
    expect(mentioned).toEqual([
      ["done", false, false],
      ["needs-human", true, true],
      ["frozen", true, true],
      ["dispatched", false, false]
    ])
  })

  it("renders a hostile title so it can neither ping a channel nor plant a link", () => {
    const hostile = "<!channel> <https://evil.example|click> & <@U0BOSS>"
    const message = SlackMessage.render(notification({ title: hostile, headline: "<!here> urgent" }))
    for (const text of texts(message)) {
      expect(
        slackTokens(text).filter((token) => !token.startsWith("<https://github.com/acme/widgets/issues/42|"))
      ).toEqual(
        text.startsWith("Thread:")
          ? ["<https://t3.example/?thread=0b0e6b9e-2a37-5c1c-9c1d-1b9c1f4d2f10|open the agent thread>"]
          : []
      )
    }
    expect(message.text).toContain("&lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; &lt;@U0BOSS&gt;")
    expect(allText(message)).not.toContain("<!here>")
  })

  it("escapes details, check names and summaries, and encodes | and > in link targets", () => {
    const message = SlackMessage.render(
      done({
        details: ["log said <!everyone> & quit"],
        checks: [
          new Domain.Check({
            name: "<!here> lint",
            state: "failure",
            url: "https://ci.example/run?a=1&b=2|<x>",
            summary: "see <https://evil.example>"
          })
        ]
      })
    )
    const text = allText(message)
    expect(text).toContain("• log said &lt;!everyone&gt; &amp; quit")
    expect(text).toContain(
      "• failed <https://ci.example/run?a=1&amp;b=2%7C%3Cx%3E|&lt;!here&gt; lint> — see &lt;https://evil.example&gt;"
    )
    for (const token of slackTokens(text)) {
      const [target] = token.slice(1, -1).split("|")
      expect(target).toMatch(/^https:\/\/[^|<>\s]+$/)
    }
  })

  it("never links a URL that is not http(s)", () => {
    const message = SlackMessage.render(
      done({
        issueUrl: "javascript:alert(1)",
        threadUrl: "slack://open?x=<!channel>",
        checks: [new Domain.Check({ name: "build", state: "pending", url: "data:text/html,<b>" })]
      })
    )
    expect(slackTokens(allText(message))).toEqual([])
    expect(allText(message)).toContain("Thread: slack://open?x=&lt;!channel&gt;")
    expect(allText(message)).toContain("• pending build")
  })

  it("keeps a huge issue within Block Kit's limits, noting what was left out", () => {
    const message = SlackMessage.render(
      done({
        kind: "frozen",
        title: "&".repeat(10_000),
        headline: "<".repeat(5_000),
        details: Array.from({ length: 400 }, (_, i) => `${i}: ${">".repeat(2_000)}`),
        checks: Array.from(
          { length: 300 },
          (_, i) =>
            new Domain.Check({ name: `check-${i}-${"&".repeat(300)}`, state: "failure", summary: "x".repeat(900) })
        )
      }),
      { mention }
    )
    expect(BlockKitRules.validate(message.blocks)).toEqual([])
    expect(message.blocks.length).toBeLessThanOrEqual(50)
    expect(message.text.length).toBeLessThanOrEqual(SlackMessage.maxTextLength)
    expect(allText(message)).toMatch(/…and \d+ more/)
    expect(allText(message)).not.toMatch(/&(?!amp;|lt;|gt;)/)
  })
})

describe("SlackMessage.escapeWithin", () => {
  it("cuts before an entity, never inside one", () => {
    for (let max = 2; max < 30; max++) {
      const out = SlackMessage.escapeWithin("a&<>b".repeat(10), max)
      expect(out.length).toBeLessThanOrEqual(max)
      expect(out.endsWith("…")).toBe(true)
      expect(out).not.toMatch(/&(?!amp;|lt;|gt;)/)
    }
  })

  it("leaves text that fits alone, apart from escaping", () => {
    expect(SlackMessage.escapeWithin("a < b & c > d", 100)).toBe("a &lt; b &amp; c &gt; d")
  })
})

describe("SlackMessage.render: echoed text is inert", () => {
  const cases = HostileText.cases()
  const lineCounts = (message: SlackMessage.Message) => texts(message).map((text) => text.split(/\r\n|\r|\n/).length)
  const carrying = (text: string) =>
    notification({
      kind: "frozen",
      title: text,
      headline: `Handed to a human: frozen: CI is red on abc1234 (${text}).`,
      details: [text, `frozen: ${text}`],
      commit: text,
      threadUrl: text,
      checks: [
        new Domain.Check({ name: text, state: "failure", url: text, summary: text }),
        new Domain.Check({ name: `lint ${text}`, state: "success" })
      ]
    })

  it(`§8.6 no hostile text adds a line, a footer or a declaration, for ${cases.length} texts`, () => {
    const plain = lineCounts(SlackMessage.render(carrying("x"), { mention }))
    for (const text of cases) {
      const message = SlackMessage.render(carrying(text), { mention })
      const label = JSON.stringify(text)
      expect(lineCounts(message), label).toEqual(plain)
      for (const each of texts(message)) {
        expect(Declaration.extract(each), label).toEqual(Option.none())
        expect(RunRecord.parseAll(each), label).toEqual([])
      }
    }
  })
})
