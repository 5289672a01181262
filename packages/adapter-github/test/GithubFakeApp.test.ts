/**
 * The fake's GitHub App side, which must hold the adapter to GitHub's contract: installation tokens cannot
 * ask `GET /user`, act as `<slug>[bot]`, reach only their installation's repositories with its permissions,
 * and the app JWT finds a repository's installation and describes it.
 */
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { generateKeyPairSync } from "node:crypto"
import * as GithubAuth from "../src/GithubAuth.js"
import * as GithubClient from "../src/GithubClient.js"
import { GithubFake } from "../src/testing/index.js"
import { seed } from "./support.js"

const keys = generateKeyPairSync("rsa", { modulusLength: 2048 })
const privateKey = Redacted.make(keys.privateKey.export({ type: "pkcs1", format: "pem" }).toString())

const appFake = (installations: ReadonlyArray<GithubFake.InstallationSeed>) => {
  const fake = GithubFake.make({
    app: { appId: "4242", publicKey: keys.publicKey, slug: "afk", name: "AFK", installations }
  })
  fake.seed(seed(3, "octo/hello"))
  fake.seed(seed(3, "octo/lib"))
  fake.seed(seed(3, "other/tool"))
  return fake
}

const raw = (fake: GithubFake.GithubFake, method: string, path: string, bearer: string, body?: unknown) =>
  Effect.scoped(
    Effect.flatMap(
      fake.client.execute(
        HttpClientRequest.make(method as "GET")(`${fake.baseUrl}${path}`).pipe(
          HttpClientRequest.bearerToken(bearer),
          (request) => (body === undefined ? request : HttpClientRequest.bodyUnsafeJson(request, body))
        )
      ),
      (response) => Effect.map(response.json, (json) => ({ status: response.status, json: json as Answer }))
    )
  )

type Answer = Readonly<Record<string, unknown>> & { readonly token: string }

const jwt = Effect.flatMap(Clock.currentTimeMillis, (now) => GithubAuth.appJwt("4242", privateKey, now))

const mint = (fake: GithubFake.GithubFake, installation: string) =>
  Effect.flatMap(jwt, (token) => raw(fake, "POST", `/app/installations/${installation}/access_tokens`, token))

const Login = Schema.Struct({ user: Schema.Struct({ login: Schema.String }) })

describe("GithubFake: a GitHub App", () => {
  it.effect("an installation token is refused GET /user (403), as GitHub refuses it", () =>
    Effect.gen(function*() {
      const fake = appFake([{ id: "77" }])
      const minted = yield* mint(fake, "77")
      expect(minted.status).toBe(201)
      const user = yield* raw(fake, "GET", "/user", minted.json.token)
      expect(user).toEqual({
        status: 403,
        json: expect.objectContaining({ message: "Resource not accessible by integration" })
      })
    }))

  it.effect("what an installation token writes is authored by <slug>[bot]", () =>
    Effect.gen(function*() {
      const fake = appFake([{ id: "77" }])
      const minted = yield* mint(fake, "77")
      const comment = yield* raw(fake, "POST", "/repos/octo/hello/issues/1/comments", minted.json.token, {
        body: "hello"
      })
      expect(Schema.decodeUnknownSync(Login)(comment.json).user.login).toBe("afk[bot]")
      yield* raw(fake, "POST", "/repos/octo/hello/issues/1/labels", minted.json.token, { labels: ["afk"] })
      const events = fake.world.repos.get("octo/hello")?.issues.get(1)?.events ?? []
      expect(events.at(-1)).toMatchObject({ event: "labeled", actor: "afk[bot]" })
    }))

  it.effect("a token reaches only its installation's repositories (404 elsewhere), within its permissions (403)", () =>
    Effect.gen(function*() {
      const fake = appFake([
        { id: "77", account: "octo", repos: ["octo/hello", "octo/lib"], permissions: { issues: "read" } },
        { id: "78", account: "other" }
      ])
      const token = (yield* mint(fake, "77")).json.token
      expect((yield* raw(fake, "GET", "/repos/octo/lib/issues/1", token)).status).toBe(200)
      expect((yield* raw(fake, "GET", "/repos/other/tool/issues/1", token)).status).toBe(404)
      const write = yield* raw(fake, "POST", "/repos/octo/hello/issues/1/comments", token, { body: "x" })
      expect(write).toEqual({
        status: 403,
        json: expect.objectContaining({ message: "Resource not accessible by integration" })
      })
      expect((yield* raw(fake, "GET", "/repos/octo/hello/commits/abc/check-runs", token)).status).toBe(403)
    }))

  it.effect("the app JWT finds a repository's installation (404 where the app is not installed) and describes it", () =>
    Effect.gen(function*() {
      const fake = appFake([{ id: "77", account: "octo", repos: ["octo/hello"] }])
      const bearer = yield* jwt
      const found = yield* raw(fake, "GET", "/repos/octo/hello/installation", bearer)
      expect(found).toMatchObject({
        status: 200,
        json: {
          id: 77,
          account: { login: "octo" },
          repository_selection: "selected",
          app_slug: "afk",
          permissions: { issues: "write", metadata: "read", checks: "read", statuses: "read" }
        }
      })
      expect((yield* raw(fake, "GET", "/repos/octo/lib/installation", bearer)).status).toBe(404)
      expect((yield* raw(fake, "GET", "/app/installations/77", bearer)).json).toEqual(found.json)
      expect((yield* raw(fake, "GET", "/app", bearer)).json).toMatchObject({ id: 4242, slug: "afk", name: "AFK" })
      const minted = yield* mint(fake, "77")
      expect(minted.json).toMatchObject({
        repository_selection: "selected",
        permissions: { issues: "write", metadata: "read" }
      })
      expect((yield* raw(fake, "GET", "/repos/octo/hello/installation", minted.json.token)).status).toBe(401)
    }))

  it.scoped("minted tokens carry the configured prefix, so tests can search output for them", () =>
    Effect.gen(function*() {
      const fake = GithubFake.make({
        app: { appId: "4242", publicKey: keys.publicKey, slug: "afk", installationId: "77", tokenPrefix: "ghs_KNOWN" }
      })
      fake.seed(seed(1))
      const client = yield* GithubClient.make({
        auth: GithubAuth.app({ appId: "4242", privateKey, installationId: "77" }),
        baseUrl: fake.baseUrl
      }).pipe(Effect.provide(fake.layer))
      yield* client.get({ operation: "t", permission: "Issues: read" }, "/repos/octo/hello/issues/1", Schema.Unknown)
      expect((yield* mint(fake, "77")).json.token).toBe("ghs_KNOWN2")
    }))
})
