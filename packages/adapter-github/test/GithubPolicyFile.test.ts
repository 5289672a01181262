import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
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
})
