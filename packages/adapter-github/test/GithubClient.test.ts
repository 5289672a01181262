import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Tracker } from "afk-core"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/TestClock"
import { generateKeyPairSync } from "node:crypto"
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as GithubAuth from "../src/GithubAuth.js"
import * as GithubClient from "../src/GithubClient.js"
import * as GithubForge from "../src/GithubForge.js"
import * as GithubTracker from "../src/GithubTracker.js"
import { GithubFake } from "../src/testing/index.js"
import { repo, seed, sent, trackerOver } from "./support.js"

const keys = generateKeyPairSync("rsa", { modulusLength: 2048 })
const privateKey = Redacted.make(keys.privateKey.export({ type: "pkcs1", format: "pem" }).toString())
const app = GithubAuth.app({ appId: "4242", privateKey, installationId: "77" })

const appFake = () => {
  const fake = GithubFake.make({
    app: { appId: "4242", installationId: "77", publicKey: keys.publicKey, slug: "afk-app" }
  })
  fake.seed(seed(4))
  return fake
}

const scratch = mkdtempSync(join(tmpdir(), "afk-gh-cache-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

describe("GithubClient", () => {
  it.effect("sends GitHub's media type, API version, a User-Agent and the token as Bearer", () =>
    Effect.gen(function*() {
      const fake = GithubFake.make()
      fake.seed(seed(1))
      const seen: Array<Record<string, string>> = []
      const spy = HttpClient.make((request) => {
        seen.push({ ...request.headers })
        return fake.client.execute(request)
      })
      yield* GithubTracker.make().pipe(
        Effect.flatMap((tracker) => tracker.getIssue(repo, 1)),
        Effect.provide(
          GithubClient.layer({ auth: GithubAuth.token("ghp_secret") }).pipe(
            Layer.provide(Layer.succeed(HttpClient.HttpClient, spy))
          )
        )
      )
      expect(seen[0]).toMatchObject({
        accept: "application/vnd.github+json",
        "x-github-api-version": "2022-11-28",
        "user-agent": "afk-adapter-github",
        authorization: "Bearer ghp_secret"
      })
    }))

  it.effect(
    "a GitHub App mints an installation token with a signed JWT, reuses it, and refreshes it 5 minutes early",
    () =>
      Effect.gen(function*() {
        const fake = appFake()
        const tracker = yield* trackerOver(fake, { auth: app })
        yield* tracker.getIssue(repo, 1)
        yield* tracker.getIssue(repo, 2)
        expect(sent(fake)).toEqual([
          "POST /app/installations/77/access_tokens",
          "GET /repos/octo/hello/issues/1",
          "GET /repos/octo/hello/issues/2"
        ])
        yield* TestClock.adjust("54 minutes")
        yield* tracker.getIssue(repo, 3)
        expect(sent(fake).filter((line) => line.startsWith("POST"))).toHaveLength(1)
        yield* TestClock.adjust("2 minutes")
        yield* tracker.getIssue(repo, 4)
        expect(sent(fake).filter((line) => line.startsWith("POST"))).toHaveLength(2)
      })
  )

  it.effect("a GitHub App's identity is <slug>[bot], read with the app JWT", () =>
    Effect.gen(function*() {
      const fake = appFake()
      const tracker = yield* trackerOver(fake, { auth: app })
      expect(yield* tracker.whoami).toBe("afk-app[bot]")
      expect(sent(fake)).toEqual(["GET /app"])
    }))

  it.effect("an unusable private key fails with a hint and never quotes the key", () =>
    Effect.gen(function*() {
      const fake = appFake()
      const broken = GithubAuth.app({
        appId: "4242",
        privateKey: Redacted.make("-----BEGIN NOT A KEY-----"),
        installationId: "77"
      })
      const tracker = yield* trackerOver(fake, { auth: broken })
      const error = yield* Effect.flip(tracker.getIssue(repo, 1))
      expect(error.message).toMatch(/private key could not sign/)
      expect(error.message).not.toContain("NOT A KEY")
      expect(fake.log).toHaveLength(0)
    }))

  it.scoped("refuses to follow a next-page link to another host (the token is not sent there)", () =>
    Effect.gen(function*() {
      const fake = GithubFake.make()
      const foreign = HttpClient.make((request) =>
        fake.client.execute(request).pipe(
          Effect.flatMap((response) =>
            Effect.map(response.text, (text) =>
              HttpClientResponse.fromWeb(
                request,
                new Response(text, {
                  status: response.status,
                  headers: {
                    ...response.headers,
                    link: "<https://evil.test/repos/octo/hello/issues?page=2>; rel=\"next\""
                  }
                })
              ))
          ),
          Effect.orDie
        )
      )
      fake.seed(seed(1))
      const client = yield* GithubClient.make({ auth: GithubAuth.token("t") }).pipe(
        Effect.provide(Layer.succeed(HttpClient.HttpClient, foreign))
      )
      const error = yield* Effect.flip(
        client.list({ operation: "list", permission: "Issues: read" }, "/repos/octo/hello/issues", Schema.Unknown)
      )
      expect(error.detail).toMatch(/points at https:\/\/evil\.test/)
      expect(fake.log).toHaveLength(1)
    }))

  it.effect("the on-disk cache lets a fresh client (the next CLI tick) revalidate for free", () =>
    Effect.gen(function*() {
      const fake = GithubFake.make({ pageSize: 3 })
      fake.seed(seed())
      const directory = join(scratch, "tick")
      const call = { operation: "list", permission: "Issues: read" }
      const list = Effect.scoped(Effect.flatMap(
        GithubClient.make({ auth: GithubAuth.token("t"), cacheDirectory: directory }).pipe(Effect.provide(fake.layer)),
        (client) => client.list(call, "/repos/octo/hello/issues", Schema.Unknown, { labels: "afk" })
      ))
      const first = yield* list
      fake.resetCounters()
      const again = yield* list
      expect(again).toEqual(first)
      expect(again).toHaveLength(8)
      expect(fake.counters()).toEqual({ requests: 3, points: 0, notModified: 3 })
      expect(readdirSync(join(directory, "github"))).toEqual(["cache.json"])
    }))

  it.effect("an unusable cache directory only costs the savings, never the answer", () =>
    Effect.gen(function*() {
      const fake = GithubFake.make({ pageSize: 3 })
      fake.seed(seed())
      const file = join(scratch, "not-a-directory")
      writeFileSync(file, "x")
      const tracker = yield* trackerOver(fake, { cacheDirectory: join(file, "cache") })
      expect(yield* tracker.listOpenIssues(repo, "afk")).toHaveLength(7)
      expect(yield* tracker.listOpenIssues(repo, "afk")).toHaveLength(7)
      expect(fake.counters().notModified).toBe(3)
    }))

  it.scoped("stats count requests, 304s and the last rate-limit headers", () =>
    Effect.gen(function*() {
      const fake = GithubFake.make({ pageSize: 3, rateLimit: 100 })
      fake.seed(seed())
      const client = yield* GithubClient.make({ auth: GithubAuth.token("t") }).pipe(Effect.provide(fake.layer))
      const call = { operation: "list", permission: "Issues: read" }
      yield* client.list(call, "/repos/octo/hello/issues", Schema.Unknown, { labels: "afk" })
      yield* client.list(call, "/repos/octo/hello/issues", Schema.Unknown, { labels: "afk" })
      const stats = yield* client.stats
      expect(stats.requests).toBe(6)
      expect(stats.notModified).toBe(3)
      expect(stats.rateLimit).toMatchObject({ _tag: "Some", value: { limit: 100, remaining: 97 } })
    }))

  it.effect("layerConfig reads the token (Redacted) from configuration; a missing one names the key", () =>
    Effect.gen(function*() {
      const fake = GithubFake.make({ tokens: ["ghp_from_config"] })
      fake.seed(seed(1))
      const layer = GithubForge.layerConfig({
        auth: Config.map(Config.redacted("GITHUB_TOKEN"), GithubAuth.token),
        baseUrl: Config.succeed(fake.baseUrl)
      }).pipe(Layer.provide(fake.layer))
      const login = yield* Effect.flatMap(Tracker.Tracker, (tracker) => tracker.whoami).pipe(
        Effect.provide(layer),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["GITHUB_TOKEN", "ghp_from_config"]])))
      )
      expect(login).toBe("afk-bot")
      const missing = yield* Effect.flip(
        Effect.flatMap(Tracker.Tracker, (tracker) => tracker.whoami).pipe(
          Effect.provide(layer),
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map()))
        )
      )
      expect(String(missing)).toContain("GITHUB_TOKEN")
    }))
})

describe("GithubClient.urlMaker", () => {
  /** What the URL parser makes of the path under the base, with the parameters set in order. */
  const parsed = (base: string, path: string, params: GithubClient.Params) => {
    const url = new URL(`${base}${path}`)
    for (const [key, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(key, String(value))
    return url.toString()
  }
  const bases = [
    "https://api.github.com",
    "https://ghe.example/api/v3",
    "http://127.0.0.1:8080",
    "https://API.GitHub.com",
    "https://api.github.com:443",
    "https://api.github.com/x/../api"
  ]
  const paths = [
    GithubClient.repoPath("org/repo", "issues"),
    GithubClient.repoPath("org/my.repo", "issues", 12, "comments"),
    GithubClient.repoPath("org/.github", "contents", ".afk.json"),
    GithubClient.repoPath("Org/Repo-é", "issues"),
    "/repos/org/repo/../other/issues",
    "/repos/org/repo/./issues",
    "/search/issues?q=x",
    "/user",
    "",
    "/a b/c"
  ]
  const params: ReadonlyArray<GithubClient.Params> = [
    {},
    { labels: "ready-for-agent", state: "open", per_page: 100 },
    { labels: "ready for agent,p1 & more", state: undefined, since: "2026-01-01T00:00:00Z" },
    { q: "repo:org/repo is:open ✓", page: 2 },
    { "a b": "x+y=z", "": "", sort: "!'()~*-._%41", emoji: "😀 \uFFFD" },
    { broken: "\uD800 lone" }
  ]

  it("makes every URL the parser makes, whether or not it joins the path itself", () => {
    for (const base of bases) {
      const urlOf = GithubClient.urlMaker(base)
      for (const path of paths) {
        for (const query of params) expect(urlOf(path, query), `${base} ${path}`).toBe(parsed(base, path, query))
      }
    }
  })
})

describe("GithubClient.attempt", () => {
  const Number_ = Schema.Struct({ number: Schema.Number })
  const call = { operation: "open", permission: "Pull requests: write" }

  const attemptOver = (fake: GithubFake.GithubFake, auth: GithubAuth.Auth = GithubAuth.token("t")) =>
    GithubClient.make({ auth, baseUrl: fake.baseUrl }).pipe(Effect.provide(fake.layer), Effect.scoped)

  it.effect("a 2xx is done with its body, a 204 with none, a listed refusal answered in GitHub's words", () =>
    Effect.gen(function*() {
      const fake = GithubFake.make()
      fake.seed(seed(2))
      fake.pushBranch(repo, "afk/1-r1", "1".repeat(40))
      const client = yield* attemptOver(fake)
      const body = { title: "t", head: "afk/1-r1", base: "main" }
      const created = yield* client.attempt(call, "POST", GithubClient.repoPath(repo, "pulls"), body, Number_, [422])
      expect(created).toMatchObject({ _tag: "Done", status: 201, value: { _tag: "Some", value: { number: 3 } } })
      const duplicate = yield* client.attempt(call, "POST", GithubClient.repoPath(repo, "pulls"), body, Number_, [422])
      expect(duplicate).toEqual({
        _tag: "Refused",
        status: 422,
        message: "Validation Failed",
        errors: [{
          resource: "PullRequest",
          code: "custom",
          message: "A pull request already exists for octo:afk/1-r1."
        }]
      })
      const deleted = yield* client.attempt(
        call,
        "DELETE",
        GithubClient.repoPath(repo, "git", "refs", "heads", "afk", "1-r1"),
        undefined,
        Schema.Unknown,
        [422]
      )
      expect(deleted).toMatchObject({ _tag: "Done", status: 204, value: { _tag: "None" } })
    }))

  it.effect("a refusal not listed fails as any other answer does, with its status", () =>
    Effect.gen(function*() {
      const fake = GithubFake.make()
      fake.seed(seed(2))
      const client = yield* attemptOver(fake)
      const error = yield* Effect.flip(
        client.attempt(call, "POST", GithubClient.repoPath(repo, "pulls"), { title: "t" }, Number_, [405])
      )
      expect(error).toMatchObject({ operation: "open", status: 422, transient: false })
    }))

  it.effect("as a GitHub App installation, a listed refusal is answered too", () =>
    Effect.gen(function*() {
      const fake = appFake()
      const client = yield* attemptOver(fake, app)
      const refused = yield* client.attempt(
        call,
        "DELETE",
        GithubClient.repoPath(repo, "git", "refs", "heads", "gone"),
        undefined,
        Schema.Unknown,
        [422]
      )
      expect(refused).toMatchObject({ _tag: "Refused", status: 422, message: "Reference does not exist" })
    }))
})
