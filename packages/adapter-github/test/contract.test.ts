/**
 * Contract tests: every request the adapter sends is validated by Prism against GitHub's own OpenAPI
 * description (a subset cut at test time). Prism reports any mismatch in the `sl-violations` header.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Domain, PullRequests } from "afk-core"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { generateKeyPairSync } from "node:crypto"
import * as GithubAuth from "../src/GithubAuth.js"
import * as GithubCi from "../src/GithubCi.js"
import * as GithubClient from "../src/GithubClient.js"
import * as GithubPullRequests from "../src/GithubPullRequests.js"
import * as GithubTracker from "../src/GithubTracker.js"
import * as Prism from "./prism.js"

interface Violation {
  readonly location: ReadonlyArray<string>
  readonly message: string
}

interface Seen {
  readonly method: string
  readonly path: string
  readonly status: number
  readonly violations: ReadonlyArray<Violation>
}

let prism: Prism.Prism
const seen: Array<Seen> = []
/**
 * Answers to ask Prism for (`Prefer: code=…` and/or `example=…`, the spec's own), by method and path suffix;
 * `amend` changes Prism's answer after Prism has checked the request, for an answer the examples do not give.
 */
const preferred: Array<{
  readonly method: string
  readonly suffix: string
  readonly code?: number
  readonly example?: string
  readonly amend?: (body: unknown) => unknown
}> = []

beforeAll(async () => {
  prism = await Prism.start()
  await fetch(`${prism.baseUrl}/repos/o/r/issues/1/events`, { headers: { accept: "application/json" } })
}, 90_000)

afterAll(async () => {
  await prism?.stop()
})

/**
 * Records Prism's verdict on each request, and drops Prism's `Link` header: it is the spec's static
 * example (`https://api.github.com/resource?page=2`), which pagination must not follow (test-peers §1a.3).
 */
const recorder = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(HttpClient.HttpClient, (inner) =>
    HttpClient.make((request, url) => {
      const prefer = preferred.find((p) => p.method === request.method && url.pathname.endsWith(p.suffix))
      const asked = [
        ...(prefer?.code === undefined ? [] : [`code=${prefer.code}`]),
        ...(prefer?.example === undefined ? [] : [`example=${prefer.example}`])
      ]
      return inner.execute(
        asked.length === 0 ? request : HttpClientRequest.setHeader(request, "prefer", asked.join(", "))
      ).pipe(
        Effect.flatMap((response) =>
          Effect.map(response.text, (text) => {
            seen.push({
              method: request.method,
              path: url.pathname,
              status: response.status,
              violations: JSON.parse(response.headers["sl-violations"] ?? "[]") as ReadonlyArray<Violation>
            })
            const { link: _link, ...headers } = response.headers
            const bodyless = response.status === 204 || response.status === 304
            const body = prefer?.amend === undefined ? text : JSON.stringify(prefer.amend(JSON.parse(text)))
            return HttpClientResponse.fromWeb(
              request,
              new Response(bodyless ? null : body, { status: response.status, headers })
            )
          })
        )
      )
    }))
).pipe(Layer.provide(FetchHttpClient.layer))

const clientLayer = (auth: GithubAuth.Auth) =>
  GithubClient.layer({ auth, baseUrl: prism.baseUrl, accept: "application/json", retries: 0 }).pipe(
    Layer.provide(recorder)
  )

const violations = (from: number, side: "request" | "response") =>
  seen
    .slice(from)
    .flatMap((entry) =>
      entry.violations.filter((v) => v.location[0] === side).map((v) => `${entry.method} ${entry.path}: ${v.message}`)
    )

const requestViolations = (from: number) => violations(from, "request")

/** The spec's path for a request path; a trailing `{ref}` (`heads/afk/12-r1`) spans segments, as GitHub's does. */
const template = (path: string): string | undefined =>
  Prism.paths.find((candidate) =>
    new RegExp(`^${candidate.replace(/\{ref\}$/, ".+").replace(/\{[^}]+\}/g, "[^/]+")}$`).test(path)
  )

const repo = Domain.repo("octo/hello")
const token = GithubAuth.token("ghp_contract")

describe("contract: the adapter's requests against GitHub's OpenAPI description (Prism)", () => {
  // GitHub's only example issue in the list is a pull request, so the adapter's filter leaves nothing.
  it.live("every Tracker operation sends requests the description accepts", () =>
    Effect.gen(function*() {
      const from = seen.length
      const tracker = yield* GithubTracker.make().pipe(Effect.provide(clientLayer(token)))
      expect(yield* tracker.listOpenIssues(repo, "afk")).toEqual([])
      expect((yield* tracker.getIssue(repo, 1347)).title).toBe("Found a bug")
      yield* tracker.labelEvents(repo, 1347)
      expect((yield* tracker.listComments(repo, 1347))[0]?.body).toBe("Me too")
      yield* tracker.addLabel(repo, 1347, "agent-in-progress")
      yield* tracker.removeLabel(repo, 1347, "agent in progress/π")
      const comment = yield* tracker.postComment(repo, 1347, "Picked this up")
      yield* tracker.editComment(repo, comment.id, "Checklist")
      expect((yield* tracker.markComment!(repo, comment.id)).at).toBeDefined()
      yield* tracker.closeIssue(repo, 1347)
      expect(yield* tracker.isTrusted(repo, "some-collaborator")).toBe(true)
      expect(yield* tracker.whoami).toBe("octocat")
      const calls = seen.slice(from)
      expect(calls.map((c) => `${c.method} ${template(c.path)}`)).toEqual([
        "GET /repos/{owner}/{repo}/issues",
        "GET /repos/{owner}/{repo}/issues/{issue_number}",
        "GET /repos/{owner}/{repo}/issues/{issue_number}/events",
        "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
        "POST /repos/{owner}/{repo}/issues/{issue_number}/labels",
        "DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}",
        "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
        "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}",
        "POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
        "GET /repos/{owner}/{repo}/issues/{issue_number}",
        "PATCH /repos/{owner}/{repo}/issues/{issue_number}",
        "GET /repos/{owner}/{repo}/collaborators/{username}/permission",
        "GET /user"
      ])
      expect(calls.every((c) => c.status < 300)).toBe(true)
      expect(requestViolations(from)).toEqual([])
      // Prism also checks its own answers: GitHub's example for this endpoint lacks `user.role_name`.
      expect(violations(from, "response")).toEqual([
        "GET /repos/octo/hello/collaborators/some-collaborator/permission: Response body property user must have required property 'role_name'"
      ])
    }))

  // The root listing (`…/contents/` with an empty `{path}`) is GitHub's example directory, which has no `.afk.json`.
  it.live("policyFile lists the root directory with a valid request; no .afk.json there is none", () =>
    Effect.gen(function*() {
      const from = seen.length
      preferred.push({ method: "GET", suffix: "/contents/", example: "response-if-content-is-a-directory" })
      const tracker = yield* GithubTracker.make().pipe(Effect.provide(clientLayer(token)))
      const read = yield* Effect.either(tracker.policyFile!(repo))
      preferred.splice(0)
      expect(read).toEqual(Either.right(Option.none()))
      expect(seen.slice(from).map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual([
        "GET /repos/octo/hello/contents/ 200"
      ])
      expect(requestViolations(from)).toEqual([])
      expect(violations(from, "response")).toEqual([])
    }))

  // With `.afk.json` added to that listing, the file is read. GitHub's example file answer is a file whose
  // `content` is not valid base64 (a cut README), so the adapter reads the answer's shape and refuses the
  // content, naming why; the fake serves real files (conformance).
  it.live("policyFile reads the file the root lists at the default branch with a valid request", () =>
    Effect.gen(function*() {
      const from = seen.length
      preferred.push({
        method: "GET",
        suffix: "/contents/",
        example: "response-if-content-is-a-directory",
        amend: (body) => {
          const entries = body as ReadonlyArray<Record<string, unknown>>
          return [...entries, { ...entries[0], name: ".afk.json", path: ".afk.json" }]
        }
      })
      const tracker = yield* GithubTracker.make().pipe(Effect.provide(clientLayer(token)))
      const error = yield* Effect.flip(tracker.policyFile!(repo))
      preferred.splice(0)
      expect(error).toMatchObject({
        operation: "policyFile",
        transient: false,
        detail: ".afk.json in octo/hello could not be decoded (base64 of UTF-8 text expected)"
      })
      expect(seen.slice(from).map((c) => `${c.method} ${c.path}`)).toEqual([
        "GET /repos/octo/hello/contents/",
        "GET /repos/octo/hello/contents/.afk.json"
      ])
      expect(template(seen.slice(from)[1]!.path)).toBe("/repos/{owner}/{repo}/contents/{path}")
      expect(requestViolations(from)).toEqual([])
      expect(violations(from, "response")).toEqual([])
    }))

  it.live("the Ci operation (statuses, check runs, check suites, required checks, deployment) sends valid requests", () =>
    Effect.gen(function*() {
      const from = seen.length
      const ci = yield* GithubCi.make({ deploymentEnvironment: "production" }).pipe(Effect.provide(clientLayer(token)))
      const verdict = yield* ci.verdict(repo, "6dcb09b5b57875f334f61aebed695e2e4193db5e", {
        required: [],
        deploy: ["deployment/production"]
      })
      // GitHub's example branch protection requires continuous-integration/travis-ci, which its example
      // commit never reported: every other check passed, so the verdict waits for that one.
      expect(verdict.checks.map((c) => [c.name, c.state])).toEqual([
        ["continuous-integration/jenkins", "success"],
        ["security/brakeman", "success"],
        ["mighty_readme", "success"],
        ["deployment/production", "success"],
        ["continuous-integration/travis-ci", "pending"]
      ])
      expect(verdict.state).toBe("pending")
      expect(verdict.deployed).toBe(true)
      expect(
        seen
          .slice(from)
          .map((c) => `${c.method} ${template(c.path)}`)
          .sort()
      ).toEqual([
        "GET /repos/{owner}/{repo}",
        "GET /repos/{owner}/{repo}/branches/{branch}/protection/required_status_checks",
        "GET /repos/{owner}/{repo}/commits/{ref}/check-runs",
        "GET /repos/{owner}/{repo}/commits/{ref}/check-suites",
        "GET /repos/{owner}/{repo}/commits/{ref}/status",
        "GET /repos/{owner}/{repo}/deployments",
        "GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
        "GET /repos/{owner}/{repo}/rules/branches/{branch}"
      ])
      expect(requestViolations(from)).toEqual([])
    }))

  it.live("every PullRequests operation sends requests the description accepts", () =>
    Effect.gen(function*() {
      const from = seen.length
      const pulls = yield* GithubPullRequests.make().pipe(Effect.provide(clientLayer(token)))
      // GitHub's example list holds #1347 from new-topic, a branch of the repository it merges into.
      const found = yield* pulls.findOpen(repo, "new-topic")
      expect(Option.map(found, (pull) => [pull.number, pull.head, pull.base])).toEqual(
        Option.some([1347, "new-topic", "master"])
      )
      const opened = yield* pulls.open(repo, { head: "new-topic", title: "Amazing new feature", body: "Please pull" })
      expect(opened).toMatchObject({ number: 1347, state: "open", author: "octocat" })
      const pull = yield* pulls.get(repo, 1347)
      expect(pull).toMatchObject({
        state: "open",
        headSha: "6dcb09b5b57875f334f61aebed695e2e4193db5e",
        mergeable: true
      })
      const reviews = yield* pulls.reviews(repo, 1347)
      expect(reviews.map((review) => [review.id, review.author, review.state])).toEqual([["80", "octocat", "approved"]])
      const merged = yield* pulls.merge(repo, 1347, { sha: pull.headSha, method: "squash", title: "Amazing (#1347)" })
      expect(merged).toEqual({ _tag: "Merged", sha: "6dcb09b5b57875f334f61aebed695e2e4193db5e" })
      yield* pulls.deleteBranch(repo, "afk/12-r1")
      const calls = seen.slice(from)
      expect(calls.map((c) => `${c.method} ${template(c.path)}`)).toEqual([
        "GET /repos/{owner}/{repo}/pulls",
        "GET /repos/{owner}/{repo}",
        "POST /repos/{owner}/{repo}/pulls",
        "GET /repos/{owner}/{repo}/pulls/{pull_number}",
        "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews",
        "GET /repos/{owner}/{repo}/pulls/{pull_number}/comments",
        "PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge",
        "GET /repos/{owner}/{repo}",
        "DELETE /repos/{owner}/{repo}/git/refs/{ref}"
      ])
      expect(calls.at(-1)?.path).toBe("/repos/octo/hello/git/refs/heads/afk/12-r1")
      expect(calls.every((c) => c.status < 300)).toBe(true)
      expect(requestViolations(from)).toEqual([])
      // Prism also checks its own answers: GitHub's examples lack fields the adapter never reads.
      expect([...new Set(violations(from, "response").map((v) => v.replace(/^\S+ \S+: /, "")))]).toEqual([
        "Response body property 0.requested_teams.0 must have required property 'type'",
        "Response body must have required property 'language'",
        "Response body property source must have required property 'language'",
        "Response body property requested_teams.0 must have required property 'type'"
      ])
    }))

  it.live("GitHub's own refusals (its 409, 405 and 422 answers) become merge refusals and an adopted pull request", () =>
    Effect.gen(function*() {
      const from = seen.length
      const pulls = yield* GithubPullRequests.make().pipe(Effect.provide(clientLayer(token)))
      const options = { sha: "6dcb09b5b57875f334f61aebed695e2e4193db5e", method: "merge", title: "t" } as const
      preferred.push({ method: "PUT", suffix: "/merge", code: 409 })
      expect(yield* pulls.merge(repo, 1347, options)).toEqual({
        _tag: "Refused",
        refusal: PullRequests.MergeRefusal.HeadMoved({
          detail: "Head branch was modified. Review and try the merge again."
        })
      })
      // GitHub's example pull request is open and mergeable: a 405 on it is a protection refusal.
      preferred.splice(0, 1, { method: "PUT", suffix: "/merge", code: 405 })
      expect(yield* pulls.merge(repo, 1347, options)).toEqual({
        _tag: "Refused",
        refusal: PullRequests.MergeRefusal.Blocked({ detail: "Pull Request is not mergeable" })
      })
      preferred.splice(0, 1, { method: "PUT", suffix: "/merge", code: 422 })
      expect(yield* pulls.merge(repo, 1347, options)).toMatchObject({ _tag: "Refused", refusal: { _tag: "Blocked" } })
      preferred.splice(0, 1)
      expect(seen.slice(from).map((c) => `${c.method} ${template(c.path)} ${c.status}`)).toEqual([
        "PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge 409",
        "PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge 405",
        "GET /repos/{owner}/{repo}/pulls/{pull_number} 200",
        "PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge 422"
      ])
      expect(requestViolations(from)).toEqual([])
    }))

  it.live("GitHub App auth (installation token exchange, app identity) sends valid requests", () =>
    Effect.gen(function*() {
      const from = seen.length
      const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 })
      const app = GithubAuth.app({
        appId: "1",
        installationId: "42",
        privateKey: Redacted.make(privateKey.export({ type: "pkcs1", format: "pem" }).toString())
      })
      const tracker = yield* GithubTracker.make().pipe(Effect.provide(clientLayer(app)))
      yield* tracker.getIssue(repo, 1347)
      expect(yield* tracker.whoami).toBe("octoapp[bot]")
      expect(seen.slice(from).map((c) => `${c.method} ${template(c.path)}`)).toEqual([
        "POST /app/installations/{installation_id}/access_tokens",
        "GET /repos/{owner}/{repo}/issues/{issue_number}",
        "GET /app"
      ])
      expect(requestViolations(from)).toEqual([])
    }))

  it.live("a GitHub App without an installation id finds the repository's installation with valid requests", () =>
    Effect.gen(function*() {
      const from = seen.length
      const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 })
      const app = GithubAuth.app({
        appId: "1",
        privateKey: Redacted.make(privateKey.export({ type: "pkcs1", format: "pem" }).toString())
      })
      const client = yield* GithubClient.GithubClient.pipe(Effect.provide(clientLayer(app)))
      const tracker = yield* GithubTracker.make().pipe(Effect.provideService(GithubClient.GithubClient, client))
      yield* tracker.getIssue(repo, 1347)
      const installation = yield* Option.getOrThrow(client.app).installation(repo)
      expect(installation).toMatchObject({ id: "1", account: "github", repositorySelection: "all" })
      expect(yield* Option.getOrThrow(client.app).info).toMatchObject({ id: 1, slug: "octoapp", name: "Octocat App" })
      expect(seen.slice(from).map((c) => `${c.method} ${template(c.path)}`)).toEqual([
        "GET /repos/{owner}/{repo}/installation",
        "POST /app/installations/{installation_id}/access_tokens",
        "GET /repos/{owner}/{repo}/issues/{issue_number}",
        "GET /repos/{owner}/{repo}/installation",
        "GET /app"
      ])
      expect(requestViolations(from)).toEqual([])
    }))

  it.live("a malformed request is caught (422 with sl-violations) and sent only once", () =>
    Effect.gen(function*() {
      const from = seen.length
      const client = yield* GithubClient.GithubClient.pipe(Effect.provide(clientLayer(token)))
      const call = { operation: "addLabel", permission: "Issues: write" }
      const error = yield* Effect.flip(
        client.sendVoid(call, "POST", GithubClient.repoPath(repo, "issues", 5, "labels"), { labels: "bug" })
      )
      expect(error).toMatchObject({ status: 422, transient: false })
      expect(requestViolations(from)).toContain(
        "POST /repos/octo/hello/issues/5/labels: Request body property labels must be array"
      )
      const badQuery = yield* Effect.flip(
        client.get(call, GithubClient.repoPath(repo, "issues"), Schema.Unknown, { state: "bogus" })
      )
      expect(badQuery.status).toBe(422)
      expect(seen.slice(from)).toHaveLength(2)
    }))
})
