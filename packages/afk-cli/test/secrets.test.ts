import { describe, expect, it } from "@effect/vitest"
import { SlackFake } from "afk-adapter-slack/testing"
import * as Effect from "effect/Effect"
import * as Cli from "./support/Cli.js"
import * as Daemon from "./support/Daemon.js"
import * as Loopback from "./support/Loopback.js"
import * as World from "./support/World.js"

/** `SECRET` in any value, but not in the name of the setting `AFK_WEBHOOK_SECRET`, which help and doctor list. */
const leaks = [/(?<!AFK_WEBHOOK_)SECRET/, /afkFakeWebhookSecret/, /xoxb-afk-fake-token/]

const noSecret = (label: string, result: Cli.Result) => {
  for (const leak of leaks) expect(result.all, `${label} printed a secret`).not.toMatch(leak)
  expect(result.all.trim().length, `${label} printed nothing`).toBeGreaterThan(0)
}

const everySecret = (webhookUrl: string) => ({
  GITHUB_TOKEN: World.secrets.github,
  FORGEJO_TOKEN: World.secrets.forgejo,
  AFK_T3_TOKEN: World.secrets.t3,
  SLACK_BOT_TOKEN: World.secrets.slackBot,
  AFK_SLACK_CHANNEL: "C0AFKTEST",
  SLACK_WEBHOOK_URL: webhookUrl,
  AFK_WEBHOOK_SECRET: Daemon.secret
})

type Case = readonly [label: string, args: ReadonlyArray<string>, env: Record<string, string>, code: number]

describe("quality R5: no secret in any output", () => {
  it.scopedLive("every command, at every log level and format, on success and failure paths", () =>
    Effect.gen(function*() {
      const world = yield* World.make()
      const slack = yield* SlackFake.make()
      const env = { ...world.env, ...everySecret(slack.webhookUrl) }
      const all = ["--log-level", "all"]
      const json = ["--log-format", "json"]
      const cases: ReadonlyArray<Case> = [
        ["help", ["--help"], env, 0],
        ["tick help", ["tick", "--help"], env, 0],
        ["config schema", ["config", "schema"], env, 0],
        ["tick dry-run", ["tick", "--dry-run", ...json, ...all], env, 0],
        ["poll, T3 rejects the token", ["poll", ...json, ...all], { ...env, AFK_T3_TOKEN: "t3_SECRET_unknown" }, 1],
        ["tick", ["tick", ...all], env, 0],
        ["watch", ["watch", ...json, ...all], env, 0],
        ["poll", ["poll", ...all], env, 0],
        ["status", ["status", ...all], env, 0],
        ["status json", ["status", "--json", ...json, ...all], env, 0],
        ["doctor", ["doctor", ...all], env, 0],
        ["doctor json logs", ["doctor", ...json, ...all], env, 0],
        ["demo", ["demo", ...json, ...all], env, 0],
        ["disarmed tick", ["tick", ...all], { ...env, AFK_KILL_SWITCH: "true" }, 0],
        ["tracker rejects the token", ["tick", ...json, ...all], { ...env, GITHUB_TOKEN: "ghp_SECRET_unknown" }, 1],
        [
          "forgejo rejects the token",
          ["tick", ...all],
          { ...env, AFK_TRACKER: "forgejo", AFK_FORGEJO_API: `${world.github.url}/api/v1` },
          1
        ],
        ["doctor, T3 rejects the token", ["doctor", ...all], { ...env, AFK_T3_TOKEN: "t3_SECRET_unknown" }, 1],
        [
          "doctor, revoked webhook",
          ["doctor", ...json, ...all],
          { ...env, SLACK_WEBHOOK_URL: `${slack.url}${World.secrets.webhookPath}` },
          1
        ],
        ["invalid secret value", ["tick", ...all], { ...env, SLACK_WEBHOOK_URL: "not a url SECRET" }, 2],
        ["secret as a flag", ["tick", "--set", `AFK_T3_TOKEN=${World.secrets.t3}`], env, 2],
        ["another secret as a flag", ["doctor", "--set", `SLACK_BOT_TOKEN=${World.secrets.slackBot}`], env, 2]
      ]
      for (const [label, args, caseEnv, code] of cases) {
        const result = yield* Cli.run(args, caseEnv)
        expect(result.code, `${label}: ${result.all}`).toBe(code)
        noSecret(label, result)
        if (args.includes("json") && ["tick", "poll", "watch"].includes(args[0] ?? "")) {
          expect(result.stderr, `${label} logged nothing`).toContain("\"logLevel\"")
        }
      }
    }))

  it.scopedLive("an unreachable tracker and Slack bot token, through doctor's failure paths", () =>
    Effect.gen(function*() {
      const down = yield* Loopback.counting
      const env = {
        ...World.armedEnv(down.url, down.url),
        SLACK_BOT_TOKEN: World.secrets.slackBot,
        AFK_SLACK_CHANNEL: "C0AFKTEST"
      }
      const result = yield* Cli.run(["doctor", "--skip", "slack", "--log-level", "all"], env)
      expect(result.code).toBe(1)
      expect(result.stdout).toContain("FAIL  tracker")
      expect(result.stdout).toContain("FAIL  t3")
      noSecret("doctor against a server that answers 503", result)
    }))

  it.scopedLive("serve: no secret in any answer, log line or metric label, armed with every secret set", () =>
    Effect.gen(function*() {
      const world = yield* World.make()
      const slack = yield* SlackFake.make()
      const env = { ...world.env, ...everySecret(slack.webhookUrl), AFK_RECONCILE_SECONDS: "3600" }
      const daemon = yield* Daemon.start(env, { args: ["--log-level", "all", "--log-format", "json"] })
      yield* Daemon.until(() => daemon.stderr().includes("(tick)"), 30_000, "the first tick")
      const body = JSON.stringify({ action: "labeled", issue: { number: 1 }, repository: { full_name: World.repo } })
      const answers = [
        yield* Daemon.deliver(daemon.url, { event: "issues", id: "r5-1", body }),
        yield* Daemon.deliver(daemon.url, { event: "issues", id: "r5-2", body, key: "another-key" }),
        yield* Daemon.deliver(daemon.url, { event: "issues", id: "r5-3", body: "{", signature: "sha256=00" }),
        yield* Daemon.get(daemon.url, "/healthz"),
        yield* Daemon.get(daemon.url, "/readyz"),
        yield* Daemon.get(daemon.url, "/metrics")
      ]
      expect(answers.map((answer) => answer.status)).toEqual([202, 401, 401, 200, 200, 200])
      expect(yield* daemon.stop()).toBe(0)
      const all = [daemon.stdout(), daemon.stderr(), ...answers.map((answer) => answer.text)].join("\n")
      expect(all).toContain("afk_http_requests_total{service=\"github\"")
      for (const leak of leaks) expect(all).not.toMatch(leak)
      for (const value of [Daemon.secret, ...Object.values(World.secrets), slack.webhookUrl]) {
        expect(all).not.toContain(value)
      }
    }))
})
