import { assert, describe, it } from "@effect/vitest"
import { Domain } from "afk-core"
import * as Effect from "effect/Effect"
import * as ForgejoCi from "../src/ForgejoCi.js"
import { ForgejoFake } from "../src/testing/index.js"
import { ciOver, repoSlug, requestsTo, seed } from "./support.js"

const repo = Domain.repo(repoSlug)
const sha = "f69e3dcc0b1e6a4c2d7e9f8a1b2c3d4e5f6a7b8c"
const everything = { required: [], deploy: [] }

const ciWith = (statuses: ReadonlyArray<ForgejoFake.StatusSeed>, options: ForgejoFake.Options = {}) =>
  Effect.gen(function*() {
    const fake = yield* ForgejoFake.make(seed(), { ...options, statuses: { [sha]: statuses } })
    return { fake, ci: yield* ciOver(fake) }
  })

describe("ForgejoCi.verdict", () => {
  it.effect("the combined state is final: pending keeps the verdict pending though every listed status passed", () =>
    Effect.gen(function*() {
      const { ci, fake } = yield* ciWith([{ context: "test", state: "success" }])
      const combined = (state: string) =>
        fake.inject({
          path: new RegExp(`/commits/${sha}/status$`),
          status: 200,
          headers: { "content-type": "application/json", "x-total-count": "1" },
          body: JSON.stringify({
            state,
            sha,
            total_count: 1,
            statuses: [{ id: 1, context: "test", status: "success", target_url: "", description: "" }]
          })
        })
      yield* combined("pending")
      const held = yield* ci.verdict(repo, sha, everything)
      assert.strictEqual(held.state, "pending")
      assert.deepStrictEqual(
        held.checks.map((check) => [check.name, check.state]),
        [["test", "success"], ["combined status", "pending"]]
      )
      yield* combined("failure")
      assert.strictEqual((yield* ci.verdict(repo, sha, everything)).state, "red")
      yield* combined("success")
      assert.strictEqual((yield* ci.verdict(repo, sha, everything)).state, "green")
      yield* combined("pending")
      assert.strictEqual((yield* ci.verdict(repo, sha, { required: ["test"], deploy: [] })).state, "green")
    }))

  it.effect("§8.24 the newest status per context wins, even when the older ones fill many pages", () =>
    Effect.gen(function*() {
      const history = Array.from({ length: 30 }, (_, i) => ({
        context: ["ci/build", "ci/test", "deploy/production"][i % 3]!,
        state: i < 27 ? "failure" : "success",
        targetUrl: `https://ci.test/run/${i}`,
        description: `run ${i}`
      }))
      const { fake, ci } = yield* ciWith(history, { maxResponseItems: 4 })
      const verdict = yield* ci.verdict(repo, sha, { required: [], deploy: ["deploy/*"] })
      assert.strictEqual(verdict.state, "green")
      assert.isTrue(verdict.deployed)
      assert.deepStrictEqual(
        verdict.checks.map((check) => [check.name, check.state, check.url, check.summary]),
        [
          ["ci/build", "success", "https://ci.test/run/27", "run 27"],
          ["ci/test", "success", "https://ci.test/run/28", "run 28"],
          ["deploy/production", "success", "https://ci.test/run/29", "run 29"]
        ]
      )
      assert.strictEqual((yield* requestsTo(fake, "GET", /\/statuses$/)).length, 8)
    }))

  it.effect("a re-run that failed after a success is red", () =>
    Effect.gen(function*() {
      const { ci } = yield* ciWith([
        { context: "ci/build", state: "success" },
        { context: "ci/build", state: "failure", description: "tests failed" }
      ])
      const verdict = yield* ci.verdict(repo, sha, everything)
      assert.strictEqual(verdict.state, "red")
      assert.strictEqual(verdict.checks[0]?.summary, "tests failed")
    }))

  it.effect("maps every Forgejo state: warning and skipped pass (and say so), error fails, unknown waits", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(
        ["pending", "success", "warning", "skipped", "error", "failure", "weird", ""].map(ForgejoCi.checkState),
        ["pending", "success", "success", "success", "failure", "failure", "pending", "pending"]
      )
      const { ci } = yield* ciWith([
        { context: "lint", state: "warning", description: "2 warnings" },
        { context: "docs", state: "skipped" }
      ])
      const verdict = yield* ci.verdict(repo, sha, everything)
      assert.strictEqual(verdict.state, "green")
      assert.deepStrictEqual(
        verdict.checks.map((check) => check.summary),
        ["skipped", "warning: 2 warnings"]
      )
      const erroring = yield* ciWith([{ context: "ci", state: "error" }])
      assert.strictEqual((yield* erroring.ci.verdict(repo, sha, everything)).state, "red")
      const odd = yield* ciWith([{ context: "ci", state: "weird" }])
      assert.strictEqual((yield* odd.ci.verdict(repo, sha, everything)).state, "pending")
    }))

  it.effect("required patterns decide green; a deploy pattern nobody reported keeps it pending, not deployed", () =>
    Effect.gen(function*() {
      const { ci } = yield* ciWith([
        { context: "ci/build", state: "success" },
        { context: "ci/flaky", state: "failure" }
      ])
      const green = yield* ci.verdict(repo, sha, { required: ["ci/build"], deploy: [] })
      assert.strictEqual(green.state, "green")
      const verdict = yield* ci.verdict(repo, sha, { required: ["ci/build"], deploy: ["deploy/*"] })
      assert.strictEqual(verdict.state, "pending")
      assert.isFalse(verdict.deployed)
      const waiting = yield* ci.verdict(repo, sha, { required: ["ci/build", "deploy/*"], deploy: [] })
      assert.strictEqual(waiting.state, "pending")
    }))

  it.effect("a commit nobody reported on is none", () =>
    Effect.gen(function*() {
      const { ci } = yield* ciWith([])
      const verdict = yield* ci.verdict(repo, sha, everything)
      assert.deepStrictEqual([verdict.state, verdict.checks.length, verdict.deployed], ["none", 0, false])
    }))

  it.effect("a status reported after a first verdict changes the next one", () =>
    Effect.gen(function*() {
      const { fake, ci } = yield* ciWith([{ context: "ci", state: "pending" }])
      assert.strictEqual((yield* ci.verdict(repo, sha, everything)).state, "pending")
      yield* fake.report(sha, { context: "ci", state: "success" })
      assert.strictEqual((yield* ci.verdict(repo, sha, everything)).state, "green")
    }))

  it.effect("a repository that is not visible is a CiError with status 404 and a hint", () =>
    Effect.gen(function*() {
      const { ci } = yield* ciWith([])
      const error = yield* Effect.flip(ci.verdict(Domain.repo("acme/hidden"), sha, everything))
      assert.strictEqual(error._tag, "CiError")
      assert.strictEqual(error.status, 404)
      assert.include(error.hint ?? "", "not found")
    }))
})
