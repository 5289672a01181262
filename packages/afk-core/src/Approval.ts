/**
 * The trust boundary: a run may start only on a fresh approval by a trusted person. Every path that can
 * start an agent — poll's claim, watch's recovery of an unfinished claim, a redispatch — proves it at that
 * moment from what it has just read: the latest application of the ready label was made by a trusted actor,
 * after the issue's previous run ended, and nobody untrusted has edited the title or body since. State that
 * anyone else wrote (a lock label, a footer, a cache entry) never stands in for that proof.
 */
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { type Comment, type Issue, type IssueEdit, type LabelEvent, sameLabel, sameLogin } from "./Domain.js"
import * as RunRecord from "./RunRecord.js"
import type { TrackerError } from "./Tracker.js"

/** Why an issue's latest ready label does not approve a run. */
export interface Refusal {
  readonly reason: "untrusted" | "stale-approval" | "edited"
  readonly detail: string
}

/** Who approved the run, and when. */
export interface Approved {
  readonly by: string
  readonly at: DateTime.Utc
}

/** What a proof is made of, all read by the caller just before it asks. */
export interface Evidence {
  readonly issue: Issue
  readonly events: ReadonlyArray<LabelEvent>
  readonly edit: Option.Option<IssueEdit>
  /** When the issue's previous run ended (its newest terminal record), if it had one. */
  readonly previousEnd: Option.Option<DateTime.Utc>
}

/** The newest `added` event of `label` (labels compare case-insensitively). */
export const latestAdded = (events: ReadonlyArray<LabelEvent>, label: string): Option.Option<LabelEvent> =>
  Option.fromNullable(events.filter((e) => e.action === "added" && sameLabel(e.label, label)).at(-1))

/** Whether `label` was ever added to the issue (AFK's lock: only then can the issue have had a run). */
export const everAdded = (events: ReadonlyArray<LabelEvent>, label: string): boolean =>
  events.some((e) => e.action === "added" && sameLabel(e.label, label))

/** When the newest run of the issue that has ended ended, from the bot's own run records. */
export const previousEnd = (comments: ReadonlyArray<Comment>, bot: string): Option.Option<DateTime.Utc> =>
  Option.map(RunRecord.latestTerminal(comments, bot), RunRecord.endedAt)

const iso = (at: DateTime.Utc) => DateTime.formatIso(at)

/**
 * Proves that the issue's latest ready label approves a new run now. The cheap checks come first; the
 * tracker is asked about trust (through `isTrusted`) only for the approver and, when the text changed after
 * the approval, for the editor. AFK's own identity never approves and never edits.
 */
export const prove = (
  evidence: Evidence,
  config: { readonly readyLabel: string },
  bot: string,
  isTrusted: (login: string) => Effect.Effect<boolean, TrackerError>
): Effect.Effect<Either.Either<Approved, Refusal>, TrackerError> =>
  Effect.gen(function*() {
    const { issue } = evidence
    const ready = config.readyLabel
    const applied = latestAdded(evidence.events, ready)
    if (Option.isNone(applied)) {
      return Either.left<Refusal>({
        reason: "untrusted",
        detail: `No label event on ${issue.ref} says who applied ${ready}, so nobody approved a run.`
      })
    }
    const { actor, at } = applied.value
    if (sameLogin(actor, bot)) {
      return Either.left<Refusal>({
        reason: "untrusted",
        detail: `${ready} on ${issue.ref} was applied by AFK's own identity (${actor}), which never approves a run.`
      })
    }
    if (Option.isSome(evidence.previousEnd) && !DateTime.greaterThan(at, evidence.previousEnd.value)) {
      return Either.left<Refusal>({
        reason: "stale-approval",
        detail: `${ready} on ${issue.ref} was applied at ${iso(at)}, before its previous run ended (${
          iso(evidence.previousEnd.value)
        }): a maintainer must apply ${ready} again to start another run.`
      })
    }
    if (!(yield* isTrusted(actor))) {
      return Either.left<Refusal>({
        reason: "untrusted",
        detail: `The latest ${ready} label on ${issue.ref} was applied by ${actor}, who is not a trusted actor.`
      })
    }
    if (Option.isSome(evidence.edit) && DateTime.greaterThan(evidence.edit.value.at, at)) {
      const editor = evidence.edit.value.editor
      const trustedEdit = editor !== undefined && !sameLogin(editor, bot) &&
        (sameLogin(editor, actor) || (yield* isTrusted(editor)))
      if (!trustedEdit) {
        return Either.left<Refusal>({
          reason: "edited",
          detail: `${issue.ref} was edited at ${iso(evidence.edit.value.at)} by ${
            editor ?? "someone the tracker does not name"
          }, after ${actor} applied ${ready}: a maintainer must read it and apply ${ready} again.`
        })
      }
    }
    return Either.right<Approved>({ by: actor, at })
  })
