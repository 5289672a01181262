/**
 * Rate-limit and fault handling through the real `fetch` stack (`FetchHttpClient`) with msw 2 answering,
 * so headers and bodies arrive as Node's fetch delivers them. Waits are real, and one second long.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@effect/vitest"
import { Domain } from "afk-core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { http, HttpResponse } from "msw"
import { setupServer } from "msw/node"
import * as GithubAuth from "../src/GithubAuth.js"
import * as GithubClient from "../src/GithubClient.js"
import * as GithubTracker from "../src/GithubTracker.js"

const server = setupServer()
let hits = 0

beforeAll(() => server.listen({ onUnhandledRequest: "error" }))
afterEach(() => {
  server.resetHandlers()
  hits = 0
})
afterAll(() => server.close())

const url = "https://api.github.com/repos/octo/hello/issues/7"
const repo = Domain.repo("octo/hello")
const issue = {
  number: 7,
  title: "T",
  body: "B",
  state: "open",
  html_url: "u",
  repository_url: "https://api.github.com/repos/octo/hello",
  user: { login: "a" },
  labels: []
}

const tracker = GithubTracker.make().pipe(
  Effect.provide(
    GithubClient.layer({ auth: GithubAuth.token("t"), maxWait: "5 seconds" }).pipe(Layer.provide(FetchHttpClient.layer))
  )
)

/** Answers with `first` once, then with the issue. */
const onceThen = (first: () => Response) =>
  server.use(
    http.get(url, () => {
      hits++
      return hits === 1 ? first() : HttpResponse.json(issue)
    })
  )

describe("GitHub faults over real fetch (msw)", () => {
  it.live("a 429 with Retry-After: 1 is retried once and succeeds", () =>
    Effect.gen(function*() {
      onceThen(() => HttpResponse.json({ message: "slow down" }, { status: 429, headers: { "retry-after": "1" } }))
      const found = yield* Effect.flatMap(tracker, (t) => t.getIssue(repo, 7))
      expect(found.number).toBe(7)
      expect(hits).toBe(2)
    }))

  it.live("a secondary-limit 403 with Retry-After: 1 is retried once and succeeds", () =>
    Effect.gen(function*() {
      onceThen(() =>
        HttpResponse.json(
          { message: "You have exceeded a secondary rate limit" },
          { status: 403, headers: { "retry-after": "1" } }
        )
      )
      yield* Effect.flatMap(tracker, (t) => t.getIssue(repo, 7))
      expect(hits).toBe(2)
    }))

  it.live("a truncated JSON body is a transient TrackerError, sent once", () =>
    Effect.gen(function*() {
      onceThen(
        () => new HttpResponse("{\"number\": 7, \"title\": \"tru", { headers: { "content-type": "application/json" } })
      )
      const error = yield* Effect.flip(Effect.flatMap(tracker, (t) => t.getIssue(repo, 7)))
      expect(error).toMatchObject({ _tag: "TrackerError", transient: true })
      expect(hits).toBe(1)
    }))

  it.live("a 422 is sent once", () =>
    Effect.gen(function*() {
      onceThen(() => HttpResponse.json({ message: "Validation Failed" }, { status: 422 }))
      const error = yield* Effect.flip(Effect.flatMap(tracker, (t) => t.getIssue(repo, 7)))
      expect(error).toMatchObject({ status: 422, transient: false })
      expect(hits).toBe(1)
    }))
})
