/**
 * The run record: a run's state kept on the issue itself, as a hidden footer
 * `<!-- afk-run: {compact JSON} -->` in a comment authored by the bot (PRODUCT §6). Only the bot's own
 * comments count, so nobody else can forge a run's state (quality R4); the newest parseable record
 * wins, unknown fields are tolerated and malformed footers are skipped. How a run ended is data (`Outcome`:
 * a kind and a reason); records written when it was text (`frozen: ` before a frozen run's reason) are still
 * read, and only ever written in the current form.
 */
import type * as DateTime from "effect/DateTime"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { Comment } from "./Domain.js"
import { RunUsage } from "./Usage.js"

/** Where a run stands: claimed (lock taken), dispatched (agent working), or one of the two terminal phases. */
export const Phase = Schema.Literal("claimed", "dispatched", "done", "escalated")
export type Phase = typeof Phase.Type

/** How a run ended: closed with proof, handed to a human, or frozen (handed over with nothing left to try). */
export const OutcomeKind = Schema.Literal("done", "needs-human", "frozen")
export type OutcomeKind = typeof OutcomeKind.Type

/** How a run ended (or, in `handover`, will end): its kind and the reason in words. */
export class Outcome extends Schema.Class<Outcome>("Outcome")({
  kind: OutcomeKind,
  reason: Schema.String
}) {}

const frozenPrefix = "frozen: "

/** An outcome as a person reads it in a notification: the reason, after `frozen: ` for a frozen run. */
export const describe = (outcome: typeof Outcome.Encoded): string =>
  outcome.kind === "frozen" ? `${frozenPrefix}${outcome.reason}` : outcome.reason

/**
 * A pull-request run's delivery (`AFK_DELIVERY=pull-request`): its branch from the claim on, then the pull
 * request AFK opened from it, the review rounds answered, and the merge.
 */
export class PullRecord extends Schema.Class<PullRecord>("PullRecord")({
  /** The run's branch (`PullRequests.branchFor`); the agent commits there, never to the default branch. */
  branch: Schema.String,
  /** The pull request, once opened (or adopted). */
  number: Schema.optional(Schema.Int),
  url: Schema.optional(Schema.String),
  /** The head commit last verified (CI read on it). */
  headSha: Schema.optional(Schema.String),
  /** Review rounds sent to the agent. */
  rounds: Schema.optional(Schema.Int),
  /**
   * The forge's submission time of the newest review answered, and the ids of the reviews answered that were
   * submitted at that same time (the forge's clock, never AFK's, so a skewed clock loses no review).
   */
  answeredAt: Schema.optional(Schema.DateTimeUtc),
  answeredIds: Schema.optional(Schema.Array(Schema.String)),
  /** Turns sent to bring a conflicting branch up to date. */
  conflictTurns: Schema.optional(Schema.Int),
  /** Why the forge last refused the merge, while it does. */
  blocked: Schema.optional(Schema.String),
  /** The merge commit, once merged: deploy proof is read on it. */
  mergeSha: Schema.optional(Schema.String),
  mergedAt: Schema.optional(Schema.DateTimeUtc),
  /** Whether the branch was deleted after the merge (false: the forge refused, and it is left for a person). */
  branchDeleted: Schema.optional(Schema.Boolean)
}) {}

export class RunRecord extends Schema.Class<RunRecord>("RunRecord")({
  v: Schema.Literal(1),
  runId: Schema.String,
  ordinal: Schema.Int,
  phase: Phase,
  threadId: Schema.String,
  startedAt: Schema.DateTimeUtc,
  turnStartedAt: Schema.DateTimeUtc,
  commit: Schema.optional(Schema.String),
  commitDeclaredAt: Schema.optional(Schema.DateTimeUtc),
  /** Fix-forward attempts used. */
  attempts: Schema.Int,
  redispatches: Schema.Int,
  lastFailure: Schema.optional(Schema.String),
  notifyThread: Schema.optional(Schema.String),
  /** How the run ended, for terminal phases. */
  ending: Schema.optional(Outcome),
  /** When the run ended (terminal phases): a new run needs a ready label applied after it. */
  endedAt: Schema.optional(Schema.DateTimeUtc),
  /** When AFK closed the issue (done runs): an issue open again after this was reopened by a person. */
  closedAt: Schema.optional(Schema.DateTimeUtc),
  /**
   * An escalation decided but not finished: the outcome its terminal record will carry, written before the
   * human label is added, so a crash between the label and the terminal record keeps the reason.
   */
  handover: Schema.optional(Outcome),
  /** When the run's terminal notification was sent (or found undeliverable): it is never sent again. */
  notifiedAt: Schema.optional(Schema.DateTimeUtc),
  /** Tokens the run has used, folded from the runtime's reports at each turn's end (`Usage`). */
  usage: Schema.optional(RunUsage),
  /** Pull-request delivery: the branch, the pull request and its merge. Absent: the run pushes to the default branch. */
  pull: Schema.optional(PullRecord)
}) {
  /** How the run ended as a person reads it (`describe`); absent until it ends. */
  get outcome(): string | undefined {
    return this.ending === undefined ? undefined : describe(this.ending)
  }
}

const fromText = (phase: Phase, text: string): typeof Outcome.Encoded =>
  text.startsWith(frozenPrefix)
    ? { kind: "frozen", reason: text.slice(frozenPrefix.length) }
    : { kind: phase === "done" ? "done" : "needs-human", reason: text }

/**
 * A record as written while outcomes were text: `outcome` and `handover` as strings, a frozen run's marked
 * `frozen: `. Read into the current form (a done record's outcome is `done`, any other `needs-human` unless
 * marked frozen); never written.
 */
const Legacy = Schema.transform(
  Schema.Struct(
    { phase: Phase, outcome: Schema.optional(Schema.String), handover: Schema.optional(Schema.String) },
    Schema.Record({ key: Schema.String, value: Schema.Unknown })
  ).pipe(Schema.filter((old) => old.outcome !== undefined || old.handover !== undefined)),
  RunRecord,
  {
    strict: false,
    decode: ({ handover, outcome, ...rest }) => ({
      ...rest,
      ...(outcome === undefined ? {} : { ending: fromText(rest.phase, outcome) }),
      ...(handover === undefined ? {} : { handover: fromText("escalated", handover) })
    }),
    encode: ({ ending, handover, ...rest }) => ({
      ...rest,
      ...(ending === undefined ? {} : { outcome: describe(ending) }),
      ...(handover === undefined ? {} : { handover: describe(handover) })
    })
  }
)

/** A run is over once it is done or escalated; the next run of the issue gets the next ordinal. */
export const isTerminal = (record: RunRecord): boolean => record.phase === "done" || record.phase === "escalated"

/** When a terminal run ended; a record written before `endedAt` existed counts from its start. */
export const endedAt = (record: RunRecord): DateTime.Utc => record.endedAt ?? record.startedAt

const openTag = /<!--\s*afk-run:/
const closeTag = "-->"

const escapeForComment = (json: string): string =>
  json.replace(/[<>&@\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)

/** The hidden footer for a record: `<!-- afk-run: {compact JSON} -->`, safe for any field content. */
export const footer = (record: RunRecord): string =>
  `<!-- afk-run: ${escapeForComment(JSON.stringify(Schema.encodeSync(RunRecord)(record)))} -->`

interface Span {
  readonly start: number
  readonly end: number
  readonly payload: string
}

const spans = (body: string): ReadonlyArray<Span> => {
  const found: Array<Span> = []
  const opener = new RegExp(openTag.source, "g")
  for (let from = 0, close = body.indexOf(closeTag); close !== -1; close = body.indexOf(closeTag, from)) {
    const segment = body.slice(from, close)
    let last: RegExpExecArray | null = null
    opener.lastIndex = 0
    for (let open = opener.exec(segment); open !== null; open = opener.exec(segment)) last = open
    if (last !== null) {
      found.push({
        start: from + last.index,
        end: close + closeTag.length,
        payload: segment.slice(last.index + last[0].length)
      })
    }
    from = close + closeTag.length
  }
  return found
}

const decodeLegacy = Schema.decodeUnknownOption(Legacy)
const decodeCurrent = Schema.decodeUnknownOption(RunRecord)

/** The old form first: the current one tolerates unknown fields, so it would read an old record without its outcome. */
const decode = (json: unknown): Option.Option<RunRecord> => Option.orElse(decodeLegacy(json), () => decodeCurrent(json))

const decodePayload = (payload: string): Option.Option<RunRecord> => {
  try {
    return decode(JSON.parse(payload))
  } catch {
    return Option.none()
  }
}

/** Every parseable record in a body, in order of appearance. */
export const parseAll = (body: string): ReadonlyArray<RunRecord> =>
  spans(body).flatMap((span) => Option.toArray(decodePayload(span.payload)))

/** The last parseable footer in a body; unknown fields are tolerated, garbage is skipped. */
export const parse = (body: string): Option.Option<RunRecord> => {
  const all = parseAll(body)
  return all.length === 0 ? Option.none() : Option.some(all[all.length - 1]!)
}

/** The body without any afk-run footer (trailing whitespace left by a removed footer is trimmed). */
export const strip = (body: string): string => {
  const found = spans(body)
  if (found.length === 0) return body
  let result = ""
  let from = 0
  for (const span of found) {
    result += body.slice(from, span.start)
    from = span.end
  }
  return (result + body.slice(from)).trimEnd()
}

/** A record together with the comment that holds it. */
export interface Found {
  readonly record: RunRecord
  readonly comment: Comment
}

/** Whether a comment was written by the bot (forge logins compare case-insensitively). */
export const isBy = (comment: Comment, bot: string): boolean => comment.author.toLowerCase() === bot.toLowerCase()

const newestFirst = (comments: ReadonlyArray<Comment>, bot: string): ReadonlyArray<Comment> =>
  comments.filter((comment) => isBy(comment, bot)).reverse()

/**
 * The newest bot-authored comment with a parseable footer (comments are given oldest first). Footers in
 * anyone else's comments are ignored: they would let an outsider forge a run's state.
 */
export const latest = (comments: ReadonlyArray<Comment>, bot: string): Option.Option<Found> => {
  for (const comment of newestFirst(comments, bot)) {
    const record = parse(comment.body)
    if (Option.isSome(record)) return Option.some({ record: record.value, comment })
  }
  return Option.none()
}

/** The newest bot-authored comment holding a record of the run `runId`, with that record. */
export const forRun = (comments: ReadonlyArray<Comment>, bot: string, runId: string): Option.Option<Found> => {
  for (const comment of newestFirst(comments, bot)) {
    const records = parseAll(comment.body).filter((record) => record.runId === runId)
    if (records.length > 0) return Option.some({ record: records[records.length - 1]!, comment })
  }
  return Option.none()
}

/** The newest record of the newest run that ended (by its end time), among the bot's comments. */
export const latestTerminal = (comments: ReadonlyArray<Comment>, bot: string): Option.Option<RunRecord> => {
  let best: RunRecord | undefined
  for (const record of newestByRun(comments, bot).values()) {
    if (isTerminal(record) && (best === undefined || endedAt(record).epochMillis > endedAt(best).epochMillis)) {
      best = record
    }
  }
  return Option.fromNullable(best)
}

/** The newest bot-authored record of each run of the issue, by run id. */
export const newestByRun = (comments: ReadonlyArray<Comment>, bot: string): Map<string, RunRecord> => {
  const newest = new Map<string, RunRecord>()
  for (const comment of comments) {
    if (!isBy(comment, bot)) continue
    for (const record of parseAll(comment.body)) newest.set(record.runId, record)
  }
  return newest
}

/** How many distinct runs of the issue have ended: runs whose newest bot-authored record is terminal. */
export const terminalRuns = (comments: ReadonlyArray<Comment>, bot: string): number => {
  let count = 0
  for (const record of newestByRun(comments, bot).values()) if (isTerminal(record)) count++
  return count
}

/** `body` with its record replaced by `record`, everything above the footer kept as it is. */
export const withRecord = (body: string, record: RunRecord): string => `${strip(body)}\n\n${footer(record)}`
