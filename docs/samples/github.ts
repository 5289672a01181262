/**
 * afk-adapter-github: `Tracker` and `Ci` for one GitHub (or GitHub Enterprise Server) sharing one client,
 * authenticated with a token or as a GitHub App.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { GithubAuth, GithubForge } from "afk-adapter-github"
import type { Ci, Tracker } from "afk-core"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"

/** A token from `GITHUB_TOKEN`, against api.github.com. */
export const WithToken: Layer.Layer<Tracker.Tracker | Ci.Ci, ConfigError.ConfigError> = GithubForge.layerConfig({
  auth: Config.map(Config.redacted("GITHUB_TOKEN"), GithubAuth.token)
}).pipe(Layer.provide(NodeHttpClient.layerUndici))

/**
 * A GitHub App installation on GitHub Enterprise Server, also verifying deployments to `production`. The
 * values come from wherever the application keeps them; the private key stays `Redacted`.
 */
export const asApp = (app: {
  readonly baseUrl: string
  readonly appId: string
  readonly privateKey: Redacted.Redacted
  readonly installationId: string
}): Layer.Layer<Tracker.Tracker | Ci.Ci> =>
  GithubForge.layer({
    baseUrl: app.baseUrl, // e.g. https://github.example.com/api/v3
    auth: GithubAuth.app({ appId: app.appId, privateKey: app.privateKey, installationId: app.installationId }),
    deploymentEnvironment: "production"
  }).pipe(Layer.provide(NodeHttpClient.layerUndici))
