/**
 * Chooses the four ports from the configuration: GitHub (with a token, or as a GitHub App) or Forgejo for
 * `Tracker` + `Ci` (one client shared by both), T3 Code for `AgentRuntime`, Slack (webhook, or bot token +
 * channel) or the console for `Notifier`. Nothing is built, and so nothing is sent, until a command provides the layer; a credential
 * the choice needs but does not have fails with a `ConfigError` naming its key.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Socket from "@effect/platform/Socket"
import * as GithubAuth from "afk-adapter-github/GithubAuth"
import type * as GithubClient from "afk-adapter-github/GithubClient"
import * as GithubForge from "afk-adapter-github/GithubForge"
import * as SlackNotifier from "afk-adapter-slack/SlackNotifier"
import * as AgentRuntime from "afk-core/AgentRuntime"
import * as Ci from "afk-core/Ci"
import * as Config from "afk-core/Config"
import * as ConsoleNotifier from "afk-core/ConsoleNotifier"
import * as DryRun from "afk-core/DryRun"
import type * as Notifier from "afk-core/Notifier"
import type * as PullRequests from "afk-core/PullRequests"
import type * as T3 from "afk-core/T3"
import type * as Tracker from "afk-core/Tracker"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as AppKey from "./AppKey.js"

/** Everything the programs need. */
export type Ports =
  | Tracker.Tracker
  | AgentRuntime.AgentRuntime
  | Ci.Ci
  | Notifier.Notifier
  | PullRequests.PullRequests

type Chosen<A> = Either.Either<A, Config.ConfigError>

const missing = (key: string, why: string, where: string) =>
  new Config.ConfigError({ key, source: "required", detail: `is not set, and ${why}; set it in ${where}` })

const required = <A>(value: Option.Option<A>, key: string, why: string): Chosen<A> =>
  Either.fromOption(value, () => missing(key, why, "the environment, the --config-dir directory or the config file"))

const secretRequired = (value: Option.Option<Redacted.Redacted>, key: string, why: string) =>
  Either.fromOption(value, () => missing(key, why, "the environment or the --config-dir directory"))

/** How to authenticate to GitHub: as the configured GitHub App, or with `GITHUB_TOKEN`. */
export const githubAuth = ({ tracker }: Config.AfkConfig): Chosen<GithubAuth.Auth> => {
  const appId = tracker.githubAppId
  if (Option.isNone(appId)) {
    const why = "AFK_TRACKER=github needs it (or a GitHub App: AFK_GITHUB_APP_ID and its private key)"
    return Either.map(secretRequired(tracker.githubToken, "GITHUB_TOKEN", why), GithubAuth.token)
  }
  return Either.flatMap(AppKey.read(tracker), (key) =>
    Either.map(
      secretRequired(key, "AFK_GITHUB_APP_PRIVATE_KEY", "AFK_GITHUB_APP_ID names a GitHub App, which needs it"),
      (privateKey) =>
        GithubAuth.app({
          appId: appId.value,
          privateKey,
          installationId: Option.getOrUndefined(tracker.githubAppInstallationId)
        })
    ))
}

/**
 * The GitHub client with `Tracker` + `Ci` over it. The conditional-request cache lives in one file in
 * `AFK_CACHE_DIR`/github, written as the tick ends, so the next tick (a new process) reads unchanged lists as
 * free 304s, or not at all while a repository's change probe shows nothing moved; a directory it cannot write,
 * or one another user could write to, only costs those savings (the adapter logs one warning and keeps the
 * cache in memory). Who the bot is, who is trusted and every decision are never read from it.
 */
export const github = (
  config: Config.AfkConfig
): Chosen<
  Layer.Layer<
    Tracker.Tracker | Ci.Ci | PullRequests.PullRequests | GithubClient.GithubClient,
    never,
    HttpClient.HttpClient
  >
> =>
  Either.map(
    githubAuth(config),
    (auth) =>
      GithubForge.layer({
        auth,
        baseUrl: config.tracker.githubApi,
        cacheDirectory: Option.getOrUndefined(config.cacheDir),
        changes: { probe: config.tracker.githubChangeProbe },
        lists: config.tracker.githubLists
      })
  )

/** `Tracker` + `Ci` + `PullRequests` for the configured forge. */
export const forge = (
  config: Config.AfkConfig
): Chosen<Layer.Layer<Tracker.Tracker | Ci.Ci | PullRequests.PullRequests, never, HttpClient.HttpClient>> => {
  const { tracker } = config
  if (tracker.kind === "github") return github(config)
  return Either.gen(function*() {
    const baseUrl = yield* required(tracker.forgejoApi, "AFK_FORGEJO_API", "AFK_TRACKER=forgejo needs it")
    const token = yield* secretRequired(tracker.forgejoToken, "FORGEJO_TOKEN", "AFK_TRACKER=forgejo needs it")
    // Loaded only for Forgejo: a GitHub process never evaluates the Forgejo adapter.
    return Layer.unwrapEffect(
      Effect.map(
        Effect.promise(() => import("afk-adapter-forgejo/ForgejoForge")),
        (ForgejoForge) => ForgejoForge.layer({ baseUrl, token })
      )
    )
  })
}

/**
 * `AgentRuntime` on T3 Code, made when a pass first reaches the agent (`AgentRuntime.lazy`): a tick with no
 * run to watch and nothing to dispatch never loads T3 Code's protocol modules, nor on Node 20 the WebSocket
 * package (`webSocket` is built then too), and a busy one sends its first tracker request without waiting
 * for them.
 */
export const agent = (
  config: Config.AfkConfig,
  webSocket: Layer.Layer<Socket.WebSocketConstructor>
): Chosen<Layer.Layer<AgentRuntime.AgentRuntime, never, HttpClient.HttpClient>> =>
  Either.map(
    secretRequired(config.t3.token, "AFK_T3_TOKEN", "the T3 Code server needs a bearer token"),
    (token) => {
      const options: T3.Options = {
        url: config.t3.url,
        token: Effect.succeed(token),
        model: config.t3.model,
        workspaceRoot: config.t3.workspaceRoot,
        runtimeMode: config.t3.runtimeMode,
        ...Option.match(config.t3.webUrl, { onNone: () => ({}), onSome: (webUrl) => ({ webUrl }) })
      }
      return Layer.scoped(
        AgentRuntime.AgentRuntime,
        Effect.flatMap(Effect.scope, (scope) =>
          AgentRuntime.lazy(Effect.gen(function*() {
            const sockets = yield* Layer.buildWithScope(webSocket, scope)
            const T3 = yield* Effect.promise(() => import("afk-core/T3"))
            return yield* Effect.provide(T3.make(options), sockets)
          })))
      )
    }
  )

/** Slack when configured (webhook first, else bot token + channel), otherwise the console. */
export const notifier = (
  config: Config.AfkConfig
): Chosen<Layer.Layer<Notifier.Notifier, never, HttpClient.HttpClient>> => {
  const { slack } = config
  const mention = Option.getOrUndefined(slack.mention)
  if (Option.isSome(slack.webhookUrl)) {
    return Either.right(SlackNotifier.layer({ webhookUrl: slack.webhookUrl.value, mention }))
  }
  const botToken = slack.botToken
  if (Option.isSome(botToken)) {
    return Either.map(
      required(slack.channel, "AFK_SLACK_CHANNEL", "SLACK_BOT_TOKEN posts into a channel"),
      (channel) => SlackNotifier.layer({ token: botToken.value, channel, mention })
    )
  }
  if (Option.isSome(slack.channel)) {
    const why = "AFK_SLACK_CHANNEL is set, which needs a bot token (or set SLACK_WEBHOOK_URL instead)"
    return Either.left(missing("SLACK_BOT_TOKEN", why, "the environment or the --config-dir directory"))
  }
  return Either.right(ConsoleNotifier.layer)
}

/** All four ports over `http`, chosen when the layer is built (`Layer.unwrapEffect`). */
export const layer = (
  config: Config.AfkConfig,
  http: Layer.Layer<HttpClient.HttpClient>,
  webSocket: Layer.Layer<Socket.WebSocketConstructor>
): Layer.Layer<Ports, Config.ConfigError> =>
  Layer.unwrapEffect(
    Effect.map(
      Either.all([forge(config), agent(config, webSocket), notifier(config)]),
      ([tracker, runtime, notify]) => Layer.mergeAll(tracker, runtime, notify).pipe(Layer.provide(http))
    )
  )

/** The same ports for `--dry-run`: reads go through, writes are recorded (`DryRun.Writes`) and not made. */
export const dryRun = <E>(ports: Layer.Layer<Ports, E>): Layer.Layer<Ports | DryRun.Writes, E> =>
  Layer.mergeAll(DryRun.pullRequests, Layer.effect(Ci.Ci, Ci.Ci)).pipe(
    Layer.provideMerge(DryRun.layer),
    Layer.provide(ports)
  )
