/**
 * afk-core's Tracker conformance suite, run against `GithubTracker` over the GitHub-shaped fake (which
 * pages at 25 items, so the suite's 130 issues and 120 comments take several pages).
 */
import * as TrackerConformance from "afk-core/conformance"
import * as Effect from "effect/Effect"
import * as GithubTracker from "../src/GithubTracker.js"
import { GithubFake } from "../src/testing/index.js"
import { clientLayer } from "./support.js"

TrackerConformance.run("github", (seed) =>
  Effect.suspend(() => {
    const fake = GithubFake.make({ pageSize: 25 })
    fake.seed(seed)
    return GithubTracker.make().pipe(Effect.provide(clientLayer(fake)))
  }))
