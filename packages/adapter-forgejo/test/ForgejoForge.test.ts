import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import { Ci, Domain, PullRequests, Tracker } from "afk-core"
import * as Effect from "effect/Effect"
import * as ForgejoClient from "../src/ForgejoClient.js"
import * as ForgejoForge from "../src/ForgejoForge.js"
import { ForgejoFake } from "../src/testing/index.js"
import { issue, repoSlug, requestsTo, seed } from "./support.js"

const repo = Domain.repo(repoSlug)
const sha = "f69e3dcc0b1e6a4c2d7e9f8a1b2c3d4e5f6a7b8c"

describe("ForgejoForge.layer", () => {
  it.effect("Tracker, Ci and PullRequests stand on the one ForgejoClient it provides: the page size is read once", () =>
    Effect.gen(function*() {
      const fake = yield* ForgejoFake.make(seed({ issues: [issue(1, { labels: ["afk:ready"] })] }), {
        maxResponseItems: 20,
        statuses: { [sha]: [{ context: "ci/unit", state: "success" }] }
      })
      yield* fake.pulls.pushBranch("afk/1-r1", sha)
      const { issues, pageSize, pull, verdict } = yield* Effect.gen(function*() {
        const tracker = yield* Tracker.Tracker
        const ci = yield* Ci.Ci
        const prs = yield* PullRequests.PullRequests
        const client = yield* ForgejoClient.ForgejoClient
        return {
          issues: yield* tracker.listOpenIssues(repo, "afk:ready"),
          verdict: yield* ci.verdict(repo, sha, { required: ["ci/unit"], deploy: [] }),
          pull: yield* prs.open(repo, { head: "afk/1-r1", title: "Fix #1", body: "" }),
          pageSize: yield* client.pageSize
        }
      }).pipe(
        Effect.provide(ForgejoForge.layer({ ...fake.options, trustTtl: "1 minute" })),
        Effect.provideService(HttpClient.HttpClient, fake.client)
      )
      assert.deepStrictEqual(issues.map((found) => found.number), [1])
      assert.strictEqual(verdict.state, "green")
      assert.strictEqual(pageSize, 20)
      assert.deepStrictEqual([pull.number, pull.headSha, pull.base], [2, sha, "main"])
      assert.strictEqual((yield* requestsTo(fake, "GET", /^\/settings\/api$/)).length, 1)
    }))
})
