import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { generateKeyPairSync } from "node:crypto"
import * as GithubAuth from "../src/GithubAuth.js"
import * as GithubClient from "../src/GithubClient.js"
import * as GithubTracker from "../src/GithubTracker.js"
import { GithubFake } from "../src/testing/index.js"
import { repo, seed, trackerOver } from "./support.js"

const withFile = (text: string | undefined) => {
  const fake = GithubFake.make()
  fake.seed({ ...seed(1), policyFile: text })
  return fake
}

describe("GithubTracker.policyFile", () => {
  it.effect("an unchanged file is read again with a conditional request that costs no point", () =>
    Effect.gen(function*() {
      const fake = withFile("{ \"fixForwardMaxAttempts\": 2 }")
      const tracker = yield* trackerOver(fake)
      expect(yield* tracker.policyFile!(repo)).toEqual(Option.some("{ \"fixForwardMaxAttempts\": 2 }"))
      fake.resetCounters()
      expect(yield* tracker.policyFile!(repo)).toEqual(Option.some("{ \"fixForwardMaxAttempts\": 2 }"))
      expect(fake.counters()).toEqual({ requests: 1, points: 0, notModified: 1 })
      expect(fake.log.at(-1)).toMatchObject({ path: "/repos/octo/hello/contents/.afk.json", status: 304 })
    }))

  it.effect("a changed file is read anew; a deleted one is none", () =>
    Effect.gen(function*() {
      const fake = withFile("{}")
      const tracker = yield* trackerOver(fake)
      yield* tracker.policyFile!(repo)
      const files = fake.world.repos.get("octo/hello")!.files
      files.set(".afk.json", "{ \"instructions\": \"x\" }")
      expect(yield* tracker.policyFile!(repo)).toEqual(Option.some("{ \"instructions\": \"x\" }"))
      files.delete(".afk.json")
      expect(yield* tracker.policyFile!(repo)).toEqual(Option.none())
    }))

  it.effect("a GitHub App without Contents: read is refused (403), naming the permission", () =>
    Effect.gen(function*() {
      const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 })
      const fake = GithubFake.make({
        app: {
          appId: "1",
          publicKey,
          slug: "afk",
          installations: [{ id: "7", permissions: { issues: "write", metadata: "read" } }]
        }
      })
      fake.seed({ ...seed(1), policyFile: "{}" })
      const auth = GithubAuth.app({
        appId: "1",
        installationId: "7",
        privateKey: Redacted.make(privateKey.export({ type: "pkcs1", format: "pem" }).toString())
      })
      const tracker = yield* GithubTracker.make().pipe(
        Effect.provide(GithubClient.layer({ auth, baseUrl: fake.baseUrl }).pipe(Layer.provide(fake.layer)))
      )
      const error = yield* Effect.flip(tracker.policyFile!(repo))
      expect(error.status).toBe(403)
      expect(error.message).toContain("Contents: read")
    }))
})
