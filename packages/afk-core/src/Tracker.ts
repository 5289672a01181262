/**
 * The `Tracker` port: where issues, labels, comments and trust live (GitHub, Forgejo, or an integrator's
 * own forge). Every list is read in full — an adapter never returns page 1 only. A repository is found
 * whatever case it is asked in, as the forges do, and every `Issue.repo` is the forge's own spelling of it
 * (from the forge's answer, never the string asked with), so run ids do not depend on how an allowlist
 * spells a name; compare repositories regardless of case.
 */
import * as Context from "effect/Context"
import type * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { Comment, CommentMark, Issue, IssueEdit, LabelEvent, Repo } from "./Domain.js"
import * as PortError from "./PortError.js"

export class TrackerError extends Schema.TaggedError<TrackerError>()("TrackerError", PortError.fields) {
  override get message(): string {
    return PortError.message("Tracker", this)
  }
}

export interface Service {
  /**
   * The tracker answers lists asked together with shared requests (GitHub's GraphQL lists): a caller listing
   * many repositories asks them all at once instead of a few at a time. Absent means no.
   */
  readonly listsInBatches?: boolean | undefined
  /**
   * With `listsInBatches`, how many lists a caller keeps asked at once: enough to fill a few of the tracker's
   * shared requests (GitHub: 98, two queries' worth of full lists). Absent means all of them. Every list of a
   * thousand repositories asked at once kept all their reads' state alive together (bench/RESULTS.md, ninth
   * part).
   */
  readonly listsAtOnce?: number | undefined
  /**
   * With `listsAtOnce`: a tick with at most this many lists to read asks them all at once, so they go out in
   * the tracker's first requests instead of a round behind the bound (GitHub: the 4 queries' worth its client
   * keeps in flight). The bound keeps a large tick's reads from all being alive together; a tick this small
   * gains nothing from it. Absent means `listsAtOnce` for every tick.
   */
  readonly listsAllAtOnce?: number | undefined
  /** Every open issue (not pull request) in `repo` carrying `label`, all pages. */
  readonly listOpenIssues: (repo: Repo, label: string) => Effect.Effect<ReadonlyArray<Issue>, TrackerError>
  /**
   * Every closed issue (not pull request) in `repo` carrying `label`, all pages. AFK asks only for its lock
   * label, which a closed issue keeps only while a terminal step is unfinished, so the list stays short.
   */
  readonly listClosedIssues: (repo: Repo, label: string) => Effect.Effect<ReadonlyArray<Issue>, TrackerError>
  /**
   * Optional: every issue (not pull request) in `repo` carrying `label`, open and closed, all pages, read as
   * one list where the forge lists both states at once (`state=all`). AFK asks it only for its lock label, in
   * place of the two lists above (`openAndClosed`, `openOnly`): a cold tick then reads two lists per repository
   * instead of three. Without it, AFK asks both lists.
   */
  readonly listOpenAndClosedIssues?:
    | ((repo: Repo, label: string) => Effect.Effect<ReadonlyArray<Issue>, TrackerError>)
    | undefined
  /**
   * Optional: every issue (not pull request) in `repo`, open or closed, updated at or after `since`, all
   * pages. The daily token budget (`AFK_DAILY_MAX_TOKENS`) reads the day's runs from these issues' records;
   * with a tracker that lacks it, a daily budget starts nothing (it cannot be read) and says so.
   */
  readonly listUpdatedSince?: (
    repo: Repo,
    since: DateTime.Utc
  ) => Effect.Effect<ReadonlyArray<Issue>, TrackerError>
  /** One issue, open or closed. */
  readonly getIssue: (repo: Repo, number: number) => Effect.Effect<Issue, TrackerError>
  /** Every label addition and removal on the issue, oldest first, with its actor. */
  readonly labelEvents: (repo: Repo, number: number) => Effect.Effect<ReadonlyArray<LabelEvent>, TrackerError>
  /**
   * The latest edit of the issue's title or body, with its editor when the forge can tell; none when it was
   * never edited. A forge that cannot tell returns an edit without an editor whenever the text may have
   * changed, so the text AFK sends is never one nobody trusted approved (fail closed).
   */
  readonly lastEdit: (repo: Repo, number: number) => Effect.Effect<Option.Option<IssueEdit>, TrackerError>
  /** Every comment on the issue, oldest first, with author and creation time. */
  readonly listComments: (repo: Repo, number: number) => Effect.Effect<ReadonlyArray<Comment>, TrackerError>
  /** Adds `label` to the issue, creating the label in the repo if it does not exist; a no-op if present. */
  readonly addLabel: (repo: Repo, number: number, label: string) => Effect.Effect<void, TrackerError>
  /** Removes `label` from the issue; a no-op if it is already gone. */
  readonly removeLabel: (repo: Repo, number: number, label: string) => Effect.Effect<void, TrackerError>
  /** Posts a comment as the bot and returns it. */
  readonly postComment: (repo: Repo, number: number, body: string) => Effect.Effect<Comment, TrackerError>
  /** Replaces the body of one of the bot's comments. */
  readonly editComment: (repo: Repo, commentId: string, body: string) => Effect.Effect<void, TrackerError>
  /**
   * Optional: puts the bot's mark on one of the bot's comments (a reaction, on GitHub and Forgejo), at most
   * once: `created` when this call made it, else when the existing mark was made. The forge decides, so it is
   * a test-and-set shared by every process acting as the bot: AFK marks a run's record before the run's
   * terminal notification, so overlapping passes in separate processes (two `afk-cli serve` replicas) send it
   * once. Without it, such passes may each send it. Safe to retry.
   */
  readonly markComment?: (repo: Repo, commentId: string) => Effect.Effect<CommentMark, TrackerError>
  /**
   * Optional: drops whatever the adapter remembers of `repo` (list memos, change probes), because something
   * outside said it changed (a webhook delivery); the next read asks the forge. Never fails.
   */
  readonly forget?: (repo: Repo) => Effect.Effect<void>
  /**
   * Optional: the text of the policy file `.afk.json` (`RepoPolicy`) at the head of `repo`'s default branch;
   * none when the branch has no such file. Read conditionally where the forge allows, so an unchanged file
   * costs no rate limit. A path that is not a readable file (a directory, a file too large to be served)
   * fails. Without it, every repository runs with the operator's configuration alone.
   */
  readonly policyFile?: (repo: Repo) => Effect.Effect<Option.Option<string>, TrackerError>
  /** Closes the issue as completed; a no-op if already closed. */
  readonly closeIssue: (repo: Repo, number: number) => Effect.Effect<void, TrackerError>
  /** Whether `login` may trigger runs in `repo`: owner, member or collaborator with write access. Fails closed. */
  readonly isTrusted: (repo: Repo, login: string) => Effect.Effect<boolean, TrackerError>
  /**
   * Optional: true when the adapter already knows, without asking the forge, that `isTrusted` would say no
   * (a refusal it keeps); false when it does not know or knows a yes. Never fails. Poll reads a likely
   * winner's policy file while its labeller's trust is asked; it skips that read when this says the labeller
   * is refused, so a known-refused backlog costs no request. Without it, that read is made for each likely
   * winner (at most one per free slot a pass).
   */
  readonly knownUntrusted?: (repo: Repo, login: string) => Effect.Effect<boolean>
  /** The login of the identity the adapter acts as (the bot). */
  readonly whoami: Effect.Effect<string, TrackerError>
}

export class Tracker extends Context.Tag("afk-core/Tracker")<Tracker, Service>() {}

/**
 * Every issue in `repo` carrying `label`, open and closed: one read where the tracker has
 * `listOpenAndClosedIssues`, else both lists. Both lists run to their end even when one fails (a caller may
 * share them, and a read cut short would be shared as an interruption); then either failure fails this.
 */
export const openAndClosed = (
  tracker: Service,
  repo: Repo,
  label: string
): Effect.Effect<ReadonlyArray<Issue>, TrackerError> =>
  tracker.listOpenAndClosedIssues !== undefined
    ? tracker.listOpenAndClosedIssues(repo, label)
    : Effect.flatMap(
      Effect.all([tracker.listOpenIssues(repo, label), tracker.listClosedIssues(repo, label)], {
        concurrency: 2,
        mode: "either"
      }),
      (lists) => Effect.map(Effect.all(lists), ([open, closed]) => [...open, ...closed])
    )

/** The open issues in `repo` carrying `label`: taken from the one list of both states when the tracker has it. */
export const openOnly = (
  tracker: Service,
  repo: Repo,
  label: string
): Effect.Effect<ReadonlyArray<Issue>, TrackerError> =>
  tracker.listOpenAndClosedIssues !== undefined
    ? Effect.map(tracker.listOpenAndClosedIssues(repo, label), (issues) => issues.filter((i) => i.state === "open"))
    : tracker.listOpenIssues(repo, label)
