/**
 * One pass at a time per issue, within a process. Overlapping ticks in one process (an embedding bot that
 * ticks on a schedule and on events, or ticks that outlast their interval) would otherwise both drive the
 * same locked issue and both send its terminal notification. The guard serialises them per issue; a pass
 * that had to wait is told so, and re-reads the issue before it acts, since the other pass may have
 * finished the run meanwhile. Across processes the protocol on the issue (deterministic ids, the lock,
 * records written before they are acted on) is the defence; see docs/protocol.md.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"

export interface Guard {
  /**
   * Runs `body` while no other pass of this process holds `key`; `contended` is true when it had to wait
   * for one, so what it read before waiting may be stale.
   */
  readonly exclusive: <A, E, R>(
    key: string,
    body: (contended: boolean) => Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E, R>
}

/** A guard of its own (one per process by default; tests give each simulated process its own). */
export const make = (): Guard => {
  const held = new Map<string, { readonly lock: Effect.Semaphore; users: number }>()
  return {
    exclusive: (key, body) =>
      Effect.suspend(() => {
        const entry = held.get(key) ?? { lock: Effect.unsafeMakeSemaphore(1), users: 0 }
        held.set(key, entry)
        const contended = entry.users > 0
        entry.users++
        return entry.lock.withPermits(1)(body(contended)).pipe(
          Effect.ensuring(Effect.sync(() => {
            entry.users--
            if (entry.users === 0) held.delete(key)
          }))
        )
      })
  }
}

/** The guard the programs use: the process-wide one unless a caller provides another. */
export class IssueGuard extends Context.Reference<IssueGuard>()("afk-core/IssueGuard", {
  defaultValue: make
}) {}
