/**
 * `--help` and usage errors as a script or a log sees them: plain text when the output is not a terminal, and
 * only options that do something for afk-cli (not `@effect/cli`'s `--wizard` and `--completions`).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Ansi from "../src/Ansi.js"
import * as Cli from "./support/Cli.js"

// eslint-disable-next-line no-control-regex
const ansi = /\u001b\[/

/** As a pipe, with NO_COLOR unset (blank counts as unset): plain because stdout and stderr are not terminals. */
const piped = (args: ReadonlyArray<string>) => Cli.run(args, { NO_COLOR: "" })

describe("help and usage errors", () => {
  it.live("--help on a pipe prints no colour or other ANSI codes, for the root and for a command", () =>
    Effect.gen(function*() {
      for (const args of [["--help"], ["tick", "--help"], ["config", "schema", "--help"]]) {
        const result = yield* piped(args)
        expect(result.code, result.all).toBe(0)
        expect(result.stdout).toContain("afk-cli")
        expect(result.all).not.toMatch(ansi)
      }
    }))

  it.live("--help lists --log-level, --help and --version, and no --wizard or --completions", () =>
    Effect.gen(function*() {
      for (const args of [["--help"], ["doctor", "--help"]]) {
        const { stdout } = yield* piped(args)
        expect(stdout).toContain("--log-level")
        expect(stdout).toContain("--help")
        expect(stdout).toContain("--version")
        expect(stdout).not.toContain("--wizard")
        expect(stdout).not.toContain("--completions")
      }
    }))

  it.live("--wizard and --completions are refused with exit 2, naming the option", () =>
    Effect.gen(function*() {
      for (const args of [["--wizard"], ["tick", "--wizard"], ["--completions", "bash"], ["--completions=zsh"]]) {
        const result = yield* piped(args)
        expect(result.code, args.join(" ")).toBe(2)
        expect(result.stderr).toContain(
          `afk-cli has no ${args.at(-1)!.startsWith("--wizard") ? "--wizard" : "--completions"}`
        )
        expect(result.stdout).toBe("")
      }
    }))
})

describe("Ansi", () => {
  it("colour only on a terminal, and never while NO_COLOR is set (blank counts as unset)", () => {
    const both = { stdout: true, stderr: true }
    expect(Ansi.colour(both, {})).toEqual(both)
    expect(Ansi.colour(both, { NO_COLOR: "" })).toEqual(both)
    expect(Ansi.colour(both, { NO_COLOR: "1" })).toEqual(Ansi.none)
    expect(Ansi.colour({ stdout: false, stderr: true }, {})).toEqual({ stdout: false, stderr: true })
  })

  it.effect("strips the codes from the streams without colour only", () =>
    Effect.gen(function*() {
      const written: Array<[string, unknown]> = []
      const record = (stream: string) => (...args: ReadonlyArray<unknown>) =>
        Effect.sync(() => {
          written.push([stream, args[0]])
        })
      const console = { ...(yield* Effect.console), log: record("out"), error: record("err") }
      const styled = "\u001b[0;1mUSAGE\u001b[0m"
      yield* Effect.all([Console.log(styled), Console.error(styled)]).pipe(
        Ansi.only({ stdout: false, stderr: true }),
        Effect.withConsole(console)
      )
      expect(written).toEqual([["out", "USAGE"], ["err", styled]])
    }))
})
