/**
 * Reads the policy file `.afk.json` at the head of a repository's default branch through GitHub's contents
 * endpoint, default branch (no `ref`). No file is none; a directory, a symlink (to anything but a file: GitHub
 * answers a symlink to a file with that file), a submodule or a file too large for the endpoint to inline
 * fails, saying so.
 *
 * Every GET of the client is conditional (an unchanged answer is a 304 and costs no point), but GitHub answers
 * a missing file with a 404 and no `ETag`, which costs a point on every read. So the root directory is listed
 * first (`GET /repos/{owner}/{repo}/contents/`, conditional: an unchanged root is a free 304), and the file is
 * read (`GET /repos/{owner}/{repo}/contents/.afk.json`, as before) only when the listing has an entry named
 * exactly `.afk.json` (paths are case-sensitive), whatever its type, so each refusal stays the file read's;
 * or when the listing may be cut (GitHub lists at most 1,000 entries of a directory). The listing is kept in
 * the cache projected to what decides this, never whole. The text of a file read is remembered under the
 * blob id the listing names (a blob's content never changes), so an unchanged repository is one 304.
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
  sha: Schema.optional(Schema.String),
  encoding: Schema.optional(Schema.String),
  content: Schema.optional(Schema.String)
})

const Contents = Schema.Union(Entry, Schema.Array(Schema.Unknown))

/** The most entries GitHub lists of one directory; a listing this long may have been cut. */
export const maxListed = 1000

/** What the root listing says of the policy file: whether the listing is whole, and the entry named so. */
const Root = Schema.Struct({
  whole: Schema.Boolean,
  entry: Schema.NullOr(Schema.Struct({ type: Schema.String, sha: Schema.String }))
})
type Root = typeof Root.Type

/** One entry of a directory listing, as far as it is read. */
const Listed = Schema.Struct({ name: Schema.String, type: Schema.String, sha: Schema.String })

/**
 * The root listing, projected to `Root` as it is decoded: GitHub's array of entries, or (from a cache file)
 * the projection itself, which is what the cache keeps, so a root of many entries costs a few bytes there.
 */
const RootListing = Schema.transform(Schema.Union(Schema.Array(Listed), Root), Schema.typeSchema(Root), {
  strict: true,
  decode: (answer): Root => {
    if (!Array.isArray(answer)) return answer as Root
    const entries = answer as ReadonlyArray<typeof Listed.Type>
    const entry = entries.find((listed) => listed.name === RepoPolicy.fileName)
    return {
      whole: entries.length < maxListed,
      entry: entry === undefined ? null : { type: entry.type, sha: entry.sha }
    }
  },
  encode: (root) => root
})

/** A file's text remembered under its blob id: a refusal is never remembered, so it is read again. */
const Remembered = Schema.String

const durable = { durable: true }

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

const notFound = (error: GithubError.GithubError) => error.status === 404

/** The file read (`GET …/contents/.afk.json`): its text and blob id; none on a 404. */
const readFile = (client: GithubClient.Service, repo: Domain.Repo) =>
  client.get(call, GithubClient.repoPath(repo, "contents", RepoPolicy.fileName), Contents).pipe(
    Effect.flatMap((contents) =>
      Effect.map(
        textOf(repo, contents),
        (text) => Option.some({ text, sha: Array.isArray(contents) ? undefined : (contents as typeof Entry.Type).sha })
      )
    ),
    Effect.catchIf(notFound, () => Effect.succeed(Option.none()))
  )

/** The text of `.afk.json` at the head of `repo`'s default branch; none when there is no such file. */
export const read = (
  client: GithubClient.Service,
  repo: Domain.Repo
): Effect.Effect<Option.Option<string>, GithubError.GithubError> =>
  Effect.gen(function*() {
    // A 404 for the root is a repository without a commit (or out of reach, where the file read is a 404 too).
    const root = yield* client.get(call, GithubClient.repoPath(repo, "contents", ""), RootListing).pipe(
      Effect.catchIf(notFound, () => Effect.succeed<Root>({ whole: true, entry: null }))
    )
    if (root.entry === null && root.whole) return Option.none<string>()
    const key = `policyFile ${repo.toLowerCase()}`
    const listed = root.entry
    if (listed !== null && listed.type === "file") {
      const known = yield* client.recall(key, listed.sha, Remembered, durable)
      if (Option.isSome(known)) return known
    }
    const file = yield* readFile(client, repo)
    // Remembered only when the file read returned the very blob the listing named (not a symlink's target).
    if (Option.isSome(file) && listed !== null && file.value.sha === listed.sha) {
      yield* client.remember(key, listed.sha, Remembered, file.value.text, durable)
    }
    return Option.map(file, (found) => found.text)
  })
