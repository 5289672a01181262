/**
 * The last edit of a GitHub issue. GitHub's REST issue says nothing of edits: a title change is a
 * `renamed` issue event (with its actor), and the last body edit is GraphQL's `Issue.lastEditedAt` and
 * `editor` (`POST /graphql`). The last edit is the later of the two; at the same instant, the one whose
 * editor is unknown (a deleted account reads as nobody).
 */
import * as Domain from "afk-core/Domain"
import type * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as GithubClient from "./GithubClient.js"
import * as GithubError from "./GithubError.js"

/** The query for an issue's last body edit. */
export const lastEditQuery =
  "query($owner: String!, $name: String!, $number: Int!) { repository(owner: $owner, name: $name) { issue(number: $number) { lastEditedAt editor { login } } } }"

const BodyEdit = Schema.Struct({
  repository: Schema.NullOr(Schema.Struct({
    issue: Schema.NullOr(Schema.Struct({
      lastEditedAt: Schema.NullOr(Schema.String),
      editor: Schema.NullOr(Schema.Struct({ login: Schema.String }))
    }))
  }))
})

export const Edit = Schema.Struct({ at: Schema.DateTimeUtc, editor: Schema.optional(Schema.String) })
export type Edit = typeof Edit.Type

/** An edit or none, as the memos keep it. */
export const MaybeEdit = Schema.OptionFromNullOr(Edit)

/** The later of two edits; at the same instant, one whose editor is unknown. */
export const later = (a: Option.Option<Edit>, b: Option.Option<Edit>): Option.Option<Edit> => {
  if (Option.isNone(a)) return b
  if (Option.isNone(b)) return a
  const order = a.value.at.epochMillis - b.value.at.epochMillis
  if (order !== 0) return order > 0 ? a : b
  return a.value.editor === undefined ? a : b
}

/** The last title change among an issue's events. */
export const lastRename = (
  events: ReadonlyArray<
    { readonly event: string; readonly actor: { readonly login: string } | null; readonly created_at: DateTime.Utc }
  >
): Option.Option<Edit> =>
  events.reduce(
    (latest, event) =>
      event.event === "renamed"
        ? later(latest, Option.some({ at: event.created_at, editor: event.actor?.login }))
        : latest,
    Option.none<Edit>()
  )

/** The issue's last body edit, from GraphQL; a 404 GithubError when GitHub names no such issue. */
export const bodyEdit = (
  client: GithubClient.Service,
  repo: Domain.Repo,
  number: number
): Effect.Effect<Option.Option<Edit>, GithubError.GithubError> =>
  client.graphql(
    { operation: "lastEdit", permission: "Issues: read", repo },
    lastEditQuery,
    { owner: Domain.repoOwner(repo), name: Domain.repoName(repo), number },
    BodyEdit
  ).pipe(
    Effect.flatMap((data) => {
      const issue = data.repository?.issue
      if (issue === null || issue === undefined) {
        return Effect.fail(
          new GithubError.GithubError({
            operation: "lastEdit",
            detail: `GitHub's GraphQL answer names no issue ${repo}#${number}`,
            transient: false,
            status: 404
          })
        )
      }
      if (issue.lastEditedAt === null) return Effect.succeed(Option.none<Edit>())
      return Schema.decode(Edit)({ at: issue.lastEditedAt, editor: issue.editor?.login }).pipe(
        Effect.map(Option.some),
        Effect.mapError((cause) =>
          new GithubError.GithubError({
            operation: "lastEdit",
            detail: `GitHub's lastEditedAt "${issue.lastEditedAt}" is not a time`,
            transient: true,
            cause
          })
        )
      )
    })
  )
