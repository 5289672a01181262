/**
 * The CLI runs of the R5 secrets suite: stories (a world of loopback fakes and the `afk-cli` commands run
 * against it, in order) covering every command and every failure path we can provoke, and the log levels
 * and formats they run at. Every secret in the environment has a known value (`Secrets.values`).
 */
import type { GithubFake } from "afk-adapter-github/testing"
import { SlackFake } from "afk-adapter-slack/testing"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { generateKeyPairSync } from "node:crypto"
import { writeFileSync } from "node:fs"
import * as net from "node:net"
import { join } from "node:path"
import * as Secrets from "./Secrets.js"
import { Cli, CliWorld } from "./Spawn.js"

const s = Secrets.values
const pushed = "0123456789abcdef0123456789abcdef01234567"

/** A port on 127.0.0.1 that nothing listens on. */
export const closedPort = Effect.promise(
  () =>
    new Promise<number>((resolve) => {
      const server = net.createServer()
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as net.AddressInfo
        server.close(() => resolve(port))
      })
    })
)

export const levels = ["all", "trace", "debug", "info", "warning", "error", "fatal", "none"] as const
export const formats = ["pretty", "json"] as const
export const combos = levels.flatMap((level) => formats.map((format) => ({ level, format })))

export type Combo = (typeof combos)[number]

export interface Step {
  readonly label: string
  readonly args: ReadonlyArray<string>
  readonly env: Record<string, string>
  /** The exit code, when the step pins one. */
  readonly code?: 0 | 1 | 2
  /** Whether the command takes `--log-format`. */
  readonly formatted?: boolean
  readonly files?: Readonly<Record<string, string>>
  /** Runs before the step (e.g. CI reports the pushed commit green, Slack is set to fail). */
  readonly before?: Effect.Effect<void>
  /** Only at full counts (a near-duplicate of another step, kept out of CI's time budget). */
  readonly fullOnly?: boolean
}

/** A story: a world of fakes and the CLI runs made against it, in order. */
export type Story = () => Effect.Effect<ReadonlyArray<Step>, never, Scope.Scope>

const every = (env: Record<string, string>, webhookUrl: string) => ({
  ...env,
  GITHUB_TOKEN: s.github,
  FORGEJO_TOKEN: s.forgejo,
  AFK_T3_TOKEN: s.t3,
  SLACK_WEBHOOK_URL: webhookUrl,
  SLACK_BOT_TOKEN: s.slackBot,
  AFK_SLACK_CHANNEL: "C0AFKTEST"
})

const cliWorld = (options: { readonly githubTokens?: ReadonlyArray<string> } = {}) =>
  Effect.gen(function*() {
    const world = yield* CliWorld.make({ githubTokens: options.githubTokens ?? [s.github], t3Token: s.t3 })
    const slack = yield* SlackFake.make({ token: s.slackBot })
    return { world, slack, env: every(world.env, `${slack.url}${s.webhookPath}`) }
  })

/** The world with GitHub acting for the App (its known key, tokens minted with the known prefix), no GITHUB_TOKEN. */
const appWorld = (
  options: { readonly permissions?: Readonly<Record<string, string>>; readonly tokenLifetimeSeconds?: number } = {}
) =>
  Effect.gen(function*() {
    const world = yield* CliWorld.makeApp({
      keys: Secrets.appKeys,
      tokenPrefix: s.installation,
      t3Token: s.t3,
      ...(options.tokenLifetimeSeconds === undefined ? {} : { tokenLifetimeSeconds: options.tokenLifetimeSeconds }),
      ...(options.permissions === undefined ? {} : {
        installations: [{ id: CliWorld.app.installationId, repos: [CliWorld.repo], permissions: options.permissions }]
      })
    })
    const slack = yield* SlackFake.make({ token: s.slackBot })
    const { GITHUB_TOKEN: _token, ...env } = every(world.env, slack.webhookUrl)
    return { world, slack, env: { ...env, AFK_GITHUB_APP_PRIVATE_KEY: s.appPrivateKey } }
  })

const ecKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" })

const greenCi = (fake: GithubFake.GithubFake) =>
  Effect.sync(() =>
    fake.setChecks(CliWorld.repo, pushed, { checkRuns: [{ name: "test", status: "completed", conclusion: "success" }] })
  )

export const stories: ReadonlyArray<readonly [string, Story]> = [
  ["no configuration needed", () =>
    Effect.gen(function*() {
      const { env } = yield* cliWorld()
      return [
        { label: "--help", args: ["--help"], env, code: 0 },
        { label: "tick --help", args: ["tick", "--help"], env, code: 0, fullOnly: true },
        { label: "config schema", args: ["config", "schema"], env, code: 0 },
        { label: "demo", args: ["demo"], env, code: 0, formatted: true, fullOnly: true }
      ]
    })],
  ["a run through tick and watch against healthy fakes", () =>
    Effect.gen(function*() {
      const { env, slack, world } = yield* cliWorld()
      const webhook = { ...env, SLACK_WEBHOOK_URL: slack.webhookUrl }
      return [
        {
          label: "tick --dry-run",
          args: ["tick", "--dry-run"],
          env: webhook,
          code: 0,
          formatted: true,
          fullOnly: true
        },
        { label: "tick", args: ["tick"], env: webhook, code: 0, formatted: true },
        {
          label: "watch (closes, notifies Slack)",
          args: ["watch"],
          env: webhook,
          code: 0,
          formatted: true,
          before: greenCi(world.github.fake)
        }
      ]
    })],
  ["poll, status and doctor against healthy fakes", () =>
    Effect.gen(function*() {
      const { env, slack } = yield* cliWorld()
      const webhook = { ...env, SLACK_WEBHOOK_URL: slack.webhookUrl }
      return [
        { label: "poll", args: ["poll"], env: webhook, code: 0, formatted: true, fullOnly: true },
        { label: "status", args: ["status"], env: webhook, code: 0, formatted: true, fullOnly: true },
        { label: "status --json", args: ["status", "--json"], env: webhook, code: 0, formatted: true, fullOnly: true },
        { label: "doctor", args: ["doctor"], env: webhook, code: 0, formatted: true }
      ]
    })],
  ["tokens refused with 401", () =>
    Effect.gen(function*() {
      const { env, world } = yield* cliWorld({ githubTokens: ["ghp_someone_else"] })
      const t3Wrong = { ...env, GITHUB_TOKEN: s.github, AFK_T3_TOKEN: s.t3Wrong }
      return [
        { label: "tick, GitHub refuses the token", args: ["tick"], env, code: 1, formatted: true, fullOnly: true },
        { label: "status, GitHub refuses the token", args: ["status"], env, formatted: true },
        { label: "doctor, GitHub refuses the token", args: ["doctor"], env, code: 1, formatted: true },
        {
          label: "tick, Forgejo refuses the token",
          args: ["tick"],
          env: { ...env, AFK_TRACKER: "forgejo", AFK_FORGEJO_API: `${world.github.url}/api/v1` },
          code: 1,
          formatted: true,
          fullOnly: true
        },
        {
          label: "poll, T3 refuses the token",
          args: ["poll"],
          env: { ...t3Wrong, GITHUB_TOKEN: s.githubWrong },
          code: 1,
          formatted: true,
          fullOnly: true
        },
        { label: "doctor, T3 refuses the token", args: ["doctor"], env: t3Wrong, code: 1, formatted: true }
      ]
    })],
  ["an unreachable T3 and Slack", () =>
    Effect.gen(function*() {
      const { env } = yield* cliWorld()
      const port = yield* closedPort
      const down = {
        ...env,
        AFK_T3_URL: `http://127.0.0.1:${port}`,
        SLACK_WEBHOOK_URL: `http://127.0.0.1:${port}${s.webhookPath}`
      }
      return [
        { label: "tick, T3 unreachable", args: ["tick"], env: down, formatted: true },
        { label: "doctor, T3 and Slack unreachable", args: ["doctor"], env: down, code: 1, formatted: true }
      ]
    })],
  ...(
    [
      ["the webhook refuses the message", [SlackFake.Fault.SlackError({ error: "invalid_token", status: 403 })]],
      [
        "Slack fails with 500 on every attempt",
        Array.from({ length: 4 }, () => SlackFake.Fault.HttpStatus({ status: 500, body: "rollup_error" }))
      ],
      ["Slack resets the connection once", [SlackFake.Fault.Reset()]],
      ["the webhook is revoked", "revoked"],
      ["Slack is unreachable", "unreachable"]
    ] as const
  ).map(([name, how]): readonly [string, Story] => [
    `a run closes while ${name}`,
    () =>
      Effect.gen(function*() {
        const { env, slack, world } = yield* cliWorld()
        const port = yield* closedPort
        const chosen = how === "revoked"
          ? env
          : how === "unreachable"
          ? { ...env, SLACK_WEBHOOK_URL: `http://127.0.0.1:${port}${s.webhookPath}` }
          : { ...env, SLACK_WEBHOOK_URL: slack.webhookUrl }
        const faults: ReadonlyArray<SlackFake.Fault> = typeof how === "string" ? [] : how
        const armed = Effect.forEach(faults, (fault) => slack.failNext(fault, "webhook"), { discard: true })
        return [
          { label: `tick 1 (${name})`, args: ["tick"], env: chosen, code: 0, formatted: true },
          {
            label: `tick 2, the notification fails (${name})`,
            args: ["tick"],
            env: chosen,
            formatted: true,
            before: Effect.zipRight(greenCi(world.github.fake), armed),
            fullOnly: faults.length > 1
          }
        ]
      })
  ]),
  [
    "a GitHub App through tick, watch, status and doctor, its token expiring between ticks",
    () =>
      Effect.gen(function*() {
        const { env, world } = yield* appWorld({ tokenLifetimeSeconds: 3 })
        const { AFK_GITHUB_APP_PRIVATE_KEY: _key, ...keyFile } = env
        return [
          { label: "tick as a GitHub App", args: ["tick"], env, code: 0, formatted: true },
          {
            label: "watch as a GitHub App, a new token (closes, notifies Slack)",
            args: ["watch"],
            env: { ...keyFile, AFK_GITHUB_APP_PRIVATE_KEY_FILE: "app.pem" },
            code: 0,
            formatted: true,
            files: { "app.pem": s.appPrivateKey },
            before: Effect.zipRight(Effect.sleep("3 seconds"), greenCi(world.github.fake))
          },
          { label: "status as a GitHub App", args: ["status"], env, code: 0, formatted: true, fullOnly: true },
          { label: "doctor as a GitHub App", args: ["doctor"], env, code: 0, formatted: true }
        ]
      })
  ],
  ["a GitHub App refused or misconfigured", () =>
    Effect.gen(function*() {
      const { env } = yield* appWorld({ permissions: { issues: "write", metadata: "read" } })
      return [
        { label: "doctor, the installation lacks permissions", args: ["doctor"], env, code: 1, formatted: true },
        {
          label: "tick, GitHub refuses the App's JWT (another App's key)",
          args: ["tick"],
          env: { ...env, AFK_GITHUB_APP_PRIVATE_KEY: s.otherAppPrivateKey },
          code: 1,
          formatted: true
        },
        {
          label: "doctor, GitHub refuses the App's JWT",
          args: ["doctor"],
          env: { ...env, AFK_GITHUB_APP_PRIVATE_KEY: s.otherAppPrivateKey },
          code: 1,
          formatted: true,
          fullOnly: true
        },
        {
          label: "a token and a GitHub App together",
          args: ["tick"],
          env: { ...env, GITHUB_TOKEN: s.github },
          code: 2,
          formatted: true
        },
        {
          label: "a private key without its PEM armour",
          args: ["doctor"],
          env: { ...env, AFK_GITHUB_APP_PRIVATE_KEY: s.appPrivateKey.split("\n").slice(1, -2).join("\n") },
          code: 2,
          formatted: true
        },
        {
          label: "a key file holding an EC key",
          args: ["tick"],
          env: { ...env, AFK_GITHUB_APP_PRIVATE_KEY: "", AFK_GITHUB_APP_PRIVATE_KEY_FILE: "ec.pem" },
          code: 2,
          formatted: true,
          files: { "ec.pem": ecKey.toString() },
          fullOnly: true
        },
        {
          label: "the private key in the config file",
          args: ["status", "--config", "afk.config.json"],
          env,
          code: 2,
          formatted: true,
          files: { "afk.config.json": JSON.stringify({ tracker: { githubAppPrivateKey: s.appPrivateKey } }) },
          fullOnly: true
        },
        {
          label: "the private key as a flag",
          args: ["tick", "--set", `AFK_GITHUB_APP_PRIVATE_KEY=${s.appPrivateKey}`],
          env,
          code: 2,
          formatted: true
        }
      ]
    })],
  ["bad configuration around secrets", () =>
    Effect.gen(function*() {
      const { env } = yield* cliWorld()
      return [
        {
          label: "a webhook URL that is not one",
          args: ["tick"],
          env: { ...env, SLACK_WEBHOOK_URL: `not a url ${s.webhookPath}` },
          code: 2,
          formatted: true,
          fullOnly: true
        },
        {
          label: "a secret as a flag",
          args: ["tick", "--set", `GITHUB_TOKEN=${s.github}`],
          env,
          code: 2,
          formatted: true,
          fullOnly: true
        },
        {
          label: "a secret in the config file",
          args: ["tick", "--config", "afk.config.json"],
          env,
          code: 2,
          formatted: true,
          files: { "afk.config.json": JSON.stringify({ tracker: { githubToken: s.github } }) }
        },
        {
          label: "a bad secret file in --config-dir",
          args: ["doctor", "--config-dir", "."],
          env,
          code: 2,
          formatted: true,
          files: { SLACK_WEBHOOK_URL: `ftp://${s.webhookPath}` }
        },
        {
          label: "a secret in an unknown variable",
          args: ["status"],
          env: { ...env, AFK_GITHUB_TOKEN: s.github },
          code: 2,
          formatted: true,
          fullOnly: true
        }
      ]
    })]
]

export const runStep = (step: Step, combo: Combo) =>
  Effect.gen(function*() {
    if (step.before !== undefined) yield* step.before
    const cwd = Cli.scratch()
    for (const [name, content] of Object.entries(step.files ?? {})) writeFileSync(join(cwd, name), content)
    const args = [
      ...step.args,
      "--log-level",
      combo.level,
      ...(step.formatted === true ? ["--log-format", combo.format] : [])
    ]
    const started = Date.now()
    const result = yield* Cli.run(args, step.env, { cwd })
    return { step, combo, result, millis: Date.now() - started }
  })
