/**
 * The fake's `updated_at`, which the change probe and the label-event memos rely on: every change GitHub
 * stamps moves it forward (labels, comments, comment edits, edits, close, reopen), so does a change made
 * to the fake's state directly, and `sort=updated` lists the most recently changed issue first.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/TestClock"
import * as GithubAuth from "../src/GithubAuth.js"
import * as GithubClient from "../src/GithubClient.js"
import { GithubFake } from "../src/testing/index.js"
import { repo, seed, trackerOver } from "./support.js"

const Updated = Schema.Struct({ number: Schema.Number, updated_at: Schema.String })
const call = { operation: "test", permission: "Issues: read" }

describe("GithubFake: updated_at", () => {
  it.scoped("every change moves updated_at forward, and sort=updated puts the changed issue first", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse("2026-06-01T00:00:00Z"))
      const fake = GithubFake.make({ pageSize: 3 })
      fake.seed(seed())
      const tracker = yield* trackerOver(fake)
      const client = yield* GithubClient.make({ auth: GithubAuth.token("t"), baseUrl: fake.baseUrl }).pipe(
        Effect.provide(fake.layer)
      )
      const updatedAt = Effect.map(
        client.get(call, GithubClient.repoPath(repo, "issues", 3), Updated),
        (issue) => issue.updated_at
      )
      const newest = Effect.map(
        client.get(call, GithubClient.repoPath(repo, "issues"), Schema.Array(Updated), {
          state: "all",
          sort: "updated",
          direction: "desc",
          per_page: 1
        }),
        (issues) => issues[0]?.number
      )
      expect(yield* updatedAt).toBe("2026-01-01T00:00:00Z")
      const issue = fake.world.repos.get("octo/hello")?.issues.get(3)
      const changes: ReadonlyArray<readonly [string, Effect.Effect<unknown, unknown>]> = [
        ["label added", tracker.addLabel(repo, 3, "bug")],
        ["label removed", tracker.removeLabel(repo, 3, "bug")],
        ["comment", tracker.postComment(repo, 3, "hello")],
        [
          "comment edited",
          Effect.flatMap(tracker.listComments(repo, 3), (comments) => tracker.editComment(repo, comments[0]!.id, "hi"))
        ],
        ["edited", client.sendVoid(call, "PATCH", GithubClient.repoPath(repo, "issues", 3), { title: "New title" })],
        ["closed", tracker.closeIssue(repo, 3)],
        ["reopened", client.sendVoid(call, "PATCH", GithubClient.repoPath(repo, "issues", 3), { state: "open" })],
        ["changed directly", Effect.sync(() => issue?.labels.push("direct"))]
      ]
      let previous = yield* updatedAt
      for (const [index, [change, effect]] of changes.entries()) {
        yield* TestClock.adjust("5 seconds")
        yield* tracker.addLabel(repo, 1, `mark-${index}`)
        expect(yield* newest).toBe(1)
        yield* TestClock.adjust("5 seconds")
        yield* effect
        const now = yield* updatedAt
        expect([change, Date.parse(now) > Date.parse(previous)]).toEqual([change, true])
        expect([change, yield* newest]).toEqual([change, 3])
        previous = now
      }
    }))
})
