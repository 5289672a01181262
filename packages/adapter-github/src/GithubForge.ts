/**
 * GitHub as AFK's forge: `Tracker`, `Ci` and `PullRequests` over one `GithubClient`, which the layer provides
 * too (for whatever else reads it, e.g. the GitHub App behind it). One client means one request limit, one
 * conditional-request cache and one rate-limit reading for every port.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Ci from "afk-core/Ci"
import * as PullRequests from "afk-core/PullRequests"
import * as Tracker from "afk-core/Tracker"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as GithubCi from "./GithubCi.js"
import * as GithubClient from "./GithubClient.js"
import * as GithubPullRequests from "./GithubPullRequests.js"
import * as GithubTracker from "./GithubTracker.js"

/** The client's options with the tracker's, the Ci's and the pull requests'. */
export interface Options
  extends GithubClient.Options, GithubTracker.Options, GithubCi.Options, GithubPullRequests.Options
{}

/** The ports the forge provides, and the client they stand on. */
export type Provided = Tracker.Tracker | Ci.Ci | PullRequests.PullRequests | GithubClient.GithubClient

/** `Tracker`, `Ci`, `PullRequests` and the `GithubClient` they stand on, over the ambient `HttpClient`. */
export const layer = (options: Options): Layer.Layer<Provided, never, HttpClient.HttpClient> =>
  Layer.mergeAll(
    Layer.effect(Tracker.Tracker, GithubTracker.make(options)),
    Layer.effect(Ci.Ci, GithubCi.make(options)),
    Layer.effect(PullRequests.PullRequests, GithubPullRequests.make(options))
  ).pipe(Layer.provideMerge(GithubClient.layer(options)))

/**
 * The same from configuration; the caller names the variables, e.g.
 * `{ auth: Config.map(Config.redacted("GITHUB_TOKEN"), GithubAuth.token) }`.
 */
export const layerConfig = (
  config: Config.Config.Wrap<Options>
): Layer.Layer<Provided, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(config), layer))
