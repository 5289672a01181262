/**
 * Reads the policy file `.afk.json` at the head of a repository's default branch through GitHub's contents
 * endpoint (`GET /repos/{owner}/{repo}/contents/.afk.json`, no `ref`: the default branch). The request is
 * conditional like every GET of the client, so an unchanged file is answered 304 and costs no point. No file
 * (404) is none; a directory, a symlink or a file too large for the endpoint to inline fails, saying so.
 */
import type * as Domain from "afk-core/Domain"
import * as RepoPolicy from "afk-core/RepoPolicy"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as GithubClient from "./GithubClient.js"
import * as GithubError from "./GithubError.js"

const call: GithubClient.Call = { operation: "policyFile", permission: "Contents: read" }

const Entry = Schema.Struct({
  type: Schema.String,
  encoding: Schema.optional(Schema.String),
  content: Schema.optional(Schema.String)
})

const Contents = Schema.Union(Entry, Schema.Array(Schema.Unknown))

const refused = (repo: Domain.Repo, detail: string) =>
  new GithubError.GithubError({
    operation: call.operation,
    detail: `${RepoPolicy.fileName} in ${repo} ${detail}`,
    transient: false,
    hint: `make ${RepoPolicy.fileName} at the root of the default branch a regular JSON file, or remove it`
  })

const utf8 = new TextDecoder("utf-8", { fatal: true })

const textOf = (repo: Domain.Repo, contents: typeof Contents.Type): Either.Either<string, GithubError.GithubError> => {
  if (Array.isArray(contents)) return Either.left(refused(repo, "is a directory"))
  const entry = contents as typeof Entry.Type
  if (entry.type !== "file") return Either.left(refused(repo, `is a ${entry.type}, not a file`))
  if (entry.encoding !== "base64" || entry.content === undefined) {
    return Either.left(refused(repo, "is too large to be read through the contents endpoint"))
  }
  return Encoding.decodeBase64(entry.content.replace(/\s/g, "")).pipe(
    Either.flatMap((bytes) => Either.try(() => utf8.decode(bytes))),
    Either.mapLeft(() => refused(repo, "could not be decoded (base64 of UTF-8 text expected)"))
  )
}

/** The text of `.afk.json` at the head of `repo`'s default branch; none when there is no such file. */
export const read = (
  client: GithubClient.Service,
  repo: Domain.Repo
): Effect.Effect<Option.Option<string>, GithubError.GithubError> =>
  client.get(call, GithubClient.repoPath(repo, "contents", RepoPolicy.fileName), Contents).pipe(
    Effect.flatMap((contents) => Effect.map(textOf(repo, contents), Option.some)),
    Effect.catchIf((error) => error.status === 404, () => Effect.succeed(Option.none()))
  )
