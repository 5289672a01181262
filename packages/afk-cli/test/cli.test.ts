import * as HelpDoc from "@effect/cli/HelpDoc"
import * as ValidationError from "@effect/cli/ValidationError"
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Cli from "../src/Cli.js"
import * as Passes from "../src/commands/Passes.js"
import * as StatusCommand from "../src/commands/Status.js"
import * as Echo from "../src/Echo.js"
import * as Outcome from "../src/Outcome.js"

describe("argv and exit codes (in process)", () => {
  it("moves --log-level to the front, where @effect/cli recognises it", () => {
    const head = ["node", "afk-cli"]
    expect(Cli.liftLogLevel([...head, "tick", "--dry-run", "--log-level", "debug"])).toEqual([
      ...head,
      "--log-level",
      "debug",
      "tick",
      "--dry-run"
    ])
    expect(Cli.liftLogLevel([...head, "doctor", "--skip", "t3", "--log-level=all"])).toEqual([
      ...head,
      "--log-level=all",
      "doctor",
      "--skip",
      "t3"
    ])
    expect(Cli.liftLogLevel([...head, "tick", "--dry-run"])).toEqual([...head, "tick", "--dry-run"])
  })

  it("what the command line an error repeats: flag names and command words, never a value or a stray argument", () => {
    const token = "ghp_ECHOSECRET0123456789"
    const argv = ["node", "afk-cli", "tick", "--dryrun", `--github-token=${token}`, "--skip", token, "jso"]
    const mask = Echo.mask(argv, new Set(["tick"]))
    expect(mask(`Received unknown argument: '--github-token=${token}'`)).toBe(
      "Received unknown argument: '--github-token=<value not shown>'"
    )
    expect(mask(`Received unknown argument: '${token}'`)).toBe(
      "Received unknown argument: '<value of --skip not shown>'"
    )
    expect(mask(`--skip: unknown check "${token}"; use tracker`)).toBe(
      "--skip: unknown check \"<value of --skip not shown>\"; use tracker"
    )
    expect(mask(`a bare ${token}, twice: ${token}`)).toBe("a bare <value not shown>, twice: <value not shown>")
    expect(mask("Received unknown argument: '--dryrun'")).toBe("Received unknown argument: '--dryrun'")
    expect(mask("Invalid subcommand for afk-cli - use one of 'tick', 'poll'")).toBe(
      "Invalid subcommand for afk-cli - use one of 'tick', 'poll'"
    )
    expect(mask("Expected one of the following cases: pretty, json; got 'jso'")).toBe(
      "Expected one of the following cases: pretty, json; got '<value not shown>'"
    )
  })

  it("maps how the program ended to 0, 1, 2 or 130", () => {
    expect(Outcome.exitCode(Exit.void)).toBe(0)
    expect(Outcome.exitCode(Exit.fail(new Outcome.Failed({ code: 2 })))).toBe(2)
    expect(Outcome.exitCode(Exit.fail(new Outcome.Failed({ code: 1 })))).toBe(1)
    expect(Outcome.exitCode(Exit.fail(ValidationError.invalidValue(HelpDoc.p("bad"))))).toBe(2)
    expect(Outcome.exitCode(Exit.die(new Error("boom")))).toBe(1)
    expect(Outcome.exitCode(Exit.failCause(Cause.interrupt(FiberId.none)))).toBe(130)
  })

  it("sums up a pass in one line each, a poll's unexamined backlog as a count", () => {
    const lines = Passes.summary({
      command: "tick",
      failed: false,
      reports: [
        { pass: "watch", decisions: [], failures: [] },
        {
          pass: "poll",
          decisions: [{ subject: "acme/app#1", action: "dispatch", reason: "first by priority" }],
          failures: [],
          unexamined: { count: 1200, reasons: { "at-capacity": 1200 }, repos: 60, first: ["acme/app#2"] }
        }
      ]
    })
    expect(lines).toEqual([
      "watch: 0 decisions, 0 failures",
      "poll: 1 decision, 0 failures, 1200 ready issues not examined"
    ])
  })

  it("renders status as an aligned table with notes under their run", () => {
    const lines = StatusCommand.table({
      failures: [],
      rows: [
        {
          issue: "acme/app#12",
          title: "t",
          url: "u",
          phase: "pushed",
          ageSeconds: 3_900,
          attempts: 1,
          maxAttempts: 5,
          commit: "0123456789abcdef",
          ci: "red",
          threadUrl: "https://t3.example/?thread=x",
          tokens: 123_456,
          notes: ["paused: watch leaves it alone"]
        },
        {
          issue: "acme/lib#3",
          title: "t",
          url: "u",
          phase: "claiming",
          ageSeconds: undefined,
          attempts: 0,
          maxAttempts: 5,
          commit: undefined,
          ci: undefined,
          threadUrl: undefined,
          tokens: undefined,
          notes: []
        }
      ],
      dailyBudget: "123,456 tokens of 1,000,000 tokens used on 2026-06-01 (UTC)"
    })
    expect(lines).toEqual([
      "ISSUE        PHASE     AGE    ATTEMPTS  CI           TOKENS   THREAD",
      "acme/app#12  pushed    1h 5m  1/5       red 0123456  123,456  https://t3.example/?thread=x",
      "    note: paused: watch leaves it alone",
      "acme/lib#3   claiming  -      0/5       -            -        -",
      "Daily token budget: 123,456 tokens of 1,000,000 tokens used on 2026-06-01 (UTC)."
    ])
  })
})
