import { describe, expect, it } from "@effect/vitest"
import { SlackFake } from "afk-adapter-slack/testing"
import * as Effect from "effect/Effect"
import * as Cli from "./support/Cli.js"
import * as Loopback from "./support/Loopback.js"
import * as World from "./support/World.js"

describe("doctor", () => {
  it.scopedLive("shows sources, effective values with secrets redacted, why it is armed, and every check", () =>
    Effect.gen(function*() {
      const world = yield* World.make()
      const slack = yield* SlackFake.make()
      const result = yield* Cli.run(["doctor"], { ...world.env, SLACK_WEBHOOK_URL: slack.webhookUrl })
      expect(result.stderr).toBe("")
      expect(result.code).toBe(0)
      const out = result.stdout
      expect(out).toContain("read from: built-in defaults < environment variables (later wins)")
      expect(out).toMatch(/GITHUB_TOKEN\s+<redacted>\s+\(set\)/)
      expect(out).toMatch(/AFK_T3_TOKEN\s+<redacted>/)
      expect(out).toMatch(/SLACK_WEBHOOK_URL\s+<redacted>/)
      expect(out).toMatch(/AFK_READY_LABEL\s+ready-for-agent\n/)
      expect(out).toContain("ARMED: kill switch is off (AFK_KILL_SWITCH=false)")
      expect(out).toContain("authenticated as afk-bot")
      expect(out).toContain("token scopes: repo, workflow")
      expect(out).toContain("acme/app: readable; 2 open issue(s) labelled ready-for-agent")
      expect(out).toContain("T3 Code 0.0.33 (orchestration protocol 1)")
      expect(out).toContain("the token is accepted")
      expect(out).toMatch(/slack: webhook at http:\/\/127\.0\.0\.1:\d+ is live/)
      expect(out).toContain("No problems found.")
      expect(yield* slack.posted).toEqual([])
    }))

  it.live("says exactly why the loop is disarmed and what arms it; a missing token is a warning then", () =>
    Effect.gen(function*() {
      const result = yield* Cli.run(["doctor", "--skip", "t3"])
      expect(result.code).toBe(0)
      expect(result.stdout).toContain(
        "disarmed: kill switch is on (AFK_KILL_SWITCH=true); allowlist is empty (AFK_ALLOWLIST)."
      )
      expect(result.stdout).toContain("To arm it, set AFK_KILL_SWITCH=false and AFK_ALLOWLIST")
      expect(result.stdout).toMatch(/warn {2}tracker: .*GITHUB_TOKEN/)
      expect(result.stdout).toContain("skip  t3: skipped (--skip)")
      expect(result.stdout).toContain("skip  slack: not configured")
    }))

  it.scopedLive("§8.7 exits 1 and says what to do when the T3 token is refused or the webhook is revoked", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ t3Token: "t3_another_token" })
      const slack = yield* SlackFake.make()
      const result = yield* Cli.run(["doctor"], {
        ...world.env,
        SLACK_WEBHOOK_URL: `${slack.url}${World.secrets.webhookPath}`
      })
      expect(result.code).toBe(1)
      expect(result.stdout).toMatch(/FAIL {2}t3: T3 Code 0\.0\.33 \(orchestration protocol 1\) at .*401/)
      expect(result.stdout).toContain("→ issue a new token")
      expect(result.stdout).toMatch(/FAIL {2}slack: webhook at http:\/\/127\.0\.0\.1:\d+ answered no_service/)
      expect(result.stdout).toContain("2 problems found")
      expect(result.all).not.toMatch(/(?<!AFK_WEBHOOK_)SECRET/)
    }))

  it.scopedLive("exits 1 for a read-only T3 token, naming the missing scope and the fix; nothing is created", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ t3Scopes: ["orchestration:read"] })
      const result = yield* Cli.run(["doctor"], world.env)
      expect(result.code).toBe(1)
      expect(result.stdout).toMatch(/FAIL {2}t3: .*lacks orchestration:operate/)
      expect(result.stdout).toContain("orchestration:read and orchestration:operate")
      expect(result.stdout).not.toContain("the token is accepted")
      expect(world.t3.requests().filter((r) => r.method !== "GET")).toEqual([])
      expect(result.all).not.toMatch(/(?<!AFK_WEBHOOK_)SECRET/)
    }))

  it.scopedLive("exits 1 for a T3 Code server that speaks orchestration protocol 3, naming 1 and 2, no token hint", () =>
    Effect.gen(function*() {
      const t3 = yield* Loopback.t3Protocol(3)
      const result = yield* Cli.run(["doctor", "--skip", "tracker,slack"], {
        AFK_T3_URL: t3.url,
        AFK_T3_TOKEN: World.secrets.t3
      })
      expect(result.code).toBe(1)
      expect(result.stdout).toMatch(
        /FAIL {2}t3: T3 Code 0\.0\.99-nightly\.20270101\.1 at http:\/\/127\.0\.0\.1:\d+ /
      )
      expect(result.stdout).toContain("speaks orchestration protocol 3; AFK supports protocols 1 and 2")
      const t3Lines = result.stdout.slice(result.stdout.indexOf("FAIL  t3:")).split("\n").slice(0, 2).join("\n")
      expect(t3Lines).not.toMatch(/token/i)
      expect(result.stdout).toContain("docs/t3.md")
      expect(t3.paths()).toEqual(["/.well-known/t3/environment"])
    }))

  it.scopedLive("passes a T3 Code server that speaks orchestration protocol 2: reads with its header, nothing sent", () =>
    Effect.gen(function*() {
      const t3 = yield* Loopback.t3Protocol(2, World.secrets.t3)
      const result = yield* Cli.run(["doctor", "--skip", "tracker,slack"], {
        AFK_T3_URL: t3.url,
        AFK_T3_TOKEN: World.secrets.t3
      })
      expect(result.stdout).toMatch(
        /ok {4}t3: T3 Code 0\.0\.99-nightly\.20270101\.1 \(orchestration protocol 2\) at .*: the token is accepted/
      )
      expect(result.code).toBe(0)
      expect(t3.paths()).toEqual([
        "/.well-known/t3/environment",
        "/.well-known/t3/environment",
        "/api/orchestration/threads/00000000-0000-4000-8000-00000000d0c7/bounded",
        "/api/auth/session"
      ])
    }))

  it.scopedLive("warns that token budgets cannot bind on orchestration protocol 2, which reports no usage", () =>
    Effect.gen(function*() {
      const t3 = yield* Loopback.t3Protocol(2, World.secrets.t3)
      const env = { AFK_T3_URL: t3.url, AFK_T3_TOKEN: World.secrets.t3 }
      const budgeted = yield* Cli.run(["doctor", "--skip", "tracker,slack"], { ...env, AFK_RUN_MAX_TOKENS: "40000" })
      expect(budgeted.stdout).toMatch(/warn {2}t3: .*reports no token usage.*AFK_RUN_MAX_TOKENS/)
      expect(budgeted.code).toBe(0)
      const unbudgeted = yield* Cli.run(["doctor", "--skip", "tracker,slack"], env)
      expect(unbudgeted.stdout).not.toContain("token usage")
    }))

  it.scopedLive("warns when the workspace root says T3 Code runs as root (full access refused without IS_SANDBOX)", () =>
    Effect.gen(function*() {
      const t3 = yield* Loopback.t3Protocol(2, World.secrets.t3)
      const env = { AFK_T3_URL: t3.url, AFK_T3_TOKEN: World.secrets.t3 }
      const root = yield* Cli.run(["doctor", "--skip", "tracker,slack"], {
        ...env,
        AFK_T3_WORKSPACE_ROOT: "/root/work/{owner}__{repo}"
      })
      expect(root.stdout).toMatch(
        /warn {2}t3: AFK_T3_WORKSPACE_ROOT \(\/root\/work\/\{owner\}__\{repo\}\) is under \/root/
      )
      expect(root.stdout).toContain("IS_SANDBOX=1")
      expect(root.code).toBe(0)
      const ordinary = yield* Cli.run(["doctor", "--skip", "tracker,slack"], {
        ...env,
        AFK_T3_WORKSPACE_ROOT: "/rootless/{owner}__{repo}"
      })
      expect(ordinary.stdout).not.toContain("IS_SANDBOX")
    }))

  it.live("exits 2 for an unknown check name in --skip", () =>
    Effect.gen(function*() {
      const result = yield* Cli.run(["doctor", "--skip", "t3,nope"])
      expect(result.code).toBe(2)
      expect(result.stderr).toContain("unknown check \"nope\"")
    }))

  it.scopedLive("exits 1 when the tracker rejects the token, naming the tracker", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ githubTokens: ["ghp_someone_else"] })
      const result = yield* Cli.run(["doctor", "--skip", "t3"], world.env)
      expect(result.code).toBe(1)
      expect(result.stdout).toMatch(/FAIL {2}tracker: GitHub at http:\/\/127\.0\.0\.1:\d+: .*401/)
    }))
})
