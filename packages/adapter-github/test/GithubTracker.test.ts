import { describe, expect, it } from "@effect/vitest"
import { Domain } from "afk-core"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { GithubFake } from "../src/testing/index.js"
import { inProcess, repo, seed, sent, trackerOver } from "./support.js"

/** A scratch cache directory, removed with the scope. */
const scratch = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "afk-github-test-"))),
  (directory) => Effect.sync(() => rmSync(directory, { recursive: true, force: true }))
)

const fakeWith = (options: GithubFake.Options = {}) => {
  const fake = GithubFake.make({ pageSize: 3, ...options })
  fake.seed(seed())
  return fake
}

/** A fake whose issue 4 got its `afk` label from mallory, who has no write access. */
const labelledByMallory = () => {
  const fake = GithubFake.make({ pageSize: 3 })
  const base = seed(4)
  const byMallory = { label: "afk", action: "added" as const, actor: "mallory", at: "2026-01-01T00:00:00Z" }
  fake.seed({ ...base, issues: base.issues.map((i) => (i.number === 4 ? { ...i, events: [byMallory] } : i)) })
  return fake
}

describe("GithubTracker over the GitHub fake", () => {
  it.effect("listOpenIssues reads every page, open and labelled only, pull requests left out", () =>
    Effect.gen(function*() {
      const fake = fakeWith()
      const tracker = yield* trackerOver(fake)
      const issues = yield* tracker.listOpenIssues(repo, "afk")
      expect(issues.map((issue) => issue.number)).toEqual([24, 21, 18, 12, 9, 6, 3])
      expect(sent(fake)).toEqual([
        "GET /repos/octo/hello/issues?labels=afk&state=open&per_page=100",
        "GET /repos/octo/hello/issues?labels=afk&state=open&per_page=100&page=2",
        "GET /repos/octo/hello/issues?labels=afk&state=open&per_page=100&page=3"
      ])
    }))

  it.effect("getIssue maps title, body (null → empty), labels, state, author and URL", () =>
    Effect.gen(function*() {
      const tracker = yield* trackerOver(fakeWith())
      const first = yield* tracker.getIssue(repo, 1)
      expect(first).toMatchObject({ number: 1, title: "Issue 1", body: "", labels: ["bug"], state: "open" })
      expect(first.author).toBe("mallory")
      expect(first.url).toBe("https://github.com/octo/hello/issues/1")
      expect((yield* tracker.getIssue(repo, 2)).state).toBe("closed")
    }))

  it.effect("labelEvents returns every page oldest first, with actors", () =>
    Effect.gen(function*() {
      const tracker = yield* trackerOver(fakeWith())
      const events = yield* tracker.labelEvents(repo, 1)
      expect(events).toHaveLength(12)
      expect(events.slice(0, 3).map((e) => [e.label, e.action, e.actor])).toEqual([
        ["afk", "added", "alice"],
        ["bug", "added", "mallory"],
        ["afk", "removed", "alice"]
      ])
      const times = events.map((e) => DateTime.toEpochMillis(e.at))
      expect([...times].sort((a, b) => a - b)).toEqual(times)
    }))

  it.effect("listComments returns every page with author and creation time", () =>
    Effect.gen(function*() {
      const tracker = yield* trackerOver(fakeWith())
      const comments = yield* tracker.listComments(repo, 1)
      expect(comments).toHaveLength(23)
      expect(comments[22]).toMatchObject({ author: "alice", body: "comment 22" })
      expect(DateTime.formatIso(comments[0]!.createdAt)).toBe("2026-01-01T00:00:00.000Z")
    }))

  it.effect("addLabel adds, is a no-op when present, and records the bot as actor", () =>
    Effect.gen(function*() {
      const fake = fakeWith()
      const tracker = yield* trackerOver(fake)
      yield* tracker.addLabel(repo, 1, "agent-in-progress")
      yield* tracker.addLabel(repo, 1, "agent-in-progress")
      expect((yield* tracker.getIssue(repo, 1)).labels).toEqual(["bug", "agent-in-progress"])
      const events = yield* tracker.labelEvents(repo, 1)
      expect(events.filter((e) => e.label === "agent-in-progress").map((e) => e.actor)).toEqual(["afk-bot"])
    }))

  it.effect("addLabel creates a label GitHub refuses as missing, then adds it", () =>
    Effect.gen(function*() {
      const fake = fakeWith({ autoCreateLabels: false })
      const tracker = yield* trackerOver(fake)
      yield* tracker.addLabel(repo, 3, "needs-human")
      expect((yield* tracker.getIssue(repo, 3)).labels).toContain("needs-human")
      expect(sent(fake).slice(0, 3)).toEqual([
        "POST /repos/octo/hello/issues/3/labels",
        "POST /repos/octo/hello/labels",
        "POST /repos/octo/hello/issues/3/labels"
      ])
    }))

  it.effect("removeLabel removes, and an absent label (404) is already gone", () =>
    Effect.gen(function*() {
      const fake = fakeWith()
      const tracker = yield* trackerOver(fake)
      yield* tracker.removeLabel(repo, 3, "afk")
      yield* tracker.removeLabel(repo, 3, "afk")
      expect((yield* tracker.getIssue(repo, 3)).labels).toEqual([])
      expect(fake.log.filter((e) => e.method === "DELETE").map((e) => e.status)).toEqual([200, 404])
    }))

  it.effect("postComment is authored by the bot and editComment replaces its body", () =>
    Effect.gen(function*() {
      const tracker = yield* trackerOver(fakeWith())
      const posted = yield* tracker.postComment(repo, 4, "Picked this up")
      expect(posted).toMatchObject({ author: "afk-bot", body: "Picked this up" })
      yield* tracker.editComment(repo, posted.id, "Checklist: done")
      const comments = yield* tracker.listComments(repo, 4)
      expect(comments.map((c) => [c.id, c.body])).toEqual([[posted.id, "Checklist: done"]])
    }))

  it.effect("closeIssue closes as completed, and leaves an already closed issue alone", () =>
    Effect.gen(function*() {
      const fake = fakeWith()
      const tracker = yield* trackerOver(fake)
      yield* tracker.closeIssue(repo, 3)
      yield* tracker.closeIssue(repo, 2)
      expect((yield* tracker.getIssue(repo, 3)).state).toBe("closed")
      const patches = sent(fake).filter((line) => line.startsWith("PATCH"))
      expect(patches).toEqual(["PATCH /repos/octo/hello/issues/3"])
    }))

  it.effect("isTrusted: owner without a request, write collaborator yes, reader no", () =>
    Effect.gen(function*() {
      const fake = fakeWith()
      const tracker = yield* trackerOver(fake)
      expect(yield* tracker.isTrusted(repo, "Octo")).toBe(true)
      expect(fake.log).toHaveLength(0)
      expect(yield* tracker.isTrusted(repo, "alice")).toBe(true)
      expect(yield* tracker.isTrusted(repo, "mallory")).toBe(false)
    }))

  it.effect("knownUntrusted: only a refusal already kept, never a yes, and never a request", () =>
    Effect.gen(function*() {
      const fake = fakeWith()
      const tracker = yield* trackerOver(fake, { trustTtl: "30 seconds", untrustedTtl: "10 minutes" })
      expect(yield* tracker.knownUntrusted!(repo, "mallory")).toBe(false)
      expect(fake.log).toHaveLength(0)
      yield* tracker.isTrusted(repo, "mallory")
      yield* tracker.isTrusted(repo, "alice")
      expect(yield* tracker.knownUntrusted!(repo, "Mallory")).toBe(true)
      expect(yield* tracker.knownUntrusted!(repo, "alice")).toBe(false)
      // Past the trust TTL the kept refusal still stands, within its own window.
      yield* TestClock.adjust("31 seconds")
      expect(yield* tracker.knownUntrusted!(repo, "mallory")).toBe(true)
      yield* TestClock.adjust("10 minutes")
      expect(yield* tracker.knownUntrusted!(repo, "mallory")).toBe(false)
      expect(fake.log).toHaveLength(2)
    }))

  it.effect("isTrusted caches an answer for the trust TTL only", () =>
    Effect.gen(function*() {
      const fake = fakeWith()
      const tracker = yield* trackerOver(fake, { trustTtl: "30 seconds" })
      yield* tracker.isTrusted(repo, "alice")
      yield* tracker.isTrusted(repo, "alice")
      expect(fake.log).toHaveLength(1)
      yield* TestClock.adjust("31 seconds")
      yield* tracker.isTrusted(repo, "alice")
      expect(fake.log).toHaveLength(2)
    }))

  it.effect("isTrusted: a 404 is untrusted; a 5xx is an error (fail closed), never trusted", () =>
    Effect.gen(function*() {
      const fake = fakeWith()
      const tracker = yield* trackerOver(fake, { retries: 0 })
      fake.inject({ status: 404, path: "/collaborators/ghost/" })
      expect(yield* tracker.isTrusted(repo, "ghost")).toBe(false)
      fake.inject({ status: 502, path: "/collaborators/bob/" })
      const error = yield* Effect.flip(tracker.isTrusted(repo, "bob"))
      expect(error).toMatchObject({ _tag: "TrackerError", operation: "isTrusted", transient: true, status: 502 })
    }))

  it.effect("whoami asks GitHub once and caches the login", () =>
    Effect.gen(function*() {
      const fake = fakeWith()
      const tracker = yield* trackerOver(fake)
      expect(yield* tracker.whoami).toBe("afk-bot")
      expect(yield* tracker.whoami).toBe("afk-bot")
      expect(sent(fake)).toEqual(["GET /user"])
    }))

  it.scoped("a list kept in the cache file comes back whole in a fresh client, its issues sharing label arrays", () =>
    Effect.gen(function*() {
      const fake = GithubFake.make({ pageSize: 3 })
      const base = seed(12)
      fake.seed({
        ...base,
        issues: base.issues.map((i) => (i.number === 6 ? { ...i, labels: ["afk", "bug"], author: "alice" } : i))
      })
      const cacheDirectory = yield* scratch
      const list = inProcess(fake, { cacheDirectory }, (t) => t.listOpenIssues(repo, "afk"))
      const plain = (issues: ReadonlyArray<Domain.Issue>) => issues.map((issue) => ({ ...issue }))
      const first = yield* list
      fake.resetCounters()
      const again = yield* list
      const pages = fake.log.filter((e) => e.path.includes("labels=afk"))
      expect(pages.map((e) => e.status), "read back through 304s: the answer came from the file").toEqual([304, 304])
      expect(plain(again)).toEqual(plain(first))
      const byNumber = new Map(again.map((issue) => [issue.number, issue]))
      expect(byNumber.get(6)).toMatchObject({ labels: ["afk", "bug"], author: "alice" })
      expect(byNumber.get(3)?.labels).toEqual(["afk"])
      expect(byNumber.get(3)?.labels, "one array per label set, not one per issue").toBe(byNumber.get(9)?.labels)
    }))

  it.scoped("fresh clients sharing a cache directory each ask who the bot is: identity is never read from disk", () =>
    Effect.gen(function*() {
      const fake = fakeWith()
      const cacheDirectory = yield* scratch
      const whoami = inProcess(fake, { cacheDirectory }, (tracker) => tracker.whoami)
      expect(yield* whoami).toBe("afk-bot")
      expect(yield* whoami).toBe("afk-bot")
      expect(fake.log.map((e) => `${e.method} ${e.path} ${e.conditional ? "conditional" : "plain"}`)).toEqual([
        "GET /user plain",
        "GET /user plain"
      ])
    }))

  it.scoped("an untrusted answer is remembered for untrustedTtl; a trusted one for trustTtl, by its client only", () =>
    Effect.gen(function*() {
      const fake = fakeWith()
      const cacheDirectory = yield* scratch
      const tracker = yield* trackerOver(fake, { cacheDirectory })
      const fresh = inProcess(fake, { cacheDirectory }, (t) => t.isTrusted(repo, "mallory"))
      const permissionReads = () => sent(fake).filter((line) => line.includes("/collaborators/")).length
      expect(yield* tracker.isTrusted(repo, "mallory")).toBe(false)
      yield* TestClock.adjust("2 minutes")
      expect(yield* tracker.isTrusted(repo, "mallory")).toBe(false)
      expect(permissionReads()).toBe(1)
      expect(yield* fresh).toBe(false)
      expect(permissionReads()).toBe(2)
      expect(yield* tracker.isTrusted(repo, "alice")).toBe(true)
      yield* TestClock.adjust("2 minutes")
      expect(yield* tracker.isTrusted(repo, "alice")).toBe(true)
      expect(permissionReads()).toBe(4)
      yield* TestClock.adjust("11 minutes")
      expect(yield* tracker.isTrusted(repo, "mallory")).toBe(false)
      expect(permissionReads()).toBe(5)
    }))

  it.scoped("a refusal outlives its process: known refused, neither trust nor the body edit is read until untrustedTtl", () =>
    Effect.gen(function*() {
      const fake = labelledByMallory()
      const cacheDirectory = yield* scratch
      const pass = inProcess(
        fake,
        { cacheDirectory },
        (t) => Effect.all([t.labelEvents(repo, 4), t.lastEdit(repo, 4), t.isTrusted(repo, "mallory")])
      )
      const paid = () => fake.log.filter((e) => e.status !== 304).map((e) => `${e.method} ${e.path}`)
      yield* pass
      fake.resetCounters()
      const [, edit, trusted] = yield* pass
      expect(trusted).toBe(false)
      expect(paid()).toEqual([])
      expect(Option.map(edit, (e) => e.editor), "unread, the edit is one by nobody: fail closed").toEqual(
        Option.some(undefined)
      )
      fake.world.repos.get(repo)?.trusted.add("mallory")
      yield* TestClock.adjust("9 minutes")
      expect((yield* pass)[2], "a promotion counts within untrustedTtl, not before").toBe(false)
      yield* TestClock.adjust("2 minutes")
      expect((yield* pass)[2]).toBe(true)
      expect(paid()).toEqual([`GET /repos/${repo}/collaborators/mallory/permission`, "POST /graphql"])
    }))

  it.scoped("a refused backlog stays free past untrustedTtl: a 304 confirms the refusal, the body edit stays unread", () =>
    Effect.gen(function*() {
      const fake = labelledByMallory()
      const cacheDirectory = yield* scratch
      const pass = inProcess(
        fake,
        { cacheDirectory },
        (t) => Effect.all([t.lastEdit(repo, 4), t.isTrusted(repo, "mallory")])
      )
      const permission = `/repos/${repo}/collaborators/mallory/permission`
      yield* pass
      for (const minutes of ["11 minutes", "11 minutes", "11 minutes"] as const) {
        fake.resetCounters()
        yield* TestClock.adjust(minutes)
        const [, trusted] = yield* pass
        expect(trusted).toBe(false)
        expect(fake.log.filter((e) => e.status !== 304).map((e) => `${e.method} ${e.path}`), "no point").toEqual([])
        expect(fake.log.filter((e) => e.path === permission).map((e) => [e.conditional, e.status])).toEqual([[
          true,
          304
        ]])
      }
      fake.world.repos.get(repo)?.trusted.add("mallory")
      fake.resetCounters()
      yield* TestClock.adjust("11 minutes")
      expect((yield* pass)[1], "a promotion counts at the next confirmation").toBe(true)
      expect(fake.log.filter((e) => e.status !== 304).map((e) => `${e.method} ${e.path} ${e.status}`)).toEqual([
        `GET ${permission} 200`,
        "POST /graphql 200"
      ])
    }))

  it.effect("works against a GitHub Enterprise base URL (https://host/api/v3), pages included", () =>
    Effect.gen(function*() {
      const fake = GithubFake.make({ pageSize: 2, baseUrl: "https://ghe.example.test/api/v3" })
      fake.seed(seed())
      const tracker = yield* trackerOver(fake)
      expect(yield* tracker.listOpenIssues(repo, "afk")).toHaveLength(7)
      expect(fake.log).toHaveLength(4)
    }))

  it.effect("a second pass revalidates every page for free (304s); only its first change probe costs a point", () =>
    Effect.gen(function*() {
      const fake = fakeWith()
      const tracker = yield* trackerOver(fake)
      const first = yield* tracker.listOpenIssues(repo, "afk")
      fake.resetCounters()
      const second = yield* tracker.listOpenIssues(repo, "afk")
      expect(second).toEqual(first)
      const pages = fake.log.filter((entry) => entry.path.includes("labels=afk"))
      expect(pages.map((entry) => entry.status)).toEqual([304, 304, 304])
      expect(fake.counters()).toEqual({ requests: 4, points: 1, notModified: 3 })
      yield* tracker.addLabel(repo, 1, "afk")
      fake.resetCounters()
      expect((yield* tracker.listOpenIssues(repo, "afk")).map((i) => i.number)).toContain(1)
      expect(fake.log.every((entry) => entry.conditional)).toBe(true)
      expect(fake.counters().points).toBeGreaterThan(0)
    }))

  it.effect("requests wait for a permit: at most `concurrency` in flight", () =>
    Effect.gen(function*() {
      const fake = fakeWith()
      fake.inject({ status: 429, retryAfter: 5, times: 3 })
      const tracker = yield* trackerOver(fake, { concurrency: 2 })
      const fiber = yield* Effect.fork(
        Effect.all(
          [1, 3, 4].map((n) => tracker.getIssue(repo, n)),
          { concurrency: "unbounded" }
        )
      )
      yield* TestClock.adjust("1 second")
      expect(fake.log).toHaveLength(2)
      yield* TestClock.adjust("5 seconds")
      yield* TestClock.adjust("5 seconds")
      const issues = yield* Fiber.join(fiber)
      expect(issues.map((i) => i.number)).toEqual([1, 3, 4])
      expect(issues.every((i) => i instanceof Domain.Issue)).toBe(true)
    }))
})
