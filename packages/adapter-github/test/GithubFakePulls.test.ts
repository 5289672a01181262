/**
 * The fake's pull requests on the wire, as GitHub answers them: its refusals word for word (the adapter acts
 * on them), the issue a pull request also is, and a merge that pins the head.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { GithubFake } from "../src/testing/index.js"
import { repo, seed } from "./support.js"

const head = "1111111111111111111111111111111111111111"

const answer = (fake: GithubFake.GithubFake, method: "GET" | "POST" | "PUT" | "DELETE", path: string, body?: unknown) =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const request = HttpClientRequest.make(method)(`${fake.baseUrl}/repos/octo/hello${path}`).pipe(
      HttpClientRequest.setHeader("authorization", "Bearer t"),
      (plain) => (body === undefined ? plain : HttpClientRequest.bodyUnsafeJson(plain, body))
    )
    const response = yield* client.execute(request)
    const text = yield* response.text
    return { status: response.status, body: text === "" ? undefined : (JSON.parse(text) as unknown) }
  }).pipe(Effect.provide(fake.layer))

const setup = () => {
  const fake = GithubFake.make()
  fake.seed(seed(2))
  fake.pushBranch(repo, "afk/1-r1", head)
  return fake
}

const create = { title: "t", head: "afk/1-r1", base: "main", body: "b", maintainer_can_modify: false }

describe("GithubFake: pull requests", () => {
  it.effect("a pull request is also an issue, numbered after the last one, listed by the issues endpoint", () =>
    Effect.gen(function*() {
      const fake = setup()
      const created = yield* answer(fake, "POST", "/pulls", create)
      expect(created).toMatchObject({
        status: 201,
        body: { number: 3, state: "open", merged: false, mergeable: true, head: { ref: "afk/1-r1", sha: head } }
      })
      const issue = yield* answer(fake, "GET", "/issues/3")
      expect(issue.body).toMatchObject({ pull_request: {}, title: "t", user: { login: "afk-bot" } })
    }))

  it.effect("refuses a duplicate and a missing head with GitHub's validation payloads", () =>
    Effect.gen(function*() {
      const fake = setup()
      yield* answer(fake, "POST", "/pulls", create)
      expect(yield* answer(fake, "POST", "/pulls", create)).toMatchObject({
        status: 422,
        body: {
          message: "Validation Failed",
          errors: [{
            resource: "PullRequest",
            code: "custom",
            message: "A pull request already exists for octo:afk/1-r1."
          }]
        }
      })
      expect(yield* answer(fake, "POST", "/pulls", { ...create, head: "gone" })).toMatchObject({
        status: 422,
        body: { message: "Validation Failed", errors: [{ resource: "PullRequest", field: "head", code: "invalid" }] }
      })
    }))

  it.effect("a merge pins the head (409), refuses a conflict and missing approvals (405), then merges once", () =>
    Effect.gen(function*() {
      const fake = setup()
      yield* answer(fake, "POST", "/pulls", create)
      const merge = (sha: string) => answer(fake, "PUT", "/pulls/3/merge", { sha, merge_method: "squash" })
      expect(yield* merge("f".repeat(40))).toMatchObject({
        status: 409,
        body: { message: "Head branch was modified. Review and try the merge again." }
      })
      fake.setConflict(repo, 3, true)
      expect(yield* merge(head)).toMatchObject({ status: 405, body: { message: "Pull Request is not mergeable" } })
      fake.setConflict(repo, 3, false)
      fake.requireApprovals(repo, 2)
      fake.actAs("alice").review(repo, 3, { state: "APPROVED" })
      expect(yield* merge(head)).toMatchObject({
        status: 405,
        body: { message: "At least 2 approving reviews are required by reviewers with write access." }
      })
      fake.actAs("bob").review(repo, 3, { state: "APPROVED" })
      expect(yield* merge(head), "bob has no write access").toMatchObject({ status: 405 })
      fake.actAs("octo").review(repo, 3, { state: "APPROVED" })
      const merged = yield* merge(head)
      expect(merged).toMatchObject({ status: 200, body: { merged: true } })
      const sha = (merged.body as { sha: string }).sha
      expect(sha).toMatch(/^[0-9a-f]{40}$/)
      expect((yield* answer(fake, "GET", "/pulls/3")).body).toMatchObject({
        state: "closed",
        merged: true,
        merge_commit_sha: sha
      })
      expect(yield* merge(head)).toMatchObject({ status: 405 })
    }))

  it.effect("deleting a ref: 204, then 422 'Reference does not exist'; deleting a head closes its pull request", () =>
    Effect.gen(function*() {
      const fake = setup()
      yield* answer(fake, "POST", "/pulls", create)
      expect(yield* answer(fake, "DELETE", "/git/refs/heads/afk/1-r1")).toEqual({ status: 204, body: undefined })
      expect((yield* answer(fake, "GET", "/pulls/3")).body).toMatchObject({ state: "closed", merged: false })
      expect(yield* answer(fake, "DELETE", "/git/refs/heads/afk/1-r1")).toMatchObject({
        status: 422,
        body: { message: "Reference does not exist" }
      })
    }))
})
