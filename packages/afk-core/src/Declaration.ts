/**
 * The declared commit (PRODUCT §6, prior-art §6b and §8.6): a run has pushed only when an explicit line
 * `Pushed-Commit: <7–40 hex>` stands on its own line in the agent's final message or a bot-authored
 * comment. A sha is never guessed from prose, run-record footers are stripped before looking, and lines
 * in anyone else's comments are ignored.
 */
import * as DateTime from "effect/DateTime"
import * as Option from "effect/Option"
import type { Comment } from "./Domain.js"
import * as RunRecord from "./RunRecord.js"

const declarationLine = /^\s*Pushed-Commit:\s*`?([0-9a-f]{7,40})`?\s*$/i

/**
 * The sha of the last line that is exactly `Pushed-Commit: <7–40 hex>` (optional backticks around the
 * sha, surrounding spaces, key in any case), lower-cased; footers are stripped first. Prose never counts.
 */
export const extract = (text: string): Option.Option<string> => {
  const lines = RunRecord.strip(text).split(/\r\n|\r|\n/)
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
