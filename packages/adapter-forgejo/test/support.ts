/**
 * Seeds and wiring shared by the adapter's tests: a tracker or Ci port over a `ForgejoFake`.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type { Ci, PullRequests, Tracker } from "afk-core"
import * as Effect from "effect/Effect"
import * as ForgejoCi from "../src/ForgejoCi.js"
import * as ForgejoClient from "../src/ForgejoClient.js"
import type * as ForgejoForge from "../src/ForgejoForge.js"
import * as ForgejoPullRequests from "../src/ForgejoPullRequests.js"
import * as ForgejoTracker from "../src/ForgejoTracker.js"
import { ForgejoFake } from "../src/testing/index.js"

export type SeedIssue = ForgejoFake.Seed["issues"][number]

export const repoSlug = "acme/widgets"

export const at = (minute: number): string => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString()

export const issue = (number: number, overrides: Partial<SeedIssue> = {}): SeedIssue => ({
  number,
  title: `Issue ${number}`,
  body: `Body of ${number}`,
  labels: [],
  state: "open",
  author: "reporter",
  events: [],
  comments: [],
  ...overrides
})

export const seed = (overrides: Partial<ForgejoFake.Seed> = {}): ForgejoFake.Seed => ({
  repo: repoSlug,
  bot: "afk-bot",
  trusted: ["maintainer"],
  labels: ["afk:ready", "bug"],
  issues: [],
  ...overrides
})

/** A port over a client of its own, talking to the fake. */
const overClient = <A>(
  fake: ForgejoFake.ForgejoFake,
  options: Partial<ForgejoClient.Options>,
  port: Effect.Effect<A, never, ForgejoClient.ForgejoClient>
): Effect.Effect<A> =>
  port.pipe(
    Effect.provide(ForgejoClient.layer({ ...fake.options, ...options })),
    Effect.provideService(HttpClient.HttpClient, fake.client)
  )

export const trackerOver = (
  fake: ForgejoFake.ForgejoFake,
  options: Partial<ForgejoForge.Options> = {}
): Effect.Effect<Tracker.Service> => overClient(fake, options, ForgejoTracker.make(options))

export const ciOver = (
  fake: ForgejoFake.ForgejoFake,
  options: Partial<ForgejoClient.Options> = {}
): Effect.Effect<Ci.Service> => overClient(fake, options, ForgejoCi.make())

export const pullRequestsOver = (
  fake: ForgejoFake.ForgejoFake,
  options: Partial<ForgejoClient.Options> = {}
): Effect.Effect<PullRequests.Service> => overClient(fake, options, ForgejoPullRequests.make())

/** The fake and a tracker over it. */
export const setup = (
  overrides: Partial<ForgejoFake.Seed> = {},
  fakeOptions: ForgejoFake.Options = {},
  trackerOptions: Partial<ForgejoForge.Options> = {}
): Effect.Effect<{ readonly fake: ForgejoFake.ForgejoFake; readonly tracker: Tracker.Service }> =>
  Effect.gen(function*() {
    const fake = yield* ForgejoFake.make(seed(overrides), fakeOptions)
    const tracker = yield* trackerOver(fake, trackerOptions)
    return { fake, tracker }
  })

/** Requests the fake received whose path matches, with the method given. */
export const requestsTo = (fake: ForgejoFake.ForgejoFake, method: string, path: RegExp) =>
  Effect.map(fake.requests, (all) => all.filter((request) => request.method === method && path.test(request.path)))
