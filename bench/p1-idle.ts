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

export const program = Effect.gen(function*() {
  const quiet = yield* World.make({ repos, issuesPerRepo, readyFraction: 0 })
  const run = (ports?: Context.Context<World.Ports>) => Effect.flatMap(quiet.tick(ports), checked)
  const first = yield* run()
  const second = yield* run()
  const cold = yield* run(yield* quiet.ports())
  const directory = mkdtempSync(join(tmpdir(), "afk-bench-cache-"))
  yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(directory, { recursive: true, force: true })))
  yield* run(yield* quiet.ports({ cacheDirectory: directory }))
  const shared = yield* run(yield* quiet.ports({ cacheDirectory: directory }))

  const refused = yield* World.make({ repos, issuesPerRepo, readyFraction: 0.1, untrustedFraction: 1 })
  const backlogFirst = yield* Effect.flatMap(refused.tick(), checked)
  const backlogSecond = yield* Effect.flatMap(refused.tick(), checked)

  const forgejo = yield* World.make({ forge: "forgejo", repos, issuesPerRepo, readyFraction: 0 })
  const forgejoFirst = yield* Effect.flatMap(forgejo.tick(), checked)
  const forgejoSecond = yield* Effect.flatMap(forgejo.tick(), checked)

  const floor = repos
  return {
    details: [
      `${repos} repos × ${issuesPerRepo} open issues. Quiet: nothing ready, nothing locked. Refused backlog: 10 % ready,`,
      "every ready label applied by an untrusted drive-by (so every tick refuses the same issues).",
      "",
      Report.table(["tick", "requests", "points", "304s", "decisions"], [
        row("quiet 1 (first in the process)", first),
        row("quiet 2 (same client)", second),
        row("quiet, fresh client, no cache dir (afk-cli)", cold),
        row("quiet, fresh client, shared cache dir", shared),
        row("refused backlog 1", backlogFirst),
        row("refused backlog 2 (same client)", backlogSecond),
        row("Forgejo quiet 1", forgejoFirst),
        row("Forgejo quiet 2 (same client)", forgejoSecond)
      ]),
      "",
      "Requests of quiet tick 1 by kind:",
      ...kinds(first),
      "Requests of refused-backlog tick 1 by kind:",
      ...kinds(backlogFirst),
      "Requests of refused-backlog tick 2 by kind:",
      ...kinds(backlogSecond)
    ],
    figures: [
      Report.ratio("P1", `idle tick 1, ${repos} repos: tracker requests`, first.tally.tracker, "req", floor, 1),
      Report.ratio("P1", "idle tick 2, same client: tracker requests", second.tally.tracker, "req", floor, 1),
      Report.atMost("P1", "idle tick 2, same client: rate-limit points", second.tally.points ?? NaN, "pts", 0),
      Report.atMost(
        "P1",
        "idle tick, fresh client, no cache dir (as afk-cli): points",
        cold.tally.points ?? NaN,
        "pts",
        0
      ),
      Report.atMost("P1", "idle tick, fresh client, shared cache dir: points", shared.tally.points ?? NaN, "pts", 0),
      Report.ratio(
        "P1",
        "idle tick 2, 10 % ready but refused: tracker requests",
        backlogSecond.tally.tracker,
        "req",
        floor,
        1
      )
    ]
  } satisfies Report.Outcome
})

Report.main("P1: tracker requests per idle tick (GitHub adapter over GithubFake)", program)
