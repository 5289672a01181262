import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { Check } from "../src/Domain.js"
import * as RepoPolicy from "../src/RepoPolicy.js"
import * as RunRecord from "../src/RunRecord.js"
import * as Status from "../src/Status.js"
import * as World from "./support/world.js"

const { app, lib, armed, bot, ready } = World

const reasonFor = (text: string) => Either.getLeft(RepoPolicy.decode(text)).pipe(Option.getOrThrow)

const phase = (world: World.World, n: number) =>
  Option.getOrUndefined(RunRecord.latest(world.tracker.comments(app, n), bot))?.record.phase

describe("poll and watch under a repository's .afk.json", () => {
  it.effect("a file that tries to arm or widen the allowlist refuses its repo, one decision, while the other dispatches", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ issues: { [app]: [ready(1), ready(2)], [lib]: [ready(1)] } })
      const file = JSON.stringify({ armed: true, allowlist: ["evil/repo"] })
      world.tracker.setPolicyFile(app, file)
      const report = yield* world.tick(armed())
      const aboutApp = report.poll.decisions.filter((d) => d.subject.startsWith("acme/app"))
      expect(aboutApp).toEqual([{ subject: "acme/app", action: "refuse", reason: reasonFor(file) }])
      expect(reasonFor(file)).toContain("unknown keys \"armed\", \"allowlist\"")
      expect(world.tracker.issue(app, 1).labels).not.toContain("agent-in-progress")
      expect(world.tracker.issue(lib, 1).labels).toContain("agent-in-progress")
      expect(world.agent.threads().map((t) => String(t.issue))).toEqual(["acme/lib#1"])
    }))

  it.effect("pull-request delivery with no PullRequests port is refused with its reason, never pushed", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ issues: { [app]: [ready(1)] }, noPulls: true })
      world.tracker.setPolicyFile(app, "{ \"delivery\": \"pull-request\" }")
      const report = yield* world.tick(armed())
      expect(report.poll.decisions).toEqual([{
        subject: "acme/app",
        action: "refuse",
        reason: "pull-request delivery is configured, but this runtime provides no PullRequests port to open and " +
          "merge pull requests: provide the forge's PullRequests layer (afk-cli's GitHub and Forgejo forges do), or " +
          "use push delivery"
      }])
      expect(world.agent.threadsCreated()).toBe(0)
    }))

  it.effect("an idle repo's file is never read: an idle tick asks exactly what it asked without the file", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ issues: { [lib]: [ready(1)] } })
      yield* world.settle(armed())
      const idleReads = () => ({ ...world.tracker.reads })
      const before = idleReads()
      yield* world.tick(armed())
      const withoutFile = Object.values(idleReads()).reduce((a, b) => a + b, 0) -
        Object.values(before).reduce((a, b) => a + b, 0)
      world.tracker.setPolicyFile(app, "{ \"instructions\": \"x\" }")
      world.tracker.setPolicyFile(lib, "{ \"instructions\": \"x\" }")
      const middle = idleReads()
      yield* world.tick(armed())
      const withFile = Object.values(idleReads()).reduce((a, b) => a + b, 0) -
        Object.values(middle).reduce((a, b) => a + b, 0)
      expect(withFile).toBe(withoutFile)
      expect(idleReads().policyFile).toBe(middle.policyFile)
    }))

  it.effect("the repo's instructions reach the first turn after the standing rules, fenced", () =>
    Effect.gen(function*() {
      const texts: Array<string> = []
      const world = yield* World.make({
        issues: { [app]: [ready(1)] },
        behaviour: (turn) => {
          texts.push(turn.text)
          return { _tag: "push", afterPolls: 1 }
        }
      })
      world.tracker.setPolicyFile(app, JSON.stringify({ instructions: "Run `make check` first." }))
      yield* world.tick(armed())
      expect(texts).toHaveLength(1)
      expect(texts[0]).toContain("```repository-instructions\nRun `make check` first.\n```")
      expect(texts[0]!.indexOf("Standing rules")).toBeLessThan(texts[0]!.indexOf("repository-instructions"))
    }))

  it.effect("watch decides CI with the repo's requiredChecks, replacing the operator's", () =>
    Effect.gen(function*() {
      const ci =
        () => [new Check({ name: "ci/build", state: "success" }), new Check({ name: "lint", state: "failure" })]
      const plain = yield* World.make({ issues: { [app]: [ready(1)] }, ci })
      yield* plain.settle(armed({ fixForwardMaxAttempts: 0 }))
      expect(phase(plain, 1)).not.toBe("done")
      const tuned = yield* World.make({ issues: { [app]: [ready(1)] }, ci })
      tuned.tracker.setPolicyFile(app, JSON.stringify({ requiredChecks: ["ci/*"] }))
      yield* tuned.settle(armed({ fixForwardMaxAttempts: 0 }))
      expect(phase(tuned, 1)).toBe("done")
      expect(tuned.tracker.issue(app, 1).state).toBe("closed")
    }))

  it.effect("watch spends the repo's fixForwardMaxAttempts, replacing the operator's budget", () =>
    Effect.gen(function*() {
      // A new failure on every commit, so the budget (not a repeated failure) is what stops the run.
      const red = (
        { shaIndex }: { readonly shaIndex: number }
      ) => [new Check({ name: `test-${shaIndex}`, state: "failure" })]
      const world = yield* World.make({ issues: { [app]: [ready(1)] }, ci: red })
      world.tracker.setPolicyFile(app, JSON.stringify({ fixForwardMaxAttempts: 1 }))
      yield* world.settle(armed({ fixForwardMaxAttempts: 5 }))
      expect(world.agent.turnsStarted()).toBe(2)
      expect(phase(world, 1)).not.toBe("done")
    }))

  it.effect("status shows each run under its repo's budget, and a refused repo with its reason", () =>
    Effect.gen(function*() {
      const world = yield* World.make({
        issues: { [app]: [ready(1)], [lib]: [ready(1)] },
        behaviour: () => ({ _tag: "noPush", afterPolls: 100 })
      })
      world.tracker.setPolicyFile(app, JSON.stringify({ fixForwardMaxAttempts: 1 }))
      yield* world.tick(armed({ maxConcurrentRuns: 5 }))
      world.tracker.setPolicyFile(lib, "{ \"delivery\": \"carrier-pigeon\" }")
      const report = yield* Effect.provide(Status.run(armed({ fixForwardMaxAttempts: 5 })), world.layer)
      expect(report.rows.map((row) => [row.issue, row.maxAttempts])).toEqual([["acme/app#1", 1], ["acme/lib#1", 5]])
      expect(report.refused).toEqual([{ repo: lib, reason: reasonFor("{ \"delivery\": \"carrier-pigeon\" }") }])
    }))
})
