/**
 * quality.md R5, secrets: with known values for every secret (GITHUB_TOKEN, a GitHub App's private key and
 * installation tokens, FORGEJO_TOKEN, AFK_T3_TOKEN, SLACK_BOT_TOKEN, SLACK_WEBHOOK_URL), every CLI command
 * and every failure path we can provoke (a token or an App's JWT refused with 401, an unreachable T3 or
 * Slack, Slack refusing or failing a notification, bad configuration) runs at every log level and in both
 * log formats, and no secret (nor any app JWT) appears in stdout or stderr. At the library level, every
 * port error (message, JSON, `inspect`, `Cause.pretty`, its cause), every log line at the most verbose
 * level, every span attribute and the loaded configuration are searched too. Extends the afk-cli secrets
 * test (which uses the CLI's own known values at one log level).
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import { describe, expect, it } from "@effect/vitest"
import { ForgejoClient, ForgejoTracker } from "afk-adapter-forgejo"
import { ForgejoFake } from "afk-adapter-forgejo/testing"
import { GithubAuth, GithubClient, GithubForge, GithubTracker } from "afk-adapter-github"
import { GithubFake } from "afk-adapter-github/testing"
import { SlackNotifier } from "afk-adapter-slack"
import { SlackFake } from "afk-adapter-slack/testing"
import { AgentRuntime, Config, Domain, type HttpKit, Notifier, RunRecord, T3, Tick } from "afk-core"
import { T3Fake } from "afk-core/testing"
import * as Cause from "effect/Cause"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Redacted from "effect/Redacted"
import * as Tracer from "effect/Tracer"
import { inspect } from "node:util"
import * as CliStories from "./support/CliStories.js"
import * as Scale from "./support/Scale.js"
import * as Secrets from "./support/Secrets.js"
import { CliWorld } from "./support/Spawn.js"

const s = Secrets.values
const repo = Domain.repo(CliWorld.repo)
const { closedPort, combos, formats, levels, runStep, stories } = CliStories

describe("R5 no secret in any CLI output", () => {
  const plan = Scale.full ? "every level in both formats" : "levels and formats taking turns"
  it.scopedLive(`every command and failure path, ${plan}`, () =>
    Effect.gen(function*() {
      let turn = 0
      const runs = Scale.full
        ? stories.flatMap(([name, story]) => combos.map((combo) => ({ name, story, combos: () => combo })))
        : stories.map(([name, story]) => ({ name, story, combos: () => combos[turn++ % combos.length]! }))
      const results = yield* Effect.forEach(runs, ({ combos: next, story }) =>
        Effect.scoped(Effect.gen(function*() {
          const first = next()
          const steps = yield* story()
          const out = []
          const chosen = steps.filter((step) => Scale.full || step.fullOnly !== true)
          for (const [i, step] of chosen.entries()) out.push(yield* runStep(step, i === 0 ? first : next()))
          return out
        })), { concurrency: 4 })
      const seen = new Set<string>()
      for (const { combo, result, step } of results.flat()) {
        const label = `${step.label} at ${combo.level}${step.formatted === true ? `, ${combo.format}` : ""}`
        seen.add(`${combo.level} ${step.formatted === true ? combo.format : "-"}`)
        expect(Secrets.find(result.all), `${label} printed a secret:\n${result.all.slice(0, 2000)}`).toEqual([])
        if (step.code !== undefined) expect(result.code, `${label}: ${result.all.slice(0, 1500)}`).toBe(step.code)
        expect(result.all.trim().length, `${label} printed nothing`).toBeGreaterThan(0)
      }
      for (const level of levels) {
        expect([...seen].some((k) => k.startsWith(`${level} `)), `level ${level} ran`).toBe(true)
      }
      for (const format of formats) {
        expect([...seen].some((k) => k.endsWith(` ${format}`)), `format ${format} ran`).toBe(true)
      }
      const slowest = results.flat().sort((a, b) => b.millis - a.millis).slice(0, 3)
      console.info(
        `R5: ${results.flat().length} CLI runs, ${seen.size} level/format pairs; slowest ${
          slowest.map((r) => `${r.step.label} ${r.millis} ms`).join(", ")
        }`
      )
    }), Scale.pick(240_000, 1_800_000))
})

/** Everything an error can show: message, string, JSON, `inspect` (cause included), `Cause.pretty`. */
const renderings = (error: unknown): string =>
  [
    error instanceof Error ? error.message : "",
    String(error),
    JSON.stringify(error),
    inspect(error, { depth: 8, showHidden: true }),
    Cause.pretty(Cause.fail(error))
  ].join("\n")

/** Log lines (JSON, logfmt and plain renderings of each) and span attributes, at the most verbose level. */
const capture = Effect.map(Effect.tracer, (current) => {
  const lines: Array<string> = []
  const logger = Logger.make((options) => {
    lines.push(Logger.jsonLogger.log(options), Logger.logfmtLogger.log(options), Logger.stringLogger.log(options))
  })
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind, options) => {
      const span = current.span(name, parent, context, links, startTime, kind, options)
      const attribute = span.attribute.bind(span)
      return Object.assign(Object.create(span) as Tracer.Span, {
        attribute: (key: string, value: unknown) => {
          lines.push(`span ${name} ${key}=${inspect(value, { depth: 4 })}`)
          attribute(key, value)
        }
      })
    },
    context: (f, fiber) => current.context(f, fiber)
  })
  const layer = Layer.mergeAll(
    Logger.replace(Logger.defaultLogger, logger),
    Logger.minimumLogLevel(LogLevel.All),
    Layer.setTracer(tracer)
  )
  return { lines, layer }
})

describe("R5 no secret in any library error, log line or span", () => {
  it.scopedLive("every port error over every failure path, and a whole tick's logs and spans", () =>
    Effect.gen(function*() {
      const port = yield* closedPort
      const nowhere = `http://127.0.0.1:${port}`
      const texts: Array<readonly [string, string]> = []
      const record = (label: string) => (error: unknown) =>
        Effect.sync(() => void texts.push([label, renderings(error)]))
      const flipped = <A, E>(label: string, effect: Effect.Effect<A, E>) =>
        Effect.flatMap(Effect.flip(effect), record(label))

      const github = GithubFake.make({ tokens: ["ghp_accepted_elsewhere"] })
      github.seed({ repo, bot: "afk-bot", trusted: [], labels: [], issues: [] })
      const githubTracker = (http: HttpClient.HttpClient, baseUrl: string) =>
        GithubTracker.make().pipe(
          Effect.provide(GithubClient.layer({ auth: GithubAuth.token(s.github), baseUrl, retries: 0 })),
          Effect.provideService(HttpClient.HttpClient, http)
        )
      const refused = yield* githubTracker(github.client, github.baseUrl)
      yield* flipped("GitHub 401 whoami", refused.whoami)
      yield* flipped("GitHub 401 postComment", refused.postComment(repo, 1, "hello"))
      yield* flipped("GitHub 401 listOpenIssues", refused.listOpenIssues(repo, "x"))
      github.inject({ status: 500, body: "{\"message\":\"Server Error\"}" })
      yield* flipped("GitHub 500", refused.getIssue(repo, 1))
      const fetch = yield* Effect.provide(HttpClient.HttpClient, FetchHttpClient.layer)
      yield* flipped("GitHub unreachable", (yield* githubTracker(fetch, nowhere)).whoami)

      const forgejo = yield* ForgejoFake.make({ repo, bot: "afk-bot", trusted: [], labels: [], issues: [] }, {
        token: "other"
      })
      const forgejoTracker = yield* ForgejoTracker.make().pipe(
        Effect.provide(ForgejoClient.layer({
          baseUrl: forgejo.options.baseUrl,
          token: Redacted.make(s.forgejo),
          retry: { times: 0, base: "1 millis", maxWait: "1 millis" }
        })),
        Effect.provideService(HttpClient.HttpClient, forgejo.client)
      )
      yield* flipped("Forgejo 401 whoami", forgejoTracker.whoami)
      yield* flipped("Forgejo 401 addLabel", forgejoTracker.addLabel(repo, 1, "x"))
      const forgejoDown = yield* ForgejoTracker.make().pipe(
        Effect.provide(ForgejoClient.layer({
          baseUrl: `${nowhere}/api/v1`,
          token: Redacted.make(s.forgejo),
          retry: { times: 0, base: "1 millis", maxWait: "1 millis" }
        })),
        Effect.provideService(HttpClient.HttpClient, fetch)
      )
      yield* flipped("Forgejo unreachable", forgejoDown.listOpenIssues(repo, "x"))

      const t3Fake = yield* T3Fake.start({ tokens: [{ token: "someone-else", scopes: T3Fake.operatorScopes }] })
      const t3 = (url: string) =>
        T3.make({
          url,
          token: Effect.succeed(Redacted.make(s.t3)),
          model: "m",
          workspaceRoot: "/data/{owner}__{repo}",
          retry: { times: 0, base: "1 millis", maxWait: "1 millis" }
        }).pipe(Effect.provideService(HttpClient.HttpClient, fetch))
      const request = {
        runId: "run",
        threadId: "thread",
        issue: new Domain.IssueRef({ repo, number: 1 }),
        title: "t",
        prompt: `use ${s.github} if you must`
      }
      yield* flipped("T3 401 dispatch", (yield* t3(t3Fake.url)).dispatch(request))
      yield* flipped("T3 401 status", (yield* t3(t3Fake.url)).status("thread"))
      yield* flipped("T3 unreachable dispatch", (yield* t3(nowhere)).dispatch(request))
      texts.push(["T3 unreachable status", inspect(yield* (yield* t3(nowhere)).status("thread"))])

      const slack = yield* SlackFake.make({ token: "xoxb-another" })
      const noRetry: { readonly retry: HttpKit.RetryOptions } = {
        retry: { times: 0, base: "1 millis", maxWait: "1 millis" }
      }
      const notification = new Domain.Notification({
        kind: "needs-human",
        issue: request.issue,
        title: "t",
        issueUrl: "https://github.com/acme/app/issues/1",
        headline: "h",
        details: [],
        checks: []
      })
      const notifiers = {
        "Slack bot token refused": SlackNotifier.make({
          token: Redacted.make(s.slackBot),
          channel: slack.channel,
          apiUrl: slack.apiUrl,
          ...noRetry
        }),
        "Slack webhook revoked": SlackNotifier.make({
          webhookUrl: Redacted.make(`${slack.url}${s.webhookPath}`),
          ...noRetry
        }),
        "Slack webhook unreachable": SlackNotifier.make({
          webhookUrl: Redacted.make(`${nowhere}${s.webhookPath}`),
          ...noRetry
        }),
        "Slack API unreachable": SlackNotifier.make({
          token: Redacted.make(s.slackBot),
          channel: "C1",
          apiUrl: nowhere,
          ...noRetry
        })
      }
      for (const [label, make] of Object.entries(notifiers)) {
        const notifier = yield* Effect.provideService(make, HttpClient.HttpClient, fetch)
        yield* flipped(label, notifier.notify(notification))
      }

      const configError = yield* Effect.flip(
        Config.loadFrom({ env: { SLACK_WEBHOOK_URL: `not a url ${s.webhookPath}` } }).pipe(
          Effect.provide(NodeFileSystem.layer)
        )
      )
      texts.push(["ConfigError of a secret", renderings(configError)])
      const config = yield* Config.loadFrom({
        env: {
          AFK_KILL_SWITCH: "false",
          AFK_ALLOWLIST: repo,
          GITHUB_TOKEN: s.github,
          FORGEJO_TOKEN: s.forgejo,
          AFK_T3_TOKEN: s.t3,
          SLACK_BOT_TOKEN: s.slackBot,
          SLACK_WEBHOOK_URL: `${slack.url}${s.webhookPath}`
        }
      }).pipe(Effect.provide(NodeFileSystem.layer))
      texts.push([
        "the loaded config",
        `${inspect(config, { depth: 8 })}\n${JSON.stringify(config)}\n${JSON.stringify(Config.describe(config))}`
      ])

      const world = GithubFake.make({ tokens: [s.github] })
      const at = "2026-06-01T00:00:00Z"
      const escalated = new RunRecord.RunRecord({
        v: 1,
        runId: "run-2",
        ordinal: 1,
        phase: "escalated",
        threadId: "thread-2",
        startedAt: DateTime.unsafeMake(at),
        turnStartedAt: DateTime.unsafeMake(at),
        attempts: 0,
        redispatches: 0,
        ending: new RunRecord.Outcome({ kind: "needs-human", reason: "the agent pushed nothing" })
      })
      world.seed({
        repo,
        bot: "afk-bot",
        trusted: ["maintainer"],
        labels: ["ready-for-agent", "agent-in-progress", "ready-for-human"],
        issues: [
          {
            number: 1,
            title: "Ready",
            body: "Fix it.",
            labels: ["ready-for-agent"],
            state: "open",
            author: "maintainer",
            events: [{ label: "ready-for-agent", action: "added", actor: "maintainer", at }],
            comments: []
          },
          {
            number: 2,
            title: "Escalated, notification pending",
            body: "Fix that.",
            labels: ["agent-in-progress", "ready-for-human"],
            state: "open",
            author: "maintainer",
            events: [{ label: "agent-in-progress", action: "added", actor: "afk-bot", at }],
            comments: [{ author: "afk-bot", body: RunRecord.footer(escalated), createdAt: at }]
          }
        ]
      })
      const forge = GithubForge.layer({ auth: GithubAuth.token(s.github), baseUrl: world.baseUrl, retries: 0 }).pipe(
        Layer.provide(world.layer)
      )
      const ports = Layer.mergeAll(
        forge,
        Layer.effect(AgentRuntime.AgentRuntime, t3(t3Fake.url)),
        Layer.effect(
          Notifier.Notifier,
          Effect.provideService(notifiers["Slack bot token refused"], HttpClient.HttpClient, fetch)
        )
      )
      const { layer, lines } = yield* capture
      const report = yield* Tick.run(config).pipe(Effect.provide(ports), Effect.provide(layer))
      expect(report.poll.failures.length + report.watch.failures.length, "the tick met failures").toBeGreaterThan(0)
      expect(lines.length, "the tick logged").toBeGreaterThan(3)
      texts.push(["the tick's log lines and span attributes", lines.join("\n")])
      texts.push(["the tick's report", JSON.stringify(report)])
      const written = [...world.world.comments.values()].map((comment) => comment.body).join("\n")
      expect(written, "the lost notification was recorded on the issue").toContain("notification failed")
      texts.push(["what the tick wrote on the issues", written])
      for (const [label, text] of texts) expect(Secrets.find(text), `${label}:\n${text.slice(0, 3000)}`).toEqual([])
      expect(texts.length).toBeGreaterThan(15)
    }))
})
