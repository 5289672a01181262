/**
 * GitHub as AFK's forge: `Tracker` and `Ci` over one `GithubClient`, which the layer provides too (for
 * whatever else reads it, e.g. the GitHub App behind it). One client means one request limit, one
 * conditional-request cache and one rate-limit reading for both ports.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Ci from "afk-core/Ci"
import * as Tracker from "afk-core/Tracker"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as GithubCi from "./GithubCi.js"
import * as GithubClient from "./GithubClient.js"
import * as GithubTracker from "./GithubTracker.js"

/** The client's options with the tracker's and the Ci's. */
export interface Options extends GithubClient.Options, GithubTracker.Options, GithubCi.Options {}

/** `Tracker`, `Ci` and the `GithubClient` both stand on, over the ambient `HttpClient`. */
export const layer = (
  options: Options
): Layer.Layer<Tracker.Tracker | Ci.Ci | GithubClient.GithubClient, never, HttpClient.HttpClient> =>
  Layer.merge(
    Layer.effect(Tracker.Tracker, GithubTracker.make(options)),
    Layer.effect(Ci.Ci, GithubCi.make(options))
  ).pipe(Layer.provideMerge(GithubClient.layer(options)))

/**
 * The same from configuration; the caller names the variables, e.g.
 * `{ auth: Config.map(Config.redacted("GITHUB_TOKEN"), GithubAuth.token) }`.
 */
export const layerConfig = (
  config: Config.Config.Wrap<Options>
): Layer.Layer<Tracker.Tracker | Ci.Ci | GithubClient.GithubClient, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(config), layer))
