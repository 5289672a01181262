import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { generateKeyPairSync } from "node:crypto"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "vitest"
import * as GithubAuth from "../src/GithubAuth.js"
import * as GithubClient from "../src/GithubClient.js"
import * as GithubTracker from "../src/GithubTracker.js"
import { GithubFake, GithubFakeContents } from "../src/testing/index.js"
import { inProcess, repo, seed, sent, trackerOver } from "./support.js"

const scratch = mkdtempSync(join(tmpdir(), "afk-gh-policy-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const withFile = (text: string | undefined) => {
  const fake = GithubFake.make()
  fake.seed({ ...seed(1), policyFile: text })
  return fake
}

const filesOf = (fake: GithubFake.GithubFake) => fake.world.repos.get("octo/hello")!.files

const root = "/repos/octo/hello/contents/"
const file = "/repos/octo/hello/contents/.afk.json"

describe("GithubTracker.policyFile", () => {
  it.effect("an unchanged file is read again with a conditional request that costs no point", () =>
    Effect.gen(function*() {
      const fake = withFile("{ \"fixForwardMaxAttempts\": 2 }")
      const tracker = yield* trackerOver(fake)
      expect(yield* tracker.policyFile!(repo)).toEqual(Option.some("{ \"fixForwardMaxAttempts\": 2 }"))
      fake.resetCounters()
      expect(yield* tracker.policyFile!(repo)).toEqual(Option.some("{ \"fixForwardMaxAttempts\": 2 }"))
      expect(fake.counters()).toEqual({ requests: 1, points: 0, notModified: 1 })
      expect(fake.log.at(-1)).toMatchObject({ path: file, status: 304 })
    }))

  it.effect("a present file is read with the root listing and then the file, and its text returned", () =>
    Effect.gen(function*() {
      const fake = withFile("{ \"instructions\": \"ok\" }")
      const tracker = yield* trackerOver(fake)
      fake.resetCounters()
      expect(yield* tracker.policyFile!(repo)).toEqual(Option.some("{ \"instructions\": \"ok\" }"))
      expect(sent(fake)).toEqual([`GET ${root}`, `GET ${file}`])
      expect(fake.counters()).toEqual({ requests: 2, points: 2, notModified: 0 })
    }))

  it.effect("no file is none, and reading it again is one 304 that costs no point", () =>
    Effect.gen(function*() {
      const fake = withFile(undefined)
      filesOf(fake).set("README.md", "# hello")
      const tracker = yield* trackerOver(fake)
      fake.resetCounters()
      expect(yield* tracker.policyFile!(repo)).toEqual(Option.none())
      expect(sent(fake)).toEqual([`GET ${root}`])
      expect(fake.counters()).toEqual({ requests: 1, points: 1, notModified: 0 })
      fake.resetCounters()
      expect(yield* tracker.policyFile!(repo)).toEqual(Option.none())
      expect(fake.counters()).toEqual({ requests: 1, points: 0, notModified: 1 })
      expect(fake.log).toMatchObject([{ path: root, status: 304, conditional: true }])
    }))

  it.effect("a file added later is seen on the next read, and from then on read directly", () =>
    Effect.gen(function*() {
      const fake = withFile(undefined)
      const tracker = yield* trackerOver(fake)
      expect(yield* tracker.policyFile!(repo)).toEqual(Option.none())
      filesOf(fake).set(".afk.json", "{}")
      fake.resetCounters()
      expect(yield* tracker.policyFile!(repo)).toEqual(Option.some("{}"))
      expect(sent(fake)).toEqual([`GET ${root}`, `GET ${file}`])
      // The default branch moves (the root listing changes), the file does not: its own answer is a 304.
      filesOf(fake).set("src/index.ts", "export {}")
      fake.resetCounters()
      expect(yield* tracker.policyFile!(repo)).toEqual(Option.some("{}"))
      expect(fake.log).toMatchObject([{ path: file, status: 304 }])
      expect(fake.counters()).toEqual({ requests: 1, points: 0, notModified: 1 })
    }))

  it.effect("a file deleted costs one 404, then the next reads list the root again, free while it is unchanged", () =>
    Effect.gen(function*() {
      const fake = withFile("{}")
      const tracker = yield* trackerOver(fake)
      expect(yield* tracker.policyFile!(repo)).toEqual(Option.some("{}"))
      filesOf(fake).delete(".afk.json")
      fake.resetCounters()
      expect(yield* tracker.policyFile!(repo)).toEqual(Option.none())
      expect(fake.log).toMatchObject([{ path: file, status: 404 }])
      fake.resetCounters()
      expect(yield* tracker.policyFile!(repo)).toEqual(Option.none())
      expect(fake.log).toMatchObject([{ path: root, status: 200 }])
      fake.resetCounters()
      expect(yield* tracker.policyFile!(repo)).toEqual(Option.none())
      expect(fake.log).toMatchObject([{ path: root, status: 304 }])
      expect(fake.counters().points).toBe(0)
    }))

  it.effect("only `.afk.json` exactly counts: a name differing in case is no file, and is not read", () =>
    Effect.gen(function*() {
      const fake = withFile(undefined)
      filesOf(fake).set(".AFK.json", "{ \"instructions\": \"x\" }")
      filesOf(fake).set(".afk.json.bak", "{}")
      const tracker = yield* trackerOver(fake)
      fake.resetCounters()
      expect(yield* tracker.policyFile!(repo)).toEqual(Option.none())
      expect(sent(fake)).toEqual([`GET ${root}`])
    }))

  it.effect("a fresh process with the cache directory reads an unchanged repository with one 304", () =>
    Effect.gen(function*() {
      const cacheDirectory = mkdtempSync(join(scratch, "cache-"))
      for (const text of [undefined, "{ \"fixForwardMaxAttempts\": 3 }"]) {
        const fake = withFile(text)
        const read = inProcess(fake, { cacheDirectory }, (tracker) => tracker.policyFile!(repo))
        expect(yield* read).toEqual(Option.fromNullable(text))
        fake.resetCounters()
        expect(yield* read).toEqual(Option.fromNullable(text))
        expect(fake.counters()).toEqual({ requests: 1, points: 0, notModified: 1 })
        expect(fake.log).toMatchObject([{ path: text === undefined ? root : file, status: 304 }])
      }
    }))

  it.effect("the cache keeps what the root listing says of the file, not the listing", () =>
    Effect.gen(function*() {
      const cacheDirectory = mkdtempSync(join(scratch, "cache-"))
      const fake = withFile(undefined)
      for (let i = 0; i < 50; i++) filesOf(fake).set(`src-${i}.ts`, `export const n = ${i}`)
      yield* inProcess(fake, { cacheDirectory }, (tracker) => tracker.policyFile!(repo))
      const saved = readFileSync(join(cacheDirectory, "github", "cache.json"), "utf8")
      expect(saved).toContain(`"json":{"listed":false,"whole":true}`)
      expect(saved).not.toContain("src-7.ts")
    }))

  it.effect("a root of 1,000 entries or more may be cut: the file is then read directly", () =>
    Effect.gen(function*() {
      const fake = withFile(undefined)
      // `-` sorts before `.`, so these come first and `.afk.json`, once added, is left out of the listing.
      for (let i = 0; i < GithubFakeContents.maxListed; i++) filesOf(fake).set(`-${String(i).padStart(4, "0")}`, "")
      const tracker = yield* trackerOver(fake)
      fake.resetCounters()
      expect(yield* tracker.policyFile!(repo)).toEqual(Option.none())
      expect(sent(fake)).toEqual([`GET ${root}`, `GET ${file}`])
      expect(fake.log.map((entry) => entry.status)).toEqual([200, 404])
      filesOf(fake).set(".afk.json", "{}")
      fake.resetCounters()
      expect(yield* tracker.policyFile!(repo)).toEqual(Option.some("{}"))
      expect(sent(fake)).toEqual([`GET ${root}`, `GET ${file}`])
      expect(fake.log.map((entry) => entry.status)).toEqual([304, 200])
    }))

  it.effect("a changed file is read anew; a deleted one is none", () =>
    Effect.gen(function*() {
      const fake = withFile("{}")
      const tracker = yield* trackerOver(fake)
      yield* tracker.policyFile!(repo)
      const files = fake.world.repos.get("octo/hello")!.files
      files.set(".afk.json", "{ \"instructions\": \"x\" }")
      expect(yield* tracker.policyFile!(repo)).toEqual(Option.some("{ \"instructions\": \"x\" }"))
      files.delete(".afk.json")
      expect(yield* tracker.policyFile!(repo)).toEqual(Option.none())
    }))

  it.effect("a symlink to a file is that file, as GitHub answers it; read again, it costs no point", () =>
    Effect.gen(function*() {
      const fake = withFile(undefined)
      filesOf(fake).set("config/afk.json", "{ \"instructions\": \"linked\" }")
      filesOf(fake).set(".afk.json", { kind: "symlink", target: "config/afk.json" })
      const tracker = yield* trackerOver(fake)
      expect(yield* tracker.policyFile!(repo)).toEqual(Option.some("{ \"instructions\": \"linked\" }"))
      fake.resetCounters()
      expect(yield* tracker.policyFile!(repo)).toEqual(Option.some("{ \"instructions\": \"linked\" }"))
      expect(fake.counters()).toEqual({ requests: 1, points: 0, notModified: 1 })
      filesOf(fake).set("config/afk.json", "{}")
      expect(yield* tracker.policyFile!(repo)).toEqual(Option.some("{}"))
    }))

  const refusals: ReadonlyArray<readonly [string, (fake: GithubFake.GithubFake) => void, string]> = [
    ["a directory", (fake) => filesOf(fake).set(".afk.json/policy.json", "{}"), "is a directory"],
    [
      "a symlink to no file",
      (fake) => filesOf(fake).set(".afk.json", { kind: "symlink", target: "../elsewhere" }),
      "is a symlink, not a file"
    ],
    [
      "a submodule (a listing types it `file`)",
      (fake) =>
        filesOf(fake).set(".afk.json", {
          kind: "submodule",
          url: "https://github.com/octo/policy.git",
          sha: "0123456789abcdef0123456789abcdef01234567"
        }),
      "is a submodule, not a file"
    ],
    [
      "a file too large to be inlined",
      (fake) => filesOf(fake).set(".afk.json", " ".repeat(GithubFakeContents.maxInlined + 1)),
      "is too large to be read through the contents endpoint"
    ],
    [
      "a file that is not UTF-8",
      (fake) => {
        filesOf(fake).set(".afk.json", "{}")
        const body = JSON.stringify({ type: "file", sha: "f".repeat(40), encoding: "base64", content: "/w==" })
        fake.inject({ status: 200, path: "/contents/.afk.json", body, times: 2 })
      },
      "could not be decoded (base64 of UTF-8 text expected)"
    ]
  ]

  for (const [name, arrange, detail] of refusals) {
    it.effect(`${name} is refused, on every read, the second free of points`, () =>
      Effect.gen(function*() {
        const fake = withFile(undefined)
        arrange(fake)
        const tracker = yield* trackerOver(fake)
        const first = yield* Effect.flip(tracker.policyFile!(repo))
        expect(first.message).toContain(`.afk.json in octo/hello ${detail}`)
        expect(sent(fake).slice(-2)).toEqual([`GET ${root}`, `GET ${file}`])
        fake.resetCounters()
        const second = yield* Effect.flip(tracker.policyFile!(repo))
        expect(second.message).toContain(`.afk.json in octo/hello ${detail}`)
        expect(fake.log).toMatchObject([{ path: file, status: 304 }])
      }))
  }

  it.effect("a GitHub App without Contents: read is refused (403), naming the permission", () =>
    Effect.gen(function*() {
      const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 })
      const fake = GithubFake.make({
        app: {
          appId: "1",
          publicKey,
          slug: "afk",
          installations: [{ id: "7", permissions: { issues: "write", metadata: "read" } }]
        }
      })
      fake.seed({ ...seed(1), policyFile: "{}" })
      const auth = GithubAuth.app({
        appId: "1",
        installationId: "7",
        privateKey: Redacted.make(privateKey.export({ type: "pkcs1", format: "pem" }).toString())
      })
      const tracker = yield* GithubTracker.make().pipe(
        Effect.provide(GithubClient.layer({ auth, baseUrl: fake.baseUrl }).pipe(Layer.provide(fake.layer)))
      )
      const error = yield* Effect.flip(tracker.policyFile!(repo))
      expect(error.status).toBe(403)
      expect(error.message).toContain("Contents: read")
    }))
})
