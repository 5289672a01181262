/**
 * GitHub CI is green only on a complete picture (docs/safety.md): with no required checks configured, a
 * check suite still queued or running (another app, another workflow) keeps the verdict pending; a status
 * check the default branch requires and the commit has not reported keeps it pending too. Without this,
 * "every check reported passed" held as soon as the fastest check had reported.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import { GithubFake } from "../src/testing/index.js"
import { ciOver, repo, seed, sent } from "./support.js"

const sha = "0123456789abcdef0123456789abcdef01234567"
const everything = { required: [], deploy: [] }
const test = { name: "test", status: "completed", conclusion: "success" } as const

const fakeWith = () => {
  const fake = GithubFake.make({ pageSize: 2 })
  fake.seed(seed(3))
  return fake
}

describe("GithubCi: green only on a complete picture", () => {
  it.effect("one check run green while a second suite is still queued with no run is pending, not green", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse("2026-06-01T00:05:00Z"))
      const fake = fakeWith()
      fake.setChecks(repo, sha, {
        checkRuns: [test],
        checkSuites: [{ app: "slow-ci", status: "queued", createdAt: "2026-06-01T00:00:00Z" }]
      })
      const ci = yield* ciOver(fake)
      const verdict = yield* ci.verdict(repo, sha, everything)
      expect(verdict.state).toBe("pending")
      expect(verdict.checks.find((check) => check.name === "check suite slow-ci")).toMatchObject({
        state: "pending",
        summary: "queued, no check run yet"
      })
      fake.setChecks(repo, sha, {
        checkRuns: [test, { name: "e2e", status: "completed", conclusion: "success", app: "slow-ci" }],
        checkSuites: []
      })
      expect((yield* ci.verdict(repo, sha, everything)).state).toBe("green")
    }))

  it.effect("a suite in progress keeps it pending; a suite GitHub left queued with no run past the grace does not", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse("2026-06-01T00:05:00Z"))
      const fake = fakeWith()
      fake.setChecks(repo, sha, {
        checkRuns: [test],
        checkSuites: [{ app: "never-reports", status: "queued", createdAt: "2026-06-01T00:00:00Z" }]
      })
      const ci = yield* ciOver(fake, { emptySuiteGrace: "10 minutes" })
      expect((yield* ci.verdict(repo, sha, everything)).state).toBe("pending")
      yield* TestClock.adjust("6 minutes")
      expect((yield* ci.verdict(repo, sha, everything)).state).toBe("green")
      fake.setChecks(repo, sha, { checkSuites: [{ app: "github-actions", status: "in_progress" }] })
      expect((yield* ci.verdict(repo, sha, everything)).state).toBe("pending")
    }))

  it.effect("a completed suite that failed without a check run (a workflow that could not start) is red", () =>
    Effect.gen(function*() {
      const fake = fakeWith()
      fake.setChecks(repo, sha, {
        checkRuns: [test],
        checkSuites: [{ app: "lint", status: "completed", conclusion: "startup_failure" }]
      })
      const ci = yield* ciOver(fake)
      const verdict = yield* ci.verdict(repo, sha, everything)
      expect(verdict.state).toBe("red")
      expect(verdict.checks.find((check) => check.state === "failure")?.name).toBe("check suite lint")
    }))

  it.effect("a context the default branch's protection requires, not reported yet, keeps it pending", () =>
    Effect.gen(function*() {
      const fake = fakeWith()
      fake.setChecks(repo, sha, { checkRuns: [test] })
      fake.requireChecks(repo, { contexts: ["test", "ci/lint"] })
      const ci = yield* ciOver(fake)
      const verdict = yield* ci.verdict(repo, sha, everything)
      expect(verdict.state).toBe("pending")
      expect(verdict.checks.find((check) => check.name === "ci/lint")).toMatchObject({
        state: "pending",
        summary: "required by the main branch; not reported for this commit yet"
      })
      fake.setChecks(repo, sha, { statuses: [{ context: "ci/lint", state: "success" }] })
      expect((yield* ci.verdict(repo, sha, { required: ["test"], deploy: [] })).state).toBe("green")
      expect(sent(fake).filter((line) => line.endsWith("/protection/required_status_checks"))).toHaveLength(1)
    }))

  it.effect("a ruleset's required check counts too; unreadable branch protection (403) is not an error", () =>
    Effect.gen(function*() {
      const fake = fakeWith()
      fake.setChecks(repo, sha, { checkRuns: [test] })
      fake.requireChecks(repo, { contexts: ["deploy-preview"], via: "rules", readable: false })
      const ci = yield* ciOver(fake)
      const verdict = yield* ci.verdict(repo, sha, everything)
      expect(verdict.state).toBe("pending")
      expect(verdict.checks.map((check) => check.name)).toContain("deploy-preview")
    }))

  it.effect("required checks are read once per TTL; a pending or red verdict reads none of it", () =>
    Effect.gen(function*() {
      const fake = fakeWith()
      fake.setChecks(repo, sha, { checkRuns: [{ name: "test", status: "in_progress" }] })
      const ci = yield* ciOver(fake, { requirementsTtl: "5 minutes" })
      expect((yield* ci.verdict(repo, sha, everything)).state).toBe("pending")
      expect(sent(fake).some((line) => line.includes("check-suites") || line.includes("/rules/"))).toBe(false)
      fake.setChecks(repo, sha, { checkRuns: [test] })
      yield* ci.verdict(repo, sha, everything)
      yield* ci.verdict(repo, sha, everything)
      expect(sent(fake).filter((line) => line === `GET /repos/${repo}`)).toHaveLength(1)
      yield* TestClock.adjust("6 minutes")
      yield* ci.verdict(repo, sha, everything)
      expect(sent(fake).filter((line) => line === `GET /repos/${repo}`)).toHaveLength(2)
    }))
})
