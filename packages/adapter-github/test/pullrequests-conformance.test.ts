/**
 * afk-core's PullRequests conformance suite, run against `GithubPullRequests` over the GitHub-shaped fake,
 * which answers the pulls, reviews and git-refs routes with GitHub's refusals, paging at 2 items so the
 * reviews and their inline comments span pages.
 */
import { Domain } from "afk-core"
import * as PullRequestsConformance from "afk-core/pull-requests/conformance"
import * as Effect from "effect/Effect"
import * as GithubPullRequests from "../src/GithubPullRequests.js"
import { GithubFake } from "../src/testing/index.js"
import { clientLayer } from "./support.js"

const states = {
  approved: "APPROVED",
  "changes-requested": "CHANGES_REQUESTED",
  commented: "COMMENTED"
} as const

PullRequestsConformance.run("github", () =>
  Effect.gen(function*() {
    const repo = Domain.repo("acme/widgets")
    const fake = GithubFake.make({ pageSize: 2 })
    fake.seed({ repo, bot: "afk-bot", trusted: ["maintainer"], labels: [], issues: [] })
    const service = yield* GithubPullRequests.make().pipe(Effect.provide(clientLayer(fake)))
    return {
      service,
      repo,
      defaultBranch: "main",
      bot: "afk-bot",
      trusted: "maintainer",
      push: (branch, sha) => Effect.sync(() => fake.pushBranch(repo, branch, sha)),
      review: (number, review) =>
        Effect.sync(() =>
          void fake.actAs(review.author).review(repo, number, {
            state: states[review.state],
            body: review.body,
            ...(review.comments === undefined ? {} : { comments: review.comments })
          })
        ),
      close: (number) => Effect.sync(() => fake.actAs("maintainer").closePull(repo, number)),
      conflict: (number, conflicting) => Effect.sync(() => fake.setConflict(repo, number, conflicting)),
      protect: (approvals) => Effect.sync(() => fake.requireApprovals(repo, approvals))
    } satisfies PullRequestsConformance.Forge
  }))
