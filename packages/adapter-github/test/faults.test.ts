import { describe, expect, it } from "@effect/vitest"
import { Domain } from "afk-core"
import * as Effect from "effect/Effect"
import * as Equal from "effect/Equal"
import * as Fiber from "effect/Fiber"
import * as Hash from "effect/Hash"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/TestClock"
import { GithubFake } from "../src/testing/index.js"
import { repo, seed, sent, trackerOver } from "./support.js"

const fakeWith = () => {
  const fake = GithubFake.make({ pageSize: 3 })
  fake.seed(seed())
  return fake
}

describe("GitHub rate limits and faults", () => {
  it.effect("a 429 with retry-after waits exactly that long, then succeeds", () =>
    Effect.gen(function*() {
      const fake = fakeWith()
      fake.inject({ status: 429, retryAfter: 7 })
      const tracker = yield* trackerOver(fake)
      const fiber = yield* Effect.fork(tracker.getIssue(repo, 3))
      yield* TestClock.adjust("6 seconds")
      expect(fake.log).toHaveLength(1)
      yield* TestClock.adjust("1 second")
      expect((yield* Fiber.join(fiber)).number).toBe(3)
      expect(fake.log.map((e) => e.status)).toEqual([429, 200])
    }))

  it.effect("a secondary-limit 403 with retry-after is waited out, not read as a missing permission", () =>
    Effect.gen(function*() {
      const fake = fakeWith()
      fake.inject({ status: 403, retryAfter: 60 })
      const tracker = yield* trackerOver(fake)
      const fiber = yield* Effect.fork(tracker.addLabel(repo, 3, "agent-in-progress"))
      yield* TestClock.adjust("60 seconds")
      yield* Fiber.join(fiber)
      expect(fake.log.map((e) => e.status)).toEqual([403, 200])
    }))

  it.effect("a primary limit (403, remaining 0) waits until x-ratelimit-reset within the bound", () =>
    Effect.gen(function*() {
      const fake = fakeWith()
      const tracker = yield* trackerOver(fake, { maxWait: "2 hours" })
      yield* tracker.getIssue(repo, 1)
      fake.inject({ status: 403, exhausted: true })
      const fiber = yield* Effect.fork(tracker.getIssue(repo, 3))
      yield* TestClock.adjust("59 minutes")
      expect(fake.log).toHaveLength(2)
      yield* TestClock.adjust("2 minutes")
      expect((yield* Fiber.join(fiber)).number).toBe(3)
      expect(fake.log).toHaveLength(3)
    }))

  it.effect("a wait longer than the bound fails at once with a clear, transient rate-limit error", () =>
    Effect.gen(function*() {
      const fake = fakeWith()
      fake.inject({ status: 429, retryAfter: 3600 })
      const tracker = yield* trackerOver(fake, { maxWait: "1 minute" })
      const error = yield* Effect.flip(tracker.listOpenIssues(repo, "afk"))
      expect(error).toMatchObject({ _tag: "TrackerError", operation: "listOpenIssues", status: 429, transient: true })
      expect(error.hint).toMatch(/rate limit/)
      expect(fake.log).toHaveLength(1)
    }))

  it.effect(
    "§8.13 a 5xx is retried with backoff and, if it persists, reads as transient (unknown), never as gone",
    () =>
      Effect.gen(function*() {
        const fake = fakeWith()
        fake.inject({ status: 502, times: 10 })
        const tracker = yield* trackerOver(fake, { retries: 2 })
        const fiber = yield* Effect.fork(Effect.flip(tracker.getIssue(repo, 3)))
        yield* TestClock.adjust("10 seconds")
        const error = yield* Fiber.join(fiber)
        expect(error).toMatchObject({ _tag: "TrackerError", status: 502, transient: true })
        expect(fake.log).toHaveLength(3)
      })
  )

  it.effect("a 5xx followed by success is invisible to the caller", () =>
    Effect.gen(function*() {
      const fake = fakeWith()
      fake.inject({ status: 503 })
      const tracker = yield* trackerOver(fake)
      const fiber = yield* Effect.fork(tracker.listComments(repo, 1))
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(fiber)).toHaveLength(23)
    }))

  it.effect("a malformed JSON body is a transient error, sent once, and never cached", () =>
    Effect.gen(function*() {
      const fake = fakeWith()
      fake.inject({ status: 200, body: "[{\"number\": 3, \"title\": \"trunc" })
      const tracker = yield* trackerOver(fake)
      const error = yield* Effect.flip(tracker.listOpenIssues(repo, "afk"))
      expect(error).toMatchObject({ _tag: "TrackerError", transient: true })
      expect(error.detail).toMatch(/malformed or unexpected body/)
      expect(fake.log).toHaveLength(1)
      expect(yield* tracker.listOpenIssues(repo, "afk")).toHaveLength(7)
    }))

  it.effect("an issue numbered 0 in a list is a malformed answer (transient), never a defect", () =>
    Effect.gen(function*() {
      const fake = fakeWith()
      const issue = {
        number: 0,
        title: "zero",
        state: "open",
        html_url: "https://github.com/acme/web/issues/0",
        user: { login: "maintainer" },
        labels: [{ name: "afk" }],
        repository_url: "https://api.github.com/repos/acme/web"
      }
      fake.inject({ status: 200, body: JSON.stringify([issue]) })
      const tracker = yield* trackerOver(fake)
      const error = yield* Effect.flip(tracker.listOpenIssues(repo, "afk"))
      expect(error).toMatchObject({ _tag: "TrackerError", transient: true })
      expect(error.detail).toMatch(/malformed or unexpected body/)
    }))

  it.effect("a listed issue equals the plain issue (GitHub's extras not among its fields: not compared, copied, shown or encoded); an unreadable repository_url takes the repo asked", () =>
    Effect.gen(function*() {
      const fake = fakeWith()
      const item = (number: number, repositoryUrl: string) => ({
        number,
        title: `t${number}`,
        body: null,
        state: "open",
        html_url: `https://github.com/acme/web/issues/${number}`,
        user: { login: "maintainer" },
        labels: [{ name: "afk" }],
        updated_at: "2026-01-02T03:04:05Z",
        repository_url: repositoryUrl
      })
      fake.inject({
        status: 200,
        body: JSON.stringify([item(1, "https://api.github.com/repos/Acme/Web"), item(2, "not a repository url")])
      })
      const tracker = yield* trackerOver(fake)
      const [first, second] = yield* tracker.listOpenIssues(repo, "afk")
      const plain = (number: number, name: string) =>
        new Domain.Issue({
          repo: name as Domain.Repo,
          number,
          title: `t${number}`,
          body: "",
          labels: first!.labels,
          state: "open",
          author: "maintainer",
          url: `https://github.com/acme/web/issues/${number}`
        }, true)
      for (const [listed, expected] of [[first!, plain(1, "Acme/Web")], [second!, plain(2, repo)]] as const) {
        expect(listed).toBeInstanceOf(Domain.Issue)
        expect(listed).toEqual(expected)
        expect(Equal.equals(listed, expected)).toBe(true)
        expect(Hash.hash(listed)).toBe(Hash.hash(expected))
        expect(Object.keys(listed)).toEqual(Object.keys(expected))
        expect({ ...listed }).toStrictEqual({ ...expected })
        expect(JSON.stringify(listed)).toBe(JSON.stringify(expected))
        expect(Schema.encodeSync(Domain.Issue)(listed)).toStrictEqual(Schema.encodeSync(Domain.Issue)(expected))
      }
    }))

  for (
    const [status, hint] of [
      [400, undefined],
      [401, /invalid or expired/],
      [404, /not found on GitHub, or not visible to this token/],
      [422, /rejected the request as invalid/]
    ] as const
  ) {
    it.effect(`a ${status} is sent once, never retried`, () =>
      Effect.gen(function*() {
        const fake = fakeWith()
        fake.inject({ status, times: 5 })
        const tracker = yield* trackerOver(fake)
        const error = yield* Effect.flip(tracker.postComment(repo, 3, "hello"))
        expect(error).toMatchObject({ _tag: "TrackerError", operation: "postComment", status, transient: false })
        if (hint !== undefined) expect(error.hint).toMatch(hint)
        expect(fake.log).toHaveLength(1)
      }))
  }

  it.effect("a 403 without retry-after names the missing permission for the operation", () =>
    Effect.gen(function*() {
      const fake = fakeWith()
      fake.inject({ status: 403, body: "{\"message\":\"Resource not accessible by personal access token\"}" })
      const tracker = yield* trackerOver(fake)
      const error = yield* Effect.flip(tracker.addLabel(repo, 3, "afk"))
      expect(error.hint).toContain("\"Issues: write\"")
      expect(error.message).toContain("Resource not accessible by personal access token")
      expect(fake.log).toHaveLength(1)
    }))

  it.effect("a bad token is a 401 whose message says the token is invalid or expired, and never quotes it", () =>
    Effect.gen(function*() {
      const fake = GithubFake.make({ tokens: ["ghp_the_right_one"] })
      fake.seed(seed())
      const tracker = yield* trackerOver(fake)
      const error = yield* Effect.flip(tracker.whoami)
      expect(error.status).toBe(401)
      expect(error.message).toMatch(/invalid or expired/)
      expect(JSON.stringify(error)).not.toContain("ghp_test_token_value")
      expect(String(error.message)).not.toContain("ghp_test_token_value")
    }))

  it.effect("a 404 on the repository says it is not found or not visible to this token", () =>
    Effect.gen(function*() {
      const fake = fakeWith()
      const tracker = yield* trackerOver(fake)
      const error = yield* Effect.flip(tracker.listOpenIssues(Domain.repo("octo/gone"), "afk"))
      expect(error).toMatchObject({ status: 404, operation: "listOpenIssues" })
      expect(error.message).toMatch(/GET \/repos\/octo\/gone\/issues.*not visible to this token/)
      expect(sent(fake)).toHaveLength(1)
    }))
})
