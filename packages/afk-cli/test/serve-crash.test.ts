/**
 * quality.md R1 for `afk-cli serve`: the daemon is killed (SIGKILL, no grace) just after each write of a
 * dispatch has landed at the forge or at T3 — before its answer reaches the daemon — and a new daemon is started
 * on the same world. After its passes the issue holds exactly one run: one agent thread with one turn, the lock,
 * one run record naming that thread. No write is half-done in a way the next daemon cannot finish, and nothing
 * is done twice (prior-art §8.3: a crash between dispatch and record must not dispatch again).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Daemon from "./support/Daemon.js"
import * as World from "./support/World.js"

/** Every write either fake received: GitHub's as `METHOD path`, then T3's as `t3 METHOD path`. */
const writes = (world: World.World): ReadonlyArray<string> => [
  ...world.github.writes(),
  ...world.t3.requests().filter((r) => r.method !== "GET").map((r) => `t3 ${r.method} ${r.path}`)
]

const issue = (world: World.World) => world.github.fake.world.repos.get(World.repo)?.issues.get(1)

const records = (world: World.World) =>
  (issue(world)?.commentIds ?? [])
    .flatMap((id) => world.github.fake.world.comments.get(id) ?? [])
    .filter((comment) => comment.author === "afk-bot" && comment.body.includes("afk-run:"))

const env = (world: World.World) => ({ ...world.env, AFK_RECONCILE_SECONDS: "1" })

/** One dispatched run, whole: what every crash point must converge to. */
const settled = (world: World.World) => {
  const threads = world.t3.threads()
  const body = records(world)[0]?.body ?? ""
  return threads.length === 1 && threads[0]!.messages.some((m) => m.role === "user") &&
    body.includes(threads[0]!.id)
}

const converge = (world: World.World) =>
  Effect.gen(function*() {
    const daemon = yield* Daemon.start(env(world))
    yield* Daemon.until(() => settled(world), 30_000, "the run to settle")
    const ticks = (daemon.stderr().match(/\(tick\)/g) ?? []).length
    yield* Daemon.until(
      () => (daemon.stderr().match(/\(tick\)/g) ?? []).length >= ticks + 2,
      30_000,
      "two more ticks"
    )
    expect(yield* daemon.stop()).toBe(0)
  })

describe("R1 for serve: a daemon killed after any write of a dispatch", () => {
  it.scopedLive(
    "§8.3 each crash point converges to one thread, one turn, one record, the lock held",
    () =>
      Effect.gen(function*() {
        const clean = yield* World.make({ latency: 40 })
        yield* converge(clean)
        const points = writes(clean).length
        expect(points).toBeGreaterThanOrEqual(4)
        const unsettled: Array<string> = []
        for (let point = 1; point <= points; point++) {
          const world = yield* World.make({ latency: 40 })
          const first = yield* Daemon.start(env(world))
          yield* Daemon.until(() => writes(world).length >= point, 30_000, `write ${point}`)
          yield* first.stop("SIGKILL")
          const landed = writes(world)
          if (!settled(world)) unsettled.push(`write ${point}`)
          yield* converge(world)
          const threads = world.t3.threads()
          const where = `killed after write ${point}: ${landed.join(", ")}`
          expect(threads, where).toHaveLength(1)
          expect(threads[0]!.messages.filter((m) => m.role === "user"), where).toHaveLength(1)
          expect(records(world), where).toHaveLength(1)
          expect(issue(world)?.labels, where).toContain("agent-in-progress")
          expect(writes(world).filter((w) => w.startsWith("POST /repos/acme/app/issues/1/comments")), where)
            .toHaveLength(1)
        }
        // The lock, the thread and its first turn land before the run record: a kill after each left it unfinished.
        expect(unsettled.length, unsettled.join(" | ")).toBeGreaterThanOrEqual(3)
      }),
    240_000
  )
})
