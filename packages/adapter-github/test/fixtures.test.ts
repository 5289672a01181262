/**
 * Recorded api.github.com traffic (`@octokit/fixtures`) replayed in-process through nock 14, which
 * intercepts the `fetch` behind `FetchHttpClient`: real `Link` headers, real rate-limit headers, GitHub's
 * real 422 body. Requests are matched on method, path, query and JSON body; the recorded `accept`,
 * `authorization` and `content-type` are not matched (the recordings use Octokit's older values).
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@effect/vitest"
import { Domain } from "afk-core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import nock from "nock"
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import * as GithubAuth from "../src/GithubAuth.js"
import * as GithubCi from "../src/GithubCi.js"
import * as GithubClient from "../src/GithubClient.js"
import * as GithubTracker from "../src/GithubTracker.js"

interface Recorded {
  readonly scope: string
  readonly method: string
  readonly path: string
  readonly status: number
  readonly headers?: Record<string, string | number>
  readonly reqheaders?: Record<string, string | number>
  readonly [key: string]: unknown
}

const require = createRequire(import.meta.url)

const scenario = (name: string): ReadonlyArray<Recorded> =>
  JSON.parse(
    readFileSync(require.resolve(`@octokit/fixtures/scenarios/api.github.com/${name}/normalized-fixture.json`), "utf8")
  ) as ReadonlyArray<Recorded>

/** Defines the recorded interceptors (optionally with paths rewritten to the adapter's query) and returns them. */
const replay = (recorded: ReadonlyArray<Recorded>, rewrite: (path: string) => string = (path) => path) =>
  nock.define(
    recorded.map(({ headers, reqheaders = {}, ...fixture }) => {
      const {
        "content-length": _length,
        host: _host,
        accept: _accept,
        authorization: _authorization,
        "content-type": _type,
        ...rest
      } = reqheaders
      return {
        ...fixture,
        path: rewrite(fixture.path),
        reqheaders: rest,
        rawHeaders: Object.entries(headers ?? {}).flatMap(([key, value]) => [key, String(value)])
      } as unknown as nock.Definition
    })
  )

const layer = GithubClient.layer({
  auth: GithubAuth.token("0000000000000000000000000000000000000001"),
  retries: 0
}).pipe(Layer.provide(FetchHttpClient.layer))

beforeAll(() => {
  nock.disableNetConnect()
})
afterEach(() => {
  nock.cleanAll()
})
afterAll(() => {
  nock.enableNetConnect()
  nock.restore()
})

const org = "octokit-fixture-org"

describe("recorded GitHub traffic (@octokit/fixtures via nock 14)", () => {
  it.scopedLive("the client follows the recorded Link headers through all 5 pages (13 issues)", () =>
    Effect.gen(function*() {
      const scopes = replay(scenario("paginate-issues"))
      const client = yield* GithubClient.make({
        auth: GithubAuth.token("0000000000000000000000000000000000000001"),
        perPage: 3
      }).pipe(Effect.provide(FetchHttpClient.layer))
      const issues = yield* client.list(
        { operation: "listOpenIssues", permission: "Issues: read" },
        `/repos/${org}/paginate-issues/issues`,
        Schema.Struct({ number: Schema.Number })
      )
      expect(issues.map((issue) => issue.number)).toEqual([13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1])
      expect(scopes.every((scope) => scope.isDone())).toBe(true)
      const stats = yield* client.stats
      expect(stats.requests).toBe(5)
      expect(stats.rateLimit).toMatchObject({ _tag: "Some", value: { limit: 5000, remaining: 4999 } })
    }))

  it.live("listOpenIssues decodes the recorded issues (null bodies, users, labels) across every page", () =>
    Effect.gen(function*() {
      const scopes = replay(
        scenario("paginate-issues"),
        (path) =>
          path.endsWith("/issues?per_page=3") ? path.replace("?per_page=3", "?labels=afk&state=open&per_page=3") : path
      )
      const tracker = yield* GithubTracker.make().pipe(
        Effect.provide(
          GithubClient.layer({ auth: GithubAuth.token("t"), perPage: 3 }).pipe(Layer.provide(FetchHttpClient.layer))
        )
      )
      const issues = yield* tracker.listOpenIssues(Domain.repo(`${org}/paginate-issues`), "afk")
      expect(issues).toHaveLength(13)
      expect(issues[0]).toMatchObject({
        number: 13,
        title: "Test issue 13",
        body: "",
        author: "octokit-fixture-user-a"
      })
      expect(scopes.every((scope) => scope.isDone())).toBe(true)
    }))

  it.live("GitHub's recorded 422 (Validation Failed) is an error with the body quoted, sent once", () =>
    Effect.gen(function*() {
      const scopes = replay(scenario("errors"))
      const client = yield* GithubClient.GithubClient.pipe(Effect.provide(layer))
      const error = yield* Effect.flip(
        client.sendVoid({ operation: "addLabel", permission: "Issues: write" }, "POST", `/repos/${org}/errors/labels`, {
          name: "foo",
          color: "invalid"
        })
      )
      expect(error).toMatchObject({ status: 422, transient: false, operation: "addLabel" })
      expect(error.detail).toContain("Validation Failed")
      expect(error.hint).toMatch(/rejected the request as invalid/)
      expect(scopes.every((scope) => scope.isDone())).toBe(true)
      expect((yield* client.stats).requests).toBe(1)
    }))

  it.live("the recorded combined status (one failure, one success) folds red", () =>
    Effect.gen(function*() {
      const sha = "0000000000000000000000000000000000000001"
      const recorded = scenario("create-status").filter((entry) => entry.path.endsWith("/status"))
      const scopes = replay(recorded, (path) => `${path}?per_page=100`)
      nock("https://api.github.com")
        .get(`/repos/${org}/create-status/commits/${sha}/check-runs`)
        .query({ per_page: "100" })
        .reply(200, { total_count: 0, check_runs: [] })
      const ci = yield* GithubCi.make().pipe(Effect.provide(layer))
      const verdict = yield* ci.verdict(Domain.repo(`${org}/create-status`), sha, { required: [], deploy: [] })
      expect(verdict.checks.map((check) => [check.name, check.state])).toEqual([
        ["example/1", "failure"],
        ["example/2", "success"]
      ])
      expect(verdict.state).toBe("red")
      expect(scopes.every((scope) => scope.isDone())).toBe(true)
    }))
})
