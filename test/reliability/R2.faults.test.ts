/**
 * quality.md R2, fault injection: many ticks over a world of several repos, with a fifth of the calls to
 * GitHub, T3 Code and Slack failing (5xx, 429 and secondary-limit 403 with `Retry-After`, truncated or
 * malformed JSON, resets before and after the server applied the request, timeouts, a few 4xx), through
 * the real adapters and the real T3 runtime over their fakes. After every tick the invariants hold; at
 * the end every run reached its verdict; every `Retry-After` was waited out (virtual clock); no
 * 400/401/404/422 was ever sent twice. Run with the GitHub tracker's REST lists and with GraphQL lists
 * (`afk-cli`'s default), whose faulted or paginated queries fall back to REST list by list.
 */
import { describe, expect, it } from "@effect/vitest"
import { Domain } from "afk-core"
import * as Effect from "effect/Effect"
import * as Faults from "../world/Faults.js"
import * as Random from "../world/Random.js"
import type * as Script from "../world/Script.js"
import * as World from "../world/World.js"
import * as Invariants from "./support/Invariants.js"
import * as Scale from "./support/Scale.js"

const ticks = Scale.pick(100, 1_000)
const seed = Number(process.env.AFK_RELIABILITY_SEED ?? 20260601)
const repos = ["acme/app", "acme/lib", "acme/web"].map(Domain.repo)

const arrivals: Readonly<Record<Script.Kind, number>> = {
  green: 30,
  slowGreen: 15,
  redThenGreen: 15,
  frozen: 8,
  noPush: 10,
  fail: 7,
  untrusted: 6,
  blocked: 5,
  paused: 4
}

const ratio = (part: number, whole: number) => (whole === 0 ? 0 : part / whole)

describe("R2 fault injection", () => {
  it.scoped(
    "a refusal a fault left behind (a 404 on the permission check) holds its issue back for untrustedTtl only: at rest it has run",
    () =>
      Effect.gen(function*() {
        const repo = repos[0]!
        const world = yield* World.make(World.reliability([repo]))
        world.addIssue(repo, "green")
        World.github(world).inject({ status: 404, path: "/collaborators/maintainer/permission" })
        yield* world.tick()
        expect(world.t3.threads(), "refused as untrusted on the 404").toHaveLength(0)
        yield* world.settle(40)
        const delivered = (yield* world.slack.posted).map((posted) => posted.text ?? "")
        expect(Invariants.atRest(world, "at rest", delivered)).toEqual([])
      })
  )

  // REST lists (the GitHub tracker's own default) and GraphQL lists (afk-cli's), each list the query cannot
  // answer, faulted or paginated, read the REST way.
  it.scoped.each(["rest", "graphql"] as const)(
    `${ticks} ticks with 20 %% of calls failing keep every invariant, and every run reaches its verdict (%s lists)`,
    (lists) =>
      Effect.gen(function*() {
        const random = Random.make(seed)
        const world = yield* World.make({
          ...World.reliability(repos),
          random,
          faults: { rate: 0.2 },
          githubTracker: { lists }
        })
        for (const repo of repos) world.addIssue(repo, "paused")
        const kinds = Object.keys(arrivals) as Array<Script.Kind>
        kinds.forEach((kind, i) => world.addIssue(repos[i % repos.length]!, kind))
        const violations: Array<string> = []
        for (let t = 1; t <= ticks && violations.length === 0; t++) {
          if (random.chance(0.15)) world.addIssue(random.pick(repos), random.weighted(arrivals))
          yield* world.tick()
          violations.push(...Invariants.afterTick(world, `tick ${t}`))
        }
        expect(violations, `seed ${seed}`).toEqual([])

        world.controls.faultRate = 0
        const drained = yield* world.settle(150)
        const delivered = (yield* world.slack.posted).map((posted) => posted.text ?? "")
        expect(Invariants.afterTick(world, "at rest"), `seed ${seed}`).toEqual([])
        expect(Invariants.atRest(world, "at rest", delivered), `seed ${seed}`).toEqual([])

        const github = Invariants.retries(world.journals.tracker, 4)
        expect(github.violations, `seed ${seed}`).toEqual([])
        expect(github.refusedOnce, "some 4xx answers were seen (the no-retry rule was exercised)").toBeGreaterThan(5)
        expect(github.waited, "some Retry-After waits were seen").toBeGreaterThan(5)
        const slack = Invariants.retries(world.journals.slack, 2, Faults.byRequest)
        expect(slack.violations, `seed ${seed}`).toEqual([])
        if (Scale.full) expect(slack.waited, "some Slack Retry-After waits were seen").toBeGreaterThan(0)

        const counts = {
          github: world.journals.tracker.counts(),
          t3: world.journals.t3.counts(),
          slack: world.journals.slack.counts()
        }
        const faulted = counts.github.faulted + counts.t3.faulted + counts.slack.faulted
        const requests = counts.github.requests + counts.t3.requests + counts.slack.requests
        const planned = world.planned()
        // The lists' queries carry `issues(labels: …)`; the body-edit reads do not.
        const listQueries = world.journals.tracker.entries.filter((e) =>
          e.method === "POST" && e.url.endsWith("/graphql") && e.body.includes("issues(labels:")
        )
        if (lists === "graphql") {
          expect(
            listQueries.filter((e) => e.status === 200 && e.fault === undefined).length,
            "lists answered by the query"
          )
            .toBeGreaterThan(10)
          expect(listQueries.filter((e) => e.fault !== undefined).length, "and some queries faulted").toBeGreaterThan(0)
        } else expect(listQueries).toEqual([])
        console.info(
          `R2 (seed ${seed}, ${lists} lists): ${ticks} ticks + ${drained} to drain; ${planned.length} issues ` +
            `(${planned.filter((p) => p.eligible).length} eligible); requests ${JSON.stringify(counts)}; faulted ${
              (100 * ratio(faulted, requests)).toFixed(1)
            } %; ` +
            `${github.waited} Retry-After waits honoured (max overshoot ${github.overshootMillis} ms), ` +
            `${github.refusedOnce} 4xx never resent; ${listQueries.length} list queries (${
              listQueries.filter((e) => e.fault !== undefined).length
            } faulted); ${slack.waited} Slack Retry-After waits; ${delivered.length} Slack messages; ${
              Invariants.findings(world)
            }`
        )
        const during = ratio(faulted, requests)
        expect(during).toBeGreaterThan(0.1)
        expect(during).toBeLessThan(0.25)
        expect(planned.filter((p) => p.eligible).length).toBeGreaterThanOrEqual(6)
      }),
    Scale.pick(120_000, 3_600_000)
  )
})
