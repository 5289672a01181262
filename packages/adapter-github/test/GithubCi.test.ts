import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { checkRunState, deploymentState, statusState } from "../src/GithubCi.js"
import { GithubFake } from "../src/testing/index.js"
import { ciOver, repo, seed, sent } from "./support.js"

const sha = "0123456789abcdef0123456789abcdef01234567"
const everything = { required: [], deploy: [] }

const fakeWith = () => {
  const fake = GithubFake.make({ pageSize: 2 })
  fake.seed(seed(3))
  return fake
}

describe("GithubCi over the GitHub fake", () => {
  it("maps check-run status and conclusion as specified", () => {
    expect(checkRunState("queued", null)).toBe("pending")
    expect(checkRunState("in_progress", null)).toBe("pending")
    for (const c of ["success", "neutral", "skipped"]) expect(checkRunState("completed", c)).toBe("success")
    for (const c of ["failure", "timed_out", "cancelled", "action_required", "stale"]) {
      expect(checkRunState("completed", c)).toBe("failure")
    }
    expect(statusState("pending")).toBe("pending")
    expect(statusState("error")).toBe("failure")
    expect(deploymentState("in_progress")).toBe("pending")
    expect(deploymentState("inactive")).toBe("pending")
    expect(deploymentState("success")).toBe("success")
  })

  it.effect("reads every page of commit statuses and check runs and folds them green", () =>
    Effect.gen(function*() {
      const fake = fakeWith()
      fake.setChecks(repo, sha, {
        statuses: [
          { context: "ci/lint", state: "success", url: "https://ci.test/1", description: "ok" },
          { context: "ci/unit", state: "success" },
          { context: "ci/e2e", state: "success" }
        ],
        checkRuns: [
          { name: "build", status: "completed", conclusion: "success", url: "https://gh.test/runs/1" },
          { name: "docs", status: "completed", conclusion: "skipped" },
          { name: "style", status: "completed", conclusion: "neutral" }
        ]
      })
      const ci = yield* ciOver(fake)
      const verdict = yield* ci.verdict(repo, sha, everything)
      expect(verdict.state).toBe("green")
      expect(verdict.checks.map((c) => c.name).sort()).toEqual([
        "build",
        "ci/e2e",
        "ci/lint",
        "ci/unit",
        "docs",
        "style"
      ])
      expect(verdict.checks.find((c) => c.name === "ci/lint")).toMatchObject({
        url: "https://ci.test/1",
        summary: "ok"
      })
      expect(sent(fake).filter((line) => line.includes("page=2"))).toHaveLength(2)
    }))

  it.effect("a check run on page 2 that failed turns the verdict red", () =>
    Effect.gen(function*() {
      const fake = fakeWith()
      fake.setChecks(repo, sha, {
        checkRuns: [
          { name: "a", status: "completed", conclusion: "success" },
          { name: "b", status: "completed", conclusion: "success" },
          { name: "c", status: "completed", conclusion: "timed_out" }
        ]
      })
      const ci = yield* ciOver(fake)
      expect((yield* ci.verdict(repo, sha, everything)).state).toBe("red")
    }))

  it.effect("an unfinished run is pending; nothing reported is none", () =>
    Effect.gen(function*() {
      const fake = fakeWith()
      fake.setChecks(repo, sha, { checkRuns: [{ name: "build", status: "in_progress" }] })
      const ci = yield* ciOver(fake)
      expect((yield* ci.verdict(repo, sha, everything)).state).toBe("pending")
      expect((yield* ci.verdict(repo, "feedface", everything)).state).toBe("none")
    }))

  it.effect(
    "the latest deployment to the environment becomes deployment/<env>, success only when its latest status is",
    () =>
      Effect.gen(function*() {
        const fake = fakeWith()
        fake.setChecks(repo, sha, { checkRuns: [{ name: "build", status: "completed", conclusion: "success" }] })
        fake.addDeployment(repo, { sha, environment: "production", statuses: ["success"] }, "2026-01-01T00:00:00Z")
        fake.addDeployment(repo, { sha, environment: "production", statuses: ["in_progress"] }, "2026-01-01T01:00:00Z")
        fake.addDeployment(repo, { sha, environment: "staging", statuses: ["failure"] }, "2026-01-01T02:00:00Z")
        const ci = yield* ciOver(fake, { deploymentEnvironment: "production" })
        const requirements = { required: [], deploy: ["deployment/production"] }
        const pending = yield* ci.verdict(repo, sha, requirements)
        expect(pending.checks.find((c) => c.name === "deployment/production")?.state).toBe("pending")
        expect(pending.deployed).toBe(false)
        fake.addDeployment(
          repo,
          { sha, environment: "production", statuses: ["queued", "success"] },
          "2026-01-01T03:00:00Z"
        )
        const done = yield* ci.verdict(repo, sha, requirements)
        expect(done.state).toBe("green")
        expect(done.deployed).toBe(true)
      })
  )

  it.effect("no deployment yet for the environment is a pending deployment check", () =>
    Effect.gen(function*() {
      const fake = fakeWith()
      const ci = yield* ciOver(fake, { deploymentEnvironment: "production" })
      const verdict = yield* ci.verdict(repo, sha, { required: [], deploy: ["deployment/*"] })
      expect(verdict.checks).toEqual([expect.objectContaining({ name: "deployment/production", state: "pending" })])
      expect(verdict.deployed).toBe(false)
    }))

  it.effect("a failure is a CiError naming the permission the token lacks", () =>
    Effect.gen(function*() {
      const fake = fakeWith()
      fake.inject({ status: 403, path: "/check-runs" })
      const ci = yield* ciOver(fake)
      const error = yield* Effect.flip(ci.verdict(repo, sha, everything))
      expect(error).toMatchObject({ _tag: "CiError", operation: "verdict", status: 403 })
      expect(error.hint).toContain("\"Checks: read\"")
    }))
})
