/**
 * Reads the policy file `.afk.json` at the head of a repository's default branch through GitHub's contents
 * endpoint, default branch (no `ref`). No file is none; a directory, a symlink (to anything but a file: GitHub
 * answers a symlink to a file with that file), a submodule or a file too large for the endpoint to inline
 * fails, saying so.
 *
 * Every GET of the client is conditional (an unchanged answer is a 304 and costs no point), but GitHub answers
 * a missing file with a 404 and no `ETag`, which would cost a point on every read. So while the file is not
 * known to be there, the root directory is listed (`GET /repos/{owner}/{repo}/contents/`: a root unchanged
 * since the last read is a free 304), and the file is read (`GET /repos/{owner}/{repo}/contents/.afk.json`)
 * only when the listing has an entry named exactly `.afk.json` (paths are case-sensitive), whatever its type,
 * so every refusal stays the file read's; or when the listing may be cut (GitHub lists at most 1,000 entries
 * of a directory). Once the file read has found an entry, the file is read directly: a root listing changes
 * with every push to the default branch, the file's own answer only with the file. A 404 there sends the next
 * read back to the listing. Which of the two to send is remembered with the cache (durably: it only chooses
 * a request, and both give the same answer); the listing is kept there projected to what decides, never whole.
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

/** The most entries GitHub lists of one directory; a listing this long may have been cut. */
export const maxListed = 1000

/** What the root listing says of the policy file: whether it names an entry `.afk.json`, and is whole. */
const Root = Schema.Struct({ listed: Schema.Boolean, whole: Schema.Boolean })
type Root = typeof Root.Type

/**
 * The root listing, projected to `Root` as it is decoded: GitHub's array of entries (their names), or (from
 * a cache file) the projection itself, which is what the cache keeps, so a root of many entries costs a few
 * bytes there.
 */
const RootListing = Schema.transform(
  Schema.Union(Schema.Array(Schema.Struct({ name: Schema.String })), Root),
  Schema.typeSchema(Root),
  {
    strict: true,
    decode: (answer): Root =>
      Array.isArray(answer)
        ? {
          listed: answer.some((entry: { readonly name: string }) => entry.name === RepoPolicy.fileName),
          whole: answer.length < maxListed
        }
        : (answer as Root),
    encode: (root) => root
  }
)

/** Whether the file read found an entry (`present`) or a 404 (`absent`), kept as the memo's tag. */
const Seen = Schema.Boolean

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

const memoKey = (repo: Domain.Repo) => `policyFile ${repo.toLowerCase()}`

/** The file read: its answer, none on a 404; what it found is remembered for the next read's choice. */
const readFile = (client: GithubClient.Service, repo: Domain.Repo) =>
  client.get(call, GithubClient.repoPath(repo, "contents", RepoPolicy.fileName), Contents).pipe(
    Effect.map(Option.some),
    Effect.catchIf(notFound, () => Effect.succeed(Option.none<typeof Contents.Type>())),
    Effect.tap((contents) =>
      client.remember(memoKey(repo), Option.isSome(contents) ? "present" : "absent", Seen, true, durable)
    )
  )

/** Whether the root listing (conditional) may hold the file: it names it, or may have been cut. */
const mayHold = (client: GithubClient.Service, repo: Domain.Repo) =>
  client.get(call, GithubClient.repoPath(repo, "contents", ""), RootListing).pipe(
    Effect.map((root) => root.listed || !root.whole),
    // A 404 for the root is a repository without a commit (or out of reach, where the file read is a 404 too).
    Effect.catchIf(notFound, () => Effect.succeed(false))
  )

/** The text of `.afk.json` at the head of `repo`'s default branch; none when there is no such file. */
export const read = (
  client: GithubClient.Service,
  repo: Domain.Repo
): Effect.Effect<Option.Option<string>, GithubError.GithubError> =>
  Effect.gen(function*() {
    const present = Option.isSome(yield* client.recall(memoKey(repo), "present", Seen, durable))
    if (!present && !(yield* mayHold(client, repo))) return Option.none<string>()
    const contents = yield* readFile(client, repo)
    if (Option.isNone(contents)) return Option.none<string>()
    return Option.some(yield* textOf(repo, contents.value))
  })
