/**
 * Who may trigger runs in a GitHub repository: the owner (no request), and a user whose collaborator
 * permission (or `role_name`) is admin, maintain or write; anything else, a 404 included, is untrusted. A
 * trust answer is reused for `trustTtl` in this process's memory. A refusal is reused for `untrustedTtl` and
 * kept with the client's durable memos, so in its cache file too, where the next process (the next CLI tick)
 * finds it: a refusal can only refuse, and one read back that claims to stand longer than `untrustedTtl` from
 * now is not served. Nothing read from the file makes anyone trusted.
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
  /** Whether every one of `logins` is known untrusted in `repo` now, without a request (false for none). */
  readonly allRefused: (repo: Domain.Repo, logins: Iterable<string>) => Effect.Effect<boolean>
}

const PermissionBody = Schema.Struct({
  permission: Schema.String,
  role_name: Schema.optional(Schema.String)
})

const trustedRoles: ReadonlySet<string> = new Set(["admin", "maintain", "write"])

/** An untrusted answer and until when it stands (epoch ms). */
const Refusal = Schema.Struct({ until: Schema.Number })

const durable = { durable: true }

const isOwner = (repo: Domain.Repo, login: string) => login.toLowerCase() === Domain.repoOwner(repo).toLowerCase()

/** Trust over `client`, for one tracker. */
export const make = (client: GithubClient.Service, options: Options = {}): Trust => {
  const trustTtl = Duration.toMillis(Duration.decode(options.trustTtl ?? "60 seconds"))
  const untrustedTtl = Duration.toMillis(Duration.decode(options.untrustedTtl ?? "10 minutes"))
  const trust = new Map<string, { readonly trusted: boolean; readonly until: number }>()
  const keyOf = (repo: Domain.Repo, login: string) => `${repo.toLowerCase()} ${login.toLowerCase()}`

  const permission = (repo: Domain.Repo, login: string) =>
    client
      .get(
        { operation: "isTrusted", permission: "Metadata: read", decidesTrust: true },
        GithubClient.repoPath(repo, "collaborators", login, "permission"),
        PermissionBody
      )
      .pipe(
        Effect.map(
          (body) =>
            trustedRoles.has(body.permission) || (body.role_name !== undefined && trustedRoles.has(body.role_name))
        ),
        Effect.catchIf(
          (error) => error.status === 404,
          () => Effect.succeed(false)
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

  return {
    isTrusted: (repo, login) =>
      Effect.gen(function*() {
        if (isOwner(repo, login)) return true
        const key = keyOf(repo, login)
        const now = yield* Clock.currentTimeMillis
        const known = trust.get(key)
        if (known !== undefined && known.until > now) return known.trusted
        const refused = yield* refusal(key, now)
        if (refused.stands) return false
        const trusted = yield* permission(repo, login)
        trust.set(key, { trusted, until: now + trustTtl })
        if (!trusted || Option.isSome(refused.kept)) {
          const until = trusted ? 0 : now + untrustedTtl
          yield* client.remember(`untrusted ${key}`, "untrusted", Refusal, { until }, durable)
        }
        return trusted
      }),

    allRefused: (repo, logins) =>
      Effect.gen(function*() {
        const all = [...new Set(logins)]
        if (all.length === 0) return false
        const now = yield* Clock.currentTimeMillis
        const refused = yield* Effect.forEach(all, (login) => knownRefused(repo, login, now))
        return refused.every(Boolean)
      })
  }
}
