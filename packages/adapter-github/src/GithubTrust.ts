/**
 * Who may trigger runs in a GitHub repository: the owner (no request), and a user whose collaborator
 * permission (or `role_name`) is admin, maintain or write; anything else, a 404 included, is untrusted. A
 * trust answer is reused for `trustTtl` in this process's memory. A refusal is reused for `untrustedTtl` and
 * kept with the client's durable memos, so in its cache file too, where the next process (the next CLI tick)
 * finds it: a refusal can only refuse, and one read back that claims to stand longer than `untrustedTtl` from
 * now is not served. Past `untrustedTtl` the permission is asked again with the refused answer's `ETag`: a
 * 304 (no point) confirms the refusal, any other answer is read and decided afresh. Nothing read from the
 * file makes anyone trusted: it can only name an answer that refused.
 */
import * as Domain from "afk-core/Domain"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as GithubClient from "./GithubClient.js"
import type * as GithubError from "./GithubError.js"

export interface Options {
  /** How long a trust answer is reused (about one tick): a demoted collaborator counts within it; 60 s by default. */
  readonly trustTtl?: Duration.DurationInput | undefined
  /**
   * How long a refusal is reused, in this process and the next, so a backlog refused every pass does not ask
   * again: a collaborator promoted to write access counts within it; 10 minutes by default.
   */
  readonly untrustedTtl?: Duration.DurationInput | undefined
}

export interface Trust {
  /** Whether `login` may trigger runs in `repo`; a failure to tell is an error, never a yes. */
  readonly isTrusted: (repo: Domain.Repo, login: string) => Effect.Effect<boolean, GithubError.GithubError>
  /** True when a refusal of `login` in `repo` is kept and stands now: `isTrusted` would say no unasked. */
  readonly knownUntrusted: (repo: Domain.Repo, login: string) => Effect.Effect<boolean>
  /**
   * Whether every one of `logins` (false for none) is known untrusted in `repo` now: refused within
   * `untrustedTtl`, or refused before with an `ETag` that GitHub confirms with a 304 (a conditional read, no
   * point), so a refused backlog stays free once its refusals are known. No request unless every login is
   * refused or has such a refusal to confirm.
   */
  readonly stillRefused: (
    repo: Domain.Repo,
    logins: Iterable<string>
  ) => Effect.Effect<boolean, GithubError.GithubError>
  /**
   * Whether anyone may be refused in `repo` without a request (this asks none): a refusal there was answered
   * in this process, or the cache file marks one answered there (`refused-in <repo>`) within the time its
   * refusals can still be confirmed by a 304 (`confirmFor` and `untrustedTtl`). False for a repository whose
   * labellers have all been trusted, or never asked about.
   */
  readonly refusesIn: (repo: Domain.Repo) => Effect.Effect<boolean>
}

const PermissionBody = Schema.Struct({
  permission: Schema.String,
  role_name: Schema.optional(Schema.String)
})

const trustedRoles: ReadonlySet<string> = new Set(["admin", "maintain", "write"])

/**
 * An untrusted answer, until when it stands (epoch ms), and the `ETag` of GitHub's answer that refused, if it
 * sent one: past `until` the permission is asked again with it, and a 304 (free) says the refusal still holds.
 */
const Refusal = Schema.Struct({
  until: Schema.Number,
  etag: Schema.optional(Schema.String),
  /** When an answer read whole last refused (epoch ms): confirmations by 304 stop `confirmFor` after it. */
  since: Schema.optional(Schema.Number)
})

const durable = { durable: true }

/** When a refusal in the repository was last answered (epoch ms), kept beside the refusals themselves. */
const RefusedIn = Schema.Struct({ at: Schema.Number })

const isOwner = (repo: Domain.Repo, login: string) => login.toLowerCase() === Domain.repoOwner(repo).toLowerCase()

/** Trust over `client`, for one tracker. */
export const make = (client: GithubClient.Service, options: Options = {}): Trust => {
  const trustTtl = Duration.toMillis(Duration.decode(options.trustTtl ?? "60 seconds"))
  const untrustedTtl = Duration.toMillis(Duration.decode(options.untrustedTtl ?? "10 minutes"))
  // How long refusals are confirmed by 304s before the permission is read whole again: a refusal planted in
  // the cache file with the ETag of a yes keeps that user waiting at most this long.
  const confirmFor = 6 * untrustedTtl
  const trust = new Map<string, { readonly trusted: boolean; readonly until: number }>()
  const keyOf = (repo: Domain.Repo, login: string) => `${repo.toLowerCase()} ${login.toLowerCase()}`
  // Repositories with a refusal answered in this process (each also marked in the durable memos, `RefusedIn`).
  const refusingRepos = new Set<string>()
  const refusedInKey = (repo: Domain.Repo) => `refused-in ${repo.toLowerCase()}`

  const permissionCall = { operation: "isTrusted", permission: "Metadata: read", decidesTrust: true }
  const permissionPath = (repo: Domain.Repo, login: string) =>
    GithubClient.repoPath(repo, "collaborators", login, "permission")
  const allows = (body: typeof PermissionBody.Type) =>
    trustedRoles.has(body.permission) || (body.role_name !== undefined && trustedRoles.has(body.role_name))

  /**
   * Whether `login` may trigger runs, read from GitHub, with the answer's `ETag`. With `refusedAs`, the `ETag`
   * of an earlier answer that refused, the read is conditional: a 304 says that answer stands, so still no.
   * Only a refusal is ever confirmed this way; a yes always comes from an answer read now.
   */
  const permission = (repo: Domain.Repo, login: string, refusedAs: string | undefined) =>
    (refusedAs === undefined
      ? Effect.map(
        client.getTagged(permissionCall, permissionPath(repo, login), PermissionBody),
        (answer) => ({ trusted: allows(answer.value), etag: Option.getOrUndefined(answer.etag), confirmed: false })
      )
      : Effect.map(
        client.getUnlessChanged(permissionCall, permissionPath(repo, login), PermissionBody, refusedAs),
        Option.match({
          onNone: () => ({ trusted: false, etag: refusedAs, confirmed: true }),
          onSome: (answer) => ({
            trusted: allows(answer.value),
            etag: Option.getOrUndefined(answer.etag),
            confirmed: false
          })
        })
      )).pipe(
        Effect.catchIf(
          (error) => error.status === 404,
          () => Effect.succeed({ trusted: false, etag: undefined, confirmed: false })
        )
      )

  /** The refusal kept under `key`, and whether it stands at `now` (ends after it, within `untrustedTtl`). */
  const refusal = (key: string, now: number) =>
    Effect.map(client.recall(`untrusted ${key}`, "untrusted", Refusal, durable), (kept) => ({
      kept,
      stands: Option.isSome(kept) && kept.value.until > now && kept.value.until <= now + untrustedTtl
    }))

  const knownRefused = (repo: Domain.Repo, login: string, now: number) =>
    Effect.gen(function*() {
      if (isOwner(repo, login)) return false
      const known = trust.get(keyOf(repo, login))
      if (known !== undefined && known.until > now) return !known.trusted
      return (yield* refusal(keyOf(repo, login), now)).stands
    })

  /**
   * The `ETag` to confirm a kept refusal by, if it may be: a refusal (not an overturned one, `until` 0) whose
   * answer had an `ETag`, within `confirmFor` of the answer it confirms.
   */
  const confirmingEtag = (kept: Option.Option<typeof Refusal.Type>, now: number): string | undefined =>
    Option.getOrUndefined(Option.flatMapNullable(
      Option.filter(
        kept,
        (refused) => refused.until > 0 && refused.since !== undefined && now - refused.since < confirmFor
      ),
      (refused) => refused.etag
    ))

  /** Whether `login`'s refusal in `repo` was kept past its time with an `ETag` to confirm it by, still. */
  const confirmable = (repo: Domain.Repo, login: string, now: number) =>
    Effect.map(refusal(keyOf(repo, login), now), ({ kept }) => confirmingEtag(kept, now) !== undefined)

  const isTrusted: Trust["isTrusted"] = (repo, login) =>
    Effect.gen(function*() {
      if (isOwner(repo, login)) return true
      const key = keyOf(repo, login)
      const now = yield* Clock.currentTimeMillis
      const known = trust.get(key)
      if (known !== undefined && known.until > now) return known.trusted
      const refused = yield* refusal(key, now)
      if (refused.stands) return false
      // A refusal past its time is asked again conditionally when its answer had an ETag, for `confirmFor`
      // after the answer it confirms (kept ones whose `until` is 0 were overturned: a yes, asked afresh).
      const kept = Option.getOrUndefined(refused.kept)
      const refusedAs = confirmingEtag(refused.kept, now)
      const answer = yield* permission(repo, login, refusedAs)
      const { etag, trusted } = answer
      trust.set(key, { trusted, until: now + trustTtl })
      if (!trusted || kept !== undefined) {
        // A refusal confirmed by a 304 keeps the time of the answer it confirms, and ends with its window.
        const readAt = answer.confirmed ? kept?.since ?? now : now
        const until = Math.min(now + untrustedTtl, readAt + confirmFor)
        const next = trusted ? { until: 0 } : etag === undefined ? { until: now + untrustedTtl } : {
          until,
          etag,
          since: readAt
        }
        yield* client.remember(`untrusted ${key}`, "untrusted", Refusal, next, durable)
      }
      if (!trusted && !refusingRepos.has(repo.toLowerCase())) {
        refusingRepos.add(repo.toLowerCase())
        yield* client.remember(refusedInKey(repo), "untrusted", RefusedIn, { at: now }, durable)
      }
      return trusted
    })

  return {
    isTrusted,

    knownUntrusted: (repo, login) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => knownRefused(repo, login, now)).pipe(
        Effect.orElseSucceed(() => false)
      ),

    stillRefused: (repo, logins) =>
      Effect.gen(function*() {
        const all = [...new Set(logins)]
        if (all.length === 0) return false
        const now = yield* Clock.currentTimeMillis
        const toConfirm: Array<string> = []
        for (const login of all) {
          if (yield* knownRefused(repo, login, now)) continue
          if (!(yield* confirmable(repo, login, now))) return false
          toConfirm.push(login)
        }
        for (const login of toConfirm) if (yield* isTrusted(repo, login)) return false
        return true
      }),

    // A kept mark only makes a caller wait for the labellers before a read it may spare, so one planted or
    // lost costs a request or a round, never a decision.
    refusesIn: (repo) =>
      refusingRepos.has(repo.toLowerCase())
        ? Effect.succeed(true)
        : Effect.zipWith(
          client.recall(refusedInKey(repo), "untrusted", RefusedIn, durable),
          Clock.currentTimeMillis,
          (kept, now) => Option.isSome(kept) && now - kept.value.at < confirmFor + untrustedTtl
        )
  }
}
