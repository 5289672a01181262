import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { spawn } from "node:child_process"
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

  it.live("plays the same lifecycle against a protocol-2 T3 Code fake (commands over WebSocket RPC)", () =>
    Effect.gen(function*() {
      const result = yield* Cli.run(["demo", "--t3-protocol", "2"])
      expect(result.code).toBe(0)
      const out = result.stdout
      expect(out).toContain("(orchestration protocol 2)")
      expect(out).toMatch(/demo\/app#1 {2}closed/)
      expect(out).toMatch(/demo\/lib#7 {2}closed/)
      expect(out).toContain("FixForward: CI is red")
      expect(out).toContain("3 agent threads")
      expect(out).toContain("the world has settled")
      expect(result.stderr).toBe("")
    }))

  it.live("refuses a protocol it has no fake for, naming the ones it has", () =>
    Effect.gen(function*() {
      const result = yield* Cli.run(["demo", "--t3-protocol", "3"])
      expect(result.code).toBe(2)
      expect(result.stderr).toContain("Expected one of the following cases: 1, 2")
      expect(result.stdout).not.toContain("tick 1")
    }))

  it.live("ignores the environment: a configured kill switch or tracker never reaches the demo world", () =>
    Effect.gen(function*() {
      const result = yield* Cli.run(["demo"], { AFK_KILL_SWITCH: "not-a-bool", AFK_GITHUB_API: "http://127.0.0.1:1" })
      expect(result.code).toBe(0)
      expect(result.stdout).toContain("the world has settled")
    }))
})

describe("output to a reader that stops early", () => {
  it.live("`afk-cli demo | head -1`: the rest of the output is dropped, the demo finishes, exit 0, no EPIPE", () =>
    Effect.async<{ readonly code: number | null; readonly stderr: string; readonly first: string }>((resume) => {
      const child = spawn(process.execPath, [Cli.bin, "demo"], { env: { PATH: process.env.PATH ?? "" } })
      let stderr = ""
      let first = ""
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString()
      })
      child.stdout.once("data", (chunk: Buffer) => {
        first = chunk.toString()
        child.stdout.destroy()
      })
      child.on("close", (code) => resume(Effect.succeed({ code, stderr, first })))
    }).pipe(Effect.map((result) => {
      expect(result.first).toContain("AFK demo")
      expect(result.stderr).not.toContain("EPIPE")
      expect(result.code).toBe(0)
    })))
})
