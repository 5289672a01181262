/**
 * The tracker check behind `doctor` (`Probes.tracker`): who the token is, its scopes where the forge says, the
 * server version, read access to each allowlisted repo and its policy file, the daily token budget; for a
 * GitHub App, the app, each repo's installation and whether it grants the permissions the loop needs.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as ForgejoClient from "afk-adapter-forgejo/ForgejoClient"
import * as GithubApp from "afk-adapter-github/GithubApp"
import * as GithubClient from "afk-adapter-github/GithubClient"
import * as Budget from "afk-core/Budget"
import type * as Config from "afk-core/Config"
import type * as Domain from "afk-core/Domain"
import * as RepoPolicy from "afk-core/RepoPolicy"
import * as Tracker from "afk-core/Tracker"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Ports from "./Ports.js"
import { check, limited, missingCredential } from "./ProbeCheck.js"

const recording = (http: Layer.Layer<HttpClient.HttpClient>, seen: Map<string, string>, names: ReadonlyArray<string>) =>
  Layer.effect(
    HttpClient.HttpClient,
    Effect.map(HttpClient.HttpClient, (client) =>
      client.pipe(
        HttpClient.tap((response) =>
          Effect.sync(() => {
            for (const name of names) {
              const value = response.headers[name]
              if (value !== undefined) seen.set(name, value)
            }
          })
        )
      ))
  ).pipe(Layer.provide(http))

const githubDetails = (seen: ReadonlyMap<string, string>, app: boolean): string => {
  const scopes = seen.get("x-oauth-scopes")
  const version = seen.get("x-github-enterprise-version")
  return [
    version === undefined
      ? "server: github.com or GHES without a version header"
      : `GitHub Enterprise Server ${version}`,
    app
      ? "as a GitHub App (its installations' permissions below)"
      : scopes === undefined
      ? "token scopes: not listed (fine-grained tokens and GitHub Apps have permissions, not scopes)"
      : `token scopes: ${scopes === "" ? "(none)" : scopes}`,
    ...(seen.has("x-ratelimit-remaining") ? [`rate limit left: ${seen.get("x-ratelimit-remaining")}`] : [])
  ].join("; ")
}

const access = (level: string) => (level === "read" ? "Read-only" : "Read and write")

/** For a GitHub App: the app, and each allowlisted repo's installation with what it lacks of the loop's needs. */
const githubApp = (config: Config.AfkConfig) =>
  Effect.gen(function*() {
    const client = yield* Effect.serviceOption(GithubClient.GithubClient)
    const found = Option.flatMap(client, (service) => service.app)
    if (Option.isNone(found)) return []
    const app = found.value
    const info = yield* Effect.either(app.info)
    if (Either.isLeft(info)) {
      return [check("github app", "fail", info.left.message, "check AFK_GITHUB_APP_ID and its key")]
    }
    const configured = Option.getOrUndefined(config.tracker.githubAppInstallationId)
    const installations = yield* Effect.forEach(config.allowlist, (repo) =>
      Effect.match(app.installation(repo), {
        onFailure: (error) =>
          check(
            `  ${repo}`,
            "fail",
            error.message,
            `install the App on ${repo} from ${info.right.htmlUrl}/installations/new, or add ${repo} to its installation`
          ),
        onSuccess: (installation) => {
          const where =
            `installation ${installation.id} on ${installation.account} (${installation.repositorySelection} repositories)`
          const needed = config.delivery === "pull-request" ? GithubApp.pullRequestDelivery : GithubApp.required
          const lacking = GithubApp.missing(installation.permissions, needed)
          if (configured !== undefined && configured !== installation.id) {
            return check(
              `  ${repo}`,
              "fail",
              `${where}, not the configured AFK_GITHUB_APP_INSTALLATION_ID=${configured}`,
              `set AFK_GITHUB_APP_INSTALLATION_ID=${installation.id}, or unset it so each repository's installation is found`
            )
          }
          if (lacking.length > 0) {
            const grant = Object.entries(needed)
              .filter(([name, level]) => lacking.includes(`${name}: ${level}`))
              .map(([name, level]) => `${GithubApp.title(name)}: ${access(level)}`)
            return check(
              `  ${repo}`,
              "fail",
              `${where} lacks ${lacking.join(", ")}`,
              `grant the App the repository permissions ${grant.join(", ")} (its settings → Permissions & events), ` +
                `then accept them for the installation on ${installation.account}`
            )
          }
          const granted = Object.entries(installation.permissions)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([name, level]) => `${name}: ${level}`)
          return check(`  ${repo}`, "ok", `${where}; permissions: ${granted.join(", ")}`)
        }
      }))
    const { id, name, slug } = info.right
    return [check("github app", "ok", `${name} (${slug}, id ${id})`), ...installations]
  })

const ForgejoVersion = Schema.Struct({ version: Schema.String })

const forgejoVersion = (config: Config.AfkConfig) =>
  Effect.gen(function*() {
    const baseUrl = Option.getOrUndefined(config.tracker.forgejoApi)
    const token = Option.getOrUndefined(config.tracker.forgejoToken)
    if (baseUrl === undefined || token === undefined) return "version unknown"
    const client = yield* ForgejoClient.make({
      baseUrl,
      token,
      retry: { times: 0, base: "100 millis", maxWait: "1 second" }
    })
    return yield* client
      .json({ operation: "GET /version" }, HttpClientRequest.get("/version"), ForgejoVersion)
      .pipe(Effect.match({ onFailure: () => "version unknown", onSuccess: (body) => `version ${body.version}` }))
  })

/** The repo's policy file (`.afk.json`), when it has one: applied, refused (with why) or unreadable. */
const policyCheck = (port: Tracker.Service, config: Config.AfkConfig, repo: string) => {
  const name = `  ${repo} ${RepoPolicy.fileName}`
  if (port.policyFile === undefined) return Effect.succeed([])
  return port.policyFile(repo as Domain.Repo).pipe(
    Effect.map((text) =>
      Option.isNone(text) ? [] : [
        Either.match(RepoPolicy.resolve(config, text), {
          onLeft: (reason) =>
            check(
              name,
              "fail",
              reason,
              `fix or remove ${RepoPolicy.fileName} on the default branch; until then poll starts nothing in ${repo}`
            ),
          onRight: () => check(name, "ok", "valid; it applies to this repository")
        })
      ]
    ),
    Effect.catchAll((error) =>
      Effect.succeed([check(name, "fail", error.message, `let AFK read the contents of ${repo}`)])
    )
  )
}

/** Who the tracker token is, what it may do, and whether every allowlisted repo can be read. */
export const tracker = (config: Config.AfkConfig, http: Layer.Layer<HttpClient.HttpClient>, armed: boolean) => {
  const name = "tracker"
  const isGithub = config.tracker.kind === "github"
  const isApp = isGithub && Option.isSome(config.tracker.githubAppId)
  const chosen = isGithub ? Ports.github(config) : Ports.forge(config)
  if (Either.isLeft(chosen)) return Effect.succeed([missingCredential(name, chosen.left, armed)])
  const where = config.tracker.kind === "github"
    ? `GitHub at ${config.tracker.githubApi}`
    : `Forgejo at ${Option.getOrElse(config.tracker.forgejoApi, () => "?")}`
  const seen = new Map<string, string>()
  const wire = recording(http, seen, ["x-oauth-scopes", "x-github-enterprise-version", "x-ratelimit-remaining"])
  return Effect.gen(function*() {
    const port = yield* Tracker.Tracker
    const login = yield* Effect.either(port.whoami)
    if (Either.isLeft(login)) {
      const fix = isApp
        ? "check AFK_GITHUB_APP_ID and its private key (a key of another App, or one deleted on GitHub, is refused) or the API URL"
        : "fix the token or the API URL, then run doctor again"
      return [check(name, "fail", `${where}: ${login.left.message}`, fix)]
    }
    const details = isGithub ? githubDetails(seen, isApp) : yield* Effect.provide(forgejoVersion(config), http)
    const app = isApp ? yield* githubApp(config) : []
    const repos = yield* Effect.forEach(config.allowlist, (repo) =>
      port.listOpenIssues(repo, config.readyLabel).pipe(
        Effect.flatMap((issues) =>
          Effect.map(policyCheck(port, config, repo), (policy) => [
            check(`  ${repo}`, "ok", `readable; ${issues.length} open issue(s) labelled ${config.readyLabel}`),
            ...policy
          ])
        ),
        Effect.catchAll((error) =>
          Effect.succeed([
            check(`  ${repo}`, "fail", error.message, `give ${login.right} read and write access to ${repo}`)
          ])
        )
      )).pipe(Effect.map((checks) => checks.flat()))
    const daily = yield* Effect.either(Budget.read(config, Effect.succeed(login.right)))
    const budget = Option.isNone(config.dailyMaxTokens) ? [] : [
      Either.match(daily, {
        onLeft: (error) => check("  daily token budget", "fail", error.message, "make the tracker readable"),
        onRight: (read) =>
          Option.match(Budget.exhausted(read), {
            onNone: () => check("  daily token budget", "ok", Budget.describe(read)),
            onSome: (why) =>
              check("  daily token budget", "warn", why, "wait for the next UTC day or raise AFK_DAILY_MAX_TOKENS")
          })
      })
    ]
    return [
      check(name, "ok", `${where}: authenticated as ${login.right}; ${details}`),
      ...app,
      ...repos,
      ...budget
    ]
  }).pipe(Effect.provide(chosen.right.pipe(Layer.provide(wire))), (effect) => limited(name, effect))
}
