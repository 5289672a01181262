/**
 * quality.md P1: HTTP requests to the tracker per idle tick (nothing changed), a whole `Tick.run` (watch +
 * poll) through the real GitHub adapter over `GithubFake`; floor = 1 per allowlisted repo, and with
 * conditional requests (ETag → 304) no rate-limit point spent. Ticks on one client (one long-lived
 * process), on a fresh client per tick (how `afk-cli tick` runs: one process per tick, no cache directory),
 * and on a fresh client sharing a cache directory. Also an idle tick over a ready backlog that is refused
 * every time (labelled by a drive-by), and the same quiet world on Forgejo.
 *
 * Run: npx vite-node --config bench/vite.config.ts bench/p1-idle.ts
 */
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as TestContext from "effect/TestContext"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as World from "../test/world/World.js"
import * as Report from "./report.js"

const repos = 50
const issuesPerRepo = 200

const row = (name: string, ticked: World.Ticked) => [
  name,
  ticked.tally.tracker,
  ticked.tally.points ?? "—",
  ticked.tally.notModified ?? "—",
  World.decisions(ticked.report)
]

const checked = (ticked: World.Ticked) => {
  const failed = World.failures(ticked.report)
  return failed.length === 0
    ? Effect.succeed(ticked)
    : Effect.dieMessage(`an idle tick failed (no faults were injected):\n${failed.join("\n")}`)
}

const kinds = (ticked: World.Ticked) => ticked.tally.kinds.map(([kind, n]) => `  ${String(n).padStart(5)}  ${kind}`)

const github = Effect.gen(function*() {
  // Virtual time, two minutes between ticks, as a CronJob runs them: the GitHub adapter remembers a
  // repo's lists only once its newest change is a minute old, so the steady state starts at tick 3.
  const quiet = yield* World.make({ repos, issuesPerRepo, readyFraction: 0, time: "virtual" })
  const run = (ports?: Context.Context<World.Ports>) => Effect.flatMap(quiet.tick(ports), checked)
  const first = yield* run()
  const second = yield* run()
  const third = yield* run()
  const cold = yield* run(yield* quiet.ports())
  const directory = mkdtempSync(join(tmpdir(), "afk-bench-cache-"))
  yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(directory, { recursive: true, force: true })))
  const process = () => Effect.flatMap(quiet.ports({ cacheDirectory: directory }), run)
  const sharedFirst = yield* process()
  yield* process()
  const shared = yield* process()

  const refused = yield* World.make({
    repos,
    issuesPerRepo,
    readyFraction: 0.1,
    untrustedFraction: 1,
    time: "virtual"
  })
  const backlogFirst = yield* Effect.flatMap(refused.tick(), checked)
  yield* Effect.flatMap(refused.tick(), checked)
  const backlog = yield* Effect.flatMap(refused.tick(), checked)
  return { first, second, third, cold, sharedFirst, shared, backlogFirst, backlog }
}).pipe(Effect.provide(TestContext.TestContext))

export const program = Effect.gen(function*() {
  const { backlog, backlogFirst, cold, first, second, shared, sharedFirst, third } = yield* github
  const forgejo = yield* World.make({ forge: "forgejo", repos, issuesPerRepo, readyFraction: 0 })
  const forgejoFirst = yield* Effect.flatMap(forgejo.tick(), checked)
  const forgejoSecond = yield* Effect.flatMap(forgejo.tick(), checked)

  const floor = repos
  return {
    details: [
      `${repos} repos × ${issuesPerRepo} open issues, ticks two minutes apart (virtual time). Quiet: nothing ready,`,
      "nothing locked. Refused backlog: 10 % ready, every ready label applied by an untrusted drive-by (so every",
      "tick refuses the same issues). A fresh client = a new process (afk-cli runs one per tick).",
      "",
      Report.table(["tick", "requests", "points", "304s", "decisions"], [
        row("quiet 1 (first in the process)", first),
        row("quiet 2 (same client)", second),
        row("quiet 3 (same client): steady state", third),
        row("quiet, fresh client, no cache dir", cold),
        row("quiet, fresh client, shared cache dir, 1st", sharedFirst),
        row("quiet, fresh client, shared cache dir, 3rd (afk-cli)", shared),
        row("refused backlog 1", backlogFirst),
        row("refused backlog 3 (same client)", backlog),
        row("Forgejo quiet 1", forgejoFirst),
        row("Forgejo quiet 2 (same client)", forgejoSecond)
      ]),
      "",
      "Requests of quiet tick 1 by kind:",
      ...kinds(first),
      "Requests of quiet tick 3 by kind:",
      ...kinds(third),
      "Requests of the 3rd fresh client sharing a cache directory by kind:",
      ...kinds(shared),
      "Requests of refused-backlog tick 3 by kind:",
      ...kinds(backlog)
    ],
    figures: [
      Report.reported("P1", `idle tick 1, ${repos} repos, empty cache: tracker requests`, first.tally.tracker, "req"),
      Report.ratio("P1", "idle tick 3, same client: tracker requests", third.tally.tracker, "req", floor, 1),
      Report.atMost("P1", "idle tick 3, same client: rate-limit points", third.tally.points ?? NaN, "pts", 0),
      Report.ratio(
        "P1",
        "idle tick, 3rd fresh client, shared cache dir (as afk-cli): requests",
        shared.tally.tracker,
        "req",
        floor,
        1
      ),
      Report.atMost(
        "P1",
        "idle tick, 3rd fresh client, shared cache dir (as afk-cli): points",
        shared.tally.points ?? NaN,
        "pts",
        0
      ),
      Report.reported("P1", "idle tick, fresh client, no cache dir: points", cold.tally.points ?? NaN, "pts"),
      Report.ratio(
        "P1",
        "idle tick 3, 10 % ready but refused: tracker requests",
        backlog.tally.tracker,
        "req",
        floor,
        1
      )
    ]
  } satisfies Report.Outcome
})

Report.main("P1: tracker requests per idle tick (GitHub adapter over GithubFake)", program)
