import { describe, expect, it } from "@effect/vitest"
import { PullRequests } from "afk-core"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as GithubClient from "../src/GithubClient.js"
import * as GithubPullRequests from "../src/GithubPullRequests.js"
import { GithubFake } from "../src/testing/index.js"
import { clientLayer, repo, seed, sent } from "./support.js"

const branch = "afk/12-r1"
const head1 = "1111111111111111111111111111111111111111"
const head2 = "2222222222222222222222222222222222222222"

const pullsOver = (fake: GithubFake.GithubFake, options: Partial<GithubClient.Options> = {}) =>
  GithubPullRequests.make().pipe(Effect.provide(clientLayer(fake, options)))

/** A fake with three issues and the run's branch pushed at `head1`. */
const setup = () => {
  const fake = GithubFake.make()
  fake.seed(seed(3))
  fake.pushBranch(repo, branch, head1)
  return fake
}

const request = { head: branch, title: "Fix #12", body: "Closes #12" }

describe("GithubPullRequests.open", () => {
  it.effect("opens a pull request from the run's branch into the default branch, as the bot", () =>
    Effect.gen(function*() {
      const fake = setup()
      const pulls = yield* pullsOver(fake)
      const pull = yield* pulls.open(repo, request)
      expect(pull).toMatchObject({
        number: 4,
        url: "https://github.com/octo/hello/pull/4",
        state: "open",
        head: branch,
        headSha: head1,
        base: "main",
        mergeable: true,
        author: "afk-bot"
      })
      expect(pull.mergeSha).toBeUndefined()
      expect(sent(fake)).toEqual(["GET /repos/octo/hello", "POST /repos/octo/hello/pulls"])
      expect(fake.world.repos.get("octo/hello")?.issues.get(4)).toMatchObject({ title: "Fix #12", isPullRequest: true })
    }))

  it.effect("into the default branch GitHub names, whatever it is called", () =>
    Effect.gen(function*() {
      const fake = setup()
      const state = fake.world.repos.get("octo/hello")!
      state.defaultBranch = "trunk"
      fake.pushBranch(repo, "trunk", head2)
      const pull = yield* (yield* pullsOver(fake)).open(repo, request)
      expect(pull.base).toBe("trunk")
    }))

  it.effect("a create answered 'already exists' adopts the open pull request, so a retry never makes two", () =>
    Effect.gen(function*() {
      const fake = setup()
      const pulls = yield* pullsOver(fake)
      const first = yield* pulls.open(repo, request)
      fake.resetCounters()
      const again = yield* pulls.open(repo, request)
      expect(again.number).toBe(first.number)
      expect(fake.log.map((entry) => `${entry.method} ${entry.path} ${entry.status}`)).toEqual([
        "GET /repos/octo/hello 304",
        "POST /repos/octo/hello/pulls 422",
        "GET /repos/octo/hello/pulls?state=open&head=octo%3Aafk%2F12-r1&per_page=100 200"
      ])
      expect(fake.world.repos.get("octo/hello")?.pulls.size).toBe(1)
    }))

  it.effect("a head branch that does not exist fails, not transient, saying so", () =>
    Effect.gen(function*() {
      const fake = setup()
      const error = yield* Effect.flip((yield* pullsOver(fake)).open(repo, { ...request, head: "afk/99-r1" }))
      expect(error).toBeInstanceOf(PullRequests.PullRequestsError)
      expect(error).toMatchObject({ operation: "open", status: 422, transient: false })
      expect(error.detail).toContain("the branch afk/99-r1 does not exist in octo/hello")
      expect(error.hint).toContain("push the run's commits to afk/99-r1")
    }))

  it.effect("any other refusal fails in GitHub's words, not transient", () =>
    Effect.gen(function*() {
      const fake = setup()
      fake.pushBranch(repo, "afk/13-r1", fake.world.repos.get("octo/hello")!.branches.get("main")!)
      const error = yield* Effect.flip((yield* pullsOver(fake)).open(repo, { ...request, head: "afk/13-r1" }))
      expect(error).toMatchObject({ status: 422, transient: false })
      expect(error.detail).toContain("No commits between main and afk/13-r1")
    }))
})

describe("GithubPullRequests.findOpen and get", () => {
  it.effect("finds the open pull request from a branch, none once it is closed", () =>
    Effect.gen(function*() {
      const fake = setup()
      const pulls = yield* pullsOver(fake)
      expect(yield* pulls.findOpen(repo, branch)).toEqual(Option.none())
      const pull = yield* pulls.open(repo, request)
      expect(Option.map(yield* pulls.findOpen(repo, branch), (found) => found.number)).toEqual(Option.some(pull.number))
      fake.actAs("alice").closePull(repo, pull.number)
      expect(yield* pulls.findOpen(repo, branch)).toEqual(Option.none())
    }))

  it.effect("a fork's branch of the same name is not the run's", () =>
    Effect.gen(function*() {
      const fake = setup()
      const side = (owner: string) => ({ ref: branch, sha: head1, repo: { full_name: `${owner}/hello` } })
      const forked = {
        number: 7,
        html_url: "https://github.com/octo/hello/pull/7",
        state: "open",
        head: side("mallory"),
        base: side("octo"),
        user: { login: "mallory" }
      }
      fake.inject({
        status: 200,
        path: "/pulls?",
        body: JSON.stringify([forked, { ...forked, head: { ...forked.head, repo: null } }])
      })
      expect(yield* (yield* pullsOver(fake)).findOpen(repo, branch)).toEqual(Option.none())
    }))

  it.effect("reads state, head, base and mergeability; merged carries the merge commit", () =>
    Effect.gen(function*() {
      const fake = setup()
      const pulls = yield* pullsOver(fake)
      const { number } = yield* pulls.open(repo, request)
      fake.pushBranch(repo, branch, head2)
      fake.setConflict(repo, number, true)
      expect(yield* pulls.get(repo, number)).toMatchObject({ state: "open", headSha: head2, mergeable: false })
      fake.setConflict(repo, number, false)
      const merged = yield* pulls.merge(repo, number, { sha: head2, method: "squash", title: "Fix #12" })
      const read = yield* pulls.get(repo, number)
      expect(read).toMatchObject({ state: "merged", mergeSha: (merged as { sha: string }).sha })
      // GitHub's mergeable is null once merged: not known, so absent.
      expect(read.mergeable).toBeUndefined()
    }))

  it.effect("a pull request a person closed is closed, without a merge commit", () =>
    Effect.gen(function*() {
      const fake = setup()
      const pulls = yield* pullsOver(fake)
      const { number } = yield* pulls.open(repo, request)
      fake.actAs("alice").closePull(repo, number)
      const read = yield* pulls.get(repo, number)
      expect(read.state).toBe("closed")
      expect(read.mergeSha).toBeUndefined()
    }))

  it.effect("a pull request that does not exist is a 404 error", () =>
    Effect.gen(function*() {
      const fake = setup()
      const error = yield* Effect.flip((yield* pullsOver(fake)).get(repo, 99))
      expect(error).toMatchObject({ operation: "get", status: 404, transient: false })
    }))
})

describe("GithubPullRequests.reviews", () => {
  it.effect("every submitted review, oldest first, with its inline comments; pending ones left out", () =>
    Effect.gen(function*() {
      const fake = setup()
      const pulls = yield* pullsOver(fake)
      const { number } = yield* pulls.open(repo, request)
      fake.actAs("alice").review(repo, number, {
        state: "CHANGES_REQUESTED",
        body: "Two things",
        comments: [{ path: "src/a.ts", line: 3, body: "rename" }, { path: "src/b.ts", line: null, body: "outdated" }]
      }, "2026-02-01T10:00:00Z")
      fake.actAs("afk-bot").review(repo, number, { state: "PENDING", body: "draft" }, "2026-02-01T10:30:00Z")
      fake.actAs(null).review(repo, number, { state: "COMMENTED", body: "drive-by" }, "2026-02-01T11:00:00Z")
      fake.actAs("bob").review(repo, number, { state: "DISMISSED", commitId: head2 }, "2026-02-01T11:30:00Z")
      fake.actAs("alice").review(repo, number, { state: "APPROVED" }, "2026-02-01T12:00:00Z")
      const reviews = yield* pulls.reviews(repo, number)
      expect(reviews.map((review) => [review.author, review.state, review.body, review.commitSha])).toEqual([
        ["alice", "changes-requested", "Two things", head1],
        ["ghost", "commented", "drive-by", head1],
        ["bob", "dismissed", "", head2],
        ["alice", "approved", "", head1]
      ])
      expect(reviews[0]?.comments).toEqual([
        { path: "src/a.ts", line: 3, body: "rename" },
        { path: "src/b.ts", body: "outdated" }
      ])
      expect(reviews.slice(1).every((review) => review.comments.length === 0)).toBe(true)
      expect(reviews[0]?.submittedAt.toJSON()).toBe("2026-02-01T10:00:00.000Z")
      expect(sent(fake).filter((line) => line.includes("/reviews") || line.includes("/comments"))).toHaveLength(2)
    }))

  it.effect("reads every page of reviews and of comments, each comment on its own review", () =>
    Effect.gen(function*() {
      const fake = setup()
      const pulls = yield* pullsOver(fake)
      const { number } = yield* pulls.open(repo, request)
      for (let index = 0; index < 12; index++) {
        fake.actAs(`reviewer-${index}`).review(repo, number, {
          state: "COMMENTED",
          body: `review ${index}`,
          comments: [1, 2].map((line) => ({ path: `f${index}.ts`, line, body: `r${index} c${line}` }))
        }, new Date(Date.UTC(2026, 1, 1, index)).toISOString())
      }
      const reviews = yield* pulls.reviews(repo, number)
      expect(reviews).toHaveLength(12)
      expect(reviews[11]).toMatchObject({
        body: "review 11",
        comments: [{ path: "f11.ts", line: 1, body: "r11 c1" }, { path: "f11.ts", line: 2, body: "r11 c2" }]
      })
      const pages = sent(fake).filter((line) => /\/pulls\/4\/(reviews|comments)/.test(line))
      expect(pages.filter((line) => line.includes("/reviews"))).toHaveLength(2)
      expect(pages.filter((line) => line.includes("/comments"))).toHaveLength(3)
    }))
})

describe("GithubPullRequests.merge", () => {
  const opened = (fake: GithubFake.GithubFake) =>
    Effect.gen(function*() {
      const pulls = yield* pullsOver(fake)
      const pull = yield* pulls.open(repo, request)
      return { pulls, number: pull.number }
    })

  it.effect("merges with the verified head: the merge commit, the pull request merged, the base moved", () =>
    Effect.gen(function*() {
      const fake = setup()
      const { number, pulls } = yield* opened(fake)
      const result = yield* pulls.merge(repo, number, { sha: head1, method: "squash", title: "Fix #12 (#4)" })
      expect(result._tag).toBe("Merged")
      const sha = (result as { sha: string }).sha
      expect(sha).toMatch(/^[0-9a-f]{40}$/)
      expect(fake.world.repos.get("octo/hello")?.branches.get("main")).toBe(sha)
      expect(fake.world.repos.get("octo/hello")?.issues.get(number)?.state).toBe("closed")
      expect(sent(fake).at(-1)).toBe("PUT /repos/octo/hello/pulls/4/merge")
    }))

  it.effect("a head that moved since it was verified is HeadMoved (GitHub's 409), never a merge", () =>
    Effect.gen(function*() {
      const fake = setup()
      const { number, pulls } = yield* opened(fake)
      fake.pushBranch(repo, branch, head2)
      const result = yield* pulls.merge(repo, number, { sha: head1, method: "squash", title: "t" })
      expect(result).toEqual({
        _tag: "Refused",
        refusal: PullRequests.MergeRefusal.HeadMoved({
          detail: "Head branch was modified. Review and try the merge again."
        })
      })
      expect((yield* pulls.get(repo, number)).state).toBe("open")
    }))

  it.effect("a conflict (405, mergeable false) is Conflict", () =>
    Effect.gen(function*() {
      const fake = setup()
      const { number, pulls } = yield* opened(fake)
      fake.setConflict(repo, number, true)
      const result = yield* pulls.merge(repo, number, { sha: head1, method: "merge", title: "t" })
      expect(result).toEqual({
        _tag: "Refused",
        refusal: PullRequests.MergeRefusal.Conflict({ detail: "Pull Request is not mergeable" })
      })
    }))

  it.effect("protection wanting an approval (405) is Blocked in GitHub's words, until a reviewer approves", () =>
    Effect.gen(function*() {
      const fake = setup()
      fake.requireApprovals(repo, 1)
      const { number, pulls } = yield* opened(fake)
      const result = yield* pulls.merge(repo, number, { sha: head1, method: "merge", title: "t" })
      expect(result).toEqual({
        _tag: "Refused",
        refusal: PullRequests.MergeRefusal.Blocked({
          detail: "At least 1 approving review is required by reviewers with write access."
        })
      })
      fake.actAs("alice").review(repo, number, { state: "APPROVED" })
      expect((yield* pulls.merge(repo, number, { sha: head1, method: "merge", title: "t" }))._tag).toBe("Merged")
    }))

  it.effect("a merge answered 'not mergeable' because it already merged reads back the merge commit", () =>
    Effect.gen(function*() {
      const fake = setup()
      const { number, pulls } = yield* opened(fake)
      const first = yield* pulls.merge(repo, number, { sha: head1, method: "squash", title: "t" })
      fake.resetCounters()
      const again = yield* pulls.merge(repo, number, { sha: head1, method: "squash", title: "t" })
      expect(again).toEqual(first)
      expect(fake.log.map((entry) => `${entry.method} ${entry.path} ${entry.status}`)).toEqual([
        "PUT /repos/octo/hello/pulls/4/merge 405",
        "GET /repos/octo/hello/pulls/4 200"
      ])
    }))

  it.effect("a pull request a person closed is Blocked, not merged", () =>
    Effect.gen(function*() {
      const fake = setup()
      const { number, pulls } = yield* opened(fake)
      fake.actAs("alice").closePull(repo, number)
      const result = yield* pulls.merge(repo, number, { sha: head1, method: "squash", title: "t" })
      expect(result).toMatchObject({ _tag: "Refused", refusal: { _tag: "Blocked" } })
    }))

  it.effect("a 422 (a merge method the repository does not allow) is Blocked in GitHub's words", () =>
    Effect.gen(function*() {
      const fake = setup()
      const { number, pulls } = yield* opened(fake)
      fake.inject({
        status: 422,
        path: "/merge",
        body: JSON.stringify({ message: "Merge commits are not allowed on this repository.", documentation_url: "x" })
      })
      const result = yield* pulls.merge(repo, number, { sha: head1, method: "merge", title: "t" })
      expect(result).toEqual({
        _tag: "Refused",
        refusal: PullRequests.MergeRefusal.Blocked({ detail: "Merge commits are not allowed on this repository." })
      })
    }))

  it.effect("a server error stays a transient error", () =>
    Effect.gen(function*() {
      const fake = setup()
      const pulls = yield* pullsOver(fake, { retries: 0 })
      const { number } = yield* pulls.open(repo, request)
      fake.inject({ status: 502, path: "/merge" })
      const error = yield* Effect.flip(pulls.merge(repo, number, { sha: head1, method: "merge", title: "t" }))
      expect(error).toMatchObject({ operation: "merge", status: 502, transient: true })
    }))
})

describe("GithubPullRequests.deleteBranch", () => {
  it.effect("deletes the branch's ref, each segment of its name escaped on its own; again is a no-op", () =>
    Effect.gen(function*() {
      const fake = setup()
      const pulls = yield* pullsOver(fake)
      yield* pulls.deleteBranch(repo, branch)
      expect(fake.world.repos.get("octo/hello")?.branches.has(branch)).toBe(false)
      yield* pulls.deleteBranch(repo, branch)
      expect(fake.log.filter((entry) => entry.method === "DELETE").map((entry) => `${entry.path} ${entry.status}`))
        .toEqual([
          "/repos/octo/hello/git/refs/heads/afk/12-r1 204",
          "/repos/octo/hello/git/refs/heads/afk/12-r1 422"
        ])
    }))

  it.effect("a 404 is a branch already gone", () =>
    Effect.gen(function*() {
      const fake = setup()
      fake.inject({ status: 404, path: "/git/refs/" })
      yield* (yield* pullsOver(fake)).deleteBranch(repo, branch)
      expect(fake.world.repos.get("octo/hello")?.branches.has(branch)).toBe(true)
    }))

  it.effect("another refusal (a protected branch) fails, not transient, in GitHub's words", () =>
    Effect.gen(function*() {
      const fake = setup()
      fake.inject({
        status: 422,
        path: "/git/refs/",
        body: JSON.stringify({ message: "Cannot delete this protected branch", documentation_url: "x" })
      })
      const error = yield* Effect.flip((yield* pullsOver(fake)).deleteBranch(repo, branch))
      expect(error).toMatchObject({ operation: "deleteBranch", status: 422, transient: false })
      expect(error.detail).toContain("Cannot delete this protected branch")
    }))

  it.effect("never the default branch: refused without a request to delete it", () =>
    Effect.gen(function*() {
      const fake = setup()
      const error = yield* Effect.flip((yield* pullsOver(fake)).deleteBranch(repo, "main"))
      expect(error).toMatchObject({ operation: "deleteBranch", transient: false })
      expect(error.detail).toContain("the default branch of octo/hello")
      expect(fake.log.some((entry) => entry.method === "DELETE")).toBe(false)
      expect(fake.world.repos.get("octo/hello")?.branches.has("main")).toBe(true)
    }))
})
