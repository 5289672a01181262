/**
 * The last edit of a Forgejo / Gitea issue, from what API v1 shows: the timeline's `change_title` entries
 * (with their author) and the issue's `created_at` / `updated_at`. API v1 keeps no record of body edits,
 * so they are inferred, failing closed:
 *
 * - Every timeline entry (comment, label, title change, close …) moves the issue's `updated_at` to its own
 *   time, and so does a body edit, which leaves no entry. An `updated_at` later than every entry is a
 *   change nothing explains: an edit at `updated_at`, editor unknown.
 * - A later entry hides an earlier body edit (it moves `updated_at` past it). So when the latest entry is
 *   not a title change, the body may have changed any time before it: an edit at that entry's time,
 *   editor unknown. Only a title change that is the latest thing to happen is attributed to its author.
 * - Nothing after the issue was opened (no entry, `updated_at` equal to `created_at`): never edited.
 *
 * In practice: an issue whose ready label was the last thing applied reads as edited no later than the
 * label; anything on the issue after the label (a comment by anyone, the bot's own included) reads as a
 * possible edit by someone unknown after it. Backdating `updated_at` (`EditIssueOption.updated_at`) needs
 * repository admin, so an outsider cannot hide an edit that way.
 */
import * as Option from "effect/Option"
import type * as Wire from "./ForgejoWire.js"

export interface Edit {
  /** Epoch milliseconds. */
  readonly at: number
  readonly editor?: string | undefined
}

const time = (iso: string): number => Date.parse(iso)

/**
 * The latest edit the issue and its timeline show or cannot rule out; `undefined` times (unreadable
 * `created_at` / `updated_at`) count as a change at the latest moment known.
 */
export const lastEdit = (issue: Wire.Issue, timeline: ReadonlyArray<Wire.TimelineEvent>): Option.Option<Edit> => {
  const entries = timeline
    .map((entry) => ({ entry, at: time(entry.created_at) }))
    .filter(({ at }) => Number.isFinite(at))
    .sort((a, b) => a.at - b.at || a.entry.id - b.entry.id)
  const latest = entries.at(-1)
  const created = time(issue.created_at)
  const updated = time(issue.updated_at)
  const known = Math.max(created, latest?.at ?? -Infinity)
  if (!Number.isFinite(updated) || !Number.isFinite(created)) {
    return Option.some({ at: Number.isFinite(updated) ? updated : known })
  }
  if (updated > known) return Option.some({ at: updated })
  if (latest === undefined || latest.at <= created) return Option.none()
  return latest.entry.type === "change_title"
    ? Option.some({ at: latest.at, editor: latest.entry.user?.login })
    : Option.some({ at: latest.at })
}
