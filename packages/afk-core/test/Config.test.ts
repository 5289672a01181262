import { describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Config from "../src/Config.js"
import { repo } from "../src/Domain.js"

const token = "tok-3f9a1c77-SECRET-never-print"

/** The error of a load that must be refused; a load that succeeds fails the test with a short message. */
const refused = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<E, never, R> =>
  Effect.flatMap(
    Effect.either(effect),
    Either.match({
      onLeft: Effect.succeed,
      onRight: () => Effect.die(new Error("expected the configuration to be refused, but it loaded"))
    })
  )

const fromMap = (values: Record<string, string>) => ConfigProvider.fromMap(new Map(Object.entries(values)))
const loadWith = (values: Record<string, string>) => Effect.withConfigProvider(Config.load, fromMap(values))
const refusal = (values: Record<string, string>) => refused(loadWith(values))

const expectNamed = (error: Config.ConfigError, key: string, value: string | undefined) => {
  expect(error.key).toBe(key)
  expect(error.value).toBe(value)
  expect(error.message).toContain(key)
  if (value !== undefined) expect(error.message).toContain(JSON.stringify(value))
  expect(error.message).toContain("accepted:")
}

const expectNoSecret = (...things: ReadonlyArray<unknown>) => {
  for (const thing of things) {
    expect(String(thing)).not.toContain(token)
    expect(JSON.stringify(thing)).not.toContain(token)
    if (thing instanceof Error) expect(`${thing.message} ${thing.stack}`).not.toContain(token)
  }
}

describe("defaults and arming", () => {
  it("defaults are disarmed with both gates named", () => {
    expect(Config.describeArming(Config.defaults)).toEqual({
      armed: false,
      reasons: ["kill switch is on (AFK_KILL_SWITCH=true)", "allowlist is empty (AFK_ALLOWLIST)"]
    })
    expect(Config.isArmed(Config.defaults)).toBe(false)
  })

  it("defaults hold every documented value", () => {
    expect(Config.defaults).toEqual({
      killSwitch: true,
      allowlist: [],
      readyLabel: "ready-for-agent",
      lockLabel: "agent-in-progress",
      humanLabel: "ready-for-human",
      pausedLabel: "paused",
      maxConcurrentRuns: 3,
      fixForwardMaxAttempts: 5,
      closeDeferMaxSeconds: 3600,
      noVerdictMaxSeconds: 21600,
      turnMaxSeconds: 14400,
      claimGraceSeconds: 900,
      maxRedispatches: 1,
      runMaxTokens: Option.none(),
      dailyMaxTokens: Option.none(),
      defaultPriority: 0,
      requiredChecks: [],
      deployChecks: [],
      delivery: "push",
      mergeMethod: "squash",
      requiredApprovals: 0,
      reviewMaxRounds: 3,
      deleteBranch: true,
      preamble: Option.none(),
      notifyDispatched: false,
      cacheDir: Option.some(".afk-cache"),
      t3: {
        url: "http://127.0.0.1:3773",
        token: Option.none(),
        model: "claude-sonnet-5",
        workspaceRoot: "/data/{owner}__{repo}",
        runtimeMode: "full-access",
        archiveOnDone: true,
        webUrl: Option.none()
      },
      tracker: {
        kind: "github",
        githubApi: "https://api.github.com",
        githubToken: Option.none(),
        githubChangeProbe: "rest",
        githubLists: "graphql",
        githubAppId: Option.none(),
        githubAppPrivateKey: Option.none(),
        githubAppPrivateKeyFile: Option.none(),
        githubAppInstallationId: Option.none(),
        forgejoApi: Option.none(),
        forgejoToken: Option.none()
      },
      slack: { webhookUrl: Option.none(), botToken: Option.none(), channel: Option.none(), mention: Option.none() },
      serve: { host: "127.0.0.1", port: 8787, webhookSecret: Option.none(), reconcileSeconds: 120 }
    })
  })

  it.effect("an empty provider loads the disarmed defaults", () =>
    Effect.gen(function*() {
      expect(yield* loadWith({})).toEqual(Config.defaults)
    }))

  it("armed only with the kill switch off and a non-empty allowlist", () => {
    const allowlist = [repo("o/r")]
    expect(Config.describeArming({ ...Config.defaults, killSwitch: false })).toEqual({
      armed: false,
      reasons: ["allowlist is empty (AFK_ALLOWLIST)"]
    })
    expect(Config.describeArming({ ...Config.defaults, allowlist })).toEqual({
      armed: false,
      reasons: ["kill switch is on (AFK_KILL_SWITCH=true)"]
    })
    const armed = Config.describeArming({ ...Config.defaults, killSwitch: false, allowlist })
    expect(armed.armed).toBe(true)
    expect(armed.reasons).toEqual([
      "kill switch is off (AFK_KILL_SWITCH=false)",
      "allowlist names 1 repository (AFK_ALLOWLIST=o/r)"
    ])
    expect(Config.isArmed({ ...Config.defaults, killSwitch: false, allowlist })).toBe(true)
  })
})

describe("strict values", () => {
  it.effect("booleans accept 1 true yes on / 0 false no off, trimmed, any case", () =>
    Effect.gen(function*() {
      for (const text of ["1", "true", " YES ", "On"]) {
        expect((yield* loadWith({ AFK_NOTIFY_DISPATCHED: text })).notifyDispatched).toBe(true)
      }
      for (const text of ["0", "FALSE", "no", " off\n"]) {
        expect((yield* loadWith({ AFK_KILL_SWITCH: text })).killSwitch).toBe(false)
      }
    }))

  it.effect("a kill switch is never guessed: anything else names the key and the value", () =>
    Effect.gen(function*() {
      for (const text of ["maybe", "2", "y", "disabled", "truee"]) {
        const error = yield* refusal({ AFK_KILL_SWITCH: text })
        expectNamed(error, "AFK_KILL_SWITCH", text)
        expect(error.source).toBe("env")
        expect(error.message).toContain("1, true, yes, on, 0, false, no or off")
      }
    }))

  it.effect("blank values fall back to the default", () =>
    Effect.gen(function*() {
      const config = yield* loadWith({ AFK_KILL_SWITCH: "  ", AFK_READY_LABEL: "", AFK_MAX_CONCURRENT_RUNS: " " })
      expect(config.killSwitch).toBe(true)
      expect(config.readyLabel).toBe("ready-for-agent")
      expect(config.maxConcurrentRuns).toBe(3)
    }))

  it.effect("ints refuse non-numbers, fractions and out-of-range values, naming key and value", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<[string, string, string]> = [
        ["AFK_MAX_CONCURRENT_RUNS", "three", "is not a number"],
        ["AFK_MAX_CONCURRENT_RUNS", "2.5", "is not a whole number"],
        ["AFK_MAX_CONCURRENT_RUNS", "0", "is out of range"],
        ["AFK_FIX_FORWARD_MAX_ATTEMPTS", "-1", "is out of range"],
        ["AFK_TURN_MAX_SECONDS", "99999999999999999999", "is out of range"],
        ["AFK_DEFAULT_PRIORITY", "1e3", "is not a whole number"],
        ["AFK_SERVE_PORT", "65536", "is out of range"],
        ["AFK_RECONCILE_SECONDS", "0", "is out of range"]
      ]
      for (const [key, value, problem] of cases) {
        const error = yield* refusal({ [key]: value })
        expectNamed(error, key, value)
        expect(error.detail).toContain(problem)
      }
      const config = yield* loadWith({ AFK_FIX_FORWARD_MAX_ATTEMPTS: "0", AFK_DEFAULT_PRIORITY: "-2" })
      expect([config.fixForwardMaxAttempts, config.defaultPriority]).toEqual([0, -2])
    }))

  it.effect("§8.20 a close-defer ceiling of 0 or below is refused, never disabled", () =>
    Effect.gen(function*() {
      for (const value of ["0", "-5"]) {
        const error = yield* refusal({ AFK_CLOSE_DEFER_MAX_SECONDS: value })
        expectNamed(error, "AFK_CLOSE_DEFER_MAX_SECONDS", value)
        expect(error.detail).toContain(">= 1")
      }
    }))

  it.effect("lists are comma-separated, trimmed, empty items dropped; a bad allowlist entry is named", () =>
    Effect.gen(function*() {
      const config = yield* loadWith({ AFK_ALLOWLIST: " o/r , ,acme/app.js,", AFK_REQUIRED_CHECKS: "ci/*, lint" })
      expect(config.allowlist).toEqual(["o/r", "acme/app.js"])
      expect(config.requiredChecks).toEqual(["ci/*", "lint"])
      const error = yield* refusal({ AFK_ALLOWLIST: "o/r, not a repo ,x/y" })
      expectNamed(error, "AFK_ALLOWLIST", "o/r, not a repo ,x/y")
      expect(error.detail).toContain("entry \"not a repo\" is not owner/name")
    }))

  it.effect("allowlist entries are trimmed and lower-cased; one repository named twice is refused", () =>
    Effect.gen(function*() {
      const config = yield* loadWith({ AFK_ALLOWLIST: " Acme/App ,o/R" })
      expect(config.allowlist).toEqual(["acme/app", "o/r"])
      const error = yield* refusal({ AFK_ALLOWLIST: "Acme/App, o/r, acme/app " })
      expectNamed(error, "AFK_ALLOWLIST", "Acme/App, o/r, acme/app")
      expect(error.detail).toContain("entry \"acme/app\" appears twice (\"Acme/App\" and \"acme/app\")")
    }))

  it.effect("URLs must be http(s) and the tracker kind github or forgejo", () =>
    Effect.gen(function*() {
      for (const value of ["ftp://host/x", "not a url", "http://"]) {
        expectNamed(yield* refusal({ AFK_T3_URL: value }), "AFK_T3_URL", value)
      }
      expectNamed(yield* refusal({ AFK_FORGEJO_API: "host/api/v1" }), "AFK_FORGEJO_API", "host/api/v1")
      const error = yield* refusal({ AFK_TRACKER: "gitlab" })
      expectNamed(error, "AFK_TRACKER", "gitlab")
      expect(error.message).toContain("one of github, forgejo")
      const config = yield* loadWith({ AFK_TRACKER: "forgejo", AFK_FORGEJO_API: "https://git.example/api/v1" })
      expect(config.tracker.kind).toBe("forgejo")
      expect(config.tracker.forgejoApi).toEqual(Option.some("https://git.example/api/v1"))
    }))

  it.effect("GitHub lists are read through GraphQL unless AFK_GITHUB_LISTS asks REST; anything else is named", () =>
    Effect.gen(function*() {
      expect((yield* loadWith({})).tracker.githubLists).toBe("graphql")
      expect((yield* loadWith({ AFK_GITHUB_LISTS: "rest" })).tracker.githubLists).toBe("rest")
      const error = yield* refusal({ AFK_GITHUB_LISTS: "search" })
      expectNamed(error, "AFK_GITHUB_LISTS", "search")
      expect(error.message).toContain("one of rest, graphql")
    }))

  it.effect("a credential inside a URL setting is refused, never shown, pointing at the token variable", () =>
    Effect.gen(function*() {
      const settings = [
        ["AFK_T3_URL", "AFK_T3_TOKEN"],
        ["AFK_GITHUB_API", "GITHUB_TOKEN"],
        ["AFK_FORGEJO_API", "FORGEJO_TOKEN"],
        ["AFK_T3_WEB_URL", "in a browser"]
      ] as const
      const spellings = [
        [`https://afk:${token}@host.example/api`, "https://***@host.example/api"],
        [`https://${token}@host.example`, "https://***@host.example"],
        [`https://host.example/api?access_token=${token}&page=2`, "https://host.example/api?access_token=***&page=2"],
        [`https://host.example/?x=1&Token=${token}`, "https://host.example/?x=1&Token=***"],
        [`https://host.example/?private_token=${token}`, "https://host.example/?private_token=***"]
      ] as const
      for (const [key, where] of settings) {
        for (const [value, shown] of spellings) {
          const error = yield* refusal({ [key]: value })
          expectNamed(error, key, shown)
          expect(error.detail).toContain("carries a credential")
          expect(error.detail).toContain(where)
          expectNoSecret(error)
        }
      }
      const notHttp = yield* refusal({ AFK_T3_URL: `ftp://u:${token}@host.example/x` })
      expectNamed(notHttp, "AFK_T3_URL", "ftp://***@host.example/x")
      expectNoSecret(notHttp)
      const plain = yield* loadWith({
        AFK_T3_URL: "https://t3.example:8443/base?region=eu",
        AFK_GITHUB_API: "https://ghe/api/v3"
      })
      expect(plain.t3.url).toBe("https://t3.example:8443/base?region=eu")
      const webhook = yield* loadWith({ SLACK_WEBHOOK_URL: `https://u:${token}@hooks.example/x` })
      expect(Option.map(webhook.slack.webhookUrl, Redacted.value)).toEqual(
        Option.some(`https://u:${token}@hooks.example/x`)
      )
    }))

  it.effect("the effect/Config descriptor reads the same keys and fails with the key's path", () =>
    Effect.gen(function*() {
      const config = yield* Effect.withConfigProvider(Config.config, fromMap({ AFK_ALLOWLIST: "o/r" }))
      expect(config.allowlist).toEqual(["o/r"])
      const error = yield* refused(Effect.withConfigProvider(Config.config, fromMap({ AFK_KILL_SWITCH: "eh" })))
      expect(error._op).toBe("InvalidData")
      expect("path" in error && error.path).toEqual(["AFK_KILL_SWITCH"])
    }))
})

describe("one name, one thing: the four labels", () => {
  const keys = ["AFK_READY_LABEL", "AFK_LOCK_LABEL", "AFK_HUMAN_LABEL", "AFK_PAUSED_LABEL"]
  const pairs = keys.flatMap((a, i) => keys.slice(i + 1).map((b) => [a, b] as const))

  it.effect("any two spelt alike (trimmed, any case) are refused, naming both keys and where each came from", () =>
    Effect.gen(function*() {
      for (const [a, b] of pairs) {
        const error = yield* refusal({ [a]: " Same ", [b]: "same" })
        expect(error.key).toBe(`${a} and ${b}`)
        expect(error.value).toBeUndefined()
        expect(error.message).toContain(`${a}: env; ${b}: env`)
        expect(error.message).toContain("are both \"same\" once trimmed and lower-cased (\"Same\" and \"same\")")
      }
      const withDefault = yield* refusal({ AFK_LOCK_LABEL: "ready-for-agent" })
      expect(withDefault.message).toBe(
        "Invalid configuration: AFK_READY_LABEL and AFK_LOCK_LABEL (AFK_READY_LABEL: built-in default; " +
          "AFK_LOCK_LABEL: env): are both \"ready-for-agent\"; a label must name one thing, so give one of " +
          "them another value (labels compare case-insensitively)"
      )
    }))

  it.effect("distinct labels load, and the defaults are distinct", () =>
    Effect.gen(function*() {
      const config = yield* loadWith({ AFK_READY_LABEL: "go", AFK_LOCK_LABEL: "go-busy" })
      expect([config.readyLabel, config.lockLabel]).toEqual(["go", "go-busy"])
      expect((yield* loadWith({})).lockLabel).toBe("agent-in-progress")
    }))
})

describe("secrets", () => {
  it.effect("secrets stay Redacted and describe shows <redacted>", () =>
    Effect.gen(function*() {
      const config = yield* loadWith({ GITHUB_TOKEN: ` ${token}\n`, AFK_T3_TOKEN: token, SLACK_BOT_TOKEN: token })
      expect(config.tracker.githubToken.pipe(Option.map(Redacted.value))).toEqual(Option.some(token))
      const rows = Config.describe(config)
      expect(rows).toContainEqual({ key: "GITHUB_TOKEN", value: "<redacted>" })
      expect(rows).toContainEqual({ key: "SLACK_WEBHOOK_URL", value: "(unset)" })
      expect(rows).toContainEqual({ key: "AFK_KILL_SWITCH", value: "true" })
      expectNoSecret(rows, config)
    }))

  it.effect("a refused secret never carries its value", () =>
    Effect.gen(function*() {
      const error = yield* refusal({ SLACK_WEBHOOK_URL: token })
      expect(error.key).toBe("SLACK_WEBHOOK_URL")
      expect(error.value).toBeUndefined()
      expect(error.message).toContain("is not an http(s) URL")
      expectNoSecret(error)
      const viaDescriptor = yield* refused(
        Effect.withConfigProvider(Config.config, fromMap({ SLACK_WEBHOOK_URL: token }))
      )
      expectNoSecret(viaDescriptor)
    }))
})

describe("settings table", () => {
  it("every setting has a unique env name and a description", () => {
    const names = Config.settings.map((s) => s.env)
    expect(new Set(names).size).toBe(names.length)
    expect(Config.settings.every((s) => s.description.length > 0)).toBe(true)
    expect(Config.settings.filter((s) => s.secret).map((s) => s.env)).toEqual([
      "AFK_T3_TOKEN",
      "GITHUB_TOKEN",
      "AFK_GITHUB_APP_PRIVATE_KEY",
      "FORGEJO_TOKEN",
      "SLACK_WEBHOOK_URL",
      "SLACK_BOT_TOKEN",
      "AFK_WEBHOOK_SECRET"
    ])
    expect(Config.describe(Config.defaults).map((row) => row.key)).toEqual(names)
  })
})
