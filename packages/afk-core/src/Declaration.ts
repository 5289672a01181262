/**
 * The declared commit (PRODUCT §6, prior-art §6b and §8.6): a run has pushed only when an explicit line
 * `Pushed-Commit: <7–40 hex>` stands on its own line in the agent's final message or a bot-authored
 * comment. A sha is never guessed from prose, run-record footers are stripped before looking, and lines
 * in anyone else's comments are ignored. Echoed text is inert: the text is read as CommonMark, and only a
 * line of a top-level paragraph counts, never one inside a code block or code span, a block quote, a list
 * or an HTML comment (or any raw HTML).
 */
import * as DateTime from "effect/DateTime"
import * as Option from "effect/Option"
import MarkdownIt, { type Token } from "markdown-it"
import type { Comment } from "./Domain.js"
import * as RunRecord from "./RunRecord.js"

const declarationLine = /^Pushed-Commit:[ \t]*`?([0-9a-f]{7,40})`?[ \t]*$/i

const commonMark = new MarkdownIt("commonmark")

/**
 * The lines of a paragraph as a reader sees them, split at its line breaks. A line any inline markup but
 * a code span touches (raw HTML and comments, emphasis, links) is left out, and a code span keeps its
 * backticks, so the inside of a code span that spans lines never makes a line of its own.
 */
const paragraphLines = (children: ReadonlyArray<Token>): ReadonlyArray<string> => {
  const lines: Array<string> = []
  let line = ""
  let plain = true
  for (const child of children) {
    if (child.type === "softbreak" || child.type === "hardbreak") {
      if (plain) lines.push(line)
      line = ""
      plain = true
    } else if (child.type === "text") {
      line += child.content
    } else if (child.type === "code_inline") {
      line += `${child.markup}${child.content}${child.markup}`
    } else {
      plain = false
    }
  }
  if (plain) lines.push(line)
  return lines
}

/**
 * Every plain line of `text` read as CommonMark (the spec GitHub's renderer follows): the lines of its
 * top-level paragraphs, outside any block quote or list. Code blocks (fenced or indented), HTML blocks
 * and comments are not paragraphs, so nothing inside them is a plain line, however the markup nests. The
 * parser is markdown-it's CommonMark mode, which stays linear on hostile input (unclosed links, nesting).
 */
const plainLines = (text: string): ReadonlyArray<string> =>
  commonMark.parse(text, {}).flatMap((token, i, tokens) => {
    const opener = tokens[i - 1]
    return token.type === "inline" && opener?.type === "paragraph_open" && opener.level === 0
      ? paragraphLines(token.children ?? [])
      : []
  })

/**
 * The sha of the last plain line that is exactly `Pushed-Commit: <7–40 hex>` (optional backticks around
 * the sha, key in any case), lower-cased; footers are stripped first. Prose never counts, nor does a line
 * inside a code block or code span, a block quote, a list or an HTML comment.
 */
export const extract = (text: string): Option.Option<string> => {
  const lines = plainLines(RunRecord.strip(text))
  for (let i = lines.length - 1; i >= 0; i--) {
    const match = declarationLine.exec(lines[i]!)
    if (match !== null) return Option.some(match[1]!.toLowerCase())
  }
  return Option.none()
}

/** A declared commit and when it was declared (the verdict clock of prior-art §8.24 starts there). */
export interface Declared {
  readonly sha: string
  readonly declaredAt: DateTime.Utc
}

/**
 * The newest declaration in a bot-authored comment created at or after `since` (comments oldest first);
 * `declaredAt` is the creation time of the comment that carries it.
 */
export const fromComments = (
  comments: ReadonlyArray<Comment>,
  bot: string,
  since: DateTime.Utc
): Option.Option<Declared> => {
  for (let i = comments.length - 1; i >= 0; i--) {
    const comment = comments[i]!
    if (!RunRecord.isBy(comment, bot) || DateTime.lessThan(comment.createdAt, since)) continue
    const sha = extract(comment.body)
    if (Option.isSome(sha)) return Option.some({ sha: sha.value, declaredAt: comment.createdAt })
  }
  return Option.none()
}
