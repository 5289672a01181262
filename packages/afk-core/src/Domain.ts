/**
 * The vocabulary shared by every AFK module: repositories, issues, label history, comments, agent turn
 * states, CI verdicts and notifications. Plain data described with `effect/Schema`, so adapters decode
 * into these shapes and the pure core reasons about nothing else.
 */
import * as Schema from "effect/Schema"

/** `owner/name`, exactly as the forge spells it. */
export const Repo = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9](?:[A-Za-z0-9_.-]*)\/[A-Za-z0-9_.-]+$/, {
    message: () => "a repository must be written owner/name (letters, digits, '-', '_', '.')"
  }),
  Schema.brand("Repo")
)
export type Repo = typeof Repo.Type

/** Parses `owner/name`, throwing a readable error for anything else (for literals in code and tests). */
export const repo = (slug: string): Repo => Schema.decodeSync(Repo)(slug)

export const repoOwner = (repo: Repo): string => repo.slice(0, repo.indexOf("/"))
export const repoName = (repo: Repo): string => repo.slice(repo.indexOf("/") + 1)

/** Forges compare repository names case-insensitively; so does AFK. */
export const sameRepo = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase()

/** Labels compare case-insensitively everywhere (events, lists, policy), as the forges match them. */
export const sameLabel = (a: string, b: string): boolean => a.trim().toLowerCase() === b.trim().toLowerCase()

/** Whether `labels` holds `label`, compared case-insensitively. */
export const hasLabel = (labels: ReadonlyArray<string>, label: string): boolean =>
  labels.some((each) => sameLabel(each, label))

/** Forge logins compare case-insensitively. */
export const sameLogin = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase()

/** One issue in one repository. */
export class IssueRef extends Schema.Class<IssueRef>("IssueRef")({
  repo: Repo,
  number: Schema.Int.pipe(Schema.positive())
}) {
  override toString(): string {
    return `${this.repo}#${this.number}`
  }
}

export const IssueState = Schema.Literal("open", "closed")
export type IssueState = typeof IssueState.Type

const refs = new WeakMap<Issue, IssueRef>()

export class Issue extends Schema.Class<Issue>("Issue")({
  repo: Repo,
  number: Schema.Int.pipe(Schema.positive()),
  title: Schema.String,
  body: Schema.String,
  labels: Schema.Array(Schema.String),
  state: IssueState,
  author: Schema.String,
  url: Schema.String
}) {
  /** `owner/name#n`, made once per issue and not checked again: the issue's constructor checked its fields. */
  get ref(): IssueRef {
    let ref = refs.get(this)
    if (ref === undefined) {
      ref = new IssueRef({ repo: this.repo, number: this.number }, true)
      refs.set(this, ref)
    }
    return ref
  }
}

/** A label being added to or removed from an issue, and by whom. */
export class LabelEvent extends Schema.Class<LabelEvent>("LabelEvent")({
  label: Schema.String,
  action: Schema.Literal("added", "removed"),
  actor: Schema.String,
  at: Schema.DateTimeUtc
}) {}

/**
 * The latest edit of an issue's title or body after it was opened. `editor` is absent when the forge cannot
 * say who made it: such an edit counts as made by someone untrusted (fail closed).
 */
export class IssueEdit extends Schema.Class<IssueEdit>("IssueEdit")({
  at: Schema.DateTimeUtc,
  editor: Schema.optional(Schema.String)
}) {}

export class Comment extends Schema.Class<Comment>("Comment")({
  id: Schema.String,
  author: Schema.String,
  body: Schema.String,
  createdAt: Schema.DateTimeUtc
}) {}

/**
 * The bot's mark on one of its comments (`Tracker.markComment`): whether the call that returned it made it,
 * and when it was made.
 */
export class CommentMark extends Schema.Class<CommentMark>("CommentMark")({
  created: Schema.Boolean,
  at: Schema.DateTimeUtc
}) {}

/** What the agent's current turn is doing, as the runtime reports it (PRODUCT §2). */
export const TurnState = Schema.Literal(
  "running",
  "blocked",
  "succeeded",
  "failed",
  "interrupted",
  "vanished",
  "unknown"
)
export type TurnState = typeof TurnState.Type

/** Tokens a thread has used so far, as the runtime counts them (running counts, not per turn). */
export class TokenUsage extends Schema.Class<TokenUsage>("TokenUsage")({
  input: Schema.Int.pipe(Schema.nonNegative()),
  output: Schema.Int.pipe(Schema.nonNegative()),
  total: Schema.Int.pipe(Schema.nonNegative())
}) {}

export class TurnStatus extends Schema.Class<TurnStatus>("TurnStatus")({
  state: TurnState,
  /** The final assistant text of the turn, once it is final. */
  lastAssistantText: Schema.optional(Schema.String),
  /** Why the runtime reports this state (an error, a pending question, an unreachable server). */
  detail: Schema.optional(Schema.String),
  /** The runtime's id of the active turn, needed to interrupt it. */
  activeTurnId: Schema.optional(Schema.String),
  /** The thread's token usage so far, when the runtime reports it. */
  usage: Schema.optional(TokenUsage)
}) {}

export const CheckState = Schema.Literal("pending", "success", "failure")
export type CheckState = typeof CheckState.Type

/** One CI check or commit status reported for a commit. */
export class Check extends Schema.Class<Check>("Check")({
  name: Schema.String,
  state: CheckState,
  url: Schema.optional(Schema.String),
  summary: Schema.optional(Schema.String)
}) {}

export const VerdictState = Schema.Literal("pending", "green", "red", "none")
export type VerdictState = typeof VerdictState.Type

export class CiVerdict extends Schema.Class<CiVerdict>("CiVerdict")({
  state: VerdictState,
  checks: Schema.Array(Check),
  /** True once the deploy checks (if any are configured) succeeded for the commit. */
  deployed: Schema.Boolean
}) {}

/** Which checks decide a verdict: name patterns (`*` wildcards); empty `required` = every reported check. */
export interface CiRequirements {
  readonly required: ReadonlyArray<string>
  readonly deploy: ReadonlyArray<string>
}

export const NotificationKind = Schema.Literal("done", "needs-human", "frozen", "dispatched")
export type NotificationKind = typeof NotificationKind.Type

export class Notification extends Schema.Class<Notification>("Notification")({
  kind: NotificationKind,
  issue: IssueRef,
  title: Schema.String,
  issueUrl: Schema.String,
  /** One sentence: what happened. */
  headline: Schema.String,
  /** What was found, tried and why it stopped (escalations), or the proof (done). */
  details: Schema.Array(Schema.String),
  threadUrl: Schema.optional(Schema.String),
  commit: Schema.optional(Schema.String),
  checks: Schema.Array(Check),
  /** The notifier's thread key from an earlier message about the same run (e.g. a Slack `ts`). */
  thread: Schema.optional(Schema.String)
}) {}

/** What a notifier hands back: the thread key to keep in the run record, when it has one. */
export interface NotifyReceipt {
  readonly thread?: string | undefined
}
