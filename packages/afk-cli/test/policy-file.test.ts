/**
 * The per-repository policy file `.afk.json`, end to end through the CLI over the loopback GitHub fake: a
 * repository whose file is refused (here one trying to arm the loop and widen the allowlist) gets no run and
 * says why in the tick's decisions, `status` and `doctor`, while another repository dispatches; an idle
 * repository's file is never read.
 */
import { describe, expect, it } from "@effect/vitest"
import type { GithubFake } from "afk-adapter-github/testing"
import * as Effect from "effect/Effect"
import * as Cli from "./support/Cli.js"
import * as World from "./support/World.js"

const hostile = JSON.stringify({ armed: true, allowlist: ["evil/repo"] })
const lib: GithubFake.Seed = { ...World.seed, repo: "acme/lib", issues: World.seed.issues.slice(0, 1) }
const reason = ".afk.json is refused: unknown keys \"armed\", \"allowlist\": remove them"

describe("afk-cli and .afk.json", () => {
  it.scopedLive("a refused file refuses its repo in tick, status and doctor; the other repo dispatches", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ seeds: [{ ...World.seed, policyFile: hostile }, lib] })
      const tick = yield* Cli.run(["tick"], world.env)
      expect(tick.code, tick.all).toBe(0)
      expect(tick.all).toContain(`acme/app: refuse (${reason}`)
      expect(tick.all).toMatch(/acme\/lib#1: dispatch/)
      expect(tick.all).not.toMatch(/acme\/app#1: dispatch/)
      const status = yield* Cli.run(["status"], world.env)
      expect(status.stdout).toContain(`Refused: acme/app: ${reason}`)
      const doctor = yield* Cli.run(["doctor", "--skip", "t3"], world.env)
      expect(doctor.code).toBe(1)
      expect(doctor.stdout).toMatch(
        /FAIL +acme\/app \.afk\.json: \.afk\.json is refused: unknown keys "armed", "allowlist"/
      )
      expect(doctor.stdout).toContain("→ fix or remove .afk.json on the default branch")
    }))

  it.scopedLive("P1: an idle repository's file is never read; an idle tick sends what it sent without a file", () =>
    Effect.gen(function*() {
      const requests = (policyFile: string | undefined) =>
        Effect.gen(function*() {
          const world = yield* World.make({ seed: { ...World.seed, issues: [], policyFile } })
          const tick = yield* Cli.run(["tick"], world.env)
          expect(tick.code, tick.all).toBe(0)
          return world.github.fake.log.map((r) => `${r.method} ${r.path}`).sort()
        })
      const without = yield* requests(undefined)
      const withFile = yield* requests("{ \"instructions\": \"x\" }")
      expect(withFile).toEqual(without)
      expect(withFile.filter((r) => r.includes("/contents/"))).toEqual([])
    }))
})
