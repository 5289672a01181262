import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import * as Cli from "./support/Cli.js"
import * as Loopback from "./support/Loopback.js"
import * as World from "./support/World.js"

const bad = (env: Record<string, string>, args: ReadonlyArray<string> = ["tick"]) =>
  Effect.map(Cli.run(args, env), (result) => {
    expect(result.code).toBe(2)
    return result.stderr
  })

describe("exit codes", () => {
  it.live("0 and one line saying why when disarmed by default", () =>
    Effect.gen(function*() {
      const result = yield* Cli.run(["tick"])
      expect(result.code).toBe(0)
      expect(result.stdout.trim()).toBe(
        "AFK is disarmed: kill switch is on (AFK_KILL_SWITCH=true); allowlist is empty (AFK_ALLOWLIST). Nothing was read or written."
      )
    }))

  it.scopedLive("disarmed, tick / poll / watch make no request at all, whatever else is configured", () =>
    Effect.gen(function*() {
      const server = yield* Loopback.counting
      const everything = {
        ...World.armedEnv(server.url, server.url),
        SLACK_WEBHOOK_URL: `${server.url}${World.secrets.webhookPath}`,
        AFK_FORGEJO_API: `${server.url}/api/v1`,
        FORGEJO_TOKEN: World.secrets.forgejo
      }
      const gates = [
        { ...everything, AFK_KILL_SWITCH: "true" },
        { ...everything, AFK_ALLOWLIST: "" },
        { ...everything, AFK_TRACKER: "forgejo", AFK_KILL_SWITCH: "on" }
      ]
      for (const env of gates) {
        for (const command of ["tick", "poll", "watch"]) {
          const result = yield* Cli.run([command], env)
          expect(result.code).toBe(0)
          expect(result.stdout).toContain("AFK is disarmed")
        }
      }
      expect(server.requests()).toBe(0)
    }))

  it.live("2 for a boolean that is not one, naming the key and the value", () =>
    Effect.gen(function*() {
      const stderr = yield* bad({ AFK_KILL_SWITCH: "maybe" })
      expect(stderr).toContain("AFK_KILL_SWITCH=\"maybe\"")
      expect(stderr).toContain("is not a boolean")
    }))

  it.live("2 for a workspace root that is not absolute, saying the path is on the T3 host", () =>
    Effect.gen(function*() {
      for (const root of ["~/src/{owner}__{repo}", "src/{repo}", "./{repo}"]) {
        const stderr = yield* bad({ AFK_T3_WORKSPACE_ROOT: root })
        expect(stderr).toContain("AFK_T3_WORKSPACE_ROOT")
        expect(stderr).toContain("T3 Code host")
      }
    }))

  it.live("2 for a runtime mode other than full-access or auto", () =>
    Effect.gen(function*() {
      const stderr = yield* bad({ AFK_T3_RUNTIME_MODE: "approval-required" })
      expect(stderr).toContain("AFK_T3_RUNTIME_MODE=\"approval-required\"")
      expect(stderr).toContain("full-access, auto")
    }))

  it.live("2 for a number that is not one", () =>
    Effect.gen(function*() {
      const stderr = yield* bad({ AFK_MAX_CONCURRENT_RUNS: "many" })
      expect(stderr).toContain("AFK_MAX_CONCURRENT_RUNS=\"many\"")
    }))

  it.live("2 for an allowlist entry that is not owner/name, naming the entry", () =>
    Effect.gen(function*() {
      const stderr = yield* bad({ AFK_ALLOWLIST: "acme/app, not-a-repo" })
      expect(stderr).toContain("AFK_ALLOWLIST")
      expect(stderr).toContain("\"not-a-repo\"")
    }))

  it.live("2 for an unknown AFK_ key, with a suggestion", () =>
    Effect.gen(function*() {
      const stderr = yield* bad({ AFK_KILLSWITCH: "false" })
      expect(stderr).toContain("AFK_KILLSWITCH")
      expect(stderr).toContain("did you mean AFK_KILL_SWITCH?")
    }))

  it.live("2 for a malformed config file, with its line and column", () =>
    Effect.gen(function*() {
      const dir = Cli.scratch()
      const file = join(dir, "afk.config.json")
      writeFileSync(file, "{\n  \"killSwitch\": false,\n  \"allowlist\": [\"acme/app\"\n}\n")
      const result = yield* Cli.run(["tick", "--config", file])
      expect(result.code).toBe(2)
      expect(result.stderr).toContain("afk.config.json")
      expect(result.stderr).toMatch(/line \d+, column \d+/)
    }))

  it.live("§8.18 a config file that cannot be read is an error naming it, never reported as disarmed", () =>
    Effect.gen(function*() {
      const result = yield* Cli.run(["tick", "--config", "/nonexistent/afk.config.json"])
      expect(result.code).toBe(2)
      expect(result.stderr).toContain("afk.config.json")
      expect(result.stdout).not.toContain("disarmed")
    }))

  it.live("2 for a config file value of the wrong type, naming the key; ./afk.config.json is read by default", () =>
    Effect.gen(function*() {
      const dir = Cli.scratch()
      writeFileSync(join(dir, "afk.config.json"), JSON.stringify({ killSwitch: "no" }))
      const result = yield* Cli.run(["tick"], {}, { cwd: dir })
      expect(result.code).toBe(2)
      expect(result.stderr).toContain("killSwitch")
    }))

  it.live("2 for a missing token when armed, naming the key", () =>
    Effect.gen(function*() {
      const stderr = yield* bad({ AFK_KILL_SWITCH: "false", AFK_ALLOWLIST: "acme/app", AFK_T3_TOKEN: World.secrets.t3 })
      expect(stderr).toContain("GITHUB_TOKEN")
      const t3 = yield* bad({ AFK_KILL_SWITCH: "false", AFK_ALLOWLIST: "acme/app", GITHUB_TOKEN: World.secrets.github })
      expect(t3).toContain("AFK_T3_TOKEN")
    }))

  it.live("2 for a secret passed as a flag, which would show in the process list", () =>
    Effect.gen(function*() {
      const stderr = yield* bad({}, ["tick", "--set", `GITHUB_TOKEN=${World.secrets.github}`])
      expect(stderr).toContain("GITHUB_TOKEN")
      expect(stderr).not.toMatch(/(?<!AFK_WEBHOOK_)SECRET/)
    }))

  it.live("2 for a usage error", () =>
    Effect.gen(function*() {
      yield* bad({}, ["tick", "--no-such-flag"])
      yield* bad({}, ["no-such-command"])
    }))

  it.live("flags override the environment (--set arms nothing the environment refused)", () =>
    Effect.gen(function*() {
      const result = yield* Cli.run(["tick", "--set", "AFK_KILL_SWITCH=true"], {
        AFK_KILL_SWITCH: "false",
        AFK_ALLOWLIST: "acme/app"
      })
      expect(result.code).toBe(0)
      expect(result.stdout).toContain("kill switch is on")
    }))

  it.scopedLive("0 for an armed tick that dispatches", () =>
    Effect.gen(function*() {
      const world = yield* World.make()
      const result = yield* Cli.run(["tick"], world.env)
      expect(result.code).toBe(0)
      expect(result.stderr).toContain("acme/app#1: dispatch")
      expect(result.stderr).toContain("acme/app#2: refuse (untrusted")
      expect(world.t3.threads()).toHaveLength(1)
    }))

  it.scopedLive(
    "§8.22 1 when both passes of a tick fail (the tracker rejects the token), 1 when poll alone fails",
    () =>
      Effect.gen(function*() {
        const world = yield* World.make({ githubTokens: ["ghp_someone_else"] })
        const result = yield* Cli.run(["tick"], world.env)
        expect(result.code).toBe(1)
        expect(result.stdout).toContain("watch: 0 decisions, 1 failure")
        expect(result.stdout).toContain("poll: 0 decisions, 1 failure")
        const poll = yield* Cli.run(["poll"], world.env)
        expect(poll.code).toBe(1)
      })
  )
})
