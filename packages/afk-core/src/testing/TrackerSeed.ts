/**
 * The plain-data shape of a tracker's issues, as the conformance suite seeds them and as every forge fake
 * (GithubFake, ForgejoFake, an integrator's own) accepts them, and the text an issue reads after its edits.
 */

/** A label added to or removed from an issue, by whom and when (ISO time). */
export interface Event {
  readonly label: string
  readonly action: "added" | "removed"
  readonly actor: string
  readonly at: string
}

export interface Comment {
  readonly author: string
  readonly body: string
  readonly createdAt: string
}

/**
 * An edit of the issue after it was opened, by whom and when (ISO time). It sets `title` and/or `body` when
 * given; an edit that gives neither changed the body without changing its text. Edits apply in order over
 * the issue's `title` and `body`, which are the text it was opened with.
 */
export interface Edit {
  readonly editor: string
  readonly at: string
  readonly title?: string | undefined
  readonly body?: string | undefined
}

export interface Issue {
  readonly number: number
  readonly title: string
  readonly body: string
  readonly labels: ReadonlyArray<string>
  readonly state: "open" | "closed"
  readonly author: string
  readonly isPullRequest?: boolean | undefined
  readonly events: ReadonlyArray<Event>
  readonly comments: ReadonlyArray<Comment>
  /** Edits after opening, oldest first; none when absent. */
  readonly edits?: ReadonlyArray<Edit> | undefined
}

/** The title and body an issue reads after its seeded edits. */
export const edited = (issue: Issue): { readonly title: string; readonly body: string } =>
  (issue.edits ?? []).reduce(
    (text, edit) => ({ title: edit.title ?? text.title, body: edit.body ?? text.body }),
    { title: issue.title, body: issue.body }
  )

/**
 * One repository's starting state, as the conformance suite hands it to a tracker under test and every forge
 * fake takes it; `R` is the repository name's type (`Domain.Repo` in afk-core).
 */
export interface Repository<R extends string = string> {
  readonly repo: R
  /** The login the adapter authenticates as (the bot). */
  readonly bot: string
  /** Logins with write (or higher) access; the repository's owner is trusted too. */
  readonly trusted: ReadonlyArray<string>
  readonly labels: ReadonlyArray<string>
  readonly issues: ReadonlyArray<Issue>
  /** The text of `.afk.json` at the head of the default branch; no such file when absent. */
  readonly policyFile?: string | undefined
}
