/**
 * The PullRequests conformance suite, run against the in-memory `MemoryPullRequests` the lifecycle tests
 * deliver through, so what they prove holds of a forge that behaves as the adapters do.
 */
import * as Effect from "effect/Effect"
import { repo } from "../src/Domain.js"
import * as MemoryPullRequests from "../src/testing/MemoryPullRequests.js"
import * as PullRequestsConformance from "../src/testing/PullRequestsConformance.js"

PullRequestsConformance.run("memory", () =>
  Effect.gen(function*() {
    const bot = "afk-bot"
    const slug = repo("acme/widgets")
    const fake = yield* MemoryPullRequests.make({ bot, writers: ["maintainer"] })
    return {
      service: fake.service,
      repo: slug,
      defaultBranch: "main",
      bot,
      trusted: "maintainer",
      push: (branch, sha) => Effect.sync(() => fake.push(slug, branch, sha)),
      review: (number, review) => fake.review(slug, number, review),
      close: (number) => Effect.sync(() => fake.close(slug, number)),
      conflict: (number, conflicting) => Effect.sync(() => fake.conflict(slug, number, conflicting)),
      protect: (approvals) => Effect.sync(() => void (fake.protection = approvals))
    } satisfies PullRequestsConformance.Forge
  }))
