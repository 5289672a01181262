/**
 * Contract tests: every request the adapter makes is validated by Prism against Forgejo's own swagger
 * (`contracts/forgejo-v1.json` at the repository root, v15.0.3, provenance in `contracts/README.md`), served
 * under a sub-path (`/git/api/v1`, as a Forgejo with `AppSubUrl = /git` describes itself). Prism's bodies are schema placeholders (`"string"`,
 * `-9007199254740991`), so outcomes are asserted on shape and status, not on values.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Domain } from "afk-core"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import * as ForgejoApi from "../src/ForgejoApi.js"
import * as ForgejoCi from "../src/ForgejoCi.js"
import * as ForgejoClient from "../src/ForgejoClient.js"
import * as ForgejoPullRequests from "../src/ForgejoPullRequests.js"
import * as ForgejoTracker from "../src/ForgejoTracker.js"

const root = fileURLToPath(new URL("../../../", import.meta.url))
const spec = process.env.FORGEJO_SPEC ?? join(root, "contracts/forgejo-v1.json")
const subPath = "/git"
const repo = Domain.repo("acme/widgets")

let prism: ChildProcess | undefined
let scratch = ""
let baseUrl = ""
let prismLog = ""

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(address)))
    })
  })

beforeAll(async () => {
  if (!existsSync(spec)) {
    throw new Error(
      `${spec} is missing: restore contracts/forgejo-v1.json (see contracts/README.md) or set FORGEJO_SPEC`
    )
  }
  const swagger = JSON.parse(readFileSync(spec, "utf8"))
  const prefix = subPath + (swagger.basePath ?? "")
  swagger.paths = Object.fromEntries(Object.entries(swagger.paths).map(([path, item]) => [prefix + path, item]))
  swagger.basePath = "/"
  scratch = mkdtempSync(join(tmpdir(), "afk-forgejo-prism-"))
  const prepared = join(scratch, "forgejo-v1.prism.json")
  writeFileSync(prepared, JSON.stringify(swagger))
  const port = await freePort()
  const cli = join(root, "node_modules/@stoplight/prism-cli/dist/index.js")
  const child = spawn(process.execPath, [cli, "mock", "-h", "127.0.0.1", "-p", String(port), "-v", "warn", prepared], {
    stdio: ["ignore", "pipe", "pipe"]
  })
  prism = child
  child.stdout?.on("data", (chunk) => (prismLog += chunk))
  child.stderr?.on("data", (chunk) => (prismLog += chunk))
  for (let attempt = 0;; attempt++) {
    if (child.exitCode !== null) throw new Error(`Prism exited with ${child.exitCode}: ${prismLog}`)
    if (attempt > 240) throw new Error(`Prism did not answer within 60 s: ${prismLog}`)
    const answered = await fetch(`http://127.0.0.1:${port}/`).then(
      () => true,
      () => false
    )
    if (answered) break
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  baseUrl = `http://127.0.0.1:${port}${subPath}/api/v1`
}, 90_000)

afterAll(async () => {
  const child = prism
  if (child !== undefined && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once("exit", resolve))
    child.kill("SIGTERM")
    await exited
  }
  if (scratch !== "") rmSync(scratch, { recursive: true, force: true })
})

interface Seen {
  readonly method: string
  readonly path: string
  readonly status: number
  readonly violations: string | undefined
}

/** The adapter over `FetchHttpClient`, every answer recorded with Prism's `sl-violations` header. */
const harness = (options: Partial<ForgejoClient.Options> = {}) =>
  Effect.gen(function*() {
    const seen: Array<Seen> = []
    const http = (yield* HttpClient.HttpClient).pipe(
      HttpClient.tap((response) =>
        Effect.sync(() => {
          const url = new URL(response.request.url)
          seen.push({
            method: response.request.method,
            path: url.pathname.slice(`${subPath}/api/v1`.length),
            status: response.status,
            violations: response.headers["sl-violations"]
          })
        })
      )
    )
    const config = { baseUrl, token: Redacted.make("contract-test-token"), ...options }
    const provide = Effect.provideService(HttpClient.HttpClient, http)
    const ownClient = <A>(port: Effect.Effect<A, never, ForgejoClient.ForgejoClient>) =>
      provide(Effect.provide(port, ForgejoClient.layer(config)))
    const tracker = yield* ownClient(ForgejoTracker.make())
    const ci = yield* ownClient(ForgejoCi.make())
    const prs = yield* ownClient(ForgejoPullRequests.make())
    const client = yield* provide(ForgejoClient.make(config))
    return { tracker, ci, prs, client, seen }
  }).pipe(Effect.provide(FetchHttpClient.layer))

const conforming = (seen: ReadonlyArray<Seen>, expected: ReadonlyArray<string>) => {
  for (const request of seen) {
    assert.isUndefined(request.violations, `${request.method} ${request.path}: ${request.violations}`)
    assert.isTrue(
      request.status >= 200 && request.status < 300,
      `${request.method} ${request.path} → ${request.status}`
    )
  }
  assert.deepStrictEqual(
    seen.map((request) => `${request.method} ${request.path}`),
    expected
  )
}

const live = <A, E>(effect: Effect.Effect<A, E>) => Effect.either(effect).pipe(Effect.provide(FetchHttpClient.layer))

describe("Forgejo swagger contract (Prism)", () => {
  it.effect("policyFile: one GET of the contents endpoint; Prism's placeholder type is refused as not a file", () =>
    Effect.gen(function*() {
      const { tracker, seen } = yield* harness()
      const read = yield* live(tracker.policyFile!(repo))
      assert.isTrue(
        Either.isLeft(read) && read.left.detail.includes(".afk.json in acme/widgets is a string, not a file")
      )
      conforming(seen, ["GET /repos/acme/widgets/contents/.afk.json"])
    }))

  it.effect("whoami: GET /user", () =>
    Effect.gen(function*() {
      const { tracker, seen } = yield* harness()
      assert.isTrue(Either.isRight(yield* live(tracker.whoami)))
      conforming(seen, ["GET /user"])
    }))

  it.effect("listOpenIssues: settings, then the issue list with state, labels, type, page and limit", () =>
    Effect.gen(function*() {
      const { tracker, seen } = yield* harness()
      const listed = yield* live(tracker.listOpenIssues(repo, "afk:ready"))
      assert.isTrue(Either.isRight(listed) && Array.isArray(listed.right))
      conforming(seen, ["GET /settings/api", "GET /repos/acme/widgets/issues"])
    }))

  it.effect("getIssue: one GET; Prism's negative placeholder number is refused, not passed on", () =>
    Effect.gen(function*() {
      const { tracker, seen } = yield* harness()
      const found = yield* live(tracker.getIssue(repo, 5))
      assert.isTrue(Either.isLeft(found) && found.left.detail.includes("cannot use"))
      conforming(seen, ["GET /repos/acme/widgets/issues/5"])
    }))

  it.effect("labelEvents: timeline pages (Prism repeats its page, so paging stops at maxPages with an error)", () =>
    Effect.gen(function*() {
      const { tracker, seen } = yield* harness({ maxPages: 3 })
      const history = yield* live(tracker.labelEvents(repo, 5))
      assert.isTrue(Either.isLeft(history) && history.left.detail.includes("more pages after 3"))
      const timeline = "GET /repos/acme/widgets/issues/5/timeline"
      conforming(seen, ["GET /settings/api", timeline, timeline, timeline])
    }))

  it.effect("lastEdit: the issue and its timeline pages (Prism repeats its page, so paging stops at maxPages)", () =>
    Effect.gen(function*() {
      const { tracker, seen } = yield* harness({ maxPages: 2 })
      const edit = yield* live(tracker.lastEdit(repo, 5))
      assert.isTrue(Either.isLeft(edit) && edit.left.detail.includes("more pages after 2"))
      const timeline = "GET /repos/acme/widgets/issues/5/timeline"
      conforming([...seen].sort((a, b) => a.path.localeCompare(b.path)), [
        "GET /repos/acme/widgets/issues/5",
        timeline,
        timeline,
        "GET /settings/api"
      ])
    }))

  it.effect("listComments: the comment list, without paging parameters the operation does not declare", () =>
    Effect.gen(function*() {
      const { tracker, seen } = yield* harness()
      const comments = yield* live(tracker.listComments(repo, 5))
      assert.isTrue(Either.isRight(comments) && comments.right.length === 1)
      conforming(seen, ["GET /settings/api", "GET /repos/acme/widgets/issues/5/comments"])
    }))

  it.effect("addLabel of a label the repo lacks: list, refresh, create with a colour, add by id", () =>
    Effect.gen(function*() {
      const { tracker, seen } = yield* harness()
      assert.isTrue(Either.isRight(yield* live(tracker.addLabel(repo, 5, "afk:ready"))))
      conforming(seen, [
        "GET /settings/api",
        "GET /repos/acme/widgets/labels",
        "POST /repos/acme/widgets/labels",
        "POST /repos/acme/widgets/issues/5/labels"
      ])
    }))

  it.effect("removeLabel: DELETE by id; a label the repo lacks sends no DELETE", () =>
    Effect.gen(function*() {
      const { tracker, seen } = yield* harness()
      assert.isTrue(Either.isRight(yield* live(tracker.removeLabel(repo, 5, "string"))))
      assert.isTrue(Either.isRight(yield* live(tracker.removeLabel(repo, 5, "absent"))))
      conforming(seen, [
        "GET /settings/api",
        "GET /repos/acme/widgets/labels",
        "DELETE /repos/acme/widgets/issues/5/labels/-9007199254740991",
        "GET /repos/acme/widgets/labels"
      ])
    }))

  it.effect("postComment, editComment and closeIssue", () =>
    Effect.gen(function*() {
      const { tracker, seen } = yield* harness()
      const posted = yield* live(tracker.postComment(repo, 5, "Picked this up"))
      assert.isTrue(Either.isRight(posted) && typeof posted.right.author === "string")
      assert.isTrue(Either.isRight(yield* live(tracker.editComment(repo, "7", "Checklist"))))
      assert.isTrue(Either.isRight(yield* live(tracker.closeIssue(repo, 5))))
      conforming(seen, [
        "POST /repos/acme/widgets/issues/5/comments",
        "PATCH /repos/acme/widgets/issues/comments/7",
        "PATCH /repos/acme/widgets/issues/5"
      ])
    }))

  it.effect("markComment: a reaction on the comment", () =>
    Effect.gen(function*() {
      const { tracker, seen } = yield* harness()
      const marked = yield* live(tracker.markComment!(repo, "7"))
      assert.isTrue(Either.isRight(marked) && typeof marked.right.created === "boolean")
      conforming(seen, ["POST /repos/acme/widgets/issues/comments/7/reactions"])
    }))

  it.effect("isTrusted: the collaborator permission endpoint; an unknown permission is not trust", () =>
    Effect.gen(function*() {
      const { tracker, seen } = yield* harness()
      const trusted = yield* live(tracker.isTrusted(repo, "maintainer"))
      assert.isTrue(Either.isRight(trusted) && trusted.right === false)
      conforming(seen, ["GET /repos/acme/widgets/collaborators/maintainer/permission"])
    }))

  it.effect("Ci verdict: the combined status and the status list", () =>
    Effect.gen(function*() {
      const { ci, seen } = yield* harness()
      const sha = "f69e3dcc0b1e6a4c2d7e9f8a1b2c3d4e5f6a7b8c"
      const verdict = yield* live(ci.verdict(repo, sha, { required: [], deploy: [] }))
      assert.isTrue(Either.isRight(verdict) && verdict.right.state === "pending")
      conforming(
        [...seen].sort((a, b) => a.path.localeCompare(b.path)),
        [
          `GET /repos/acme/widgets/commits/${sha}/status`,
          `GET /repos/acme/widgets/commits/${sha}/statuses`,
          "GET /settings/api"
        ]
      )
    }))

  const head = "afk/7-r1"
  const headPath = "afk%2F7-r1"

  it.effect("findOpen: the repository's default branch, the pull request for base and head, then the open list", () =>
    Effect.gen(function*() {
      const { prs, seen } = yield* harness()
      const found = yield* live(prs.findOpen(repo, head))
      // Prism's placeholder state ("string") is not open, so the open list is read too, and matches nothing.
      assert.isTrue(Either.isRight(found) && Option.isNone(found.right))
      conforming(seen, [
        "GET /repos/acme/widgets",
        `GET /repos/acme/widgets/pulls/string/${headPath}`,
        "GET /settings/api",
        "GET /repos/acme/widgets/pulls"
      ])
    }))

  it.effect("open: the default branch, then POST /pulls with head, base, title and body", () =>
    Effect.gen(function*() {
      const { prs, seen } = yield* harness()
      const opened = yield* live(prs.open(repo, { head, title: "Fix #7", body: "Closes #7" }))
      assert.isTrue(Either.isLeft(opened) && opened.left.detail.includes("cannot use"))
      conforming(seen, ["GET /repos/acme/widgets", "POST /repos/acme/widgets/pulls"])
    }))

  it.effect("open's check of a 404: GET of the head branch", () =>
    Effect.gen(function*() {
      const { client, seen } = yield* harness()
      const found = yield* live(ForgejoApi.branch(client, repo, head))
      assert.isTrue(Either.isRight(found) && typeof found.right.name === "string")
      conforming(seen, [`GET /repos/acme/widgets/branches/${headPath}`])
    }))

  it.effect("get: one GET of the pull request", () =>
    Effect.gen(function*() {
      const { prs, seen } = yield* harness()
      const read = yield* live(prs.get(repo, 5))
      assert.isTrue(Either.isLeft(read) && read.left.detail.includes("cannot use"))
      conforming(seen, ["GET /repos/acme/widgets/pulls/5"])
    }))

  it.effect("reviews: the review list (Prism's placeholder state is dropped), and a review's comments", () =>
    Effect.gen(function*() {
      const { client, prs, seen } = yield* harness()
      const reviews = yield* live(prs.reviews(repo, 5))
      assert.isTrue(Either.isRight(reviews) && reviews.right.length === 0)
      const comments = yield* live(ForgejoApi.reviewComments(client, repo, 5, 3))
      assert.isTrue(Either.isRight(comments) && comments.right.length === 1)
      conforming(seen, [
        "GET /settings/api",
        "GET /repos/acme/widgets/pulls/5/reviews",
        "GET /settings/api",
        "GET /repos/acme/widgets/pulls/5/reviews/3/comments"
      ])
    }))

  it.effect("merge: POST /merge with the method, head_commit_id and title, then the merge commit read back", () =>
    Effect.gen(function*() {
      const { prs, seen } = yield* harness()
      const sha = "f69e3dcc0b1e6a4c2d7e9f8a1b2c3d4e5f6a7b8c"
      const merged = yield* live(prs.merge(repo, 5, { sha, method: "squash", title: "Fix #7 (#5)" }))
      assert.isTrue(Either.isLeft(merged) && merged.left.detail.includes("cannot use"))
      conforming(seen, ["POST /repos/acme/widgets/pulls/5/merge", "GET /repos/acme/widgets/pulls/5"])
    }))

  it.effect("deleteBranch: the default branch, then DELETE of the branch", () =>
    Effect.gen(function*() {
      const { prs, seen } = yield* harness()
      assert.isTrue(Either.isRight(yield* live(prs.deleteBranch(repo, head))))
      conforming(seen, ["GET /repos/acme/widgets", `DELETE /repos/acme/widgets/branches/${headPath}`])
    }))

  it.effect("a deliberately malformed request gets 422 with violations, sent once", () =>
    Effect.gen(function*() {
      const { client, seen } = yield* harness()
      const noColour = HttpClientRequest.post("/repos/acme/widgets/labels").pipe(
        HttpClientRequest.bodyUnsafeJson({ name: "afk:ready" })
      )
      const refused = yield* live(client.send({ operation: "POST /repos/{o}/{r}/labels" }, noColour))
      assert.isTrue(Either.isLeft(refused) && refused.left.status === 422 && !refused.left.transient)
      assert.strictEqual(seen.length, 1)
      assert.strictEqual(seen[0]?.status, 422)
      assert.include(seen[0]?.violations ?? "", "color")
    }))
})
