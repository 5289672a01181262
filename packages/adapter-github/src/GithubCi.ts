/**
 * The `Ci` port over GitHub: the combined commit status and the check runs for a commit (every page of
 * both), and optionally the latest deployment to one environment at that commit, mapped to checks and
 * folded with afk-core's `Ci.fold`, so GitHub decides green, red and deployed like every other forge.
 *
 * Green is only said of a complete picture. Before it is, two more things are read (`GithubRequirements`):
 * - with no required checks configured, the commit's check suites: a suite not yet completed (another app,
 *   another workflow still queued or running) keeps the verdict pending, and a completed suite that failed
 *   without a check run (a workflow that could not start) makes it red. GitHub creates a suite for every
 *   installed app with checks permission, and an app that never reports leaves its suite queued forever
 *   with no check run: such an empty suite counts as pending only for `emptySuiteGrace` after it was
 *   created, while an app that does report has had time to create its first run;
 * - the status checks the default branch requires (branch protection and rulesets, where the token may read
 *   them): one not reported for the commit keeps the verdict pending.
 */
import * as Ci from "afk-core/Ci"
import * as Domain from "afk-core/Domain"
import * as PortError from "afk-core/PortError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as GithubClient from "./GithubClient.js"
import type * as GithubError from "./GithubError.js"
import * as GithubRequirements from "./GithubRequirements.js"

export interface Options {
  /** Verify deployment to this environment: its latest deployment at the sha becomes `deployment/<env>`. */
  readonly deploymentEnvironment?: string | undefined
  /** How long a check suite with no check run counts as pending after it was created; 10 minutes by default. */
  readonly emptySuiteGrace?: Duration.DurationInput | undefined
  /** How long the default branch's required status checks are reused; 5 minutes by default. */
  readonly requirementsTtl?: Duration.DurationInput | undefined
}

const NullableText = Schema.optional(Schema.NullOr(Schema.String))

const StatusBody = Schema.Struct({
  context: Schema.String,
  state: Schema.String,
  target_url: NullableText,
  description: NullableText
})

const CheckRunBody = Schema.Struct({
  name: Schema.String,
  status: Schema.String,
  conclusion: NullableText,
  html_url: NullableText,
  details_url: NullableText,
  output: Schema.optional(Schema.Struct({ title: NullableText, summary: NullableText }))
})

const Deployments = Schema.Array(Schema.Struct({ id: Schema.Number, created_at: Schema.String }))

const DeploymentStatuses = Schema.Array(Schema.Struct({
  id: Schema.Number,
  state: Schema.String,
  target_url: NullableText,
  log_url: NullableText,
  environment_url: NullableText,
  description: NullableText
}))

const passedConclusions: ReadonlySet<string> = new Set(["success", "neutral", "skipped"])

const defined = <A extends Record<string, unknown>>(fields: A): A =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined && value !== null)) as A

/** A commit status: pending, success, failure or error (error counts as failure). */
export const statusState = (state: string): Domain.CheckState =>
  state === "success" ? "success" : state === "failure" || state === "error" ? "failure" : "pending"

/** A check run: not completed is pending; success/neutral/skipped pass; failure, timeout, cancel, action required, stale fail. */
export const checkRunState = (status: string, conclusion: string | null | undefined): Domain.CheckState => {
  if (status !== "completed" || conclusion === null || conclusion === undefined) return "pending"
  if (passedConclusions.has(conclusion)) return "success"
  if (GithubRequirements.failedConclusions.has(conclusion)) return "failure"
  return "pending"
}

/** A deployment's latest status, read as a commit status: only `success` deploys; failure and error fail. */
export const deploymentState = (state: string | undefined): Domain.CheckState => statusState(state ?? "pending")

const toError = (error: GithubError.GithubError): Ci.CiError => new Ci.CiError(PortError.carry(error))

/** A `Ci` over the ambient `GithubClient`. */
export const make = (options: Options = {}): Effect.Effect<Ci.Service, never, GithubClient.GithubClient> =>
  Effect.gen(function*() {
    const client = yield* GithubClient.GithubClient
    const statusCall: GithubClient.Call = { operation: "verdict", permission: "Commit statuses: read" }
    const checksCall: GithubClient.Call = { operation: "verdict", permission: "Checks: read" }
    const deployCall: GithubClient.Call = { operation: "verdict", permission: "Deployments: read" }

    const statuses = (repo: Domain.Repo, sha: string) =>
      client.listIn(statusCall, GithubClient.repoPath(repo, "commits", sha, "status"), "statuses", StatusBody).pipe(
        Effect.map((items) =>
          items.map(
            (status) =>
              new Domain.Check(
                defined({
                  name: status.context,
                  state: statusState(status.state),
                  url: status.target_url ?? undefined,
                  summary: status.description ?? undefined
                })
              )
          )
        )
      )

    const checkRuns = (repo: Domain.Repo, sha: string) =>
      client
        .listIn(checksCall, GithubClient.repoPath(repo, "commits", sha, "check-runs"), "check_runs", CheckRunBody)
        .pipe(
          Effect.map((runs) =>
            runs.map(
              (run) =>
                new Domain.Check(
                  defined({
                    name: run.name,
                    state: checkRunState(run.status, run.conclusion),
                    url: run.html_url ?? run.details_url ?? undefined,
                    summary: run.output?.title ?? run.output?.summary ?? undefined
                  })
                )
            )
          )
        )

    const deployment = (repo: Domain.Repo, sha: string, environment: string) =>
      Effect.gen(function*() {
        const name = `deployment/${environment}`
        const deployments = yield* client.get(
          deployCall,
          GithubClient.repoPath(repo, "deployments"),
          Deployments,
          { sha, environment, per_page: 100 }
        )
        const latest = [...deployments].sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id - a.id)[0]
        if (latest === undefined) {
          return new Domain.Check({
            name,
            state: "pending",
            summary: `no deployment to ${environment} for this commit yet`
          })
        }
        const statuses = yield* client.get(
          deployCall,
          GithubClient.repoPath(repo, "deployments", latest.id, "statuses"),
          DeploymentStatuses,
          { per_page: 100 }
        )
        const newest = [...statuses].sort((a, b) => b.id - a.id)[0]
        return new Domain.Check(
          defined({
            name,
            state: deploymentState(newest?.state),
            url: newest?.environment_url ?? newest?.target_url ?? newest?.log_url ?? undefined,
            summary: newest?.description ?? (newest === undefined ? "deployment created, no status yet" : undefined)
          })
        )
      })

    const requirementsOf = GithubRequirements.make(client, {
      emptySuiteGrace: Duration.decode(options.emptySuiteGrace ?? "10 minutes"),
      ttl: Duration.decode(options.requirementsTtl ?? "5 minutes")
    })

    /** Green only with every suite settled (when no check is required) and every required context reported. */
    const complete =
      (repo: Domain.Repo, sha: string, requirements: Domain.CiRequirements) => (verdict: Domain.CiVerdict) =>
        verdict.state !== "green" ? Effect.succeed(verdict) : Effect.gen(function*() {
          const suites = requirements.required.length === 0 ? yield* requirementsOf.suites(repo, sha) : []
          const folded = suites.length === 0 ? verdict : Ci.fold([...verdict.checks, ...suites], requirements)
          if (folded.state !== "green") return folded
          const missing = yield* requirementsOf.missing(repo, folded.checks)
          return missing.length === 0 ? folded : new Domain.CiVerdict({
            state: "pending",
            checks: [...folded.checks, ...missing],
            deployed: folded.deployed
          })
        })

    return Ci.Ci.of({
      verdict: (repo, sha, requirements) =>
        Effect.all(
          [
            statuses(repo, sha),
            checkRuns(repo, sha),
            options.deploymentEnvironment === undefined
              ? Effect.succeed([])
              : Effect.map(deployment(repo, sha, options.deploymentEnvironment), (check) => [check])
          ],
          { concurrency: "unbounded" }
        ).pipe(
          Effect.map(([fromStatuses, fromRuns, fromDeployment]) =>
            Ci.fold([...fromStatuses, ...fromRuns, ...fromDeployment], requirements)
          ),
          Effect.flatMap(complete(repo, sha, requirements)),
          Effect.mapError(toError)
        )
    })
  })
