/**
 * The network checks behind `doctor`: the tracker (who the token is, its scopes where the forge says,
 * the server version, read access to each allowlisted repo; for a GitHub App, the app, each repo's
 * installation and whether it grants the permissions the loop needs), T3 Code (`/.well-known/t3/environment`, then
 * whether the token is accepted) and Slack (a webhook is checked with an empty message Slack refuses to
 * post; a bot token with `auth.test`). Each check ends in one line and a fix; none prints a secret —
 * a webhook URL is shown by its origin only, and failures are reported by the adapters' own messages. The
 * tracker's check is in `TrackerProbe`, the report line they share in `ProbeCheck`, both re-exported here.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as Socket from "@effect/platform/Socket"
import * as AgentRuntime from "afk-core/AgentRuntime"
import type * as Config from "afk-core/Config"
import * as T3 from "afk-core/T3"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Ports from "./Ports.js"
import { check, limited, missingCredential } from "./ProbeCheck.js"

export type { Check, Level } from "./ProbeCheck.js"
export { tracker } from "./TrackerProbe.js"

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
    const chosen = Ports.agent(config, webSocket)
    if (Either.isLeft(chosen)) return [check(name, "ok", reached), missingCredential(name, chosen.left, armed)]
    const probeThread = "00000000-0000-4000-8000-00000000d0c7"
    const status = yield* Effect.either(
      Effect.flatMap(AgentRuntime.AgentRuntime, (agent) => agent.status(probeThread)).pipe(
        Effect.provide(chosen.right.pipe(Layer.provide(http)))
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
