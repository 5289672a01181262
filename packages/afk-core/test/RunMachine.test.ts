import { describe, expect, it } from "@effect/vitest"
import * as DateTime from "effect/DateTime"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"
import { Check, CiVerdict, type TurnState, type VerdictState } from "../src/Domain.js"
import * as RunMachine from "../src/RunMachine.js"

const t0 = DateTime.unsafeMake("2026-03-01T10:00:00Z")
const at = (seconds: number) => DateTime.add(t0, { seconds })

const config: RunMachine.MachineConfig = {
  fixForwardMaxAttempts: 5,
  closeDeferMaxSeconds: 3600,
  noVerdictMaxSeconds: 21_600,
  turnMaxSeconds: 14_400,
  maxRedispatches: 1
}

const check = (name: string, state: Check["state"]) => new Check({ name, state, url: `https://ci.example/${name}` })

const verdict = (state: VerdictState, checks: ReadonlyArray<Check> = []) =>
  new CiVerdict({ state, checks: [...checks], deployed: false })

const red = verdict("red", [check("build", "success"), check("test", "failure"), check("lint", "failure")])
const green = verdict("green", [check("build", "success")])
const pending = verdict("pending", [check("build", "pending")])

interface Scenario {
  readonly turn?: TurnState
  readonly pushed?: boolean
  readonly declaredAt?: number
  readonly ci?: CiVerdict
  readonly attempts?: number
  readonly redispatches?: number
  readonly lastFailure?: string
  readonly turnStartedAt?: number
  readonly now?: number
}

const observe = (s: Scenario): RunMachine.Observation => ({
  turn: s.turn ?? "succeeded",
  commit: s.pushed === false ? Option.none() : Option.some({ sha: "abc1234def", declaredAt: at(s.declaredAt ?? 60) }),
  ci: Option.fromNullable(s.ci),
  attempts: s.attempts ?? 0,
  redispatches: s.redispatches ?? 0,
  lastFailure: Option.fromNullable(s.lastFailure),
  startedAt: t0,
  turnStartedAt: at(s.turnStartedAt ?? 0),
  now: at(s.now ?? 600)
})

const decide = (s: Scenario, c: RunMachine.MachineConfig = config) => RunMachine.next(observe(s), c)

describe("RunMachine rules", () => {
  it("rule 1: pushed under a running turn before the defer ceiling waits, even on green or red", () => {
    for (const ci of [green, red, pending]) {
      expect(decide({ turn: "running", ci, now: 3599 })._tag).toBe("Wait")
      expect(decide({ turn: "blocked", ci, now: 10 })._tag).toBe("Wait")
    }
  })

  it("rule 2: past the defer ceiling a live turn freezes on red and closes on green", () => {
    expect(decide({ turn: "running", ci: red, now: 3600 })._tag).toBe("Freeze")
    expect(decide({ turn: "blocked", ci: green, now: 3600 })._tag).toBe("Close")
  })

  it("rule 2: past the defer ceiling a pending verdict falls through to wait (rule 7) or no-verdict (rule 6)", () => {
    expect(decide({ turn: "running", ci: pending, now: 3600 })._tag).toBe("Wait")
    expect(decide({ turn: "running", now: 30_000, declaredAt: 60 })._tag).toBe("EscalateNoVerdict")
  })

  it("rule 3: pushed and green closes, whatever way the turn ended", () => {
    for (const turn of ["succeeded", "failed", "interrupted", "vanished"] as const) {
      expect(decide({ turn, ci: green })._tag).toBe("Close")
    }
  })

  it("§8.13 a pushed run whose runtime does not answer waits on red and green, and closes green only past the ceiling", () => {
    expect(decide({ turn: "unknown", ci: red, attempts: 99 })._tag).toBe("Wait")
    expect(decide({ turn: "unknown", ci: red })._tag).toBe("Wait")
    expect(decide({ turn: "unknown", ci: green })._tag).toBe("Wait")
    expect(decide({ turn: "unknown", ci: green, now: 3600 })._tag).toBe("Close")
    expect(decide({ turn: "unknown", now: 1_000_000, declaredAt: 0 })._tag).toBe("Wait")
  })

  it("rule 4: red with budget and a new failure fixes forward", () => {
    const action = decide({ turn: "succeeded", ci: red, attempts: 2, lastFailure: "build" })
    expect(action._tag).toBe("FixForward")
    if (action._tag !== "FixForward") return
    expect(action.signature).toBe("lint, test")
    expect(action.failing.map((c) => c.name)).toEqual(["test", "lint"])
    expect(action.reason).toContain("attempt 3 of 5")
  })

  it("rule 5: red with the budget spent freezes", () => {
    const action = decide({ turn: "succeeded", ci: red, attempts: 5 })
    expect(action._tag).toBe("Freeze")
    expect(action.reason).toContain("budget is spent")
    expect(decide({ ci: red }, { ...config, fixForwardMaxAttempts: 0 })._tag).toBe("Freeze")
  })

  it("rule 5: red with the same failure twice freezes", () => {
    const action = decide({ turn: "succeeded", ci: red, attempts: 1, lastFailure: "lint, test" })
    expect(action._tag).toBe("Freeze")
    expect(action.reason).toContain("same failure")
  })

  it("rule 6: no verdict long after the declaration escalates", () => {
    expect(decide({ ci: pending, declaredAt: 60, now: 60 + 21_600 })._tag).toBe("EscalateNoVerdict")
    expect(decide({ declaredAt: 60, now: 60 + 21_600 })._tag).toBe("EscalateNoVerdict")
    expect(decide({ ci: verdict("none"), declaredAt: 60, now: 60 + 21_599 })._tag).toBe("Wait")
  })

  it("rule 7: pushed with CI pending or silent waits", () => {
    expect(decide({ ci: pending })._tag).toBe("Wait")
    expect(decide({})._tag).toBe("Wait")
  })

  it("rule 8: vanished before a push redispatches while the budget lasts", () => {
    expect(decide({ pushed: false, turn: "vanished", redispatches: 0 })._tag).toBe("Redispatch")
    expect(decide({ pushed: false, turn: "vanished" }, { ...config, maxRedispatches: 3 })._tag).toBe("Redispatch")
  })

  it("rule 9: a turn that ended without a push escalates without interrupting", () => {
    for (const turn of ["failed", "succeeded", "interrupted"] as const) {
      expect(decide({ pushed: false, turn, redispatches: 0 })).toEqual(
        expect.objectContaining({ _tag: "Escalate", interrupt: false })
      )
    }
    expect(decide({ pushed: false, turn: "vanished", redispatches: 1 })).toEqual(
      expect.objectContaining({ _tag: "Escalate", interrupt: false })
    )
  })

  it("rule 10: a turn running or blocked past the turn limit is interrupted and escalated", () => {
    for (const turn of ["running", "blocked"] as const) {
      const action = decide({ pushed: false, turn, turnStartedAt: 1000, now: 1000 + 14_400 })
      expect(action).toEqual(expect.objectContaining({ _tag: "Escalate", interrupt: true }))
    }
  })

  it("rule 10: the turn limit counts from the turn's start, not the run's", () => {
    expect(decide({ pushed: false, turn: "running", turnStartedAt: 20_000, now: 30_000 })._tag).toBe("Wait")
  })

  it("rule 11: a live turn within its limit, or an unknown one, waits", () => {
    expect(decide({ pushed: false, turn: "running", now: 14_399 })._tag).toBe("Wait")
    expect(decide({ pushed: false, turn: "blocked" })._tag).toBe("Wait")
    expect(decide({ pushed: false, turn: "unknown", now: 10_000_000 })._tag).toBe("Wait")
  })
})

describe("RunMachine prior art", () => {
  it("§8.13 an unreachable runtime waits", () => {
    const action = decide({ pushed: false, turn: "unknown", redispatches: 5, now: 1_000_000 })
    expect(action._tag).toBe("Wait")
    expect(action.reason).toContain("could not be read")
  })

  it("§8.14 vanished before push redispatches once", () => {
    expect(decide({ pushed: false, turn: "vanished", redispatches: 0 })._tag).toBe("Redispatch")
    expect(decide({ pushed: false, turn: "vanished", redispatches: 1 })._tag).toBe("Escalate")
    expect(decide({ pushed: true, turn: "vanished", ci: green })._tag).toBe("Close")
  })

  it("§8.19 never closes under a live turn", () => {
    expect(decide({ turn: "running", ci: green, now: 120 })._tag).toBe("Wait")
    expect(decide({ turn: "running", ci: red, now: 120 })._tag).toBe("Wait")
  })

  it("§8.20 defer ceiling releases a green close and freezes red", () => {
    expect(decide({ turn: "running", ci: green, now: 3600 })._tag).toBe("Close")
    expect(decide({ turn: "running", ci: red, now: 3600, attempts: 0 })._tag).toBe("Freeze")
  })

  it("§8.24 no-verdict is counted from the declaration", () => {
    const tenDays = 10 * 86_400
    expect(decide({ declaredAt: tenDays - 300, now: tenDays })._tag).toBe("Wait")
    expect(decide({ declaredAt: 60, now: tenDays })._tag).toBe("EscalateNoVerdict")
  })

  it("§8.4 the fix-forward budget is attempts, never run age", () => {
    expect(decide({ ci: red, attempts: 1, now: 30 * 86_400, declaredAt: 30 * 86_400 - 60 })._tag).toBe("FixForward")
  })
})

describe("RunMachine.failureSignature", () => {
  it("sorts and de-duplicates the names of failing checks only", () => {
    const checks = [check("z", "failure"), check("a", "failure"), check("z", "failure"), check("ok", "success")]
    expect(RunMachine.failureSignature(checks)).toBe("a, z")
    expect(RunMachine.failureSignature([])).toBe("")
  })
})

describe("RunMachine.formatSeconds", () => {
  it("says a duration the way a person would", () => {
    expect(RunMachine.formatSeconds(0)).toBe("0s")
    expect(RunMachine.formatSeconds(45)).toBe("45s")
    expect(RunMachine.formatSeconds(3900)).toBe("1h 5m")
    expect(RunMachine.formatSeconds(10 * 86_400 + 7200)).toBe("10d 2h")
  })
})

const turns: ReadonlyArray<TurnState> = [
  "running",
  "blocked",
  "succeeded",
  "failed",
  "interrupted",
  "vanished",
  "unknown"
]
const verdictStates: ReadonlyArray<VerdictState> = ["pending", "green", "red", "none"]
const checkNames = ["build", "test", "lint", "deploy"]

const arbitraryObservation = FastCheck.record({
  turn: FastCheck.constantFrom(...turns),
  pushed: FastCheck.boolean(),
  declaredAt: FastCheck.integer({ min: 0, max: 100_000 }),
  ci: FastCheck.option(
    FastCheck.tuple(
      FastCheck.constantFrom(...verdictStates),
      FastCheck.array(
        FastCheck.tuple(FastCheck.constantFrom(...checkNames), FastCheck.constantFrom("pending", "success", "failure")),
        { maxLength: 5 }
      )
    ),
    { nil: undefined }
  ),
  attempts: FastCheck.nat(8),
  redispatches: FastCheck.nat(3),
  lastFailure: FastCheck.option(FastCheck.constantFrom("", "build", "lint, test", "test"), { nil: undefined }),
  turnStartedAt: FastCheck.integer({ min: 0, max: 100_000 }),
  now: FastCheck.integer({ min: 0, max: 200_000 })
})

const arbitraryConfig = FastCheck.record({
  fixForwardMaxAttempts: FastCheck.nat(6),
  closeDeferMaxSeconds: FastCheck.integer({ min: 1, max: 20_000 }),
  noVerdictMaxSeconds: FastCheck.integer({ min: 1, max: 50_000 }),
  turnMaxSeconds: FastCheck.integer({ min: 1, max: 50_000 }),
  maxRedispatches: FastCheck.nat(3)
})

type Arbitrary = typeof arbitraryObservation extends FastCheck.Arbitrary<infer T> ? T : never

const toScenario = (o: Arbitrary): Scenario => ({
  turn: o.turn,
  pushed: o.pushed,
  declaredAt: o.declaredAt,
  attempts: o.attempts,
  redispatches: o.redispatches,
  turnStartedAt: o.turnStartedAt,
  now: o.now,
  ...(o.ci === undefined
    ? {}
    : {
      ci: verdict(
        o.ci[0],
        o.ci[1].map(([name, state]) => check(name, state as Check["state"]))
      )
    }),
  ...(o.lastFailure === undefined ? {} : { lastFailure: o.lastFailure })
})

describe("RunMachine properties", () => {
  it.prop("never answers Close unless CI is green", [arbitraryObservation, arbitraryConfig], ([o, c]) => {
    const s = toScenario(o)
    if (decide(s, c)._tag === "Close") expect(s.pushed && s.ci?.state).toBe("green")
  })

  it.prop("an unknown turn with nothing pushed always waits", [arbitraryObservation, arbitraryConfig], ([o, c]) => {
    expect(decide({ ...toScenario(o), turn: "unknown", pushed: false }, c)._tag).toBe("Wait")
  })

  it.prop(
    "an unknown turn never escalates, freezes, fixes forward or redispatches",
    [arbitraryObservation, arbitraryConfig],
    ([o, c]) => {
      const s = { ...toScenario(o), turn: "unknown" as const }
      expect(["Wait", "Close"]).toContain(decide(s, c)._tag)
    }
  )

  it.prop("fixes forward only while attempts < max", [arbitraryObservation, arbitraryConfig], ([o, c]) => {
    const s = toScenario(o)
    const action = decide(s, c)
    if (action._tag === "FixForward") {
      expect(s.attempts!).toBeLessThan(c.fixForwardMaxAttempts)
      expect(s.ci?.state).toBe("red")
      expect(s.lastFailure).not.toBe(action.signature)
    }
  })

  it.prop("never fixes forward or closes under a live turn before the ceiling", [arbitraryObservation], ([o]) => {
    const s = { ...toScenario(o), turn: "running" as const }
    if ((s.now ?? 0) < config.closeDeferMaxSeconds) {
      expect(["Close", "FixForward", "Freeze"]).not.toContain(decide(s)._tag)
    }
  })

  it.prop(
    "a wait spends no budget: after any number of waits the next fix-forward is attempt attempts + 1",
    [FastCheck.nat(4), FastCheck.integer({ min: 0, max: 3599 })],
    ([attempts, now]) => {
      const waiting = Object.freeze(observe({ turn: "running", ci: red, attempts, now }))
      const action = RunMachine.next(waiting, config)
      expect(action._tag).toBe("Wait")
      expect(Object.keys(action).sort()).toEqual(["_tag", "reason"])
      expect(waiting.attempts).toBe(attempts)
      const after = RunMachine.next({ ...waiting, turn: "succeeded" }, config)
      expect(after._tag).toBe("FixForward")
      expect(after.reason).toContain(`attempt ${attempts + 1} of 5`)
    }
  )

  it.prop("every reason is one readable sentence", [arbitraryObservation, arbitraryConfig], ([o, c]) => {
    const { reason } = decide(toScenario(o), c)
    expect(reason).toMatch(/^[A-Z].*\.$/)
    expect(reason).not.toContain("\n")
  })
})
