/**
 * The network checks behind `doctor`: the tracker (who the token is, its scopes where the forge says,
 * the server version, read access to each allowlisted repo; for a GitHub App, the app, each repo's
 * installation and whether it grants the permissions the loop needs), T3 Code (`/.well-known/t3/environment`, then
 * whether the token is accepted) and Slack (a webhook is checked with an empty message Slack refuses to
 * post; a bot token with `auth.test`). Each check ends in one line and a fix; none prints a secret —
 * a webhook URL is shown by its origin only, and failures are reported by the adapters' own messages.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as Socket from "@effect/platform/Socket"
import * as ForgejoClient from "afk-adapter-forgejo/ForgejoClient"
import * as GithubApp from "afk-adapter-github/GithubApp"
import * as GithubClient from "afk-adapter-github/GithubClient"
import * as AgentRuntime from "afk-core/AgentRuntime"
import * as Budget from "afk-core/Budget"
import type * as Config from "afk-core/Config"
import type * as Domain from "afk-core/Domain"
import * as RepoPolicy from "afk-core/RepoPolicy"
import * as T3 from "afk-core/T3"
import * as Tracker from "afk-core/Tracker"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Ports from "./Ports.js"

export type Level = "ok" | "warn" | "fail" | "skip"

/** One line of the doctor's report; `fix` says what to do when it is not ok. */
export interface Check {
  readonly name: string
  readonly level: Level
  readonly summary: string
  readonly fix?: string | undefined
}

const check = (name: string, level: Level, summary: string, fix?: string): Check => ({ name, level, summary, fix })

const timeLimit = Duration.seconds(30)

const limited = <R>(name: string, effect: Effect.Effect<ReadonlyArray<Check>, never, R>) =>
  effect.pipe(
    Effect.timeoutTo({
      duration: timeLimit,
      onSuccess: (checks) => checks,
      onTimeout: () => [
        check(
          name,
          "fail",
          `no answer within ${Duration.format(timeLimit)}`,
          "check that it is up and reachable from here"
        )
      ]
    })
  )

const missingCredential = (name: string, error: Config.ConfigError, armed: boolean): Check =>
  check(
    name,
    armed ? "fail" : "warn",
    error.message,
    armed ? "the loop is armed and cannot run without it" : "needed before the loop is armed"
  )

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

/**
 * Whether the accepted T3 token carries the scopes the loop needs (`GET /api/auth/session`, a read): a
 * read-only token reads threads fine and has every dispatch refused with 403 insufficient_scope.
 */
const tokenScopes = (config: Config.AfkConfig, http: Layer.Layer<HttpClient.HttpClient>, reached: string) =>
  Effect.gen(function*() {
    const name = "t3"
    const wanted = T3.requiredScopes.join(" and ")
    if (Option.isNone(config.t3.token)) return check(name, "ok", `${reached}: the token is accepted`)
    const listed = yield* Effect.either(Effect.provide(T3.scopes(config.t3.url, config.t3.token.value), http))
    if (Either.isLeft(listed)) {
      return check(
        name,
        "warn",
        `${reached}: the token is accepted for reading; its scopes could not be read (${listed.left.message})`,
        `make sure it carries ${wanted}, or every dispatch is refused`
      )
    }
    if (Option.isNone(listed.right)) {
      return check(
        name,
        "warn",
        `${reached}: the token is accepted for reading; this server does not list its scopes`,
        `make sure it carries ${wanted}, or every dispatch is refused`
      )
    }
    const held = listed.right.value
    const missing = T3.requiredScopes.filter((scope) => !held.includes(scope))
    if (missing.length > 0) {
      return check(
        name,
        "fail",
        `${reached}: the token lacks ${missing.join(" and ")} (it has ${
          held.length === 0 ? "no scope" : held.join(", ")
        }), so every dispatch would be refused with 403 insufficient_scope`,
        `issue a token with ${wanted}: \`t3 auth session issue --token-only\` on the server host`
      )
    }
    return check(name, "ok", `${reached}: the token is accepted, with ${wanted}`)
  })

/** Whether the T3 Code server answers, its version and orchestration protocol, and whether the token is accepted. */
export const t3 = (
  config: Config.AfkConfig,
  http: Layer.Layer<HttpClient.HttpClient>,
  webSocket: Layer.Layer<Socket.WebSocketConstructor>,
  armed: boolean
) => {
  const name = "t3"
  return Effect.gen(function*() {
    const probed = yield* Effect.either(Effect.provide(T3.probe(config.t3.url), http))
    if (Either.isLeft(probed)) {
      return [
        check(name, "fail", `T3 Code at ${config.t3.url}: ${probed.left.message}`, "start the server or fix AFK_T3_URL")
      ]
    }
    const { orchestrationProtocol, serverVersion } = probed.right
    if (!T3.supportedProtocols.includes(orchestrationProtocol as 1 | 2)) {
      return [
        check(
          name,
          "fail",
          `T3 Code ${serverVersion} at ${config.t3.url} speaks orchestration protocol ${orchestrationProtocol}; ` +
            `AFK supports protocols ${T3.supportedProtocols.join(" and ")} (T3 Code up to 0.0.45, and 0.0.46 on)`,
          "run a T3 Code that speaks protocol 1 or 2, or an AFK that speaks this one (see docs/t3.md in the AFK repository)"
        )
      ]
    }
    const reached = `T3 Code ${serverVersion} (orchestration protocol ${orchestrationProtocol}) at ${config.t3.url}`
    const chosen = Ports.agent(config)
    if (Either.isLeft(chosen)) return [check(name, "ok", reached), missingCredential(name, chosen.left, armed)]
    const probeThread = "00000000-0000-4000-8000-00000000d0c7"
    const status = yield* Effect.either(
      Effect.flatMap(AgentRuntime.AgentRuntime, (agent) => agent.status(probeThread)).pipe(
        Effect.provide(chosen.right.pipe(Layer.provide(webSocket), Layer.provide(http)))
      )
    )
    if (Either.isLeft(status)) {
      return [
        check(
          name,
          "fail",
          `${reached}: ${status.left.message}`,
          "issue a new token with `t3 auth session issue --token-only`"
        )
      ]
    }
    if (status.right.state === "unknown") {
      return [check(name, "fail", `${reached}: ${status.right.detail ?? "no usable answer"}`, "check the server's log")]
    }
    const budgets = [
      ...Option.toArray(Option.as(config.runMaxTokens, "AFK_RUN_MAX_TOKENS")),
      ...Option.toArray(Option.as(config.dailyMaxTokens, "AFK_DAILY_MAX_TOKENS"))
    ]
    const unbound = orchestrationProtocol === 2 && budgets.length > 0
      ? [
        check(
          name,
          "warn",
          `orchestration protocol 2 reports no token usage, so ${
            budgets.join(" and ")
          } cannot bind: runs are not counted`,
          "limit spend at the provider, or run a T3 Code that speaks protocol 1 (see docs/t3.md in the AFK repository)"
        )
      ]
      : []
    const root = config.t3.runtimeMode === "full-access" && /^\/root(\/|$)/.test(config.t3.workspaceRoot)
      ? [
        check(
          name,
          "warn",
          `AFK_T3_WORKSPACE_ROOT (${config.t3.workspaceRoot}) is under /root, so T3 Code probably runs as root: ` +
            "Claude Code refuses full access as root, and every run would fail at its start",
          "run T3 Code as an ordinary user, or start it with IS_SANDBOX=1 in its environment (see docs/t3.md " +
            "in the AFK repository)"
        )
      ]
      : []
    return [yield* tokenScopes(config, http, reached), ...unbound, ...root]
  }).pipe((effect) => limited(name, effect))
}

const SlackAuth = Schema.Struct({
  ok: Schema.Boolean,
  error: Schema.optional(Schema.String),
  user: Schema.optional(Schema.String),
  team: Schema.optional(Schema.String)
})

const slackApi = "https://slack.com/api"

/** Slack: a webhook is sent an empty message (Slack refuses it without posting); a bot token is checked with `auth.test`. */
export const slack = (config: Config.AfkConfig, http: Layer.Layer<HttpClient.HttpClient>) => {
  const name = "slack"
  const { slack } = config
  const chosen = Ports.notifier(config)
  if (Either.isLeft(chosen)) return Effect.succeed([check(name, "fail", chosen.left.message, "set both, or neither")])
  const send = (request: HttpClientRequest.HttpClientRequest) =>
    Effect.flatMap(HttpClient.HttpClient, (client) =>
      Effect.flatMap(client.execute(request), (response) =>
        Effect.map(
          Effect.orElseSucceed(response.text, () => ""),
          (body) => ({ status: response.status, body })
        ))).pipe(
        Effect.scoped,
        Effect.provide(http),
        Effect.mapError((error) => `Slack could not be reached (${error.reason})`)
      )
  if (Option.isSome(slack.webhookUrl)) {
    const url = Redacted.value(slack.webhookUrl.value)
    const origin = URL.canParse(url) ? new URL(url).origin : "the webhook host"
    const request = HttpClientRequest.post(url).pipe(
      HttpClientRequest.bodyText("{}", "application/json; charset=utf-8")
    )
    return send(request).pipe(
      Effect.match({
        onFailure: (detail) => [
          check(name, "fail", `webhook at ${origin}: ${detail}`, "check that Slack is reachable from here")
        ],
        onSuccess: ({ status, body }) => {
          const word = /^[a-z_]{1,40}$/.test(body.trim()) ? body.trim() : `HTTP ${status}`
          return status === 400 && (word === "no_text" || word === "invalid_payload")
            ? [check(name, "ok", `webhook at ${origin} is live (it refused an empty test message; nothing was posted)`)]
            : [
              check(
                name,
                "fail",
                `webhook at ${origin} answered ${word}`,
                "the webhook was revoked or mistyped: copy it again from the Slack app"
              )
            ]
        }
      }),
      (effect) => limited(name, effect)
    )
  }
  if (Option.isSome(slack.botToken)) {
    const request = HttpClientRequest.post(`${slackApi}/auth.test`).pipe(
      HttpClientRequest.bearerToken(slack.botToken.value)
    )
    return send(request).pipe(
      Effect.match({
        onFailure: (detail) => [check(name, "fail", detail, "check that slack.com is reachable from here")],
        onSuccess: ({ body }) => {
          const answer = Schema.decodeUnknownOption(Schema.parseJson(SlackAuth))(body)
          if (Option.isSome(answer) && answer.value.ok) {
            return [
              check(
                name,
                "ok",
                `bot token accepted: ${answer.value.user ?? "?"} in ${answer.value.team ?? "?"}; channel ${
                  Option.getOrElse(slack.channel, () => "?")
                }`
              )
            ]
          }
          const code = Option.isSome(answer) ? (answer.value.error ?? "not ok") : "an unreadable answer"
          return [check(name, "fail", `auth.test answered ${code}`, "issue a new bot token with the chat:write scope")]
        }
      }),
      (effect) => limited(name, effect)
    )
  }
  return Effect.succeed([check(name, "skip", "not configured: notifications are printed on the console")])
}
