/**
 * `serve`: the long-running mode. Reads the configuration once, then hands over to `serve/Daemon` (loaded
 * only here, so no other command pays for the HTTP server).
 */
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import * as Flags from "../Flags.js"
import * as Outcome from "../Outcome.js"
import * as Settings from "../Settings.js"
import type { Wiring } from "../Wiring.js"

const description = [
  "Run as a daemon: a full tick at start and every AFK_RECONCILE_SECONDS (default 120), and a pass within",
  "seconds of a signed webhook delivery. Listens on AFK_SERVE_HOST:AFK_SERVE_PORT (default 127.0.0.1:8787):",
  "POST /webhooks/github (X-Hub-Signature-256) and POST /webhooks/forgejo (X-Forgejo-Signature or",
  "X-Gitea-Signature), both verified with AFK_WEBHOOK_SECRET (unset: they answer 503); an issues or",
  "issue_comment event asks for a tick, a CI event (check_run, check_suite, status, workflow_run) for a watch",
  "pass; the pass re-reads everything from the tracker. GET /healthz, GET /readyz (503 while disarmed or",
  "after a failed tick, saying why), GET /metrics (Prometheus). Disarmed, it verifies and answers deliveries",
  "and makes no request. SIGTERM or SIGINT: stop listening, let the pass in progress finish (up to 20 s),",
  "exit 0. Traces and metrics also go to OTEL_EXPORTER_OTLP_ENDPOINT when it is set."
].join(" ")

/** `afk-cli serve`; `version` is the CLI's, reported to an OpenTelemetry collector. */
export const command = (wiring: Wiring, version: string) =>
  Command.make("serve", Flags.options, (options) =>
    Outcome.guard(
      Effect.gen(function*() {
        const { config } = yield* Settings.load(options, wiring.env)
        const Daemon = yield* Effect.promise(() => import("../serve/Daemon.js"))
        return yield* Daemon.run(config, wiring, version)
      })
    ).pipe(Effect.provide(Settings.logger(options.logFormat)))).pipe(Command.withDescription(description))
