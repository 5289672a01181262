/**
 * afk-core's PullRequests conformance suite, run against `ForgejoPullRequests` over `ForgejoFake`, which
 * answers the pulls, reviews and branches routes as Forgejo's handlers do, with a small page size.
 */
import { Domain } from "afk-core"
import * as PullRequestsConformance from "afk-core/pull-requests/conformance"
import * as Effect from "effect/Effect"
import { ForgejoFake } from "../src/testing/index.js"
import { pullRequestsOver, repoSlug, seed } from "./support.js"

const kinds = {
  approved: "APPROVED",
  "changes-requested": "REQUEST_CHANGES",
  commented: "COMMENT"
} as const

PullRequestsConformance.run("forgejo", () =>
  Effect.gen(function*() {
    const fake = yield* ForgejoFake.make(seed(), { maxResponseItems: 2, defaultPagingNum: 2 })
    const service = yield* pullRequestsOver(fake)
    const world = fake.pulls
    return {
      service,
      repo: Domain.repo(repoSlug),
      defaultBranch: "main",
      bot: "afk-bot",
      trusted: "maintainer",
      push: world.pushBranch,
      review: (number, review) =>
        Effect.asVoid(world.review(number, review.author, {
          kind: kinds[review.state],
          ...(review.body === undefined ? {} : { body: review.body }),
          ...(review.comments === undefined ? {} : { comments: [...review.comments] })
        })),
      close: world.close,
      conflict: world.conflict,
      protect: world.protect
    } satisfies PullRequestsConformance.Forge
  }))
