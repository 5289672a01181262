/**
 * AFK_CACHE_DIR: every `afk-cli tick` is a new process, hence a new GitHub client, so only a cache on disk lets
 * the next tick ask conditionally (`If-None-Match`), and GitHub's 304s cost no rate-limit point (quality P1).
 * Turned off, each tick pays again; unwritable, the tick still runs and says where it could not write. Who the
 * bot is is never read from disk, and an idle tick never asks it, so an idle tick costs no point at all; the
 * lists a tick remembered under the repository's change probe are not asked for again while the probe answers
 * 304. The shipped deployment shapes keep the directory as the examples do: a folder inside a Kubernetes
 * volume, or carried from one GitHub Actions runner to the next by the Actions cache.
 */
import { describe, expect, it } from "@effect/vitest"
import type { GithubFake } from "afk-adapter-github/testing"
import * as Effect from "effect/Effect"
import { spawnSync } from "node:child_process"
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import * as Cli from "./support/Cli.js"
import * as Loopback from "./support/Loopback.js"
import * as World from "./support/World.js"

/** acme/app with one open issue and nothing ready or locked: an idle tick. */
const idle = World.idleSeed()

/** The GitHub fake over loopback; T3 is a server that only counts what reaches it (an idle tick sends nothing). */
const idleWorld = Effect.gen(function*() {
  const github = yield* Loopback.github([idle], { tokens: [World.secrets.github] })
  const t3 = yield* Loopback.counting
  return { github, t3, env: World.armedEnv(github.url, t3.url) }
})

const ticks = (env: Record<string, string>, cwd: string) =>
  Effect.gen(function*() {
    const first = yield* Cli.run(["tick"], env, { cwd })
    expect(first.code, first.all).toBe(0)
    return first
  })

describe("tracing in a command", () => {
  it.scopedLive("a tick makes no span: no request to the forge carries trace headers (nothing exports them)", () =>
    Effect.gen(function*() {
      const world = yield* idleWorld
      yield* ticks(world.env, Cli.scratch())
      const received = world.github.received()
      expect(received.length).toBeGreaterThan(0)
      const traced = received.filter((r) => r.headerNames.some((name) => ["traceparent", "b3"].includes(name)))
      expect(traced.map((r) => `${r.method} ${r.path}`)).toEqual([])
    }))
})

describe("AFK_CACHE_DIR: GitHub's answers kept between tick processes", () => {
  it.scopedLive("P1, REST lists: the next idle tick process asks only conditionally (free 304s), never who the bot is", () =>
    Effect.gen(function*() {
      const world = yield* idleWorld
      const env = { ...world.env, AFK_GITHUB_LISTS: "rest" }
      const cwd = Cli.scratch()
      const log = world.github.fake.log
      yield* ticks(env, cwd)
      expect(log.map((r) => `${r.method} ${r.path}`)).not.toContain("POST /graphql")
      expect(readdirSync(join(cwd, ".afk-cache", "github")).length).toBeGreaterThan(0)
      const asked = new Set(log.map((r) => r.path))
      const seen = log.length
      yield* ticks(env, cwd)
      const again = log.slice(seen).filter((r) => asked.has(r.path))
      expect(again.length).toBeGreaterThan(1)
      expect(again.map((r) => `${r.method} ${r.path} ${r.conditional ? "conditional" : "plain"} ${r.status}`))
        .toEqual(again.map((r) => `GET ${r.path} conditional 304`))
      const points = world.github.fake.counters().points
      const before = log.length
      const third = yield* ticks(env, cwd)
      expect(third.stdout).toContain("poll: 0 decisions, 0 failures")
      expect(world.github.fake.counters().points - points, "an idle tick spends no point").toBe(0)
      expect(log.map((r) => r.path), "nothing to do: who the bot is is never asked").not.toContain("/user")
      expect(
        log.slice(before).map((r) => `${r.method} ${r.path} ${r.status}`),
        "the lists the second tick remembered are not asked for again: one probe answers for them"
      ).toEqual(["GET /repos/acme/app/issues?state=all&sort=updated&direction=desc&per_page=1 304"])
      expect(world.t3.requests()).toBe(0)
    }))

  it.scopedLive("P1, GraphQL lists (the default): the third idle tick process is one free probe, no query", () =>
    Effect.gen(function*() {
      const world = yield* idleWorld
      const cwd = Cli.scratch()
      const log = world.github.fake.log
      const probe = "GET /repos/acme/app/issues?state=all&sort=updated&direction=desc&per_page=1"
      yield* ticks(world.env, cwd)
      expect(log.map((r) => `${r.method} ${r.path}`), "the lists in one query").toEqual(["POST /graphql"])
      const second = log.length
      yield* ticks(world.env, cwd)
      expect(
        log.slice(second).map((r) => `${r.method} ${r.path}`),
        "the repository's first probe, which vouches for the lists the query read: nothing changed since"
      ).toEqual([probe])
      const points = world.github.fake.counters().points
      const before = log.length
      const third = yield* ticks(world.env, cwd)
      expect(third.stdout).toContain("poll: 0 decisions, 0 failures")
      expect(log.slice(before).map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([`${probe} 304`])
      expect(world.github.fake.counters().points - points, "an idle tick spends no point").toBe(0)
      expect(world.t3.requests()).toBe(0)
    }))

  it.scopedLive("off: nothing is written, and the next tick pays rate-limit points again", () =>
    Effect.gen(function*() {
      const world = yield* idleWorld
      const cwd = Cli.scratch()
      const env = { ...world.env, AFK_CACHE_DIR: "off" }
      yield* ticks(env, cwd)
      const points = world.github.fake.counters().points
      yield* ticks(env, cwd)
      expect(world.github.fake.counters().points - points).toBeGreaterThan(0)
      expect(existsSync(join(cwd, ".afk-cache"))).toBe(false)
    }))

  it.scopedLive("§8.18 a directory that cannot be written costs only the savings: the tick runs and names it once", () =>
    Effect.gen(function*() {
      const world = yield* idleWorld
      const cwd = Cli.scratch()
      const blocked = join(cwd, "a-file-not-a-directory")
      writeFileSync(blocked, "")
      const result = yield* ticks({ ...world.env, AFK_CACHE_DIR: blocked }, cwd)
      expect(result.stdout).toContain("watch: 0 decisions, 0 failures")
      expect(result.stdout).toContain("poll: 0 decisions, 0 failures")
      expect(result.stderr.split("could not write to the cache directory")).toHaveLength(2)
      expect(result.stderr).toContain(join(blocked, "github"))
    }))
})

/** The third of three ticks, tick `i` run in the working directory `cwd(i)`, and the points it spent. */
const thirdTick = (env: Record<string, string>, cwd: (tick: number) => string, github: Loopback.Github) =>
  Effect.gen(function*() {
    yield* ticks(env, cwd(0))
    yield* ticks(env, cwd(1))
    const points = github.fake.counters().points
    const third = yield* ticks(env, cwd(2))
    return { points: github.fake.counters().points - points, third }
  })

describe("AFK_CACHE_DIR as the shipped deployments keep it", () => {
  it.scopedLive("Kubernetes: a folder inside a volume fsGroup made group-writable keeps the cache; its root is refused", () =>
    Effect.gen(function*() {
      const world = yield* idleWorld
      const volume = join(Cli.scratch(), "volume")
      mkdirSync(volume)
      chmodSync(volume, 0o2775)
      const cwd = Cli.scratch()
      const inside = yield* thirdTick({ ...world.env, AFK_CACHE_DIR: join(volume, "cache") }, () => cwd, world.github)
      expect(inside.third.stderr).not.toContain("refusing the cache directory")
      expect(inside.points, "an idle tick spends no point").toBe(0)
      expect(statSync(join(volume, "cache")).mode & 0o777, "private; setgid comes from the volume").toBe(0o700)
      const root = yield* thirdTick({ ...world.env, AFK_CACHE_DIR: volume }, () => cwd, world.github)
      expect(root.third.stderr).toContain(`refusing the cache directory ${volume}`)
      expect(root.third.stderr).toContain("group-writable")
      expect(root.points).toBeGreaterThan(0)
    }))

  it.scopedLive("GitHub Actions: the folder carried to a fresh workspace by tar, as actions/cache does, keeps the cache", () =>
    Effect.gen(function*() {
      const world = yield* idleWorld
      const workspaces = [Cli.scratch(), Cli.scratch(), Cli.scratch()]
      const archive = join(Cli.scratch(), "cache.tar")
      const carried = (tick: number) => {
        if (tick > 0) {
          const tar = (args: ReadonlyArray<string>) => spawnSync("tar", args, { encoding: "utf8" })
          const saved = tar(["-cf", archive, "-C", workspaces[tick - 1]!, ".afk-cache"])
          const restored = tar(["-xf", archive, "-C", workspaces[tick]!])
          expect([saved.status, restored.status], saved.stderr + restored.stderr).toEqual([0, 0])
        }
        return workspaces[tick]!
      }
      const run = yield* thirdTick({ ...world.env, AFK_CACHE_DIR: ".afk-cache" }, carried, world.github)
      expect(run.third.stderr).not.toContain("refusing the cache directory")
      expect(run.points, "an idle tick spends no point").toBe(0)
    }))
})

/** acme/app with one ready issue, labelled by a drive-by (no write access): refused every tick. */
const refusedOnly: GithubFake.Seed = { ...World.seed, issues: World.seed.issues.filter((issue) => issue.number === 2) }

describe("AFK_CACHE_DIR: a refused backlog", () => {
  it.scopedLive(
    "a refusal the last tick made costs the next tick process no point; a maintainer's re-label dispatches at once",
    () =>
      Effect.gen(function*() {
        const world = yield* World.make({ seed: refusedOnly })
        const cwd = Cli.scratch()
        const fake = world.github.fake
        const first = yield* ticks(world.env, cwd)
        expect(first.stderr).toContain("acme/app#2: refuse (untrusted")
        yield* ticks(world.env, cwd)
        const before = fake.log.length
        const third = yield* ticks(world.env, cwd)
        expect(third.stderr).toContain("acme/app#2: refuse (untrusted")
        expect(
          fake.log.slice(before).filter((r) => r.status !== 304).map((r) => `${r.method} ${r.path}`),
          "known refused: neither who may write nor the body's last edit is asked again; only who the bot is"
        ).toEqual(["GET /user"])
        expect(
          fake.log.slice(before).filter((r) => r.path.includes("/contents/")).map((r) => `${r.method} ${r.path}`),
          "known refused: the issue cannot win, so its repository's policy file is not read ahead, not even a 304"
        ).toEqual([])
        fake.actAs("maintainer").removeLabel(World.repo, 2, "ready-for-agent")
        fake.actAs("maintainer").addLabel(World.repo, 2, "ready-for-agent")
        const relabelled = yield* ticks(world.env, cwd)
        expect(relabelled.stderr).toContain("acme/app#2: dispatch")
        expect(world.t3.threads()).toHaveLength(1)
      })
  )
})
