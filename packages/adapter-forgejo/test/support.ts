/**
 * Seeds and wiring shared by the adapter's tests: a tracker or Ci port over a `ForgejoFake`.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type { Ci, Tracker } from "afk-core"
import * as Effect from "effect/Effect"
import * as ForgejoCi from "../src/ForgejoCi.js"
import type * as ForgejoClient from "../src/ForgejoClient.js"
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

export const trackerOver = (fake: ForgejoFake.ForgejoFake, options: Partial<ForgejoTracker.Options> = {}) =>
  ForgejoTracker.make({ ...fake.options, ...options }).pipe(Effect.provideService(HttpClient.HttpClient, fake.client))

export const ciOver = (
  fake: ForgejoFake.ForgejoFake,
  options: Partial<ForgejoClient.Options> = {}
): Effect.Effect<Ci.Service> =>
  ForgejoCi.make({ ...fake.options, ...options }).pipe(Effect.provideService(HttpClient.HttpClient, fake.client))

/** The fake and a tracker over it. */
export const setup = (
  overrides: Partial<ForgejoFake.Seed> = {},
  fakeOptions: ForgejoFake.Options = {},
  trackerOptions: Partial<ForgejoTracker.Options> = {}
): Effect.Effect<{ readonly fake: ForgejoFake.ForgejoFake; readonly tracker: Tracker.Service }> =>
  Effect.gen(function*() {
    const fake = yield* ForgejoFake.make(seed(overrides), fakeOptions)
    const tracker = yield* trackerOver(fake, trackerOptions)
    return { fake, tracker }
  })

/** Requests the fake received whose path matches, with the method given. */
export const requestsTo = (fake: ForgejoFake.ForgejoFake, method: string, path: RegExp) =>
  Effect.map(fake.requests, (all) => all.filter((request) => request.method === method && path.test(request.path)))
