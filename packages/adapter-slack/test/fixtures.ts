/**
 * Shared test material: notifications of every kind, notifiers wired to a `SlackFake`, and a recording
 * tracer to see what reaches span attributes.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { Domain, type Notifier } from "afk-core"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Tracer from "effect/Tracer"
import { SlackNotifier } from "../src/index.js"
import type { SlackFake } from "../src/testing/index.js"

type NotificationFields = ConstructorParameters<typeof Domain.Notification>[0]

export const notification = (overrides: Partial<NotificationFields> = {}): Domain.Notification =>
  new Domain.Notification({
    kind: "needs-human",
    issue: new Domain.IssueRef({ repo: Domain.repo("acme/widgets"), number: 42 }),
    title: "Login page times out under load",
    issueUrl: "https://github.com/acme/widgets/issues/42",
    headline: "The run stopped and needs a person.",
    details: [
      "Found: the session store drops connections after 30 s.",
      "Tried: raising the pool size; CI stayed red.",
      "Stopped: 5 fix-forward attempts used."
    ],
    threadUrl: "https://t3.example/?thread=0b0e6b9e-2a37-5c1c-9c1d-1b9c1f4d2f10",
    checks: [],
    ...overrides
  })

export const done = (overrides: Partial<NotificationFields> = {}): Domain.Notification =>
  notification({
    kind: "done",
    headline: "Landed: CI is green on the pushed commit.",
    details: [],
    commit: "f69e3dcc1a2b3c4d5e6f708192a3b4c5d6e7f809",
    checks: [
      new Domain.Check({ name: "build", state: "success", url: "https://ci.example/runs/1" }),
      new Domain.Check({ name: "deploy/production", state: "success" })
    ],
    ...overrides
  })

export const allKinds: ReadonlyArray<Domain.Notification> = [
  done(),
  notification(),
  notification({ kind: "frozen", headline: "Frozen: the fix-forward budget is spent." }),
  notification({ kind: "dispatched", headline: "An agent is on it.", details: [] })
]

export const mention = "<!subteam^S0AFKOPS>"

export const botNotifier = (
  fake: SlackFake.Service,
  extra: Partial<SlackNotifier.BotOptions> = {}
): Effect.Effect<Notifier.Service> =>
  SlackNotifier.make({
    token: Redacted.make(fake.token),
    channel: fake.channel,
    apiUrl: fake.apiUrl,
    mention,
    ...extra
  }).pipe(Effect.provide(FetchHttpClient.layer))

export const webhookNotifier = (
  fake: SlackFake.Service,
  extra: Partial<SlackNotifier.WebhookOptions> = {}
): Effect.Effect<Notifier.Service> =>
  SlackNotifier.make({ webhookUrl: Redacted.make(fake.webhookUrl), mention, ...extra }).pipe(
    Effect.provide(FetchHttpClient.layer)
  )

/** No retries, so a failure is observed on the first answer. */
export const noRetry = { times: 0, base: "0 millis", maxWait: "0 millis" } as const

/** Runs `effect` under a tracer that keeps every span it starts. */
export const recordingSpans = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.tracerWith((inner) => {
    const spans: Array<Tracer.Span> = []
    const tracer = Tracer.make({
      span: (...args) => {
        const span = inner.span(...args)
        spans.push(span)
        return span
      },
      context: (f, fiber) => inner.context(f, fiber)
    })
    return effect.pipe(
      Effect.withTracer(tracer),
      Effect.exit,
      Effect.map((exit) => [exit, spans] as const)
    )
  })

/** Every `<…>` token Slack would parse in a mrkdwn string. */
export const slackTokens = (text: string): ReadonlyArray<string> => text.match(/<[^>]*>/g) ?? []
