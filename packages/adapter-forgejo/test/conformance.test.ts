/**
 * The afk-core adapter conformance suite, run against `ForgejoTracker` over `ForgejoFake` with a small
 * server page size, so every list the suite seeds spans many pages.
 */
import * as TrackerConformance from "afk-core/conformance"
import * as Effect from "effect/Effect"
import { ForgejoFake } from "../src/testing/index.js"
import { trackerOver } from "./support.js"

TrackerConformance.run("forgejo", (seed) =>
  Effect.gen(function*() {
    const fake = yield* ForgejoFake.make(seed, { maxResponseItems: 20, defaultPagingNum: 10 })
    return yield* trackerOver(fake)
  }))
