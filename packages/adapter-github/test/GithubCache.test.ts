/**
 * The cache never decides trust: the cache directory is private (0700, files 0600) and refused, with one
 * warning, when anyone else could write to it; answers that decide trust or identity and every memo stay in
 * memory, so a file planted in the directory — with the ETag GitHub would confirm — changes nothing.
 */
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { createHash } from "node:crypto"
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync
} from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as GithubCache from "../src/GithubCache.js"
import * as GithubClient from "../src/GithubClient.js"
import { GithubFake } from "../src/testing/index.js"
import { repo, seed, token, trackerOver } from "./support.js"

const scratch = mkdtempSync(join(tmpdir(), "afk-gh-private-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))
let made = 0
const fresh = () => join(scratch, `cache-${made++}`)

const fileFor = (folder: string, url: string) =>
  join(folder, `${createHash("sha256").update(url).digest("hex").slice(0, 40)}.json`)

/** A cache file as another user with write access to the directory would leave it. */
const plant = (folder: string, entry: GithubCache.Entry) => {
  mkdirSync(folder, { recursive: true, mode: 0o700 })
  writeFileSync(fileFor(folder, entry.url), JSON.stringify(entry), { mode: 0o600 })
}

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

const entry = (url: string): GithubCache.Entry => ({ url, etag: "W/\"1\"", body: "{}" })

describe("GithubCache: a private directory", () => {
  it.effect("keeps its files in the directory's github folder, created 0700, each file 0600", () =>
    Effect.gen(function*() {
      const root = fresh()
      const cache = yield* GithubCache.make({ directory: root })
      yield* cache.set(entry("https://api.github.com/x"))
      const folder = join(root, "github")
      expect([modeOf(root), modeOf(folder)]).toEqual(["700", "700"])
      expect(readdirSync(folder).map((name) => modeOf(join(folder, name)))).toEqual(["600"])
      const again = yield* GithubCache.make({ directory: root })
      expect(yield* again.get("https://api.github.com/x")).toEqual(Option.some(entry("https://api.github.com/x")))
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
        const planted = entry("https://api.github.com/planted")
        plant(folder, planted)
        chmodSync(fileFor(folder, planted.url), c.file)
        chmodSync(folder, c.folder)
        chmodSync(root, c.root)
        const { lines, value } = yield* warnings(Effect.gen(function*() {
          const cache = yield* GithubCache.make({ directory: root, ...(c.uid === undefined ? {} : { uid: c.uid }) })
          const read = yield* cache.get(planted.url)
          yield* cache.set(entry("https://api.github.com/new"))
          yield* cache.set(entry("https://api.github.com/newer"))
          return { read, kept: yield* cache.get("https://api.github.com/new") }
        }))
        expect(value.read).toEqual(Option.none())
        expect(Option.isSome(value.kept)).toBe(true)
        expect(readdirSync(folder)).toEqual([fileFor(folder, planted.url).slice(folder.length + 1)])
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

  it.effect("who the bot is and who is trusted are never written to the cache directory", () =>
    Effect.gen(function*() {
      const fake = world()
      const root = fresh()
      const tracker = yield* trackerOver(fake, { cacheDirectory: root })
      expect(yield* tracker.whoami).toBe("afk-bot")
      expect(yield* tracker.isTrusted(repo, "mallory")).toBe(false)
      expect(yield* tracker.isTrusted(repo, "alice")).toBe(true)
      yield* tracker.listOpenIssues(repo, "afk")
      const folder = join(root, "github")
      const stored = readdirSync(folder).map((name) =>
        JSON.parse(readFileSync(join(folder, name), "utf8")) as GithubCache.Entry
      )
      expect(stored.length).toBeGreaterThan(0)
      expect(stored.filter((e) => /\/user$|\/collaborators\/|afk-memo/.test(e.url))).toEqual([])
    }))

  it.effect("answers planted with GitHub's own ETags (the bot is mallory, mallory is an admin) change nothing", () =>
    Effect.gen(function*() {
      const fake = world()
      const root = fresh()
      const permission = `/repos/${repo}/collaborators/mallory/permission`
      const fingerprint = createHash("sha256").update("ghp_test_token_value").digest("hex").slice(0, 24)
      const forged = [
        { url: `${fake.baseUrl}/user`, etag: yield* etagOf(fake, "/user"), body: "{\"login\":\"mallory\"}" },
        {
          url: `${fake.baseUrl}${permission}`,
          etag: yield* etagOf(fake, permission),
          body: "{\"permission\":\"admin\",\"role_name\":\"admin\"}"
        },
        {
          url: `afk-memo:whoami ${fake.baseUrl} ${fingerprint}`,
          etag: "identity",
          body: JSON.stringify({ login: "mallory", until: Number.MAX_SAFE_INTEGER })
        }
      ]
      for (const folder of [root, join(root, "github")]) for (const answer of forged) plant(folder, answer)
      fake.resetCounters()
      const tracker = yield* trackerOver(fake, { cacheDirectory: root })
      expect(yield* tracker.whoami).toBe("afk-bot")
      expect(yield* tracker.isTrusted(repo, "mallory")).toBe(false)
      expect(fake.log.filter((e) => e.conditional)).toEqual([])
    }))

  it.effect("memos live in memory: the same client recalls them, a fresh one sharing the directory does not", () =>
    Effect.gen(function*() {
      const fake = world()
      const root = fresh()
      const client = (directory: string) =>
        GithubClient.make({ auth: token, baseUrl: fake.baseUrl, cacheDirectory: directory }).pipe(
          Effect.provide(fake.layer)
        )
      const first = yield* client(root)
      yield* first.remember("decision", "tag-1", Schema.Boolean, true)
      expect(yield* first.recall("decision", "tag-1", Schema.Boolean)).toEqual(Option.some(true))
      expect(yield* (yield* client(root)).recall("decision", "tag-1", Schema.Boolean)).toEqual(Option.none())
      const files = existsSync(root) ? readdirSync(root, { recursive: true }).map(String) : []
      expect(files.filter((name) => name.endsWith(".json"))).toEqual([])
    }))
})
