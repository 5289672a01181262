/**
 * afk-core/conformance: proving a Tracker adapter. `build(seed)` starts a fake of the forge holding exactly
 * `seed` and returns the adapter over it; the suite checks paging, label history, trust, writes and
 * identity. Here the "adapter" is afk-core's MemoryTracker; a real one starts its forge's HTTP fake
 * (see `examples/custom-tracker`, and `packages/adapter-*` `test/conformance.test.ts`).
 */
import * as TrackerConformance from "afk-core/conformance"
import { MemoryTracker } from "afk-core/testing"
import * as Effect from "effect/Effect"

TrackerConformance.run("memory", (seed) =>
  Effect.map(
    MemoryTracker.make({
      bot: seed.bot,
      repos: [{ repo: seed.repo, trusted: seed.trusted, labels: seed.labels, issues: seed.issues }]
    }),
    (tracker) => tracker.service
  ))
