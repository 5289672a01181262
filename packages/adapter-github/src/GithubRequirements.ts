/**
 * What else must have reported before GitHub CI may be called green (`GithubCi`): the commit's check
 * suites, and the status checks the repository's default branch requires.
 *
 * - Check suites (`GET /repos/{o}/{r}/commits/{ref}/check-suites`, every page), one check each, named
 *   `check suite <app>`: a suite not completed is pending, unless it has no check run and was created more
 *   than the grace ago (GitHub leaves an app's suite queued forever when the app never reports); a completed
 *   suite with no check run is judged by its own conclusion (a workflow that could not start fails); a
 *   completed suite with check runs is already judged by those runs, so it adds nothing.
 * - Required status checks of the default branch (`GET /repos/{o}/{r}` → `default_branch`), from branch
 *   protection (`…/branches/{b}/protection/required_status_checks`, which needs administration read) and
 *   rulesets (`GET /repos/{o}/{r}/rules/branches/{b}`, readable with metadata read). A 403 or 404 from either
 *   means "not readable here" (or nothing required), not an error. The contexts are remembered in the
 *   client's cache for the TTL (on disk when it has a directory), so a verdict costs these three requests
 *   once per TTL; each is a conditional GET besides.
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
  readonly emptySuiteGrace: Duration.Duration
  readonly ttl: Duration.Duration
}

export interface Requirements {
  /** One check per check suite that still has something to say about the commit. */
  readonly suites: (
    repo: Domain.Repo,
    sha: string
  ) => Effect.Effect<ReadonlyArray<Domain.Check>, GithubError.GithubError>
  /** A pending check for each context the default branch requires that `reported` does not name. */
  readonly missing: (
    repo: Domain.Repo,
    reported: ReadonlyArray<Domain.Check>
  ) => Effect.Effect<ReadonlyArray<Domain.Check>, GithubError.GithubError>
}

const SuiteBody = Schema.Struct({
  id: Schema.Number,
  status: Schema.NullOr(Schema.String),
  conclusion: Schema.optional(Schema.NullOr(Schema.String)),
  app: Schema.optional(Schema.NullOr(Schema.Struct({ slug: Schema.optional(Schema.String), name: Schema.String }))),
  latest_check_runs_count: Schema.optional(Schema.Number),
  created_at: Schema.optional(Schema.NullOr(Schema.String))
})
type SuiteBody = typeof SuiteBody.Type

const RepoBody = Schema.Struct({ default_branch: Schema.String })
const Context = Schema.Struct({ context: Schema.String })
const ProtectionBody = Schema.Struct({
  contexts: Schema.optional(Schema.Array(Schema.String)),
  checks: Schema.optional(Schema.Array(Context))
})
const RulesBody = Schema.Array(Schema.Struct({
  type: Schema.String,
  parameters: Schema.optional(Schema.Struct({ required_status_checks: Schema.optional(Schema.Array(Context)) }))
}))

const Remembered = Schema.Struct({ until: Schema.Number, branch: Schema.String, contexts: Schema.Array(Schema.String) })

/** Check-run and check-suite conclusions that count as a failure. */
export const failedConclusions: ReadonlySet<string> = new Set([
  "failure",
  "timed_out",
  "cancelled",
  "action_required",
  "stale",
  "startup_failure"
])

const unreadable = <A>(fallback: A) => (error: GithubError.GithubError) =>
  error.status === 403 || error.status === 404 ? Effect.succeed(fallback) : Effect.fail(error)

/** The check a suite adds, if any, at `now` (epoch ms). */
export const suiteCheck = (suite: SuiteBody, now: number, grace: Duration.Duration): Option.Option<Domain.Check> => {
  const name = `check suite ${suite.app?.slug ?? suite.app?.name ?? suite.id}`
  const runs = suite.latest_check_runs_count ?? 0
  if (suite.status === "completed") {
    if (runs > 0) return Option.none()
    const conclusion = suite.conclusion ?? "unknown"
    return failedConclusions.has(conclusion)
      ? Option.some(
        new Domain.Check({ name, state: "failure", summary: `the suite concluded ${conclusion} without a check run` })
      )
      : Option.none()
  }
  const created = Date.parse(suite.created_at ?? "")
  if (runs === 0 && Number.isFinite(created) && now - created > Duration.toMillis(grace)) return Option.none()
  return Option.some(
    new Domain.Check({
      name,
      state: "pending",
      summary: runs === 0 ? `${suite.status ?? "queued"}, no check run yet` : `${suite.status ?? "queued"}`
    })
  )
}

/**
 * The repository's default branch (`GET /repos/{o}/{r}`): a conditional GET like every other, so while the
 * repository is unchanged it is answered 304 and costs no point.
 */
export const defaultBranch = (
  client: GithubClient.Service,
  repo: Domain.Repo,
  operation: string
): Effect.Effect<string, GithubError.GithubError> =>
  Effect.map(
    client.get({ operation, permission: "Metadata: read" }, GithubClient.repoPath(repo), RepoBody),
    (body) => body.default_branch
  )

/** The requirements read over `client`. */
export const make = (client: GithubClient.Service, options: Options): Requirements => {
  const checksCall: GithubClient.Call = { operation: "verdict", permission: "Checks: read" }
  const repoCall: GithubClient.Call = { operation: "verdict", permission: "Metadata: read" }
  const protectionCall: GithubClient.Call = { operation: "verdict", permission: "Administration: read" }

  const required = (repo: Domain.Repo) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const key = `required checks ${client.baseUrl} ${repo.toLowerCase()}`
      const known = yield* client.recall(key, "required", Remembered)
      if (Option.isSome(known) && known.value.until > now) return known.value
      const branch = yield* defaultBranch(client, repo, repoCall.operation)
      const [protection, rules] = yield* Effect.all([
        client.get(
          protectionCall,
          GithubClient.repoPath(repo, "branches", branch, "protection", "required_status_checks"),
          ProtectionBody
        ).pipe(Effect.catchAll(unreadable<typeof ProtectionBody.Type>({}))),
        client.get(repoCall, GithubClient.repoPath(repo, "rules", "branches", branch), RulesBody, { per_page: 100 })
          .pipe(Effect.catchAll(unreadable<typeof RulesBody.Type>([])))
      ], { concurrency: 2 })
      const contexts = [
        ...(protection.contexts ?? []),
        ...(protection.checks ?? []).map((check) => check.context),
        ...rules.flatMap((rule) =>
          rule.type === "required_status_checks"
            ? (rule.parameters?.required_status_checks ?? []).map((check) => check.context)
            : []
        )
      ]
      const found = { until: now + Duration.toMillis(options.ttl), branch, contexts: [...new Set(contexts)] }
      yield* client.remember(key, "required", Remembered, found)
      return found
    })

  return {
    suites: (repo, sha) =>
      Effect.gen(function*() {
        const suites = yield* client.listIn(
          checksCall,
          GithubClient.repoPath(repo, "commits", sha, "check-suites"),
          "check_suites",
          SuiteBody
        )
        const now = yield* client.serverTime
        return suites.flatMap((suite) => Option.toArray(suiteCheck(suite, now, options.emptySuiteGrace)))
      }),
    missing: (repo, reported) =>
      Effect.map(required(repo), ({ branch, contexts }) => {
        const names = new Set(reported.map((check) => check.name.toLowerCase()))
        return contexts
          .filter((context) => !names.has(context.toLowerCase()))
          .map((context) =>
            new Domain.Check({
              name: context,
              state: "pending",
              summary: `required by the ${branch} branch; not reported for this commit yet`
            })
          )
      })
  }
}
