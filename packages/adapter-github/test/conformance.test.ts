/**
 * afk-core's Tracker conformance suite, run against `GithubTracker` over the GitHub-shaped fake (which
 * pages at 25 items, so the suite's 130 issues and 120 comments take several pages): once cold, and once
 * warm — every label list already remembered under the change probe and the label histories under their
 * issues' `updated_at`, so the suite's reads are served from those memos wherever nothing changed.
 */
import * as TrackerConformance from "afk-core/conformance"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import * as GithubTracker from "../src/GithubTracker.js"
import { GithubFake } from "../src/testing/index.js"
import { clientLayer } from "./support.js"

TrackerConformance.run("github", (seed) =>
  Effect.suspend(() => {
    const fake = GithubFake.make({ pageSize: 25 })
    fake.seed(seed)
    return GithubTracker.make().pipe(Effect.provide(clientLayer(fake)))
  }))

TrackerConformance.run("github, warm (lists and label histories from memos)", (seed) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(Date.parse("2027-01-01T00:00:00Z"))
    const fake = GithubFake.make({ pageSize: 25 })
    fake.seed(seed)
    const tracker = yield* GithubTracker.make().pipe(Effect.provide(clientLayer(fake)))
    const pass = Effect.forEach(seed.labels, (label) => tracker.listOpenIssues(seed.repo, label))
    yield* pass
    yield* TestClock.adjust("11 seconds")
    yield* pass
    yield* Effect.forEach(seed.issues, (issue) => tracker.labelEvents(seed.repo, issue.number))
    yield* TestClock.adjust("11 seconds")
    fake.resetCounters()
    yield* pass
    if (fake.log.length !== 1) return yield* Effect.dieMessage(`warm-up did not take: ${fake.log.length} requests`)
    return tracker
  }).pipe(Effect.orDie))

TrackerConformance.run(
  "github, lists over GraphQL (pages of 25: long lists read the REST way)",
  (seed) =>
    Effect.suspend(() => {
      const fake = GithubFake.make({ pageSize: 25 })
      fake.seed(seed)
      return GithubTracker.make({ lists: "graphql" }).pipe(Effect.provide(clientLayer(fake)))
    })
)

TrackerConformance.run("github, lists over GraphQL (pages of 100)", (seed) =>
  Effect.suspend(() => {
    const fake = GithubFake.make({ pageSize: 100 })
    fake.seed(seed)
    return GithubTracker.make({ lists: "graphql" }).pipe(Effect.provide(clientLayer(fake)))
  }))
