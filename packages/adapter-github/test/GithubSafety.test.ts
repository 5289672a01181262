/**
 * Nothing done twice, no secret in an error: a write marked non-idempotent (a new comment) whose answer is
 * lost after GitHub applied it is never sent again (prior-art §8.13), while idempotent writes keep retrying;
 * and a token GitHub echoes in an error body is redacted from every error (quality R5).
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { describe, expect, it } from "@effect/vitest"
import { Renderings } from "afk-core/testing"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/TestClock"
import { generateKeyPairSync } from "node:crypto"
import * as GithubAuth from "../src/GithubAuth.js"
import * as GithubClient from "../src/GithubClient.js"
import * as GithubTracker from "../src/GithubTracker.js"
import { GithubFake } from "../src/testing/index.js"
import { repo, seed } from "./support.js"

const token = "ghp_KnownSecretTokenValue0123456789abcd"

/** How the answer to an applied request is lost. */
type Loss = "502" | "reset"

/** The fake behind a wire that, for the next scripted requests, applies them and then loses the answer. */
const lossy = (fake: GithubFake.GithubFake, losses: Array<Loss>) =>
  HttpClient.make((request) =>
    Effect.flatMap(fake.client.execute(request), (response) => {
      const loss = losses.shift()
      if (loss === undefined) return Effect.succeed(response)
      if (loss === "502") {
        return Effect.succeed(HttpClientResponse.fromWeb(request, new Response("bad gateway", { status: 502 })))
      }
      const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })
      return Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause: reset }))
    })
  )

const clientOver = (http: HttpClient.HttpClient) =>
  GithubClient.make({ auth: GithubAuth.token(token) }).pipe(Effect.provideService(HttpClient.HttpClient, http))

const newComment: GithubClient.Call = { operation: "postComment", permission: "Issues: write", idempotent: false }
const Comment = Schema.Struct({ id: Schema.Number })
const commentsOf = (number: number) => GithubClient.repoPath(repo, "issues", number, "comments")

const fakeWith = () => {
  const fake = GithubFake.make()
  fake.seed(seed(4))
  return fake
}

const postsTo = (fake: GithubFake.GithubFake, path: string) =>
  fake.log.filter((entry) => entry.method === "POST" && entry.path.startsWith(path)).length

describe("a new comment is never posted twice", () => {
  for (const loss of ["502", "reset"] as const) {
    it.scoped(`§8.13 GitHub applies the POST, then the answer is lost (${loss}): one request, "may have applied"`, () =>
      Effect.gen(function*() {
        const fake = fakeWith()
        const client = yield* clientOver(lossy(fake, [loss, loss, loss, loss, loss]))
        const fiber = yield* Effect.fork(
          Effect.flip(client.send(newComment, "POST", commentsOf(3), { body: "hi" }, Comment))
        )
        yield* TestClock.adjust("1 minute")
        const error = yield* Fiber.join(fiber)
        expect(error).toMatchObject({ _tag: "GithubError", transient: true })
        expect(error.detail).toContain("GitHub may have applied the write")
        expect(error.hint).toContain("not sent again")
        expect(fake.log).toHaveLength(1)
        const tracker = yield* GithubTracker.make().pipe(
          Effect.provide(GithubClient.layer({ auth: GithubAuth.token(token) }).pipe(Layer.provide(fake.layer)))
        )
        expect((yield* tracker.listComments(repo, 3)).map((comment) => comment.body)).toEqual(["hi"])
      }))
  }

  for (
    const [name, fault] of [
      ["a 429 with Retry-After", { status: 429, retryAfter: 7 }],
      ["a secondary-limit 403 with Retry-After", { status: 403, retryAfter: 7 }]
    ] as const
  ) {
    it.scoped(`${name} on the same POST is retried, and the comment is posted once`, () =>
      Effect.gen(function*() {
        const fake = fakeWith()
        fake.inject(fault)
        const client = yield* clientOver(fake.client)
        const fiber = yield* Effect.fork(client.send(newComment, "POST", commentsOf(3), { body: "hi" }, Comment))
        yield* TestClock.adjust("7 seconds")
        yield* Fiber.join(fiber)
        expect(fake.log.map((entry) => entry.status)).toEqual([fault.status, 201])
      }))
  }

  it.scoped("an idempotent write (adding a label) whose answer is lost keeps being retried", () =>
    Effect.gen(function*() {
      const fake = fakeWith()
      const client = yield* clientOver(lossy(fake, ["reset", "502"]))
      const call: GithubClient.Call = { operation: "addLabel", permission: "Issues: write" }
      const fiber = yield* Effect.fork(
        client.sendVoid(call, "POST", GithubClient.repoPath(repo, "issues", 3, "labels"), { labels: ["bug"] })
      )
      yield* TestClock.adjust("1 minute")
      yield* Fiber.join(fiber)
      expect(postsTo(fake, GithubClient.repoPath(repo, "issues", 3, "labels"))).toBe(3)
    }))
})

describe("quality R5: a token GitHub echoes is never quoted", () => {
  for (
    const [name, fault] of [
      ["a 422 quoting the Authorization header", { status: 422, body: `{"message":"bad header: Bearer ${token}"}` }],
      ["a 502 page quoting it", { status: 502, body: `<pre>authorization: Bearer ${token}</pre>`, times: 9 }],
      ["a 200 of the wrong shape quoting it", { status: 200, body: `{"number":"${token}"}` }],
      ["a 200 that is not JSON", { status: 200, body: `${token} <html>` }]
    ] as const
  ) {
    it.effect(`${name}: not in the message, the hint, the cause or String(error)`, () =>
      Effect.gen(function*() {
        const fake = fakeWith()
        fake.inject(fault)
        const tracker = yield* GithubTracker.make().pipe(
          Effect.provide(GithubClient.layer({ auth: GithubAuth.token(token) }).pipe(Layer.provide(fake.layer)))
        )
        const fiber = yield* Effect.fork(Effect.flip(tracker.getIssue(repo, 3)))
        yield* TestClock.adjust("1 minute")
        const error = yield* Fiber.join(fiber)
        expect(error._tag).toBe("TrackerError")
        expect(Renderings.everyRendering(error)).not.toContain(token)
        expect(Renderings.everyRendering(error)).not.toContain(token.slice(0, 10))
      }))
  }

  it.effect("an App installation token echoed in a malformed 200 is redacted too", () =>
    Effect.gen(function*() {
      const keys = generateKeyPairSync("rsa", { modulusLength: 2048 })
      const privateKey = Redacted.make(keys.privateKey.export({ type: "pkcs1", format: "pem" }).toString())
      const fake = GithubFake.make({
        app: { appId: "4242", installationId: "77", publicKey: keys.publicKey, slug: "afk-app" }
      })
      fake.seed(seed(4))
      const installationToken = "ghs_fake1"
      fake.inject({ status: 200, body: `{"number":"${installationToken}"}`, path: "/issues/3" })
      const auth = GithubAuth.app({ appId: "4242", privateKey, installationId: "77" })
      const tracker = yield* GithubTracker.make().pipe(
        Effect.provide(GithubClient.layer({ auth }).pipe(Layer.provide(fake.layer)))
      )
      const error = yield* Effect.flip(tracker.getIssue(repo, 3))
      expect(fake.log.some((entry) => entry.path.endsWith("/access_tokens"))).toBe(true)
      expect(error.message).toMatch(/malformed or unexpected body/)
      expect(Renderings.everyRendering(error)).not.toContain(installationToken)
    }))
})
