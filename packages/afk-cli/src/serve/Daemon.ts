/**
 * `afk-cli serve` put together (loaded only by that command): the ports built once and kept for the life of
 * the process, the reconcile loop over them, and the HTTP server in front. Disarmed, no port is built and no
 * pass runs — deliveries are still verified and answered, and `/readyz` says why nothing happens. Stopping
 * (SIGTERM, SIGINT) closes the listener first, then lets the pass in progress finish, then exits 0.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Config from "afk-core/Config"
import * as Domain from "afk-core/Domain"
import * as Pass from "afk-core/Pass"
import * as Tick from "afk-core/Tick"
import * as Tracker from "afk-core/Tracker"
import * as Watch from "afk-core/Watch"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as http from "node:http"
import * as Outcome from "../Outcome.js"
import * as Ports from "../Ports.js"
import type { Wiring } from "../Wiring.js"
import * as Metrics from "./Metrics.js"
import * as Reconcile from "./Reconcile.js"
import * as Server from "./Server.js"
import * as Telemetry from "./Telemetry.js"
import * as Traffic from "./Traffic.js"
import * as Webhook from "./Webhook.js"

/** How long a stop waits for the pass in progress (inside Kubernetes' default 30 s grace period). */
export const stopGraceSeconds = 20

/** How many delivery ids are remembered to take a redelivery once (GitHub redelivers within hours). */
export const rememberedDeliveries = 10_000

/**
 * The ports, with the tracker's lists of locked issues observed: the newest count per repository is the
 * runs-in-flight gauge, the same open locked issues `afk-cli status` lists.
 */
const observed = (config: Config.AfkConfig, ports: Context.Context<Ports.Ports>) => {
  const tracker = Context.get(ports, Tracker.Tracker)
  const locked = new Map<string, number>()
  const total = () => [...locked.values()].reduce((sum, n) => sum + n, 0)
  return Context.add(ports, Tracker.Tracker, {
    ...tracker,
    listOpenIssues: (repo, label) =>
      tracker.listOpenIssues(repo, label).pipe(
        Effect.tap((issues) =>
          label === config.lockLabel
            ? Effect.suspend(() => {
              locked.set(repo.toLowerCase(), issues.length)
              return Metric.set(Metrics.inFlight, total())
            })
            : Effect.void
        )
      )
  })
}

const summary = (kind: string, result: Reconcile.Result) =>
  result.reports.map((report) =>
    `${report.pass}: ${report.decisions.length} decisions, ${report.failures.length} failures${
      report.unexamined === undefined ? "" : `, ${report.unexamined.count} ready issues not examined`
    }`
  )
    .join("; ") + ` (${kind})`

const armed = (config: Config.AfkConfig, wiring: Wiring) =>
  Effect.gen(function*() {
    const ports = observed(
      config,
      yield* Layer.build(Ports.layer(config, Traffic.counted(config, wiring.http), wiring.webSocket))
    )
    const pass = (kind: Webhook.Hint): Effect.Effect<Reconcile.Result> =>
      (kind === "tick"
        ? Effect.map(Tick.run(config), (tick) => ({ reports: [tick.watch, tick.poll], failed: tick.failed }))
        : Effect.map(Watch.run(config), (report) => ({ reports: [report], failed: Pass.failed(report) })))
        .pipe(Effect.provide(ports))
    const tracker = Context.get(ports, Tracker.Tracker)
    return yield* Reconcile.start({
      intervalSeconds: config.serve.reconcileSeconds,
      pass,
      forget: (repo) => tracker.forget === undefined ? Effect.void : tracker.forget(Domain.repo(repo)),
      grace: `${stopGraceSeconds} seconds`,
      report: (kind, result) => Effect.logInfo(summary(kind, result))
    })
  })

const listen = (config: Config.AfkConfig) =>
  NodeHttpServer.make(() => http.createServer(), { host: config.serve.host, port: config.serve.port }).pipe(
    Effect.mapError((error) =>
      new Error(
        `cannot listen on ${config.serve.host}:${config.serve.port} (${
          error.cause instanceof Error ? error.cause.message : "unknown cause"
        }); set AFK_SERVE_HOST / AFK_SERVE_PORT`
      )
    )
  )

/**
 * Runs `afk-cli serve` with `config` until the process is told to stop; `version` names the service to an
 * OpenTelemetry collector, when one is configured.
 */
export const run = (config: Config.AfkConfig, wiring: Wiring, version: string) =>
  Effect.gen(function*() {
    const arming = Config.describeArming(config)
    const loop = arming.armed ? yield* armed(config, wiring) : Reconcile.disarmed(arming.reasons)
    if (!arming.armed) {
      yield* Effect.logWarning(
        `AFK is disarmed: ${
          arming.reasons.join("; ")
        }. Deliveries are verified and answered; nothing is read or written.`
      )
    }
    const server = yield* listen(config)
    yield* server.serve(
      Server.app({
        secret: config.serve.webhookSecret,
        allowlist: config.allowlist,
        loop,
        seen: Webhook.seen(rememberedDeliveries)
      })
    )
    const address = server.address._tag === "TcpAddress"
      ? `http://${server.address.hostname}:${server.address.port}`
      : server.address.path
    yield* Effect.logInfo(`listening on ${address}`)
    return yield* Effect.never
  }).pipe(
    Effect.scoped,
    Effect.withTracerEnabled(Telemetry.enabled(wiring.env)),
    Effect.provide(Telemetry.layer(wiring.env, wiring.http, version)),
    Effect.onInterrupt(() => Effect.zipRight(Outcome.stopped, Effect.logInfo("stopped")))
  )
