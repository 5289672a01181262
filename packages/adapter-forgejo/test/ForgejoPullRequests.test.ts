import { assert, describe, it } from "@effect/vitest"
import { Domain, PullRequests } from "afk-core"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { ForgejoFake } from "../src/testing/index.js"
import { pullRequestsOver, repoSlug, requestsTo, seed } from "./support.js"

const repo = Domain.repo(repoSlug)
const branch = PullRequests.branchFor(7, 1)
const first = "a".repeat(40)
const second = "b".repeat(40)
const request = { head: branch, title: "Fix #7", body: "Closes #7" }

const setup = (options: ForgejoFake.Options = {}) =>
  Effect.gen(function*() {
    const fake = yield* ForgejoFake.make(seed(), options)
    const prs = yield* pullRequestsOver(fake)
    return { fake, prs, world: fake.pulls }
  })

/** The fake with the run's branch pushed and its pull request opened by the adapter. */
const opened = (options: ForgejoFake.Options = {}) =>
  Effect.gen(function*() {
    const context = yield* setup(options)
    yield* context.world.pushBranch(branch, first)
    const pull = yield* context.prs.open(repo, request)
    return { ...context, pull }
  })

const refusal = (result: PullRequests.MergeResult) => {
  assert.strictEqual(result._tag, "Refused", JSON.stringify(result))
  return (result as Extract<PullRequests.MergeResult, { _tag: "Refused" }>).refusal
}

const merge = (prs: PullRequests.Service, number: number, sha = first) =>
  prs.merge(repo, number, { sha, method: "squash", title: "Fix #7 (#1)" })

describe("ForgejoPullRequests.open", () => {
  it.effect("opens from the run's branch into the default branch, as the bot", () =>
    Effect.gen(function*() {
      const { fake, pull } = yield* opened()
      assert.deepStrictEqual(
        { ...pull },
        {
          number: 1,
          url: "https://forgejo.test/git/acme/widgets/pulls/1",
          state: "open",
          head: branch,
          headSha: first,
          base: "main",
          mergeable: true,
          author: "afk-bot"
        }
      )
      const posts = yield* requestsTo(fake, "POST", /\/pulls$/)
      assert.deepStrictEqual(posts.map((post) => post.body), [{ ...request, base: "main" }])
      assert.strictEqual((yield* requestsTo(fake, "GET", /^\/repos\/acme\/widgets$/)).length, 1)
    }))

  it.effect("a second open adopts the pull request Forgejo says already exists (409): never two", () =>
    Effect.gen(function*() {
      const { fake, prs, pull } = yield* opened()
      const again = yield* prs.open(repo, { ...request, title: "Fix #7 again" })
      assert.strictEqual(again.number, pull.number)
      assert.strictEqual(again.state, "open")
      const posts = yield* requestsTo(fake, "POST", /\/pulls$/)
      assert.strictEqual(posts.length, 2)
      assert.strictEqual((yield* Effect.flip(prs.get(repo, pull.number + 1))).status, 404)
    }))

  it.effect("an open whose answer is lost after Forgejo made it is retried, refused (409) and adopted", () =>
    Effect.gen(function*() {
      const { fake, prs, world } = yield* setup()
      yield* world.pushBranch(branch, first)
      yield* fake.inject({ method: "POST", path: /\/pulls$/, status: 502, applied: true })
      const fiber = yield* Effect.fork(prs.open(repo, request))
      yield* TestClock.adjust("1 second")
      const pull = yield* Fiber.join(fiber)
      assert.strictEqual(pull.number, 1)
      assert.strictEqual((yield* requestsTo(fake, "POST", /\/pulls$/)).length, 2)
      assert.isTrue(Option.isSome(yield* prs.findOpen(repo, branch)))
    }))

  it.effect("a head branch that does not exist fails, not transient, saying so", () =>
    Effect.gen(function*() {
      const { prs } = yield* setup()
      const error = yield* Effect.flip(prs.open(repo, request))
      assert.strictEqual(error._tag, "PullRequestsError")
      assert.strictEqual(error.operation, "open")
      assert.isFalse(error.transient)
      assert.strictEqual(error.status, 404)
      assert.include(error.detail, `branch ${branch} does not exist`)
      assert.include(error.hint ?? "", "push the branch")
    }))

  it.effect("a 404 whose body is cut short is still told apart: the branch is asked for", () =>
    Effect.gen(function*() {
      const { fake, prs, world } = yield* setup()
      const long = JSON.stringify({ message: "The target couldn't be found.", url: "x".repeat(400), errors: [] })
      yield* fake.inject({ method: "POST", path: /\/pulls$/, status: 404, body: long })
      const missing = yield* Effect.flip(prs.open(repo, request))
      assert.include(missing.detail, `branch ${branch} does not exist`)
      assert.isFalse(missing.transient)
      yield* world.pushBranch(branch, first)
      const unit = JSON.stringify({ message: "Can't read pulls or can't read UnitTypeCode", url: "", errors: [] })
      yield* fake.inject({ method: "POST", path: /\/pulls$/, status: 404, body: unit })
      const other = yield* Effect.flip(prs.open(repo, request))
      assert.notInclude(other.detail, "does not exist")
      assert.include(other.detail, "Can't read pulls")
      assert.strictEqual((yield* requestsTo(fake, "GET", /\/branches\/afk%2F7-r1$/)).length, 2)
    }))

  it.effect("a repository that is not there is a 404 about the repository, not about the branch", () =>
    Effect.gen(function*() {
      const { prs } = yield* setup()
      const error = yield* Effect.flip(prs.open(Domain.repo("acme/hidden"), request))
      assert.strictEqual(error.status, 404)
      assert.notInclude(error.detail, "does not exist")
      assert.include(error.hint ?? "", "repository acme/hidden not found")
    }))
})

describe("ForgejoPullRequests.findOpen", () => {
  it.effect("none before a pull request is opened, the open one after", () =>
    Effect.gen(function*() {
      const { prs, world } = yield* setup()
      yield* world.pushBranch(branch, first)
      assert.isTrue(Option.isNone(yield* prs.findOpen(repo, branch)))
      const pull = yield* prs.open(repo, request)
      const found = yield* prs.findOpen(repo, branch)
      assert.strictEqual(Option.getOrThrow(found).number, pull.number)
    }))

  it.effect("when Forgejo's answer for the branch is a closed one, the open list is read to its end", () =>
    Effect.gen(function*() {
      const { fake, prs, world } = yield* setup({ maxResponseItems: 2 })
      yield* world.pushBranch(branch, first)
      const closed = yield* prs.open(repo, request)
      yield* world.close(closed.number)
      assert.isTrue(Option.isNone(yield* prs.findOpen(repo, branch)))
      const reopened = yield* prs.open(repo, request)
      for (let n = 0; n < 5; n++) {
        yield* world.pushBranch(`feature/${n}`, second)
        yield* world.open("maintainer", `feature/${n}`)
      }
      const found = yield* prs.findOpen(repo, branch)
      assert.strictEqual(Option.getOrThrow(found).number, reopened.number)
      assert.notStrictEqual(reopened.number, closed.number)
      assert.strictEqual((yield* requestsTo(fake, "GET", /\/pulls$/)).length, 4)
    }))

  it.effect("a merged pull request from the branch is not open", () =>
    Effect.gen(function*() {
      const { prs, pull } = yield* opened()
      yield* merge(prs, pull.number)
      assert.isTrue(Option.isNone(yield* prs.findOpen(repo, branch)))
    }))
})

describe("ForgejoPullRequests.get", () => {
  it.effect("open, then merged with its merge commit; the head stays the branch once it is deleted", () =>
    Effect.gen(function*() {
      const { prs, pull, world } = yield* opened()
      yield* merge(prs, pull.number)
      yield* prs.deleteBranch(repo, branch)
      const read = yield* prs.get(repo, pull.number)
      assert.strictEqual(read.state, "merged")
      assert.strictEqual(read.mergeSha, (yield* world.get(pull.number)).mergeSha)
      assert.match(read.mergeSha ?? "", /^[0-9a-f]{40}$/)
      assert.strictEqual(read.head, branch)
      assert.strictEqual(read.headSha, first)
      assert.isUndefined(read.mergeable)
    }))

  it.effect("closed by a person is closed; a conflict is mergeable false", () =>
    Effect.gen(function*() {
      const { prs, pull, world } = yield* opened()
      yield* world.conflict(pull.number, true)
      assert.isFalse((yield* prs.get(repo, pull.number)).mergeable)
      yield* world.close(pull.number)
      const closed = yield* prs.get(repo, pull.number)
      assert.strictEqual(closed.state, "closed")
      assert.isUndefined(closed.mergeSha)
    }))

  it.effect("a work in progress is not called conflicting: its mergeability is unknown", () =>
    Effect.gen(function*() {
      const { prs, world } = yield* setup()
      yield* world.pushBranch("wip", first)
      const number = yield* world.open("maintainer", "wip", "WIP: later")
      const read = yield* prs.get(repo, number)
      assert.strictEqual(read.author, "maintainer")
      assert.isUndefined(read.mergeable)
    }))

  it.effect("a pull request that does not exist is a 404 naming it", () =>
    Effect.gen(function*() {
      const { prs } = yield* setup()
      const error = yield* Effect.flip(prs.get(repo, 9))
      assert.strictEqual(error.status, 404)
      assert.include(error.hint ?? "", "pull request #9")
    }))
})

describe("ForgejoPullRequests.reviews", () => {
  it.effect("every submitted review, oldest first over pages, with its comments oldest first", () =>
    Effect.gen(function*() {
      const { fake, prs, pull, world } = yield* opened({ maxResponseItems: 2 })
      const approved = yield* world.review(pull.number, "maintainer", { kind: "APPROVED", body: "LGTM" })
      yield* world.review(pull.number, "maintainer", {
        kind: "REQUEST_CHANGES",
        body: "Please fix",
        comments: [
          { path: "src/a.ts", line: 12, body: "off by one" },
          { path: "src/b.ts", oldLine: 3, body: "why remove this?" },
          { path: "README.md", body: "about the whole file" }
        ]
      })
      yield* world.review(pull.number, "reporter", { kind: "PENDING", body: "draft" })
      yield* world.review(pull.number, "maintainer", { kind: "REQUEST_REVIEW" })
      yield* world.pushBranch(branch, second)
      yield* world.review(pull.number, "reporter", { kind: "COMMENT", body: "A question" })
      yield* world.dismiss(pull.number, approved)
      const reviews = yield* prs.reviews(repo, pull.number)
      assert.deepStrictEqual(
        reviews.map((review) => [review.author, review.state, review.body, review.commitSha]),
        [
          ["maintainer", "dismissed", "LGTM", first],
          ["maintainer", "changes-requested", "Please fix", first],
          ["reporter", "commented", "A question", second]
        ]
      )
      assert.deepStrictEqual(reviews[1]?.comments, [
        { path: "src/a.ts", line: 12, body: "off by one" },
        { path: "src/b.ts", line: 3, body: "why remove this?" },
        { path: "README.md", body: "about the whole file" }
      ])
      assert.strictEqual(reviews[0]?.id, String(approved))
      assert.isTrue(DateTime.lessThan(reviews[0]!.submittedAt, reviews[2]!.submittedAt))
      // X-Total-Count (5) counts the pending review it does not list, so a fourth page is asked and found empty.
      assert.strictEqual((yield* requestsTo(fake, "GET", /\/pulls\/1\/reviews$/)).length, 4)
      assert.strictEqual((yield* requestsTo(fake, "GET", /\/reviews\/\d+\/comments$/)).length, 3)
    }))

  it.effect("no reviews is an empty list", () =>
    Effect.gen(function*() {
      const { prs, pull } = yield* opened()
      assert.deepStrictEqual(yield* prs.reviews(repo, pull.number), [])
    }))
})

describe("ForgejoPullRequests.merge", () => {
  it.effect("merges with the verified head and reads the merge commit back (200 has no body)", () =>
    Effect.gen(function*() {
      const { fake, prs, pull, world } = yield* opened()
      const result = yield* merge(prs, pull.number)
      const held = yield* world.get(pull.number)
      assert.deepStrictEqual(result, { _tag: "Merged", sha: held.mergeSha! })
      assert.strictEqual(yield* world.branch("main"), held.mergeSha)
      const posts = yield* requestsTo(fake, "POST", /\/pulls\/1\/merge$/)
      assert.deepStrictEqual(posts.map((post) => post.body), [
        { Do: "squash", head_commit_id: first, MergeTitleField: "Fix #7 (#1)", delete_branch_after_merge: false }
      ])
      assert.strictEqual(yield* world.branch(branch), first)
    }))

  it.effect("a head that moved since it was verified is refused (409 head out of date): HeadMoved, not merged", () =>
    Effect.gen(function*() {
      const { prs, pull, world } = yield* opened()
      yield* world.pushBranch(branch, second)
      const refused = refusal(yield* merge(prs, pull.number, first))
      assert.strictEqual(refused._tag, "HeadMoved")
      assert.include(refused.detail, second)
      assert.isFalse((yield* world.get(pull.number)).merged)
    }))

  it.effect("Forgejo's head out of date is HeadMoved even when the head reads back unchanged", () =>
    Effect.gen(function*() {
      const { fake, prs, pull } = yield* opened()
      yield* fake.inject({ method: "POST", path: /\/merge$/, status: 409, body: `{"message":"head out of date"}` })
      assert.strictEqual(refusal(yield* merge(prs, pull.number))._tag, "HeadMoved")
    }))

  it.effect("a conflict is Conflict; a moved head that also conflicts is HeadMoved", () =>
    Effect.gen(function*() {
      const { prs, pull, world } = yield* opened()
      yield* world.conflict(pull.number, true)
      const refused = refusal(yield* merge(prs, pull.number))
      assert.strictEqual(refused._tag, "Conflict")
      assert.include(refused.detail, "Please try again later")
      yield* world.pushBranch(branch, second)
      assert.strictEqual(refusal(yield* merge(prs, pull.number, first))._tag, "HeadMoved")
    }))

  it.effect("a conflict found while merging (409 with git's output) is Conflict", () =>
    Effect.gen(function*() {
      const { fake, prs, pull } = yield* opened()
      const body = JSON.stringify({ Style: "squash", StdOut: "", StdErr: "CONFLICT (content): src/a.ts", Err: {} })
      yield* fake.inject({ method: "POST", path: /\/merge$/, status: 409, body })
      const refused = refusal(yield* merge(prs, pull.number))
      assert.strictEqual(refused._tag, "Conflict")
      assert.include(refused.detail, "CONFLICT (content): src/a.ts")
    }))

  it.effect("protection wanting approvals is Blocked with Forgejo's reason, until a writer approves", () =>
    Effect.gen(function*() {
      const { prs, pull, world } = yield* opened()
      yield* world.protect(1)
      const refused = refusal(yield* merge(prs, pull.number))
      assert.strictEqual(refused._tag, "Blocked")
      assert.include(refused.detail, "Does not have enough approvals")
      yield* world.review(pull.number, "reporter", { kind: "APPROVED" })
      assert.strictEqual(refusal(yield* merge(prs, pull.number))._tag, "Blocked")
      yield* world.review(pull.number, "maintainer", { kind: "APPROVED" })
      assert.strictEqual((yield* merge(prs, pull.number))._tag, "Merged")
    }))

  it.effect("already merged (405 with no message) reads the merge commit back", () =>
    Effect.gen(function*() {
      const { fake, prs, pull } = yield* opened()
      const once = yield* merge(prs, pull.number)
      const twice = yield* merge(prs, pull.number)
      assert.deepStrictEqual(twice, once)
      assert.strictEqual((yield* requestsTo(fake, "POST", /\/merge$/)).length, 2)
    }))

  it.effect("a merge whose answer is lost is retried, refused as merged, and reads the merge commit back", () =>
    Effect.gen(function*() {
      const { fake, prs, pull, world } = yield* opened()
      yield* fake.inject({ method: "POST", path: /\/merge$/, status: 502, applied: true })
      const fiber = yield* Effect.fork(merge(prs, pull.number))
      yield* TestClock.adjust("1 second")
      const result = yield* Fiber.join(fiber)
      assert.deepStrictEqual(result, { _tag: "Merged", sha: (yield* world.get(pull.number)).mergeSha! })
    }))

  it.effect("a pull request a person closed is Blocked, saying so", () =>
    Effect.gen(function*() {
      const { prs, pull, world } = yield* opened()
      yield* world.close(pull.number)
      const refused = refusal(yield* merge(prs, pull.number))
      assert.strictEqual(refused._tag, "Blocked")
      assert.include(refused.detail, "closed without merging")
    }))

  it.effect("a bot that may not merge is Blocked with Forgejo's words", () =>
    Effect.gen(function*() {
      const { prs, pull } = yield* opened({ botIsRepoAdmin: false })
      const refused = refusal(yield* merge(prs, pull.number))
      assert.strictEqual(refused._tag, "Blocked")
      assert.strictEqual(refused.detail, "User not allowed to merge PR")
    }))

  it.effect("server errors stay transient errors, never a refusal", () =>
    Effect.gen(function*() {
      const { fake, prs, pull } = yield* opened()
      yield* fake.inject({ method: "POST", path: /\/merge$/, status: 500, times: 9 })
      const fiber = yield* Effect.fork(Effect.flip(merge(prs, pull.number)))
      yield* TestClock.adjust("1 minute")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error.operation, "merge")
      assert.isTrue(error.transient)
      assert.strictEqual(error.status, 500)
    }))
})

describe("ForgejoPullRequests.deleteBranch", () => {
  it.effect("deletes the branch; a branch already gone is a no-op", () =>
    Effect.gen(function*() {
      const { fake, prs, world } = yield* setup()
      yield* world.pushBranch(branch, first)
      yield* prs.deleteBranch(repo, branch)
      assert.isUndefined(yield* world.branch(branch))
      yield* prs.deleteBranch(repo, branch)
      assert.strictEqual((yield* requestsTo(fake, "DELETE", /\/branches\//)).length, 2)
    }))

  it.effect("never the default branch: refused, not transient, without a DELETE", () =>
    Effect.gen(function*() {
      const { fake, prs, world } = yield* setup()
      const error = yield* Effect.flip(prs.deleteBranch(repo, "main"))
      assert.isFalse(error.transient)
      assert.include(error.detail, "default branch")
      assert.strictEqual((yield* requestsTo(fake, "DELETE", /\/branches\//)).length, 0)
      assert.isDefined(yield* world.branch("main"))
    }))

  it.effect("Forgejo's refusal (403) is an error, not a no-op", () =>
    Effect.gen(function*() {
      const { fake, prs, world } = yield* setup()
      yield* world.pushBranch(branch, first)
      yield* fake.inject({
        method: "DELETE",
        path: /\/branches\//,
        status: 403,
        body: `{"message":"branch protected"}`
      })
      const error = yield* Effect.flip(prs.deleteBranch(repo, branch))
      assert.strictEqual(error.status, 403)
      assert.isFalse(error.transient)
    }))
})
