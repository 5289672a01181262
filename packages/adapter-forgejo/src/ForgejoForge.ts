/**
 * Forgejo or Gitea as AFK's forge: `Tracker` and `Ci` over one `ForgejoClient`, which the layer provides
 * too. One client means one per-host request limit and one page-size reading for both ports.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Ci from "afk-core/Ci"
import * as Tracker from "afk-core/Tracker"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ForgejoCi from "./ForgejoCi.js"
import * as ForgejoClient from "./ForgejoClient.js"
import * as ForgejoTracker from "./ForgejoTracker.js"

/** The client's options with the tracker's. */
export interface Options extends ForgejoClient.Options, ForgejoTracker.Options {}

/** `Tracker`, `Ci` and the `ForgejoClient` both stand on, over the ambient `HttpClient`. */
export const layer = (
  options: Options
): Layer.Layer<Tracker.Tracker | Ci.Ci | ForgejoClient.ForgejoClient, never, HttpClient.HttpClient> =>
  Layer.merge(
    Layer.effect(Tracker.Tracker, ForgejoTracker.make(options)),
    Layer.effect(Ci.Ci, ForgejoCi.make())
  ).pipe(Layer.provideMerge(ForgejoClient.layer(options)))

/**
 * The same from configuration; the caller names the variables, e.g.
 * `{ baseUrl: Config.string("AFK_FORGEJO_API"), token: Config.redacted("FORGEJO_TOKEN") }`.
 */
export const layerConfig = (
  config: Config.Config.Wrap<Options>
): Layer.Layer<Tracker.Tracker | Ci.Ci | ForgejoClient.ForgejoClient, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(config), layer))
