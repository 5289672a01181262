import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Cli from "./support/Cli.js"

describe("demo", () => {
  it.live("runs the whole loop on this machine, closes issues with proof, shows what it refused and why", () =>
    Effect.gen(function*() {
      const result = yield* Cli.run(["demo"])
      expect(result.code).toBe(0)
      const out = result.stdout
      expect(out).toMatch(/demo\/app#1 {2}closed/)
      expect(out).toMatch(/demo\/lib#7 {2}closed/)
      expect(out).toMatch(/demo\/app#2 {2}open/)
      expect(out).toContain("refuse: untrusted")
      expect(out).toContain("refuse: blocked: demo/app#3 is blocked by demo/app#1 (open)")
      expect(out).toContain("refuse: paused")
      expect(out).toContain("FixForward: CI is red")
      expect(out).toContain("[notify done] demo/app#1")
      expect(out).toContain("┌ checklist on demo/app#1 (posted)")
      expect(out).toContain("- [x] Done: issue closed")
      expect(out).toContain("the world has settled")
      expect(out).not.toContain("afk-run:")
      expect(result.stderr).toBe("")
    }))

  it.live("ignores the environment: a configured kill switch or tracker never reaches the demo world", () =>
    Effect.gen(function*() {
      const result = yield* Cli.run(["demo"], { AFK_KILL_SWITCH: "not-a-bool", AFK_GITHUB_API: "http://127.0.0.1:1" })
      expect(result.code).toBe(0)
      expect(result.stdout).toContain("the world has settled")
    }))
})
