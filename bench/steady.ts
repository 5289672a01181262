/**
 * Steady-state ticks for P1 and the points-per-hour figures: one world on virtual time, `interval` apart,
 * ticked `ticks` times in one of the three shapes AFK is deployed in, every tick's tracker requests and
 * GitHub rate-limit points (the fake's own counters) recorded, and the mean over the steady ticks (from
 * `from`, the ticks before it being the warm-up a new deployment pays once).
 *
 * Shapes: `serve` — one client for every tick (a long-lived process: `afk-cli serve`, an embedding);
 * `cache-dir` — a fresh client per tick sharing a cache directory (a CronJob with a volume, Actions with a
 * persisted cache); `no-cache` — a fresh client per tick with no cache directory (a CronJob without a
 * volume, Actions on a fresh runner).
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as TestContext from "effect/TestContext"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Script from "../test/world/Script.js"
import * as World from "../test/world/World.js"

export type Shape = "serve" | "cache-dir" | "no-cache"

export const shapes: ReadonlyArray<Shape> = ["serve", "cache-dir", "no-cache"]

/**
 * Whether the shipped examples deploy this shape (issue 20: idle costs no point in every shipped shape, so the
 * examples persist the cache): `no-cache` is what a deployment without it costs, reported and not judged.
 */
export const shipped = (shape: Shape): boolean => shape !== "no-cache"

export const shapeNames: Record<Shape, string> = {
  "serve": "one long-lived client (serve)",
  "cache-dir": "fresh client per tick, shared cache dir (CronJob with a volume, Actions with its cache)",
  "no-cache": "fresh client per tick, no cache dir (CronJob without a volume, Actions on a fresh runner)"
}

/** What the world holds besides a quiet backlog. */
export interface Mix {
  /** Runs in flight: ready issues by a maintainer whose agent keeps working for the whole series. */
  readonly inFlight: number
  /** Ready issues labelled by a drive-by (no write access), refused every tick: one in every `refusedEvery`-th repo. */
  readonly refusedEvery: number
}

export const idle: Mix = { inFlight: 0, refusedEvery: 0 }
/**
 * A realistic busy backlog: two runs in flight of the default cap of three (so a slot is free and poll
 * examines the backlog), a refused issue in every fifth repository.
 */
export const busy: Mix = { inFlight: 2, refusedEvery: 5 }

export interface Series {
  readonly repos: number
  readonly intervalMinutes: number
  readonly shape: Shape
  readonly mix: Mix
  readonly ticks: ReadonlyArray<{ readonly requests: number; readonly points: number; readonly decisions: string }>
  /** First steady tick (1-based). */
  readonly from: number
  readonly meanRequests: number
  readonly meanPoints: number
  readonly seconds: number
}

const mean = (values: ReadonlyArray<number>) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length)

/** Ticks one fresh world `ticks` times in `shape`, `intervalMinutes` apart on virtual time. */
export const series = (options: {
  readonly repos: number
  readonly issuesPerRepo: number
  readonly intervalMinutes: number
  readonly shape: Shape
  readonly mix: Mix
  readonly ticks: number
  readonly from: number
  /** How the GitHub tracker reads its issue lists (`GithubTracker.Options.lists`); its default otherwise. */
  readonly lists?: "rest" | "graphql" | undefined
}): Effect.Effect<Series> =>
  Effect.scoped(Effect.gen(function*() {
    const began = performance.now()
    const world = yield* World.make({
      repos: options.repos,
      issuesPerRepo: options.issuesPerRepo,
      readyFraction: 0,
      time: "virtual",
      interval: Duration.minutes(options.intervalMinutes),
      rateLimit: 1e12,
      githubTracker: options.lists === undefined ? undefined : { lists: options.lists }
    })
    for (let i = 0; i < options.mix.inFlight; i++) {
      const repo = world.repos[i % world.repos.length]!
      world.addIssue(repo, "noPush", { agent: Script.Agent.NeverPush({ afterPolls: 1e9 }) })
    }
    if (options.mix.refusedEvery > 0) {
      world.repos.forEach((repo, i) => {
        if (i % options.mix.refusedEvery === options.mix.refusedEvery - 1) world.addIssue(repo, "untrusted")
      })
    }
    const directory = mkdtempSync(join(tmpdir(), "afk-bench-steady-"))
    yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(directory, { recursive: true, force: true })))
    const ticks: Array<Series["ticks"][number]> = []
    for (let n = 1; n <= options.ticks; n++) {
      const ports = options.shape === "serve"
        ? undefined
        : yield* world.ports(options.shape === "cache-dir" ? { cacheDirectory: directory } : {})
      const ticked = yield* world.tick(ports)
      const failed = World.failures(ticked.report)
      if (failed.length > 0) return yield* Effect.dieMessage(`tick ${n} failed:\n${failed.join("\n")}`)
      ticks.push({
        requests: ticked.tally.tracker,
        points: ticked.tally.points ?? NaN,
        decisions: World.decisions(ticked.report)
      })
    }
    const steady = ticks.slice(options.from - 1)
    return {
      repos: options.repos,
      intervalMinutes: options.intervalMinutes,
      shape: options.shape,
      mix: options.mix,
      ticks,
      from: options.from,
      meanRequests: mean(steady.map((t) => t.requests)),
      meanPoints: mean(steady.map((t) => t.points)),
      seconds: (performance.now() - began) / 1000
    } satisfies Series
  })).pipe(Effect.provide(TestContext.TestContext))

/** `--name value` from the command line, or `fallback`. */
export const arg = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(`--${name}`)
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback
}

/** `--env KEY=VALUE,KEY=VALUE`: variables added to the environment of the ticks a bench spawns. */
export const envArg = (): Record<string, string> =>
  Object.fromEntries(
    arg("env", "").split(",").filter((pair) => pair.includes("=")).map((pair) => {
      const at = pair.indexOf("=")
      return [pair.slice(0, at), pair.slice(at + 1)]
    })
  )

/**
 * `--lists graphql|rest`: how the GitHub tracker reads its issue lists in the series (`afk-cli`'s default is
 * `graphql`; the tracker's own, without the option, `rest`), and its name for the figures.
 */
export const listsArg = (): { readonly lists: "rest" | "graphql" | undefined; readonly name: string } => {
  const value = arg("lists", "")
  const lists = value === "graphql" || value === "rest" ? value : undefined
  return { lists, name: listsName(lists) }
}

/** How the figures name a way of reading the lists (the tracker's own, without the option, is REST). */
export const listsName = (lists: "rest" | "graphql" | undefined): string =>
  lists === "graphql" ? "GraphQL lists" : "REST lists"
