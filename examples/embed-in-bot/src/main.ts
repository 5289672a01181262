/**
 * The bot with AFK embedded. The bot stays a plain Node program; AFK lives in a `ManagedRuntime` the bot
 * composes from layers (its ports, its `Afk` service, its logger), and ticks on the bot's own `Schedule`.
 * Two routes are added next to the bot's own: `GET /afk/status` and `POST /afk/tick` (tick now).
 *
 * - Production: configuration from the environment (and `BOT_CONFIG_DIR`, a ConfigMap-style directory, when
 *   set), exactly as afk-cli reads it. Disarmed by default: the bot runs, and AFK neither builds its ports
 *   nor sends anything. Ticks every `BOT_TICK_SECONDS` (300); stops cleanly on SIGTERM / SIGINT.
 * - `AFK_EXAMPLE_OFFLINE=1`: afk-core's in-memory fakes (no network at all). Ticks until the one ready issue
 *   is closed, reads `/afk/status` from the bot over loopback, prints it, and exits 0 (1 if not closed).
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { Config } from "afk-core"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Afk from "./Afk.js"
import * as Bot from "./Bot.js"

const env = process.env
const offline = env["AFK_EXAMPLE_OFFLINE"] === "1"
const configDir = env["BOT_CONFIG_DIR"]

const loadConfig = Config.loadFrom({ env, ...(configDir === undefined ? {} : { dir: configDir }) }).pipe(
  Effect.provide(NodeFileSystem.layer)
)

const main = async (): Promise<number> => {
  const world = offline ? await Effect.runPromise(Afk.offline) : undefined
  const config = world?.config ?? (await Effect.runPromise(loadConfig))
  const arming = Config.describeArming(config)

  // The bot's schedule: a tick now, then one every BOT_TICK_SECONDS; offline, as fast as it goes until done.
  const seconds = Number(env["BOT_TICK_SECONDS"] ?? 300)
  if (!(seconds > 0)) throw new Error(`BOT_TICK_SECONDS must be a positive number of seconds, not ${seconds}`)
  const schedule = offline
    ? Schedule.spaced("10 millis").pipe(Schedule.intersect(Schedule.recurs(100)))
    : Schedule.spaced(`${seconds} seconds`)
  const done = () => world !== undefined && world.tracker.issue(Afk.offlineRepo, 1).state === "closed"

  // The bot's own runtime for AFK: the ports are built once, here, and every tick runs in it. Disarmed,
  // there is no runtime at all (so no credential is needed and nothing is sent).
  const runtime = arming.armed
    ? ManagedRuntime.make(
      Layer.merge(Afk.layer(config).pipe(Layer.provide(world?.ports ?? Afk.live(config))), Logger.logFmt)
    )
    : undefined
  // Build it now, so a missing credential stops the bot at start-up instead of failing the first tick.
  await runtime?.runtime()

  const bot = await Bot.start({
    host: env["HOST"] ?? "127.0.0.1",
    port: offline ? 0 : Number(env["PORT"] ?? 8080),
    routes: {
      "GET /afk/status": async () => ({
        status: 200,
        body: runtime === undefined
          ? { armed: false, reasons: arming.reasons }
          : { armed: true, ...(await runtime.runPromise(Effect.flatMap(Afk.Afk, (afk) => afk.status))) }
      }),
      "POST /afk/tick": async () => {
        if (runtime === undefined) return { status: 409, body: { error: "AFK is disarmed", reasons: arming.reasons } }
        const report = await runtime.runPromise(Effect.flatMap(Afk.Afk, (afk) => afk.tick))
        return Option.match(report, {
          onNone: () => ({ status: 409, body: { error: "a tick is already running" } }),
          onSome: (tick) => ({ status: 200, body: tick })
        })
      }
    }
  })
  console.log(`bot listening on ${bot.url}; AFK ${arming.armed ? "armed" : "disarmed"}: ${arming.reasons.join("; ")}`)

  // AFK starts ticking once the bot is up.
  const ticking = runtime?.runFork(
    Effect.flatMap(Afk.Afk, (afk) => Effect.repeat(afk.tick, { schedule, until: done }))
  )

  const stop = async () => {
    if (ticking !== undefined) await runtime?.runPromise(Fiber.interrupt(ticking))
    await runtime?.dispose()
    await bot.close()
  }

  if (!offline) {
    await new Promise<void>((resolve) => {
      process.once("SIGTERM", resolve)
      process.once("SIGINT", resolve)
    })
    await stop()
    return 0
  }

  if (ticking !== undefined) await runtime?.runPromise(Fiber.join(ticking))
  const status = await (await fetch(`${bot.url}/afk/status`)).json()
  console.log(JSON.stringify(status, null, 2))
  await stop()
  const notified = world?.notifier.sent.map((n) => `${n.kind} ${n.issue}`) ?? []
  console.log(`notified: ${notified.join(", ")}`)
  return done() ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  }
)
