/**
 * Shared test helpers: seeds for the GitHub fake and a tracker / CI built over it.
 */
import { type Ci, Domain, type Tracker } from "afk-core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as GithubAuth from "../src/GithubAuth.js"
import * as GithubCi from "../src/GithubCi.js"
import * as GithubClient from "../src/GithubClient.js"
import * as GithubTracker from "../src/GithubTracker.js"
import type { GithubFake } from "../src/testing/index.js"

export const repo = Domain.repo("octo/hello")

const at = (minute: number): string => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString()

/** A repo with `count` issues: every third labelled `afk`, every fifth a pull request, #2 closed. */
export const seed = (count = 25, slug: string = repo): GithubFake.Seed => ({
  repo: slug,
  bot: "afk-bot",
  trusted: ["alice"],
  labels: ["afk", "bug"],
  issues: Array.from({ length: count }, (_, index) => {
    const number = index + 1
    return {
      number,
      title: `Issue ${number}`,
      body: number === 1 ? "" : `Body of ${number}`,
      labels: number % 3 === 0 ? ["afk"] : ["bug"],
      state: number === 2 ? ("closed" as const) : ("open" as const),
      author: "mallory",
      isPullRequest: number % 5 === 0,
      events: Array.from({ length: number === 1 ? 12 : 1 }, (_, i) => ({
        label: i % 2 === 0 ? "afk" : "bug",
        action: i % 3 === 2 ? ("removed" as const) : ("added" as const),
        actor: i % 2 === 0 ? "alice" : "mallory",
        at: at(i)
      })),
      comments: Array.from({ length: number === 1 ? 23 : 0 }, (_, i) => ({
        author: i % 2 === 0 ? "alice" : "afk-bot",
        body: `comment ${i}`,
        createdAt: at(i)
      }))
    }
  })
})

export const token = GithubAuth.token("ghp_test_token_value")

export const clientLayer = (fake: GithubFake.GithubFake, options: Partial<GithubClient.Options> = {}) =>
  GithubClient.layer({ auth: token, baseUrl: fake.baseUrl, ...options }).pipe(Layer.provide(fake.layer))

/** A tracker over the fake. */
export const trackerOver = (
  fake: GithubFake.GithubFake,
  options: Partial<GithubClient.Options> & GithubTracker.Options = {}
): Effect.Effect<Tracker.Service> => GithubTracker.make(options).pipe(Effect.provide(clientLayer(fake, options)))

/**
 * One process over the fake: a tracker made for `use` on a client of its own, whose cache file (with a cache
 * directory) is written when `use` ends, as at a process's exit.
 */
export const inProcess = <A, E>(
  fake: GithubFake.GithubFake,
  options: Partial<GithubClient.Options> & GithubTracker.Options,
  use: (tracker: Tracker.Service) => Effect.Effect<A, E>
): Effect.Effect<A, E> =>
  Effect.scoped(
    Effect.flatMap(
      Layer.build(clientLayer(fake, options)),
      (context) => Effect.flatMap(GithubTracker.make(options).pipe(Effect.provide(context)), use)
    )
  )

export const ciOver = (
  fake: GithubFake.GithubFake,
  options: Partial<GithubClient.Options> & GithubCi.Options = {}
): Effect.Effect<Ci.Service> => GithubCi.make(options).pipe(Effect.provide(clientLayer(fake, options)))

/** Requests the fake saw, as `METHOD path`. */
export const sent = (fake: GithubFake.GithubFake): ReadonlyArray<string> =>
  fake.log.map((entry) => `${entry.method} ${entry.path}`)
