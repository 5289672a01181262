import { describe, expect, it } from "@effect/vitest"
import { Ci, PullRequests, Tracker } from "afk-core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as GithubClient from "../src/GithubClient.js"
import * as GithubForge from "../src/GithubForge.js"
import { GithubFake } from "../src/testing/index.js"
import { repo, seed, token } from "./support.js"

const sha = "0123456789abcdef0123456789abcdef01234567"

describe("GithubForge.layer", () => {
  it.effect("Tracker, Ci and PullRequests stand on the one GithubClient it provides: every request goes through it", () =>
    Effect.gen(function*() {
      const fake = GithubFake.make()
      fake.seed(seed(3))
      fake.setChecks(repo, sha, { statuses: [{ context: "ci/unit", state: "success" }] })
      const forge = GithubForge.layer({ auth: token, baseUrl: fake.baseUrl, deploymentEnvironment: "production" })
      fake.pushBranch(repo, "afk/1-r1", sha)
      const { client, verdict, login, pull } = yield* Effect.gen(function*() {
        const tracker = yield* Tracker.Tracker
        const ci = yield* Ci.Ci
        const pulls = yield* PullRequests.PullRequests
        return {
          login: yield* tracker.whoami,
          verdict: yield* ci.verdict(repo, sha, { required: ["ci/unit"], deploy: [] }),
          pull: yield* pulls.open(repo, { head: "afk/1-r1", title: "Fix #1", body: "" }),
          client: yield* GithubClient.GithubClient
        }
      }).pipe(Effect.provide(forge.pipe(Layer.provide(fake.layer))))
      expect(login).toBe("afk-bot")
      expect(verdict.state).toBe("green")
      expect(pull).toMatchObject({ headSha: sha, base: "main", author: "afk-bot" })
      expect(fake.log.some((entry) => entry.path.includes("/deployments"))).toBe(true)
      expect((yield* client.stats).requests).toBe(fake.log.length)
    }))
})
