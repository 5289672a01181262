/**
 * The plain-data shape of a tracker's issues, as the conformance suite seeds them and as every forge fake
 * (GithubFake, ForgejoFake, an integrator's own) accepts them. Types only; nothing here runs.
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
}
