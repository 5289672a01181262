/**
 * Forgejo or Gitea as AFK's forge: `Tracker`, `Ci` and `PullRequests` over one `ForgejoClient`, which the
 * layer provides too. One client means one per-host request limit and one page-size reading for every port.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Ci from "afk-core/Ci"
import * as PullRequests from "afk-core/PullRequests"
import * as Tracker from "afk-core/Tracker"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ForgejoCi from "./ForgejoCi.js"
import * as ForgejoClient from "./ForgejoClient.js"
import * as ForgejoPullRequests from "./ForgejoPullRequests.js"
import * as ForgejoTracker from "./ForgejoTracker.js"

/** The client's options with the tracker's. */
export interface Options extends ForgejoClient.Options, ForgejoTracker.Options {}

/** The ports the layer provides, with the client they stand on. */
export type Provided = Tracker.Tracker | Ci.Ci | PullRequests.PullRequests | ForgejoClient.ForgejoClient

/** `Tracker`, `Ci`, `PullRequests` and the `ForgejoClient` they stand on, over the ambient `HttpClient`. */
export const layer = (options: Options): Layer.Layer<Provided, never, HttpClient.HttpClient> =>
  Layer.mergeAll(
    Layer.effect(Tracker.Tracker, ForgejoTracker.make(options)),
    Layer.effect(Ci.Ci, ForgejoCi.make()),
    Layer.effect(PullRequests.PullRequests, ForgejoPullRequests.make())
  ).pipe(Layer.provideMerge(ForgejoClient.layer(options)))

/**
 * The same from configuration; the caller names the variables, e.g.
 * `{ baseUrl: Config.string("AFK_FORGEJO_API"), token: Config.redacted("FORGEJO_TOKEN") }`.
 */
export const layerConfig = (
  config: Config.Config.Wrap<Options>
): Layer.Layer<Provided, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(config), layer))
