/**
 * afk-cli authenticated as a GitHub App against the loopback GitHub fake: the whole lifecycle as
 * `afk[bot]`, installation tokens renewed across ticks, `doctor`'s report of the App, its installations and
 * permissions, and the configuration mistakes refused with exit 2 — the private key and the installation
 * tokens appearing in no output.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { generateKeyPairSync } from "node:crypto"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import * as Cli from "./support/Cli.js"
import * as World from "./support/World.js"

const noSecret = (label: string, result: Cli.Result) => {
  expect(result.all, `${label} printed a secret`).not.toMatch(/(?<!AFK_WEBHOOK_)SECRET/)
  expect(World.leaksKey(result.all), `${label} printed the private key`).toBe(false)
  expect(result.all, `${label} printed an app JWT`).not.toContain("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9")
}

const issue = (world: World.World, number: number) => world.github.fake.world.repos.get(World.repo)?.issues.get(number)

const commentsOn = (world: World.World, number: number) =>
  (issue(world, number)?.commentIds ?? []).flatMap((id) => world.github.fake.world.comments.get(id) ?? [])

const green = (world: World.World) =>
  world.github.fake.setChecks(World.repo, World.pushed, {
    checkRuns: [{ name: "test", status: "completed", conclusion: "success" }]
  })

const sent = (world: World.World) => world.github.fake.log.map((entry) => `${entry.method} ${entry.path}`)

describe("afk-cli as a GitHub App", () => {
  it.scopedLive("a run as afk[bot]: tick dispatches, the next tick trusts its run record and closes with proof", () =>
    Effect.gen(function*() {
      const world = yield* World.makeApp()
      const first = yield* Cli.run(["tick"], world.env)
      expect(first.code, first.all).toBe(0)
      expect(first.stderr).toContain("acme/app#1: dispatch")
      expect(world.t3.threads()).toHaveLength(1)
      const posted = commentsOn(world, 1)
      expect(posted.length).toBeGreaterThan(0)
      expect(posted.every((comment) => comment.author === "afk[bot]")).toBe(true)
      green(world)
      const second = yield* Cli.run(["tick"], world.env)
      expect(second.code, second.all).toBe(0)
      expect(issue(world, 1)?.state).toBe("closed")
      expect(commentsOn(world, 1).map((comment) => comment.body).join("\n")).toContain(World.pushed.slice(0, 7))
      expect(world.t3.threads()).toHaveLength(1)
      expect(sent(world)).not.toContain("GET /user")
      expect(world.github.fake.log.filter((entry) => entry.status === 401)).toEqual([])
      noSecret("tick", first)
      noSecret("tick", second)
    }))

  it.scopedLive("ticks straddling a token's expiry: the next tick mints a new one and no 401 surfaces", () =>
    Effect.gen(function*() {
      const world = yield* World.makeApp({ tokenLifetimeSeconds: 4 })
      const first = yield* Cli.run(["tick"], world.env)
      expect(first.code, first.all).toBe(0)
      const mints = () => sent(world).filter((line) => line.endsWith("/access_tokens")).length
      expect(mints()).toBe(1)
      yield* Effect.sleep("4500 millis")
      const second = yield* Cli.run(["watch"], world.env)
      expect(second.code, second.all).toBe(0)
      expect(second.stdout).toContain("watch: 1 decision, 0 failures")
      expect(mints()).toBeGreaterThanOrEqual(2)
      expect(world.github.fake.log.filter((entry) => entry.status === 401)).toEqual([])
      noSecret("watch", second)
    }))

  it.scopedLive("doctor reports the App, each repository's installation and its permissions", () =>
    Effect.gen(function*() {
      const lib = { ...World.seed, repo: "acme/lib", issues: [] }
      const world = yield* World.makeApp({
        extraSeeds: [lib],
        installations: [
          { id: "77", account: "acme", repos: [World.repo] },
          { id: "78", account: "acme-labs", repos: ["acme/lib"] }
        ]
      })
      const result = yield* Cli.run(["doctor", "--skip", "slack"], {
        ...world.env,
        AFK_ALLOWLIST: "acme/app,acme/lib"
      })
      expect(result.code, result.all).toBe(0)
      expect(result.stdout).toMatch(/AFK_GITHUB_APP_PRIVATE_KEY\s+<redacted>\s+\(set\)/)
      expect(result.stdout).toContain("authenticated as afk[bot]")
      expect(result.stdout).toContain("ok    github app: AFK (afk, id 4242)")
      expect(result.stdout).toMatch(
        /ok {6}acme\/app: installation 77 on acme \(selected repositories\); permissions: .*checks: read.*issues: write/
      )
      expect(result.stdout).toContain("acme/lib: installation 78 on acme-labs (selected repositories)")
      expect(result.stdout).toContain("acme/lib: readable")
      expect(result.stdout).toContain("No problems found.")
      noSecret("doctor", result)
    }))

  it.scopedLive("doctor fails, with the fix, when an installation lacks a permission the loop needs", () =>
    Effect.gen(function*() {
      const world = yield* World.makeApp({
        installations: [
          { id: "77", account: "acme", repos: [World.repo], permissions: { issues: "write", metadata: "read" } }
        ]
      })
      const result = yield* Cli.run(["doctor", "--skip", "slack"], world.env)
      expect(result.code, result.all).toBe(1)
      expect(result.stdout).toMatch(/FAIL {4}acme\/app: installation 77 on acme .*lacks checks: read, statuses: read/)
      expect(result.stdout).toContain("→ grant the App the repository permissions Checks: Read-only, Commit statuses:")
      noSecret("doctor", result)
    }))

  it.scopedLive("with pull-request delivery, doctor asks for Pull requests and Contents write, naming the fix", () =>
    Effect.gen(function*() {
      const world = yield* World.makeApp({
        installations: [{
          id: "77",
          account: "acme",
          repos: [World.repo],
          permissions: { issues: "write", metadata: "read", checks: "read", statuses: "read", contents: "read" }
        }]
      })
      const push = yield* Cli.run(["doctor", "--skip", "slack"], world.env)
      expect(push.stdout, push.all).not.toContain("lacks")
      const result = yield* Cli.run(["doctor", "--skip", "slack"], { ...world.env, AFK_DELIVERY: "pull-request" })
      expect(result.code, result.all).toBe(1)
      expect(result.stdout).toMatch(/acme\/app: installation 77 on acme .*lacks contents: write, pull_requests: write/)
      expect(result.stdout).toContain(
        "→ grant the App the repository permissions Contents: Read and write, Pull requests:"
      )
      noSecret("doctor", result)
    }))

  it.scopedLive("doctor fails when the configured installation is not the repository's", () =>
    Effect.gen(function*() {
      const world = yield* World.makeApp()
      const result = yield* Cli.run(["doctor", "--skip", "slack"], {
        ...world.env,
        AFK_GITHUB_APP_INSTALLATION_ID: "99"
      })
      expect(result.code, result.all).toBe(1)
      expect(result.stdout).toContain("acme/app: installation 77 on acme")
      expect(result.stdout).toContain("AFK_GITHUB_APP_INSTALLATION_ID=99")
      noSecret("doctor", result)
    }))

  it.scopedLive("the private key from a file; an unreadable or non-RSA key file exits 2, never quoting it", () =>
    Effect.gen(function*() {
      const world = yield* World.makeApp()
      const dir = Cli.scratch()
      const keyFile = join(dir, "afk.private-key.pem")
      writeFileSync(keyFile, World.app.privateKey)
      const { AFK_GITHUB_APP_PRIVATE_KEY: _key, ...withoutKey } = world.env
      const fromFile = yield* Cli.run(["tick"], { ...withoutKey, AFK_GITHUB_APP_PRIVATE_KEY_FILE: keyFile })
      expect(fromFile.code, fromFile.all).toBe(0)
      expect(fromFile.stderr).toContain("acme/app#1: dispatch")
      const missing = yield* Cli.run(["tick"], {
        ...withoutKey,
        AFK_GITHUB_APP_PRIVATE_KEY_FILE: join(dir, "absent.pem")
      })
      expect(missing.code).toBe(2)
      expect(missing.stderr).toContain("AFK_GITHUB_APP_PRIVATE_KEY_FILE")
      expect(missing.stderr).toContain("cannot be read")
      const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" })
      const ecFile = join(dir, "ec.pem")
      writeFileSync(ecFile, ec.toString())
      const notRsa = yield* Cli.run(["doctor"], { ...withoutKey, AFK_GITHUB_APP_PRIVATE_KEY_FILE: ecFile })
      expect(notRsa.code).toBe(2)
      expect(notRsa.stderr).toContain("is not an RSA private key")
      const garbage = join(dir, "garbage.pem")
      writeFileSync(garbage, World.app.privateKey.replace(/[A-Z]/g, "x"))
      const broken = yield* Cli.run(["tick"], { ...withoutKey, AFK_GITHUB_APP_PRIVATE_KEY_FILE: garbage })
      expect(broken.code).toBe(2)
      expect(broken.stderr).toContain("AFK_GITHUB_APP_PRIVATE_KEY_FILE")
      for (const result of [fromFile, missing, notRsa, broken]) noSecret("key file", result)
      expect(notRsa.all).not.toContain(ec.toString().split("\n")[1])
    }))

  it.live("a token and an App together, or an App without its key, exit 2 naming the keys", () =>
    Effect.gen(function*() {
      const base = World.appEnv("http://127.0.0.1:9", "http://127.0.0.1:9")
      const both = yield* Cli.run(["tick"], { ...base, GITHUB_TOKEN: World.secrets.github })
      expect(both.code).toBe(2)
      expect(both.stderr).toContain("GITHUB_TOKEN")
      expect(both.stderr).toContain("AFK_GITHUB_APP_ID")
      const { AFK_GITHUB_APP_PRIVATE_KEY: _key, ...noKey } = base
      const incomplete = yield* Cli.run(["doctor"], noKey)
      expect(incomplete.code).toBe(2)
      expect(incomplete.stderr).toContain("AFK_GITHUB_APP_PRIVATE_KEY")
      const disarmed = yield* Cli.run(["tick"], { ...noKey, AFK_KILL_SWITCH: "true" })
      expect(disarmed.code).toBe(2)
      for (const result of [both, incomplete, disarmed]) noSecret("refused", result)
    }))
})
