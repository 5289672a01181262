import { assert, describe, it } from "@effect/vitest"
import { Domain } from "afk-core"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import { at, issue, repoSlug, requestsTo, setup, trackerOver } from "./support.js"

const repo = Domain.repo(repoSlug)
const ready = "afk:ready"

describe("ForgejoTracker.listOpenIssues", () => {
  it.effect("finds the label whatever its case, as GitHub does (Forgejo on SQLite or PostgreSQL matches it exactly)", () =>
    Effect.gen(function*() {
      const { tracker } = yield* setup({
        labels: ["AFK:Ready"],
        issues: [issue(1, { labels: ["AFK:Ready"] }), issue(2)]
      })
      const listed = yield* tracker.listOpenIssues(repo, ready)
      assert.deepStrictEqual(listed.map((found) => [found.number, found.labels]), [[1, ["AFK:Ready"]]])
    }))

  it.effect("§8.24 reads every page and finds the issue that sits on the last page", () =>
    Effect.gen(function*() {
      const issues = Array.from({ length: 57 }, (_, i) => issue(i + 1, { labels: [ready] }))
      const { fake, tracker } = yield* setup({ issues }, { maxResponseItems: 10 })
      const listed = yield* tracker.listOpenIssues(repo, ready)
      assert.strictEqual(listed.length, 57)
      assert.deepStrictEqual(
        listed.map((found) => found.number),
        issues.map((seeded) => seeded.number)
      )
      const pages = yield* requestsTo(fake, "GET", /\/issues$/)
      assert.strictEqual(pages.length, 6)
      assert.deepStrictEqual(
        pages.map((request) => request.query.page),
        ["1", "2", "3", "4", "5", "6"]
      )
      assert.isTrue(pages.every((request) => request.query.limit === "10"))
      yield* tracker.listOpenIssues(repo, ready)
      assert.strictEqual((yield* requestsTo(fake, "GET", /^\/settings\/api$/)).length, 1)
    }))

  it.effect("§8.24 pages on past the server's cap even when it does not say its page size", () =>
    Effect.gen(function*() {
      const issues = Array.from({ length: 23 }, (_, i) => issue(i + 1, { labels: [ready] }))
      const { fake, tracker } = yield* setup({ issues }, { maxResponseItems: 4 })
      yield* fake.inject({ path: /^\/settings\/api$/, status: 404, body: "{}" })
      const listed = yield* tracker.listOpenIssues(repo, ready)
      assert.strictEqual(listed.length, 23)
      const pages = yield* requestsTo(fake, "GET", /\/issues$/)
      assert.strictEqual(pages.length, 6)
      assert.isTrue(pages.every((request) => request.query.limit === "50"))
    }))

  it.effect("leaves out pull requests, closed issues and issues without the label", () =>
    Effect.gen(function*() {
      const { tracker } = yield* setup({
        issues: [
          issue(1, { labels: [ready] }),
          issue(2, { labels: [ready], isPullRequest: true }),
          issue(3, { labels: ["bug"] }),
          issue(4, { labels: [ready], state: "closed" }),
          issue(5, { labels: ["bug", ready], title: "Second", author: "alice" })
        ]
      })
      const listed = yield* tracker.listOpenIssues(repo, ready)
      assert.deepStrictEqual(
        listed.map((found) => found.number),
        [1, 5]
      )
      const second = listed[1]!
      assert.strictEqual(second.title, "Second")
      assert.strictEqual(second.author, "alice")
      assert.deepStrictEqual([...second.labels].sort(), ["afk:ready", "bug"])
      assert.strictEqual(second.url, "https://forgejo.test/git/acme/widgets/issues/5")
    }))

  it.effect("drops pull requests and closed issues itself when a server ignores type= and state=", () =>
    Effect.gen(function*() {
      const { fake, tracker } = yield* setup()
      const labels = [{ id: 1, name: ready }]
      const user = { login: "reporter" }
      const body = JSON.stringify([
        { number: 8, title: "PR", state: "open", labels, user, pull_request: { merged: false } },
        { number: 9, title: "Closed", state: "closed", labels, user, pull_request: null },
        { number: 10, title: "Issue", state: "open", labels, user, pull_request: null }
      ])
      yield* fake.inject({ path: /\/issues$/, status: 200, body })
      const listed = yield* tracker.listOpenIssues(repo, ready)
      assert.deepStrictEqual(
        listed.map((found) => found.number),
        [10]
      )
    }))

  it.effect("a trigger label missing from the repo lists nothing, though Forgejo then answers every issue", () =>
    Effect.gen(function*() {
      const { fake, tracker } = yield* setup({ issues: [issue(1, { labels: ["bug"] }), issue(2)] })
      const listed = yield* tracker.listOpenIssues(repo, "afk:missing")
      assert.deepStrictEqual(listed, [])
      const [request] = yield* requestsTo(fake, "GET", /\/issues$/)
      assert.deepStrictEqual(
        { state: request?.query.state, labels: request?.query.labels, type: request?.query.type },
        { state: "open", labels: "afk:missing", type: "issues" }
      )
    }))

  it.effect("builds every next page from the API root, never from a Link naming the server's ROOT_URL", () =>
    Effect.gen(function*() {
      const issues = Array.from({ length: 25 }, (_, i) => issue(i + 1, { labels: [ready] }))
      const { fake, tracker } = yield* setup({ issues }, { rootUrl: "http://localhost:3000/" })
      const listed = yield* tracker.listOpenIssues(repo, ready)
      assert.strictEqual(listed.length, 25)
      const all = yield* fake.requests
      assert.isTrue(all.every((request) => !request.path.startsWith("http")))
    }))
})

describe("ForgejoTracker.getIssue", () => {
  it.effect("reads one issue, open or closed", () =>
    Effect.gen(function*() {
      const { tracker } = yield* setup({ issues: [issue(7, { state: "closed", labels: ["bug"] })] })
      const found = yield* tracker.getIssue(repo, 7)
      assert.deepStrictEqual(
        { number: found.number, state: found.state, labels: found.labels, body: found.body },
        { number: 7, state: "closed", labels: ["bug"], body: "Body of 7" }
      )
    }))

  it.effect("a missing issue is a TrackerError with status 404 and a hint naming it", () =>
    Effect.gen(function*() {
      const { tracker } = yield* setup()
      const error = yield* Effect.flip(tracker.getIssue(repo, 404))
      assert.strictEqual(error._tag, "TrackerError")
      assert.strictEqual(error.status, 404)
      assert.isFalse(error.transient)
      assert.include(error.hint ?? "", "issue #404 in acme/widgets")
    }))
})

describe("ForgejoTracker.labelEvents", () => {
  it.effect("returns every label change on every timeline page, oldest first, with actors", () =>
    Effect.gen(function*() {
      const events = Array.from({ length: 24 }, (_, i) => ({
        label: i % 2 === 0 ? ready : "bug",
        action: i % 4 < 2 ? ("added" as const) : ("removed" as const),
        actor: i === 23 ? "maintainer" : "reporter",
        at: at(i * 2)
      }))
      const comments = Array.from({ length: 12 }, (_, i) => ({
        author: "reporter",
        body: `c${i}`,
        createdAt: at(i * 4 + 1)
      }))
      const { fake, tracker } = yield* setup({ issues: [issue(3, { events, comments })] }, { maxResponseItems: 10 })
      const history = yield* tracker.labelEvents(repo, 3)
      assert.strictEqual(history.length, 24)
      assert.deepStrictEqual(
        history.map((event) => [event.label, event.action, event.actor]),
        events.map((event) => [event.label, event.action, event.actor])
      )
      assert.strictEqual(DateTime.formatIso(history[23]!.at), "2026-01-01T00:46:00.000Z")
      const pages = yield* requestsTo(fake, "GET", /\/timeline$/)
      assert.deepStrictEqual(
        pages.map((request) => request.query.page),
        ["1", "2", "3", "4", "5"]
      )
    }))

  it.effect("labels the bot adds and removes appear in the history as the bot's", () =>
    Effect.gen(function*() {
      const { tracker } = yield* setup({
        issues: [issue(1, { events: [{ label: ready, action: "added", actor: "maintainer", at: at(1) }] })]
      })
      yield* tracker.addLabel(repo, 1, "afk:in-progress")
      yield* tracker.removeLabel(repo, 1, "afk:in-progress")
      const history = yield* tracker.labelEvents(repo, 1)
      assert.deepStrictEqual(
        history.map((event) => [event.label, event.action, event.actor]),
        [
          [ready, "added", "maintainer"],
          ["afk:in-progress", "added", "afk-bot"],
          ["afk:in-progress", "removed", "afk-bot"]
        ]
      )
    }))
})

describe("ForgejoTracker comments", () => {
  it.effect("lists all 250 comments oldest first, in the one answer Forgejo gives", () =>
    Effect.gen(function*() {
      const comments = Array.from({ length: 250 }, (_, i) => ({
        author: i % 2 ? "alice" : "bob",
        body: `#${i}`,
        createdAt: at(i)
      }))
      const { fake, tracker } = yield* setup({ issues: [issue(2, { comments })] })
      const listed = yield* tracker.listComments(repo, 2)
      assert.strictEqual(listed.length, 250)
      assert.deepStrictEqual(
        listed.map((comment) => comment.body),
        comments.map((comment) => comment.body)
      )
      assert.strictEqual(listed[1]!.author, "alice")
      const requests = yield* requestsTo(fake, "GET", /\/comments$/)
      assert.strictEqual(requests.length, 1)
      assert.deepStrictEqual(requests[0]!.query, {})
    }))

  it.effect("posts as the bot and edits the posted comment in place", () =>
    Effect.gen(function*() {
      const { tracker } = yield* setup({ issues: [issue(2)] })
      const posted = yield* tracker.postComment(repo, 2, "Picked this up")
      assert.strictEqual(posted.author, "afk-bot")
      yield* tracker.editComment(repo, posted.id, "Checklist: done")
      const listed = yield* tracker.listComments(repo, 2)
      assert.deepStrictEqual(
        listed.map((comment) => [comment.id, comment.author, comment.body]),
        [[posted.id, "afk-bot", "Checklist: done"]]
      )
    }))

  it.effect("an id that is not a Forgejo comment id fails without a request", () =>
    Effect.gen(function*() {
      const { fake, tracker } = yield* setup()
      const error = yield* Effect.flip(tracker.editComment(repo, "IC_kwDO", "x"))
      assert.strictEqual(error.operation, "editComment")
      assert.isFalse(error.transient)
      assert.strictEqual((yield* requestsTo(fake, "PATCH", /comments/)).length, 0)
    }))
})

describe("ForgejoTracker labels", () => {
  it.effect("adds an existing label by id, reading the label index once", () =>
    Effect.gen(function*() {
      const { fake, tracker } = yield* setup({ issues: [issue(1), issue(2)] })
      yield* tracker.addLabel(repo, 1, ready)
      yield* tracker.addLabel(repo, 2, ready)
      yield* tracker.addLabel(repo, 2, ready)
      assert.deepStrictEqual((yield* fake.issue(2)).labels, [ready])
      const adds = yield* requestsTo(fake, "POST", /\/issues\/\d+\/labels$/)
      assert.isTrue(adds.every((request) => JSON.stringify(request.body) === JSON.stringify({ labels: [1] })))
      assert.strictEqual((yield* requestsTo(fake, "GET", /\/labels$/)).length, 1)
    }))

  it.effect("creates a missing label, then adds it", () =>
    Effect.gen(function*() {
      const { fake, tracker } = yield* setup({ issues: [issue(1)] })
      yield* tracker.addLabel(repo, 1, "needs-human")
      assert.deepStrictEqual((yield* fake.issue(1)).labels, ["needs-human"])
      const [created] = yield* requestsTo(fake, "POST", /\/labels$/)
      assert.deepStrictEqual(created?.body, { name: "needs-human", color: "#ededed" })
      yield* tracker.addLabel(repo, 1, "needs-human")
      assert.strictEqual((yield* requestsTo(fake, "POST", /\/widgets\/labels$/)).length, 1)
    }))

  it.effect("refreshes the index once when a label appeared after it was read, instead of creating a twin", () =>
    Effect.gen(function*() {
      const { fake, tracker } = yield* setup({ issues: [issue(1)] })
      yield* tracker.addLabel(repo, 1, "bug")
      yield* fake.createLabel("frozen")
      yield* tracker.addLabel(repo, 1, "frozen")
      assert.strictEqual((yield* requestsTo(fake, "POST", /\/widgets\/labels$/)).length, 0)
      assert.strictEqual((yield* requestsTo(fake, "GET", /\/widgets\/labels$/)).length, 2)
      assert.deepStrictEqual([...(yield* fake.issue(1)).labels].sort(), ["bug", "frozen"])
    }))

  it.effect("a label deleted and recreated since the index was read is still added, then removed", () =>
    Effect.gen(function*() {
      const { fake, tracker } = yield* setup({ issues: [issue(1), issue(2)] })
      yield* tracker.addLabel(repo, 2, "bug")
      yield* fake.recreateLabel(ready)
      yield* tracker.addLabel(repo, 1, ready)
      assert.deepStrictEqual((yield* fake.issue(1)).labels, [ready])
      yield* fake.recreateLabel(ready)
      const other = yield* trackerOver(fake)
      yield* other.addLabel(repo, 1, ready)
      yield* tracker.removeLabel(repo, 1, ready)
      assert.deepStrictEqual((yield* fake.issue(1)).labels, [])
      const deletes = yield* requestsTo(fake, "DELETE", /\/labels\//)
      assert.strictEqual(deletes.length, 2)
      assert.strictEqual((yield* requestsTo(fake, "POST", /\/widgets\/labels$/)).length, 0)
    }))

  it.effect("removes a label by id; a label absent from the issue or the repo is fine", () =>
    Effect.gen(function*() {
      const { fake, tracker } = yield* setup({ issues: [issue(1, { labels: [ready, "bug"] })] })
      yield* tracker.removeLabel(repo, 1, ready)
      yield* tracker.removeLabel(repo, 1, ready)
      yield* tracker.removeLabel(repo, 1, "never-existed")
      assert.deepStrictEqual((yield* fake.issue(1)).labels, ["bug"])
      const deletes = yield* requestsTo(fake, "DELETE", /\/labels\//)
      assert.deepStrictEqual(
        deletes.map((request) => request.path),
        ["/repos/acme/widgets/issues/1/labels/1", "/repos/acme/widgets/issues/1/labels/1"]
      )
    }))

  it.effect("closes the issue; closing it again is a no-op", () =>
    Effect.gen(function*() {
      const { fake, tracker } = yield* setup({ issues: [issue(4)] })
      yield* tracker.closeIssue(repo, 4)
      yield* tracker.closeIssue(repo, 4)
      assert.strictEqual((yield* fake.issue(4)).state, "closed")
      const [patch] = yield* requestsTo(fake, "PATCH", /\/issues\/4$/)
      assert.deepStrictEqual(patch?.body, { state: "closed" })
    }))
})

describe("ForgejoTracker.isTrusted", () => {
  it.effect("the owner is trusted without a request; writers are; readers and strangers are not", () =>
    Effect.gen(function*() {
      const { fake, tracker } = yield* setup({ issues: [issue(1, { author: "reader" })] })
      assert.isTrue(yield* tracker.isTrusted(repo, "ACME"))
      assert.strictEqual((yield* fake.requests).length, 0)
      assert.isTrue(yield* tracker.isTrusted(repo, "maintainer"))
      assert.isFalse(yield* tracker.isTrusted(repo, "reader"))
      assert.isFalse(yield* tracker.isTrusted(repo, "stranger"))
    }))

  it.effect("knownUntrusted: only a refusal it remembers, never a yes, and never a request", () =>
    Effect.gen(function*() {
      const { fake, tracker } = yield* setup({}, {}, { trustTtl: "10 minutes" })
      assert.isFalse(yield* tracker.knownUntrusted!(repo, "reader"))
      assert.strictEqual((yield* fake.requests).length, 0)
      yield* tracker.isTrusted(repo, "reader")
      yield* tracker.isTrusted(repo, "maintainer")
      const asked = (yield* fake.requests).length
      assert.isTrue(yield* tracker.knownUntrusted!(repo, "Reader"))
      assert.isFalse(yield* tracker.knownUntrusted!(repo, "maintainer"))
      yield* TestClock.adjust("11 minutes")
      assert.isFalse(yield* tracker.knownUntrusted!(repo, "reader"))
      assert.strictEqual((yield* fake.requests).length, asked)
    }))

  it.effect("fails closed when the bot may not read others' permissions (403)", () =>
    Effect.gen(function*() {
      const { tracker } = yield* setup({}, { botIsRepoAdmin: false })
      assert.isFalse(yield* tracker.isTrusted(repo, "maintainer"))
    }))

  it.effect("§8.13 a 5xx is an error, never a yes, and is not remembered", () =>
    Effect.gen(function*() {
      const { fake, tracker } = yield* setup()
      yield* fake.inject({ path: /permission$/, status: 502, times: 5 })
      const fiber = yield* Effect.fork(Effect.either(tracker.isTrusted(repo, "maintainer")))
      yield* TestClock.adjust("1 minute")
      const answer = yield* Fiber.join(fiber)
      assert.isTrue(Either.isLeft(answer) && answer.left.transient && answer.left.status === 502)
      assert.isTrue(yield* tracker.isTrusted(repo, "maintainer"))
    }))

  it.effect("remembers an answer for the trust TTL, then asks again", () =>
    Effect.gen(function*() {
      const { fake, tracker } = yield* setup({}, {}, { trustTtl: "10 minutes" })
      const asked = requestsTo(fake, "GET", /permission$/)
      yield* tracker.isTrusted(repo, "maintainer")
      yield* tracker.isTrusted(repo, "Maintainer")
      assert.strictEqual((yield* asked).length, 1)
      yield* TestClock.adjust("11 minutes")
      yield* tracker.isTrusted(repo, "maintainer")
      assert.strictEqual((yield* asked).length, 2)
    }))
})

describe("ForgejoTracker.whoami", () => {
  it.effect("is the token's login, asked once", () =>
    Effect.gen(function*() {
      const { fake, tracker } = yield* setup()
      assert.strictEqual(yield* tracker.whoami, "afk-bot")
      assert.strictEqual(yield* tracker.whoami, "afk-bot")
      assert.strictEqual((yield* requestsTo(fake, "GET", /^\/user$/)).length, 1)
    }))
})
