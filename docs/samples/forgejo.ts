/**
 * afk-adapter-forgejo: `Tracker` and `Ci` for one Forgejo or Gitea instance, sharing one client.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { ForgejoForge } from "afk-adapter-forgejo"
import type { Ci, Tracker } from "afk-core"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Layer from "effect/Layer"

/** Both ports over one client (one per-host request limit), from `AFK_FORGEJO_API` and `FORGEJO_TOKEN`. */
export const Forgejo: Layer.Layer<Tracker.Tracker | Ci.Ci, ConfigError.ConfigError> = ForgejoForge.layerConfig({
  baseUrl: Config.string("AFK_FORGEJO_API"), // e.g. https://codeberg.org/api/v1
  token: Config.redacted("FORGEJO_TOKEN")
}).pipe(Layer.provide(NodeHttpClient.layerUndici))
