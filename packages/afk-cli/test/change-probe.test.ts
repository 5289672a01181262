/**
 * AFK_GITHUB_CHANGE_PROBE: how an idle tick proves each allowlisted GitHub repository unchanged before the
 * lists remembered in AFK_CACHE_DIR are served — `rest` (default), one conditional request per repository, a
 * 304 free of rate-limit points; `graphql`, one query per 100 repositories of one owner, a GraphQL point each.
 */
import { describe, expect, it } from "@effect/vitest"
import type { GithubFake } from "afk-adapter-github/testing"
import * as Effect from "effect/Effect"
import * as Cli from "./support/Cli.js"
import * as Loopback from "./support/Loopback.js"
import * as World from "./support/World.js"

/** acme/<name>: one open issue, nothing ready or locked. */
const idle = (name: string): GithubFake.Seed => World.idleSeed(`acme/${name}`)

/** Twelve: more than one pass reads at once (eight), so a new process's first pass reaches its probes in two waves. */
const names = Array.from({ length: 12 }, (_, i) => `app-${i + 1}`)

/** The idle repositories over loopback; T3 only counts (an idle tick sends it nothing). */
const idleWorld = Effect.gen(function*() {
  const github = yield* Loopback.github(names.map(idle), { tokens: [World.secrets.github] })
  const t3 = yield* Loopback.counting
  const env = { ...World.armedEnv(github.url, t3.url), AFK_ALLOWLIST: names.map((name) => `acme/${name}`).join(",") }
  return { github, t3, env }
})

/** What the last of `ticks` idle ticks sharing a cache directory sent to GitHub, and the points it spent. */
const lastTick = (env: Record<string, string>, ticks = 3) =>
  Effect.gen(function*() {
    const world = yield* idleWorld
    const cwd = Cli.scratch()
    const all = { ...world.env, ...env }
    for (let i = 0; i < ticks - 1; i++) {
      const tick = yield* Cli.run(["tick"], all, { cwd })
      expect(tick.code, tick.all).toBe(0)
    }
    const fake = world.github.fake
    const before = fake.log.length
    const points = fake.counters().points
    const graphqlPoints = fake.graphqlPoints()
    const last = yield* Cli.run(["tick"], all, { cwd })
    expect(last.code, last.all).toBe(0)
    expect(last.stdout).toContain("poll: 0 decisions, 0 failures")
    expect(world.t3.requests()).toBe(0)
    return {
      sent: fake.log.slice(before).map((r) => `${r.method} ${r.path} ${r.status}`),
      points: fake.counters().points - points,
      graphqlPoints: fake.graphqlPoints() - graphqlPoints
    }
  })

const probe = (name: string) => `GET /repos/acme/${name}/issues?state=all&sort=updated&direction=desc&per_page=1 304`

describe("AFK_GITHUB_CHANGE_PROBE", () => {
  it.live("a value other than rest or graphql is refused, naming the variable and the accepted values", () =>
    Effect.gen(function*() {
      const result = yield* Cli.run(["tick"], { AFK_GITHUB_CHANGE_PROBE: "webhooks" })
      expect(result.code).toBe(2)
      expect(result.stderr).toContain("AFK_GITHUB_CHANGE_PROBE=\"webhooks\"")
      expect(result.stderr).toContain("rest, graphql")
    }))

  it.scopedLive("rest (default): an idle tick sends one free conditional probe per repository", () =>
    Effect.gen(function*() {
      const tick = yield* lastTick({})
      expect([...tick.sent].sort()).toEqual(names.map(probe).sort())
      expect(tick.points + tick.graphqlPoints).toBe(0)
    }))

  it.scopedLive("rest: the tick after a cold one sends only the first probes, which vouch for the lists its query read", () =>
    Effect.gen(function*() {
      const tick = yield* lastTick({}, 2)
      expect([...tick.sent].sort()).toEqual(names.map((name) => probe(name).replace(/ 304$/, " 200")).sort())
      expect(tick.graphqlPoints).toBe(0)
    }))

  it.scopedLive("graphql: an idle tick over twelve repositories sends one GraphQL query and no REST probe", () =>
    Effect.gen(function*() {
      const tick = yield* lastTick({ AFK_GITHUB_CHANGE_PROBE: "graphql" })
      expect(tick.sent).toEqual(["POST /graphql 200"])
      expect(tick.graphqlPoints).toBe(1)
    }))
})
