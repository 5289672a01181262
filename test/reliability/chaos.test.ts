/**
 * The chaos run, on each T3 protocol: 200 ticks (100 in CI) on one world (real adapters over the GitHub, T3 and Slack fakes, a light 5 %
 * background of faults) in which the agent server, the tracker and Slack each go down for a stretch, and
 * T3 and Slack once together. Every run still reaches a verdict, nothing is dispatched twice, nothing is
 * closed without green CI, and the notifications of runs that ended while Slack was down are delivered once
 * it is back: the engine keeps a terminal run's lock until its notification is delivered when the
 * failure is transient, so the next pass after the outage sends it and only then releases the lock.
 */
import { describe, expect, it } from "@effect/vitest"
import { Domain, RunRecord } from "afk-core"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Faults from "../world/Faults.js"
import * as Forge from "../world/Forge.js"
import * as Random from "../world/Random.js"
import type * as Script from "../world/Script.js"
import * as World from "../world/World.js"
import * as Invariants from "./support/Invariants.js"
import * as Scale from "./support/Scale.js"

const seed = Number(process.env.AFK_RELIABILITY_SEED ?? 424242)
const repos = ["acme/app", "acme/lib", "acme/web"].map(Domain.repo)
/** A quiet repository that gets one issue, bound to escalate, as Slack goes down. */
const ops = Domain.repo("acme/ops")
const ticks = Scale.pick(100, 200)
/** Every run's token budget: above what a run of these scripts spends, so verdicts stay what they are. */
const runMaxTokens = 40_000

type Outage = "t3" | "github" | "slack"

/** Tick `fraction` of the way through the run. */
const at = (fraction: number) => Math.round(ticks * fraction)

/** Which services are down at tick `t` (1-based): T3, then the tracker, then Slack, then T3 and Slack together. */
const down = (t: number): ReadonlySet<Outage> => {
  const out = new Set<Outage>()
  if (t >= at(0.15) && t < at(0.3)) out.add("t3")
  if (t >= at(0.4) && t < at(0.5)) out.add("github")
  if (t >= at(0.6) && t < at(0.75)) out.add("slack")
  if (t >= at(0.85) && t < at(0.9)) {
    out.add("t3")
    out.add("slack")
  }
  return out
}

const arrivals: Readonly<Record<Script.Kind, number>> = {
  green: 25,
  slowGreen: 10,
  redThenGreen: 15,
  frozen: 10,
  noPush: 15,
  fail: 10,
  untrusted: 5,
  blocked: 5,
  paused: 5
}

describe.each([1, 2] as const)("chaos, T3 protocol %i", (protocol) => {
  it.scoped(
    `${ticks} ticks through T3, tracker and Slack outages: verdicts for all, no duplicates, no lost escalation`,
    () =>
      Effect.gen(function*() {
        const random = Random.make(seed)
        const reliability = World.reliability([...repos, ops])
        const world = yield* World.make({
          ...reliability,
          config: { ...reliability.config, runMaxTokens: Option.some(runMaxTokens) },
          random,
          faults: { rate: 0.05 },
          t3Protocol: protocol
        })
        for (const repo of repos) world.addIssue(repo, "paused")
        const violations: Array<string> = []
        const outageTicks: Record<Outage, number> = { t3: 0, github: 0, slack: 0 }
        let failedDuringTrackerOutage = 0
        const terminal = (issue: World.Planned) => {
          const latest = Invariants.view(world, issue).latest
          return latest !== undefined && RunRecord.isTerminal(latest)
        }
        const endedBefore = new Set<World.Planned>()
        const endedWhileSlackDown = new Set<World.Planned>()
        let heldForSlack: ReadonlyArray<World.Planned> = []
        let postedBeforeSlackReturned = 0
        for (let t = 1; t <= ticks; t++) {
          const now = down(t)
          world.t3.setUnreachable(now.has("t3"))
          world.controls.trackerDown = now.has("github")
          world.controls.slackDown = now.has("slack")
          for (const service of now) outageTicks[service]++
          if (t === at(0.6)) world.addIssue(ops, random.pick(["noPush", "fail"]))
          if (t === at(0.56)) {
            for (const repo of repos) {
              world.addIssue(repo, random.pick(["noPush", "fail", "frozen"]), { labels: ["priority:-1"] })
            }
          }
          if (random.chance(0.2)) world.addIssue(random.pick(repos), random.weighted(arrivals))
          const { report } = yield* world.tick()
          if (now.has("github") && report.failed) failedDuringTrackerOutage++
          violations.push(...Invariants.afterTick(world, `tick ${t} (down: ${[...now].join(", ") || "none"})`))
          if (t === at(0.6) - 1) { for (const issue of world.planned().filter(terminal)) endedBefore.add(issue) }
          if (t >= at(0.6) && t < at(0.75)) {
            for (const issue of world.planned().filter(terminal)) {
              if (!endedBefore.has(issue)) endedWhileSlackDown.add(issue)
            }
          }
          if (t === at(0.75) - 1) {
            heldForSlack = [...endedWhileSlackDown].filter((issue) =>
              Invariants.view(world, issue).labels.includes(Forge.labels.lock)
            )
            postedBeforeSlackReturned = (yield* world.slack.posted).length
          }
        }
        expect(violations, `seed ${seed}`).toEqual([])
        expect(failedDuringTrackerOutage, "every tick failed while the tracker was down").toBe(outageTicks.github)

        const escalatedWhileSlackDown = [...endedWhileSlackDown].filter((issue) =>
          Invariants.view(world, issue).latest?.phase === "escalated"
        )
        expect(escalatedWhileSlackDown.length, "escalations happened while Slack was down").toBeGreaterThan(0)

        world.controls.faultRate = 0
        world.t3.setUnreachable(false)
        world.controls.trackerDown = false
        world.controls.slackDown = false
        const drained = yield* world.settle(150)
        const posted = yield* world.slack.posted
        const delivered = posted.map((message) => message.text ?? "")
        expect(Invariants.afterTick(world, "at rest"), `seed ${seed}`).toEqual([])
        expect(Invariants.atRest(world, "at rest", delivered), `seed ${seed}`).toEqual([])
        const lingering = world.t3.liveSessions()
        expect(lingering, "agent sessions still alive on the T3 host at rest").toBe(0)
        const usage = world.planned().flatMap((issue) => {
          const latest = Invariants.view(world, issue).latest
          return latest?.usage === undefined ? [] : [{ ref: issue.ref, tokens: latest.usage.total }]
        })
        const ended = world.planned().filter((issue) => {
          const latest = Invariants.view(world, issue).latest
          return latest !== undefined && RunRecord.isTerminal(latest) &&
            world.t3.threads().some((t) => t.id === latest.threadId)
        })
        if (protocol === 1) {
          expect(usage.length, "every run whose agent turn ended recorded its tokens").toBeGreaterThan(0)
        } else {
          expect(usage, "protocol 2's projection reports no token usage: no record claims any").toEqual([])
        }
        expect(usage.filter((u) => u.tokens > runMaxTokens), "runs over AFK_RUN_MAX_TOKENS").toEqual([])
        const mostTokens = Math.max(0, ...usage.map((u) => u.tokens))
        const afterOutage = delivered.slice(postedBeforeSlackReturned)
        for (const issue of endedWhileSlackDown) {
          expect(heldForSlack, `${issue.ref} kept its lock until its notification could be sent`).toContain(issue)
          expect(
            afterOutage.some((text) => text.includes(` ${issue.ref} `)),
            `${issue.ref} (${issue.kind}), terminal while Slack was down, was notified once Slack was back`
          ).toBe(true)
          expect(Invariants.view(world, issue).labels).not.toContain(Forge.labels.lock)
        }
        const github = Invariants.retries(world.journals.tracker, 4)
        expect(github.violations).toEqual([])
        expect(Invariants.retries(world.journals.slack, 2, Faults.byRequest).violations).toEqual([])
        const socketFaults = [...world.socketFaults().values()].reduce((a, b) => a + b, 0)
        if (protocol === 2) expect(socketFaults, "WebSocket faults armed on protocol 2").toBeGreaterThan(0)
        const planned = world.planned()
        console.info(
          `chaos (seed ${seed}, T3 protocol ${protocol}, ${socketFaults} WebSocket faults): ${ticks} ticks + ${drained} to drain; ${planned.length} issues (${
            planned.filter((p) => p.eligible).length
          } eligible); down for ${JSON.stringify(outageTicks)} ticks; ${endedWhileSlackDown.size} runs ended while ` +
            `Slack was down (${escalatedWhileSlackDown.length} escalations), each notified after it came back; ` +
            `${posted.length} Slack messages; ${lingering} lingering agent sessions; ` +
            `${usage.length} of ${ended.length} ended runs recorded tokens, most ${mostTokens} of ${runMaxTokens}; ` +
            `${Invariants.findings(world)}`
        )
      }),
    120_000
  )
})
