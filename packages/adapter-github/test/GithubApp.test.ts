/**
 * The client as a GitHub App without a configured installation: each repository's installation is found
 * with the app JWT, one token serves each installation and is renewed before it expires (however short
 * GitHub makes it), a refused token is replaced without the caller seeing a 401, and the app and its
 * installations are described for diagnostics.
 */
import { describe, expect, it } from "@effect/vitest"
import { Domain } from "afk-core"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { generateKeyPairSync } from "node:crypto"
import * as GithubApp from "../src/GithubApp.js"
import * as GithubAuth from "../src/GithubAuth.js"
import * as GithubClient from "../src/GithubClient.js"
import { GithubFake } from "../src/testing/index.js"
import { seed, sent, trackerOver } from "./support.js"

const keys = generateKeyPairSync("rsa", { modulusLength: 2048 })
const privateKey = Redacted.make(keys.privateKey.export({ type: "pkcs1", format: "pem" }).toString())
const discovering = GithubAuth.app({ appId: "4242", privateKey })

const hello = Domain.repo("octo/hello")
const lib = Domain.repo("octo/lib")
const tool = Domain.repo("other/tool")

const fakeOf = (options: Partial<GithubFake.AppOptions> = {}) => {
  const fake = GithubFake.make({
    app: {
      appId: "4242",
      publicKey: keys.publicKey,
      slug: "afk",
      name: "AFK",
      installations: [
        { id: "77", account: "octo", repos: [hello, lib] },
        { id: "78", account: "other", repos: [tool], permissions: { issues: "write", metadata: "read" } }
      ],
      ...options
    }
  })
  for (const repo of [hello, lib, tool, "nobody/home"]) fake.seed(seed(3, repo))
  return fake
}

const mints = (fake: GithubFake.GithubFake) => sent(fake).filter((line) => line.endsWith("/access_tokens"))

describe("GithubClient as a GitHub App", () => {
  it.effect("finds each repository's installation with the app JWT; one token serves each installation", () =>
    Effect.gen(function*() {
      const fake = fakeOf()
      const tracker = yield* trackerOver(fake, { auth: discovering })
      yield* tracker.getIssue(hello, 1)
      yield* tracker.getIssue(lib, 1)
      yield* tracker.getIssue(tool, 1)
      yield* tracker.getIssue(hello, 3)
      expect(sent(fake)).toEqual([
        "GET /repos/octo/hello/installation",
        "POST /app/installations/77/access_tokens",
        "GET /repos/octo/hello/issues/1",
        "GET /repos/octo/lib/installation",
        "GET /repos/octo/lib/issues/1",
        "GET /repos/other/tool/installation",
        "POST /app/installations/78/access_tokens",
        "GET /repos/other/tool/issues/1",
        "GET /repos/octo/hello/issues/3"
      ])
    }))

  it.effect("concurrent calls to one repository share one lookup of its installation and one token", () =>
    Effect.gen(function*() {
      const fake = fakeOf()
      const tracker = yield* trackerOver(fake, { auth: discovering })
      yield* Effect.all([tracker.getIssue(hello, 1), tracker.getIssue(hello, 2), tracker.getIssue(lib, 3)], {
        concurrency: "unbounded"
      })
      expect(sent(fake).filter((line) => line.endsWith("/installation"))).toHaveLength(2)
      expect(mints(fake)).toEqual(["POST /app/installations/77/access_tokens"])
    }))

  it.effect("a repository the app is not installed on fails saying so and what to do", () =>
    Effect.gen(function*() {
      const fake = fakeOf()
      const tracker = yield* trackerOver(fake, { auth: discovering })
      const error = yield* Effect.flip(tracker.getIssue(Domain.repo("nobody/home"), 1))
      expect(error.message).toContain("GitHub App is not installed on nobody/home")
      expect(error.message).toContain("install the GitHub App on nobody/home")
    }))

  it.effect("renews each token before it expires, also when GitHub grants less than the 5-minute margin", () =>
    Effect.gen(function*() {
      const fake = fakeOf({ tokenLifetimeSeconds: 60 })
      const tracker = yield* trackerOver(fake, { auth: discovering })
      yield* tracker.getIssue(hello, 1)
      yield* TestClock.adjust("20 seconds")
      yield* tracker.getIssue(hello, 2)
      expect(mints(fake)).toHaveLength(1)
      yield* TestClock.adjust("15 seconds")
      yield* tracker.getIssue(hello, 3)
      expect(mints(fake)).toHaveLength(2)
      yield* TestClock.adjust("50 seconds")
      yield* tracker.getIssue(hello, 1)
      expect(mints(fake)).toHaveLength(3)
      expect(fake.log.filter((entry) => entry.status === 401)).toEqual([])
    }))

  it.effect("a token GitHub refuses (401) is minted again and the call retried once, so no 401 surfaces", () =>
    Effect.gen(function*() {
      const fake = fakeOf()
      const tracker = yield* trackerOver(fake, {
        auth: GithubAuth.app({ appId: "4242", privateKey, installationId: "77" })
      })
      yield* tracker.getIssue(hello, 1)
      fake.inject({ status: 401, path: "/issues/2" })
      expect((yield* tracker.getIssue(hello, 2)).number).toBe(2)
      expect(mints(fake)).toHaveLength(2)
      fake.inject({ status: 401, path: "/issues/3", times: 2 })
      expect((yield* Effect.flip(tracker.getIssue(hello, 3))).status).toBe(401)
    }))

  it.scoped("describes the app and each repository's installation, and names the permissions the loop lacks", () =>
    Effect.gen(function*() {
      const fake = fakeOf()
      const client = yield* GithubClient.make({ auth: discovering, baseUrl: fake.baseUrl }).pipe(
        Effect.provide(fake.layer)
      )
      const app = Option.getOrThrow(client.app)
      expect(yield* app.info).toEqual({ id: 4242, slug: "afk", name: "AFK", htmlUrl: "https://github.com/apps/afk" })
      const full = yield* app.installation(hello)
      expect(full).toEqual({
        id: "77",
        account: "octo",
        repositorySelection: "selected",
        permissions: {
          issues: "write",
          metadata: "read",
          checks: "read",
          statuses: "read",
          deployments: "read",
          contents: "read"
        }
      })
      expect(GithubApp.missing(full.permissions)).toEqual([])
      expect(GithubApp.missing((yield* app.installation(tool)).permissions)).toEqual([
        "checks: read",
        "statuses: read",
        "contents: read"
      ])
      expect(GithubApp.missing({ issues: "read", metadata: "write", checks: "admin" })).toEqual([
        "issues: write",
        "statuses: read",
        "contents: read"
      ])
      const token = yield* GithubClient.make({ auth: GithubAuth.token("t"), baseUrl: fake.baseUrl }).pipe(
        Effect.provide(fake.layer)
      )
      expect(Option.isNone(token.app)).toBe(true)
    }))
})
