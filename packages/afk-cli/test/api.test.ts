import { describe, expect, it } from "@effect/vitest"
import type * as AfkApi from "afk-cli/api"
import * as Effect from "effect/Effect"
import { createRequire } from "node:module"
import * as Cli from "./support/Cli.js"
import * as Loopback from "./support/Loopback.js"
import * as World from "./support/World.js"

/** The built entry point, loaded by Node as a host loads it (not through the test runner's transform). */
const Afk = createRequire(import.meta.url)("afk-cli/api") as typeof AfkApi

const quiet = { logFormat: "none" } as const

/** What a rejected call failed with. */
const rejection = (promise: () => Promise<unknown>) =>
  Effect.promise(() => promise().then(() => undefined, (error: unknown) => error))

describe("afk-cli/api", () => {
  it.scopedLive("tick dispatches the ready issue and resolves with the pass reports, as plain JSON", () =>
    Effect.gen(function*() {
      const world = yield* World.make()
      const result = yield* Effect.promise(() => Afk.tick({ env: world.env, ...quiet }))
      expect(result.command).toBe("tick")
      expect(result.failed).toBe(false)
      expect(result.disarmed).toBeUndefined()
      expect(result.reports.map((report) => report.pass)).toEqual(["watch", "poll"])
      expect(result.reports[1]!.decisions).toContainEqual(
        expect.objectContaining({ subject: "acme/app#1", action: "dispatch" })
      )
      expect(result.reports[1]!.decisions).toContainEqual(
        expect.objectContaining({ subject: "acme/app#2", action: "refuse" })
      )
      expect(JSON.parse(JSON.stringify(result))).toStrictEqual(result)
      expect(world.t3.threads()).toHaveLength(1)

      const status = yield* Effect.promise(() => Afk.status({ env: world.env, ...quiet }))
      expect(status.failures).toEqual([])
      expect(status.rows).toEqual([
        expect.objectContaining({ issue: "acme/app#1", phase: "dispatched", attempts: 0, maxAttempts: 5 })
      ])
      const cli = yield* Cli.run(["status", "--json"], world.env)
      const printed = JSON.parse(cli.stdout) as AfkApi.StatusReport
      const withoutAge = (report: AfkApi.StatusReport) => report.rows.map(({ ageSeconds: _, ...row }) => row)
      expect(withoutAge(status)).toStrictEqual(withoutAge(printed))
    }))

  it.scopedLive("a dry run lists the writes it would make and makes none", () =>
    Effect.gen(function*() {
      const world = yield* World.make()
      const result = yield* Effect.promise(() => Afk.poll({ env: world.env, dryRun: true, ...quiet }))
      expect(result.command).toBe("poll")
      expect(result.writes).toContainEqual(expect.objectContaining({ port: "agent", op: "dispatch" }))
      expect(world.github.writes()).toEqual([])
      expect(world.t3.threads()).toEqual([])
    }))

  it.scopedLive("disarmed, watch says which gates are closed and sends nothing", () =>
    Effect.gen(function*() {
      const counter = yield* Loopback.counting
      const result = yield* Effect.promise(() =>
        Afk.watch({ env: { AFK_GITHUB_API: counter.url, AFK_T3_URL: counter.url }, ...quiet })
      )
      expect(result).toStrictEqual({
        command: "watch",
        disarmed: ["kill switch is on (AFK_KILL_SWITCH=true)", "allowlist is empty (AFK_ALLOWLIST)"],
        reports: [],
        failed: false
      })
      expect(counter.requests()).toBe(0)
    }))

  it.scopedLive("a configuration error rejects with code config and the CLI's message, naming the setting", () =>
    Effect.gen(function*() {
      const world = yield* World.make()
      const { GITHUB_TOKEN: _, ...env } = world.env
      const error = yield* rejection(() => Afk.tick({ env, ...quiet }))
      expect(error).toBeInstanceOf(Afk.AfkError)
      expect(error).toBeInstanceOf(Error)
      const { code, message, name } = error as AfkApi.AfkError
      expect({ code, name }).toEqual({ code: "config", name: "AfkError" })
      expect(message).toContain("GITHUB_TOKEN")
      const cli = yield* Cli.run(["tick"], env)
      expect(cli.code).toBe(2)
      expect(cli.stderr.trim()).toBe(`error: ${message}`)
      expect(world.github.fake.log).toEqual([])
    }))

  it.scopedLive("no secret in a rejection or in a failed pass's report", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ githubTokens: ["ghp_anotherToken0123456789"] })
      const refused = yield* rejection(() =>
        Afk.status({ env: { ...world.env, SLACK_WEBHOOK_URL: "SECRETwebhook, not a URL" }, ...quiet })
      )
      expect(refused).toMatchObject({ code: "config" })
      expect((refused as Error).message).toContain("SLACK_WEBHOOK_URL")
      const failed = yield* Effect.promise(() => Afk.tick({ env: world.env, ...quiet }))
      expect(failed.failed).toBe(true)
      expect(failed.reports.flatMap((report) => report.failures)).not.toEqual([])
      for (const text of [(refused as Error).message, String((refused as Error).stack), JSON.stringify(failed)]) {
        expect(text).not.toContain("SECRET")
      }
    }))
})
