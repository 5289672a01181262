/**
 * The GitHub App settings: the app id, its private key (a secret PEM, or a path to one) and an optional
 * installation id; exactly one of `GITHUB_TOKEN` and a complete App, refused otherwise naming the keys.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Config from "../src/Config.js"

const body = "MIIEowIBAAKCAQEAsecretKEYmaterial0123456789abcdefSECRET"
const pem = `-----BEGIN RSA PRIVATE KEY-----\n${body}\n-----END RSA PRIVATE KEY-----`

const fromMap = (values: Record<string, string>) => ConfigProvider.fromMap(new Map(Object.entries(values)))
const loadWith = (values: Record<string, string>) => Effect.withConfigProvider(Config.load, fromMap(values))
const refusal = (values: Record<string, string>) =>
  Effect.flatMap(
    Effect.either(loadWith(values)),
    Either.match({
      onLeft: Effect.succeed,
      onRight: () => Effect.die(new Error("expected the configuration to be refused, but it loaded"))
    })
  )

const expectNoKey = (...things: ReadonlyArray<unknown>) => {
  for (const thing of things) {
    expect(String(thing)).not.toContain(body)
    expect(JSON.stringify(thing)).not.toContain(body)
  }
}

const app = { AFK_GITHUB_APP_ID: "4242", AFK_GITHUB_APP_PRIVATE_KEY: pem }

describe("GitHub App settings", () => {
  it.effect("an App is its id and private key (a redacted PEM), with an optional installation id", () =>
    Effect.gen(function*() {
      const config = yield* loadWith({ ...app, AFK_GITHUB_APP_INSTALLATION_ID: " 77 " })
      expect(config.tracker.githubAppId).toEqual(Option.some("4242"))
      expect(config.tracker.githubAppPrivateKey.pipe(Option.map(Redacted.value))).toEqual(Option.some(pem))
      expect(config.tracker.githubAppInstallationId).toEqual(Option.some("77"))
      expect(config.tracker.githubAppPrivateKeyFile).toEqual(Option.none())
      const rows = Config.describe(config)
      expect(rows).toContainEqual({ key: "AFK_GITHUB_APP_PRIVATE_KEY", value: "<redacted>" })
      expect(rows).toContainEqual({ key: "AFK_GITHUB_APP_ID", value: "4242" })
      expectNoKey(rows, config)
      const fromFile = yield* loadWith({ AFK_GITHUB_APP_ID: "4242", AFK_GITHUB_APP_PRIVATE_KEY_FILE: "/run/key.pem" })
      expect(fromFile.tracker.githubAppPrivateKeyFile).toEqual(Option.some("/run/key.pem"))
      expect(fromFile.tracker.githubAppInstallationId).toEqual(Option.none())
      expect((yield* loadWith({ ...app, AFK_GITHUB_APP_ID: "Iv23liAbC0123" })).tracker.githubAppId).toEqual(
        Option.some("Iv23liAbC0123")
      )
    }))

  it.effect("a PEM written on one line with \\n escapes (as some secret stores keep it) is read as PEM", () =>
    Effect.gen(function*() {
      const config = yield* loadWith({ ...app, AFK_GITHUB_APP_PRIVATE_KEY: pem.replaceAll("\n", "\\n") })
      expect(config.tracker.githubAppPrivateKey.pipe(Option.map(Redacted.value))).toEqual(Option.some(pem))
    }))

  it.effect("a private key that is not PEM, or ids that are not ids, are refused; the key is never quoted", () =>
    Effect.gen(function*() {
      const notPem = yield* refusal({ ...app, AFK_GITHUB_APP_PRIVATE_KEY: body })
      expect(notPem.key).toBe("AFK_GITHUB_APP_PRIVATE_KEY")
      expect(notPem.message).toContain("is not a PEM private key")
      expectNoKey(notPem)
      expect((yield* refusal({ ...app, AFK_GITHUB_APP_ID: "my app" })).key).toBe("AFK_GITHUB_APP_ID")
      expect((yield* refusal({ ...app, AFK_GITHUB_APP_INSTALLATION_ID: "0x4d" })).key).toBe(
        "AFK_GITHUB_APP_INSTALLATION_ID"
      )
    }))

  it.effect("exactly one of GITHUB_TOKEN and a GitHub App: both are refused, naming both", () =>
    Effect.gen(function*() {
      const both = yield* refusal({ ...app, GITHUB_TOKEN: "ghp_x" })
      expect(both.message).toContain("GITHUB_TOKEN")
      expect(both.message).toContain("AFK_GITHUB_APP_ID")
      expect(both.message).toContain("exactly one")
      expectNoKey(both)
    }))

  it.effect("an incomplete App is refused, naming what is missing", () =>
    Effect.gen(function*() {
      const noKey = yield* refusal({ AFK_GITHUB_APP_ID: "4242", AFK_GITHUB_APP_INSTALLATION_ID: "77" })
      expect(noKey.key).toBe("AFK_GITHUB_APP_PRIVATE_KEY")
      expect(noKey.message).toContain("AFK_GITHUB_APP_PRIVATE_KEY_FILE")
      const noId = yield* refusal({ AFK_GITHUB_APP_PRIVATE_KEY: pem })
      expect(noId.key).toBe("AFK_GITHUB_APP_ID")
      expectNoKey(noId)
      expect((yield* refusal({ AFK_GITHUB_APP_PRIVATE_KEY_FILE: "/k.pem" })).key).toBe("AFK_GITHUB_APP_ID")
      expect((yield* refusal({ AFK_GITHUB_APP_INSTALLATION_ID: "77" })).key).toBe("AFK_GITHUB_APP_ID")
      const twoKeys = yield* refusal({ ...app, AFK_GITHUB_APP_PRIVATE_KEY_FILE: "/k.pem" })
      expect(twoKeys.message).toContain("AFK_GITHUB_APP_PRIVATE_KEY_FILE")
      expect(twoKeys.message).toMatch(/AFK_GITHUB_APP_PRIVATE_KEY(?!_FILE)/)
    }))

  it.effect("with AFK_TRACKER=forgejo the GitHub credentials are not AFK's concern", () =>
    Effect.gen(function*() {
      const config = yield* loadWith({ AFK_TRACKER: "forgejo", GITHUB_TOKEN: "ghp_x", AFK_GITHUB_APP_ID: "4242" })
      expect(config.tracker.kind).toBe("forgejo")
    }))

  it.effect("the file may hold the id, key path and installation id, not the key; every source is checked", () =>
    Effect.gen(function*() {
      const schema = Config.jsonSchema as { properties: { tracker: { properties: Record<string, unknown> } } }
      expect(Object.keys(schema.properties.tracker.properties)).toEqual(
        expect.arrayContaining(["githubAppId", "githubAppPrivateKeyFile", "githubAppInstallationId"])
      )
      expect(Object.keys(schema.properties.tracker.properties)).not.toContain("githubAppPrivateKey")
      const incomplete = yield* Effect.flip(Config.loadFrom({ env: { AFK_GITHUB_APP_ID: "4242" } })).pipe(
        Effect.provide(NodeFileSystem.layer)
      )
      expect(incomplete.message).toContain("AFK_GITHUB_APP_PRIVATE_KEY")
    }))
})
