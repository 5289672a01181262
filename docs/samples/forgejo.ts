/**
 * afk-adapter-forgejo: `Tracker` and `Ci` for one Forgejo or Gitea instance, sharing one client.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { ForgejoCi, ForgejoClient, ForgejoTracker } from "afk-adapter-forgejo"
import { Ci, Tracker } from "afk-core"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/** Both ports over one client (one per-host request limit), from `AFK_FORGEJO_API` and `FORGEJO_TOKEN`. */
export const Forgejo: Layer.Layer<Tracker.Tracker | Ci.Ci, ConfigError.ConfigError> = Layer.effectContext(
  Effect.gen(function*() {
    const options = yield* Config.all({
      baseUrl: Config.string("AFK_FORGEJO_API"), // e.g. https://codeberg.org/api/v1
      token: Config.redacted("FORGEJO_TOKEN")
    })
    const client = yield* ForgejoClient.make(options)
    const tracker = yield* ForgejoTracker.fromClient(client)
    return Context.make(Tracker.Tracker, tracker).pipe(Context.add(Ci.Ci, ForgejoCi.fromClient(client)))
  })
).pipe(Layer.provide(NodeHttpClient.layerUndici))

/** The simplest form: each port with its own client, from the same variables. */
const options = { baseUrl: Config.string("AFK_FORGEJO_API"), token: Config.redacted("FORGEJO_TOKEN") }
export const ForgejoSeparately: Layer.Layer<Tracker.Tracker | Ci.Ci, ConfigError.ConfigError> = Layer.merge(
  ForgejoTracker.layerConfig(options),
  ForgejoCi.layerConfig(options)
).pipe(
  Layer.provide(NodeHttpClient.layerUndici)
)
