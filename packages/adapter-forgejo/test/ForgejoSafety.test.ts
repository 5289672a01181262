/**
 * Nothing done twice, no secret in an error: a new comment whose answer is lost after Forgejo posted it is
 * never sent again (the next pass adopts it, prior-art §8.13), while idempotent writes keep retrying; and a
 * token Forgejo echoes in an error body is redacted from every error (quality R5).
 */
import { assert, describe, it } from "@effect/vitest"
import { Domain } from "afk-core"
import { Renderings } from "afk-core/testing"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import type { ForgejoFake } from "../src/testing/index.js"
import { issue, repoSlug, requestsTo, setup } from "./support.js"

const repo = Domain.repo(repoSlug)
const token = "forgejo-KnownSecretAccessToken-0123456789"

const comments = /\/issues\/1\/comments$/

describe("a new comment is never posted twice", () => {
  for (
    const [name, fault] of [
      ["answers 502", { status: 502, body: "bad gateway" }],
      ["drops the connection", { transport: true }],
      ["answers 503 with Retry-After", { status: 503, headers: { "retry-after": "1" } }]
    ] as const
  ) {
    it.effect(`§8.13 Forgejo posts the comment then ${name}: one POST, a transient "may have applied"`, () =>
      Effect.gen(function*() {
        const { fake, tracker } = yield* setup({ issues: [issue(1)] })
        const lost: ForgejoFake.Fault = { path: comments, method: "POST", applied: true, times: 9, ...fault }
        yield* fake.inject(lost)
        const error = yield* Effect.flip(tracker.postComment(repo, 1, "claimed <!-- run 1 -->"))
        assert.isTrue(error.transient)
        assert.include(error.detail, "Forgejo may have applied the write")
        assert.include(error.hint ?? "", "not sent again")
        assert.strictEqual((yield* requestsTo(fake, "POST", comments)).length, 1)
        assert.deepStrictEqual((yield* tracker.listComments(repo, 1)).map((c) => c.body), ["claimed <!-- run 1 -->"])
      }))
  }

  it.effect("a 429 with Retry-After on the same POST is retried, and the comment is posted once", () =>
    Effect.gen(function*() {
      const { fake, tracker } = yield* setup({ issues: [issue(1)] })
      yield* fake.inject({ path: comments, method: "POST", status: 429, headers: { "retry-after": "5" } })
      const fiber = yield* Effect.fork(tracker.postComment(repo, 1, "hello"))
      yield* TestClock.adjust("5 seconds")
      assert.strictEqual((yield* Fiber.join(fiber)).body, "hello")
      assert.strictEqual((yield* requestsTo(fake, "POST", comments)).length, 2)
      assert.strictEqual((yield* tracker.listComments(repo, 1)).length, 1)
    }))

  it.effect("an edit (PATCH) whose answer is lost is idempotent, so it is retried", () =>
    Effect.gen(function*() {
      const { fake, tracker } = yield* setup({ issues: [issue(1)] })
      const posted = yield* tracker.postComment(repo, 1, "v1")
      yield* fake.inject({ path: /\/issues\/comments\/\d+$/, method: "PATCH", status: 502, applied: true })
      const fiber = yield* Effect.fork(tracker.editComment(repo, posted.id, "v2"))
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      assert.strictEqual((yield* requestsTo(fake, "PATCH", /\/issues\/comments\/\d+$/)).length, 2)
      assert.deepStrictEqual((yield* tracker.listComments(repo, 1)).map((c) => c.body), ["v2"])
    }))
})

describe("quality R5: a token Forgejo echoes is never quoted", () => {
  for (
    const [name, fault] of [
      ["a 422 quoting the Authorization header", { status: 422, body: `{"message":"bad header: token ${token}"}` }],
      ["a 500 page quoting it", { status: 500, body: `<pre>Authorization: token ${token}</pre>` }],
      ["a 200 of the wrong shape quoting it", { status: 200, body: `{"number":"${token}"}` }],
      ["a 200 that is not JSON", { status: 200, body: `${token} <html>` }]
    ] as const
  ) {
    it.effect(`${name}: not in the message, the hint, the cause or String(error)`, () =>
      Effect.gen(function*() {
        const { fake, tracker } = yield* setup({ issues: [issue(1)] }, { token })
        yield* fake.inject({ path: /\/issues\/1$/, method: "GET", times: 9, ...fault })
        const fiber = yield* Effect.fork(Effect.flip(tracker.getIssue(repo, 1)))
        yield* TestClock.adjust("1 minute")
        const error = yield* Fiber.join(fiber)
        assert.notInclude(Renderings.everyRendering(error), token)
        assert.notInclude(Renderings.everyRendering(error), token.slice(0, 10))
      }))
  }
})
