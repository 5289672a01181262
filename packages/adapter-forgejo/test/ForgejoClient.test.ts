import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { assert, describe, it } from "@effect/vitest"
import { Domain } from "afk-core"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import * as ForgejoClient from "../src/ForgejoClient.js"
import * as ForgejoTracker from "../src/ForgejoTracker.js"
import { ciOver, issue, repoSlug, requestsTo, setup, trackerOver } from "./support.js"

const repo = Domain.repo(repoSlug)
const none = { required: [], deploy: [] }

describe("ForgejoClient requests", () => {
  it.effect("sends Authorization: token <pat> and Accept: application/json to the sub-path API root", () =>
    Effect.gen(function*() {
      const { fake, tracker } = yield* setup({}, { baseUrl: "https://code.example/git/api/v1", token: "s3cret" })
      assert.strictEqual(yield* tracker.whoami, "afk-bot")
      const [request] = yield* requestsTo(fake, "GET", /^\/user$/)
      assert.strictEqual(request?.headers.authorization, "token s3cret")
      assert.strictEqual(request?.headers.accept, "application/json")
    }))

  it.effect("§8.13 a 5xx is retried, and the answer after it is used", () =>
    Effect.gen(function*() {
      const { fake, tracker } = yield* setup({ issues: [issue(1)] })
      yield* fake.inject({ path: /\/issues\/1$/, status: 503, times: 2 })
      const fiber = yield* Effect.fork(tracker.getIssue(repo, 1))
      yield* TestClock.adjust("10 seconds")
      assert.strictEqual((yield* Fiber.join(fiber)).number, 1)
      assert.strictEqual((yield* requestsTo(fake, "GET", /\/issues\/1$/)).length, 3)
    }))

  it.effect("a 429 waits exactly what Retry-After says before asking again", () =>
    Effect.gen(function*() {
      const { fake, tracker } = yield* setup({ issues: [issue(1)] })
      yield* fake.inject({ path: /\/issues\/1$/, status: 429, headers: { "retry-after": "30" } })
      const fiber = yield* Effect.fork(tracker.getIssue(repo, 1))
      yield* TestClock.adjust("29 seconds")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      assert.strictEqual((yield* requestsTo(fake, "GET", /\/issues\/1$/)).length, 1)
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* Fiber.join(fiber)).number, 1)
      assert.strictEqual((yield* requestsTo(fake, "GET", /\/issues\/1$/)).length, 2)
    }))

  it.effect("a dropped connection is retried", () =>
    Effect.gen(function*() {
      const { fake, tracker } = yield* setup()
      yield* fake.inject({ path: /^\/user$/, transport: true })
      const fiber = yield* Effect.fork(tracker.whoami)
      yield* TestClock.adjust("10 seconds")
      assert.strictEqual(yield* Fiber.join(fiber), "afk-bot")
    }))

  it.effect("§8.13 a 5xx that persists ends as a transient error after the retries", () =>
    Effect.gen(function*() {
      const { fake, tracker } = yield* setup()
      yield* fake.inject({ path: /\/issues$/, status: 500, body: "boom", times: 99 })
      const fiber = yield* Effect.fork(Effect.flip(tracker.listOpenIssues(repo, "afk:ready")))
      yield* TestClock.adjust("1 minute")
      const error = yield* Fiber.join(fiber)
      assert.deepStrictEqual([error.status, error.transient], [500, true])
      assert.include(error.detail, "boom")
      assert.strictEqual((yield* requestsTo(fake, "GET", /\/issues$/)).length, 5)
    }))

  for (const status of [400, 401, 404, 422]) {
    it.effect(`a ${status} is sent once and is not transient`, () =>
      Effect.gen(function*() {
        const { fake, tracker } = yield* setup({ issues: [issue(1)] })
        yield* fake.inject({ path: /\/issues\/1\/comments$/, status, body: "{\"message\":\"no\"}", times: 9 })
        const error = yield* Effect.flip(tracker.postComment(repo, 1, "hello"))
        assert.deepStrictEqual([error.status, error.transient], [status, false])
        assert.isDefined(error.hint)
        assert.strictEqual((yield* requestsTo(fake, "POST", /\/comments$/)).length, 1)
      }))
  }

  it.effect("a 401 says the token is invalid or expired, and the token is in no error", () =>
    Effect.gen(function*() {
      const { fake } = yield* setup()
      const tracker = yield* trackerOver(fake, { token: Redacted.make("wrong-token") })
      const error = yield* Effect.flip(tracker.whoami)
      assert.strictEqual(error.status, 401)
      assert.include(error.message, "invalid or expired")
      assert.notInclude(JSON.stringify(error) + error.message + String(error.cause), "wrong-token")
    }))

  it.effect("a 403 names the token scope the operation needs", () =>
    Effect.gen(function*() {
      const { fake, tracker } = yield* setup({ issues: [issue(1)] })
      yield* fake.inject({ path: /\/issues\/1$/, method: "PATCH", status: 403, body: "{}" })
      const error = yield* Effect.flip(tracker.closeIssue(repo, 1))
      assert.include(error.hint ?? "", "\"write:issue\"")
      yield* fake.inject({ path: /\/issues$/, status: 403, body: "{}" })
      assert.include((yield* Effect.flip(tracker.listOpenIssues(repo, "x"))).hint ?? "", "\"read:issue\"")
    }))

  it.effect("a port error's operation is the port method, as GitHub's adapter names it; its detail names the request", () =>
    Effect.gen(function*() {
      const { fake, tracker } = yield* setup({ issues: [issue(1)] })
      yield* fake.inject({ path: /\/issues$/, status: 404, body: "{}" })
      const listed = yield* Effect.flip(tracker.listOpenIssues(repo, "afk:ready"))
      assert.strictEqual(listed.operation, "listOpenIssues")
      assert.include(listed.detail, "GET /repos/{o}/{r}/issues: HTTP 404")
      yield* fake.inject({ path: /\/issues\/1$/, method: "PATCH", status: 422, body: "{}" })
      const closed = yield* Effect.flip(tracker.closeIssue(repo, 1))
      assert.strictEqual(closed.operation, "closeIssue")
      assert.include(closed.detail, "PATCH /repos/{o}/{r}/issues/{index}: HTTP 422")
      const ci = yield* ciOver(fake)
      yield* fake.inject({ path: /\/status$/, status: 403, body: "{}" })
      const verdict = yield* Effect.flip(ci.verdict(repo, "f69e3dcc0b1e6a4c2d7e9f8a1b2c3d4e5f6a7b8c", none))
      assert.strictEqual(verdict.operation, "verdict")
      assert.include(verdict.detail, "HTTP 403")
      assert.include(verdict.message, "Ci verdict failed")
    }))

  it.effect("a repository that does not exist or is hidden is a 404 naming the repository", () =>
    Effect.gen(function*() {
      const { tracker } = yield* setup()
      const error = yield* Effect.flip(tracker.listOpenIssues(Domain.repo("acme/private"), "afk:ready"))
      assert.strictEqual(error.status, 404)
      assert.include(error.hint ?? "", "repository acme/private not found")
    }))

  it.effect("a malformed body on any page fails the whole list, never a partial one", () =>
    Effect.gen(function*() {
      const issues = Array.from({ length: 15 }, (_, i) => issue(i + 1, { labels: ["afk:ready"] }))
      const { fake, tracker } = yield* setup({ issues })
      yield* tracker.listOpenIssues(repo, "afk:ready")
      yield* fake.inject({ path: /\/issues$/, status: 200, body: "[{\"number\":" })
      const broken = yield* Effect.either(tracker.listOpenIssues(repo, "afk:ready"))
      assert.isTrue(Either.isLeft(broken) && broken.left.transient)
      yield* fake.inject({ path: /\/issues$/, status: 200, body: "[{\"title\":\"no number\"}]" })
      const shapeless = yield* Effect.either(tracker.listOpenIssues(repo, "afk:ready"))
      assert.isTrue(Either.isLeft(shapeless) && shapeless.left.detail.includes("unexpected shape"))
    }))

  it.effect("a server that never stops paging is an error at maxPages, never a truncation", () =>
    Effect.gen(function*() {
      const issues = Array.from({ length: 40 }, (_, i) => issue(i + 1, { labels: ["afk:ready"] }))
      const { tracker } = yield* setup({ issues }, {}, { maxPages: 3 })
      const error = yield* Effect.flip(tracker.listOpenIssues(repo, "afk:ready"))
      assert.include(error.detail, "more pages after 3")
    }))

  it.effect("keeps at most 8 requests in flight against a host by default", () =>
    Effect.gen(function*() {
      const release = yield* Deferred.make<void>()
      let inFlight = 0
      let most = 0
      const slow = HttpClient.make((request) =>
        Effect.gen(function*() {
          inFlight++
          most = Math.max(most, inFlight)
          yield* Deferred.await(release)
          inFlight--
          return HttpClientResponse.fromWeb(request, new Response("{\"login\":\"afk-bot\"}", { status: 200 }))
        })
      )
      const tracker = yield* ForgejoTracker.make().pipe(
        Effect.provide(ForgejoClient.layer({ baseUrl: "https://f.test/api/v1", token: Redacted.make("t") })),
        Effect.provideService(HttpClient.HttpClient, slow)
      )
      const logins = Array.from({ length: 20 }, (_, i) => `user${i}`)
      const fiber = yield* Effect.fork(
        Effect.forEach(logins, (login) => tracker.isTrusted(repo, login), { concurrency: "unbounded" })
      )
      for (let i = 0; i < 100 && inFlight < 8; i++) yield* Effect.yieldNow()
      for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
      assert.strictEqual(most, 8)
      yield* Deferred.succeed(release, undefined)
      assert.deepStrictEqual(
        yield* Fiber.join(fiber),
        logins.map(() => false)
      )
      assert.strictEqual(most, 8)
    }))
})
