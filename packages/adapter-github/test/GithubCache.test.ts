/**
 * The cache file: one per directory, read at first use and written whole when its client's scope closes,
 * pruned, a miss when it cannot be read. It never decides trust: the directory is private (0700, the file
 * 0600) and refused, with one warning, when anyone else could write to it; answers that decide trust or
 * identity and every memo not marked durable stay in memory, so a file planted in the directory — with the
 * ETag GitHub would confirm — changes nothing.
 */
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import { createHash } from "node:crypto"
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as GithubCache from "../src/GithubCache.js"
import * as GithubClient from "../src/GithubClient.js"
import * as GithubCodec from "../src/GithubCodec.js"
import { GithubFake } from "../src/testing/index.js"
import { inProcess, repo, seed, token } from "./support.js"

const scratch = mkdtempSync(join(tmpdir(), "afk-gh-private-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))
let made = 0
const fresh = () => join(scratch, `cache-${made++}`)

const cacheFile = (root: string) => join(root, "github", GithubCache.fileName)

const readCache = (root: string): GithubCache.File => JSON.parse(readFileSync(cacheFile(root), "utf8"))

/** A cache file as another user with write access to the directory would leave it. */
const plant = (root: string, file: Partial<GithubCache.File>) => {
  mkdirSync(join(root, "github"), { recursive: true, mode: 0o700 })
  const whole = { format: GithubCache.format, answers: {}, memos: {}, ...file }
  writeFileSync(cacheFile(root), JSON.stringify(whole), { mode: 0o600 })
}

/** A stored entry of `schema`, used now, as a writer of the file would keep it. */
/** The shape `GithubTrust` keeps a refusal in (a planted file must match it to be read at all). */
const Refusal = Schema.Struct({
  until: Schema.Number,
  etag: Schema.optional(Schema.String),
  since: Schema.optional(Schema.Number)
})

const stored = <A, I>(schema: Schema.Schema<A, I>, tag: string, json: unknown) => ({
  tag,
  shape: GithubCodec.stored(schema).shape,
  usedAt: Date.now(),
  json
})

/** Runs `effect` and returns what it logged at warning level, one string per line. */
const warnings = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    const logger = Logger.make(({ logLevel, message }) => {
      if (logLevel._tag === "Warning") lines.push((Array.isArray(message) ? message : [message]).join(" "))
    })
    const value = yield* Effect.provide(effect, Logger.replace(Logger.defaultLogger, logger))
    return { value, lines }
  })

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8)

const Item = Schema.Struct({ number: Schema.Number, title: Schema.String })
const Page = Schema.Array(Item)
const page = [{ number: 1, title: "one" }, { number: 2, title: "two" }]
const url = "https://api.github.com/repos/octo/hello/issues?per_page=100"
const answer = { etag: "W/\"1\"", value: page }

/** One process's cache over `root`: made, used by `use`, its file written when `use` ends. */
const session = <A>(
  root: string,
  use: (cache: GithubCache.Cache) => Effect.Effect<A>,
  options: GithubCache.Options = {}
) => Effect.scoped(Effect.flatMap(GithubCache.make({ directory: root, ...options }), use))

describe("GithubCache: one private file", () => {
  it.effect("one file in the directory's github folder, created 0700, the file 0600, read back by the next process", () =>
    Effect.gen(function*() {
      const root = fresh()
      yield* session(root, (cache) => cache.set(url, Page, answer))
      const folder = join(root, "github")
      expect([modeOf(root), modeOf(folder)]).toEqual(["700", "700"])
      expect(readdirSync(folder)).toEqual([GithubCache.fileName])
      expect(modeOf(cacheFile(root))).toBe("600")
      expect(yield* session(root, (cache) => cache.get(url, Page))).toEqual(Option.some(answer))
    }))

  it.effect("keeps what the schema decoded, not the raw body: unknown fields never reach memory or the file", () =>
    Effect.gen(function*() {
      const root = fresh()
      const decoded = Schema.decodeUnknownSync(Page)([{ number: 1, title: "one", body: "x".repeat(10_000) }])
      yield* session(root, (cache) => cache.set(url, Page, { etag: "W/\"1\"", value: decoded }))
      expect(readCache(root).answers[url]?.json).toEqual([{ number: 1, title: "one" }])
    }))

  it.effect("an answer is served only to a read with the schema that decoded it", () =>
    Effect.gen(function*() {
      const root = fresh()
      const Wider = Schema.Array(Schema.Struct({ number: Schema.Number, title: Schema.String, body: Schema.String }))
      yield* session(root, (cache) => cache.set(url, Page, answer))
      const reads = yield* session(root, (cache) => Effect.all([cache.get(url, Wider), cache.get(url, Page)]))
      expect(reads).toEqual([Option.none(), Option.some(answer)])
    }))

  const unreadable = [
    { label: "not JSON", text: "{\"format\": \"afk-github-cache/1\", \"answers\": {" },
    { label: "another format", text: JSON.stringify({ format: "afk-github-cache/0", answers: {}, memos: {} }) },
    { label: "no format at all", text: JSON.stringify([{ url, etag: "W/\"1\"", body: "[]" }]) }
  ]
  for (const c of unreadable) {
    it.effect(`a file that is ${c.label} is a miss, not a crash, and is replaced by a whole one`, () =>
      Effect.gen(function*() {
        const root = fresh()
        mkdirSync(join(root, "github"), { recursive: true, mode: 0o700 })
        writeFileSync(cacheFile(root), c.text, { mode: 0o600 })
        const { lines, value } = yield* warnings(
          session(root, (cache) => Effect.zipLeft(cache.get(url, Page), cache.set(url, Page, answer)))
        )
        expect(value).toEqual(Option.none())
        expect(lines).toEqual([])
        expect(readCache(root).format).toBe(GithubCache.format)
        expect(yield* session(root, (cache) => cache.get(url, Page))).toEqual(Option.some(answer))
      }))
  }

  it.effect("an entry read from the file is validated: what its schema does not name is never served", () =>
    Effect.gen(function*() {
      const root = fresh()
      plant(root, { answers: { [url]: stored(Page, "W/\"1\"", [{ number: 1, title: "one", planted: "x" }]) } })
      const read = yield* session(root, (cache) => cache.get(url, Page))
      expect(read).toEqual(Option.some({ etag: "W/\"1\"", value: [{ number: 1, title: "one" }] }))
      expect(readCache(root).answers[url]?.json).toEqual([{ number: 1, title: "one" }])
    }))

  it.effect("an entry its schema no longer decodes is a miss", () =>
    Effect.gen(function*() {
      const root = fresh()
      plant(root, { answers: { [url]: stored(Page, "W/\"1\"", [{ number: "one" }]) } })
      expect(yield* session(root, (cache) => cache.get(url, Page))).toEqual(Option.none())
    }))

  it.effect("two processes closing at once: the last writer wins and the file is never torn", () =>
    Effect.gen(function*() {
      const root = fresh()
      const big = (n: number) => Array.from({ length: 2_000 }, (_, i) => ({ number: i, title: `writer ${n}` }))
      const writer = (n: number) =>
        session(root, (cache) => cache.set(`${url}&w=${n}`, Page, { etag: `W/"${n}"`, value: big(n) }))
      for (let round = 0; round < 5; round++) {
        yield* Effect.all(Array.from({ length: 6 }, (_, n) => writer(n)), { concurrency: "unbounded" })
        const file = readCache(root)
        const keys = Object.keys(file.answers)
        const writers = keys.map((key) => key.replace(/.*&w=/, ""))
        expect(file.format).toBe(GithubCache.format)
        for (const key of keys) expect(file.answers[key]?.json).toEqual(big(Number(key.replace(/.*&w=/, ""))))
        expect(writers.length).toBeGreaterThan(0)
      }
      expect(readdirSync(join(root, "github"))).toEqual([GithubCache.fileName])
      const [first, second] = [yield* Scope.make(), yield* Scope.make()]
      const [a, b] = [first, second].map((scope) => GithubCache.make({ directory: root }).pipe(Scope.extend(scope)))
      const caches = yield* Effect.all([a!, b!])
      yield* caches[0].set(`${url}&by=first`, Page, answer)
      yield* caches[1].set(`${url}&by=second`, Page, answer)
      yield* Scope.close(first, Exit.void)
      yield* Scope.close(second, Exit.void)
      expect(Object.keys(readCache(root).answers).filter((key) => key.includes("&by="))).toEqual([`${url}&by=second`])
    }))

  it.effect("prunes: what was not used for maxIdle is left out, and at most maxEntries, the most recently used", () =>
    Effect.gen(function*() {
      const root = fresh()
      const at = (n: number) => `${url}&page=${n}`
      yield* session(root, (cache) => Effect.forEach([1, 2, 3], (n) => cache.set(at(n), Page, answer)))
      yield* TestClock.adjust("6 days")
      yield* session(root, (cache) => cache.get(at(1), Page))
      yield* TestClock.adjust("2 days")
      yield* session(root, (cache) => cache.set(at(4), Page, answer))
      expect(Object.keys(readCache(root).answers)).toEqual([at(1), at(4)])
      yield* session(root, (cache) => Effect.forEach([5, 6], (n) => cache.set(at(n), Page, answer)), { maxEntries: 3 })
      expect(Object.keys(readCache(root).answers)).toEqual([at(4), at(5), at(6)])
    }))

  it.effect("a file that cannot be written is logged once; the answers stay in memory", () =>
    Effect.gen(function*() {
      const root = fresh()
      mkdirSync(cacheFile(root), { recursive: true, mode: 0o700 })
      const { lines, value } = yield* warnings(
        session(root, (cache) => Effect.zipRight(cache.set(url, Page, answer), cache.get(url, Page)))
      )
      expect(value).toEqual(Option.some(answer))
      expect(lines).toHaveLength(1)
      expect(lines[0]).toContain("could not write to the cache directory")
      expect(lines[0]).toContain("memory only")
    }))

  it.effect("per-URL files an earlier version left are removed once the single file is written", () =>
    Effect.gen(function*() {
      const root = fresh()
      const folder = join(root, "github")
      mkdirSync(folder, { recursive: true, mode: 0o700 })
      const former = `${createHash("sha256").update(url).digest("hex").slice(0, 40)}.json`
      writeFileSync(join(folder, former), "{}", { mode: 0o600 })
      writeFileSync(join(folder, "notes.txt"), "mine", { mode: 0o600 })
      yield* session(root, (cache) => cache.set(url, Page, answer))
      expect(readdirSync(folder).sort()).toEqual([GithubCache.fileName, "notes.txt"])
    }))

  const unsafe = [
    { label: "a group-writable directory", root: 0o770, folder: 0o700, file: 0o600, says: "is group-writable" },
    {
      label: "a world-writable github folder",
      root: 0o700,
      folder: 0o777,
      file: 0o600,
      says: "is group- and world-writable"
    },
    { label: "a group-writable file in it", root: 0o700, folder: 0o700, file: 0o664, says: "is group-writable" },
    { label: "one owned by another user", root: 0o700, folder: 0o700, file: 0o600, uid: 4242, says: "owned by uid" }
  ]
  for (const c of unsafe) {
    it.effect(`${c.label} is refused before use: one warning, memory only, nothing read or written`, () =>
      Effect.gen(function*() {
        const root = fresh()
        const folder = join(root, "github")
        const planted = "https://api.github.com/planted"
        plant(root, { answers: { [planted]: stored(Page, "W/\"1\"", page) } })
        const before = readFileSync(cacheFile(root), "utf8")
        chmodSync(cacheFile(root), c.file)
        chmodSync(folder, c.folder)
        chmodSync(root, c.root)
        const { lines, value } = yield* warnings(session(root, (cache) =>
          Effect.gen(function*() {
            const read = yield* cache.get(planted, Page)
            yield* cache.set(url, Page, answer)
            yield* cache.set(`${url}&page=2`, Page, answer)
            return { read, kept: yield* cache.get(url, Page) }
          }), c.uid === undefined ? {} : { uid: c.uid }))
        expect(value.read).toEqual(Option.none())
        expect(Option.isSome(value.kept)).toBe(true)
        expect(readdirSync(folder)).toEqual([GithubCache.fileName])
        expect(readFileSync(cacheFile(root), "utf8")).toBe(before)
        expect(lines).toHaveLength(1)
        expect(lines[0]).toContain(`refusing the cache directory ${root}`)
        expect(lines[0]).toContain(c.says)
        expect(lines[0]).toContain("another user could plant answers")
        expect(lines[0]).toContain("memory only")
        expect(lines[0]).toMatch(/chmod go-w|chown/)
      }))
  }
})

/** GitHub's `ETag` for `path` as the bot reads it: what an attacker who can read it too would plant. */
const etagOf = (fake: GithubFake.GithubFake, path: string) =>
  Effect.map(
    Effect.orDie(fake.client.execute(
      HttpClientRequest.get(`${fake.baseUrl}${path}`).pipe(
        HttpClientRequest.bearerToken("ghp_test_token_value")
      )
    )),
    (response) => response.headers.etag ?? ""
  )

describe("GithubClient: the cache never decides trust", () => {
  const world = () => {
    const fake = GithubFake.make({ tokens: ["ghp_test_token_value"] })
    fake.seed(seed(4))
    return fake
  }

  it.effect("who the bot is and who is trusted are never written to the cache file; a refusal is, as a refusal", () =>
    Effect.gen(function*() {
      const fake = world()
      const root = fresh()
      yield* inProcess(fake, { cacheDirectory: root }, (tracker) =>
        Effect.gen(function*() {
          expect(yield* tracker.whoami).toBe("afk-bot")
          expect(yield* tracker.isTrusted(repo, "mallory")).toBe(false)
          expect(yield* tracker.isTrusted(repo, "alice")).toBe(true)
          yield* tracker.listOpenIssues(repo, "afk")
        }))
      const file = readCache(root)
      expect(Object.keys(file.answers).length).toBeGreaterThan(0)
      expect(Object.keys(file.answers).filter((key) => /\/user$|\/collaborators\//.test(key))).toEqual([])
      expect(Object.keys(file.memos).filter((key) => !key.startsWith("list "))).toEqual([
        `untrusted ${repo} mallory`,
        `refused-in ${repo}`
      ])
      expect(file.memos[`untrusted ${repo} mallory`]).toMatchObject({ tag: "untrusted", json: { until: 10 * 60_000 } })
    }))

  it.effect("a planted file (the bot is mallory, mallory is an admin, alice refused) changes nothing", () =>
    Effect.gen(function*() {
      const fake = world()
      const root = fresh()
      const permission = `/repos/${repo}/collaborators/mallory/permission`
      const User = Schema.Struct({ login: Schema.String })
      const Permission = Schema.Struct({ permission: Schema.String, role_name: Schema.optional(Schema.String) })
      const forged = {
        [`${fake.baseUrl}/user`]: stored(User, yield* etagOf(fake, "/user"), { login: "mallory" }),
        [`${fake.baseUrl}${permission}`]: stored(Permission, yield* etagOf(fake, permission), {
          permission: "admin",
          role_name: "admin"
        })
      }
      const refusal = { [`untrusted ${repo} alice`]: stored(Refusal, "untrusted", { until: Number.MAX_SAFE_INTEGER }) }
      plant(root, { answers: forged, memos: refusal })
      const wellFormed = yield* session(root, (cache) =>
        Effect.all([
          cache.get(`${fake.baseUrl}/user`, User),
          cache.recall(`untrusted ${repo} alice`, "untrusted", Refusal)
        ]))
      expect([Option.isSome(wellFormed[0]), Option.isSome(wellFormed[1])]).toEqual([true, true])
      fake.resetCounters()
      yield* inProcess(fake, { cacheDirectory: root }, (tracker) =>
        Effect.gen(function*() {
          expect(yield* tracker.whoami).toBe("afk-bot")
          expect(yield* tracker.isTrusted(repo, "mallory")).toBe(false)
          expect(yield* tracker.isTrusted(repo, "alice")).toBe(true)
        }))
      expect(fake.log.filter((e) => e.conditional)).toEqual([])
    }))

  it.effect("a planted refusal can only refuse: alice waits at most untrustedTtl, and it lets nobody in", () =>
    Effect.gen(function*() {
      const fake = world()
      const root = fresh()
      plant(root, {
        memos: {
          [`untrusted ${repo} alice`]: stored(Refusal, "untrusted", { until: 5 * 60_000 }),
          [`untrusted ${repo} mallory`]: stored(Refusal, "untrusted", { until: 0 })
        }
      })
      const trusted = (login: string) => inProcess(fake, { cacheDirectory: root }, (t) => t.isTrusted(repo, login))
      expect(yield* trusted("alice")).toBe(false)
      expect(fake.log).toEqual([])
      expect(yield* trusted("mallory")).toBe(false)
      yield* TestClock.adjust("5 minutes")
      expect(yield* trusted("alice")).toBe(true)
      expect(fake.log.map((e) => e.path)).toEqual([
        `/repos/${repo}/collaborators/mallory/permission`,
        `/repos/${repo}/collaborators/alice/permission`
      ])
    }))

  it.effect("a refusal planted with the ETag of a yes keeps its user waiting at most an hour, and lets nobody in", () =>
    Effect.gen(function*() {
      const fake = world()
      const root = fresh()
      const path = `/repos/${repo}/collaborators/alice/permission`
      const yes = yield* Effect.scoped(Effect.flatMap(
        GithubClient.make({ auth: token, baseUrl: fake.baseUrl }).pipe(Effect.provide(fake.layer)),
        (client) => client.getTagged({ operation: "planting", permission: "Metadata: read" }, path, Schema.Unknown)
      ))
      plant(root, {
        memos: {
          [`untrusted ${repo} alice`]: stored(Refusal, "untrusted", {
            until: 1,
            etag: Option.getOrThrow(yes.etag),
            since: 0
          })
        }
      })
      const trusted = () => inProcess(fake, { cacheDirectory: root }, (t) => t.isTrusted(repo, "alice"))
      const asked = () => fake.log.filter((e) => e.path === path).map((e) => (e.conditional ? e.status : "whole"))
      fake.resetCounters()
      yield* TestClock.adjust("1 minute")
      expect(yield* trusted(), "GitHub's 304 confirms the planted answer, which says nothing of what it was").toBe(
        false
      )
      yield* TestClock.adjust("58 minutes")
      expect(yield* trusted()).toBe(false)
      yield* TestClock.adjust("2 minutes")
      expect(yield* trusted(), "an hour after the answer it claims, the permission is read whole").toBe(true)
      expect(asked()).toEqual([304, 304, "whole"])
    }))

  it.effect("a memo lives in its client's memory; a durable one is found by a fresh client sharing the directory", () =>
    Effect.gen(function*() {
      const fake = world()
      const root = fresh()
      const client = <A>(use: (client: GithubClient.Service) => Effect.Effect<A>) =>
        Effect.scoped(Effect.flatMap(
          GithubClient.make({ auth: token, baseUrl: fake.baseUrl, cacheDirectory: root }).pipe(
            Effect.provide(fake.layer)
          ),
          use
        ))
      yield* client((first) =>
        Effect.gen(function*() {
          yield* first.remember("decision", "tag-1", Schema.Boolean, true)
          yield* first.remember("list", "tag-1", Schema.Boolean, true, { durable: true })
          expect(yield* first.recall("decision", "tag-1", Schema.Boolean)).toEqual(Option.some(true))
        })
      )
      const recalled = yield* client((fresh) =>
        Effect.all([
          fresh.recall("decision", "tag-1", Schema.Boolean),
          fresh.recall("decision", "tag-1", Schema.Boolean, { durable: true }),
          fresh.recall("list", "tag-1", Schema.Boolean),
          fresh.recall("list", "tag-1", Schema.Boolean, { durable: true }),
          fresh.recall("list", "tag-2", Schema.Boolean, { durable: true })
        ])
      )
      expect(recalled).toEqual([Option.none(), Option.none(), Option.none(), Option.some(true), Option.none()])
      expect(Object.keys(readCache(root).memos)).toEqual(["list"])
    }))
})
