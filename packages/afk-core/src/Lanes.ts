/**
 * A fixed number of lanes that effects take in turn, first come first served: a lane set free is handed
 * straight to the effect that has waited longest. `HttpKit` bounds each vendor client's requests in flight
 * with it.
 *
 * Effect's own semaphore wakes every waiting fiber whenever one permit is released, and all but one go back
 * to wait at the end of the line: with more callers than lanes (a tick's passes and its prefetch asking one
 * host at once) a cold 1,000-repository tick took the semaphore about 8 times per request, some 90 of its
 * 304 runtime operations per request, and no waiter kept its place (bench/RESULTS.md, twelfth part). Here a
 * free lane is taken in one step and a wait costs one suspension, resumed once.
 */
import * as Effect from "effect/Effect"

export interface Lanes {
  /** Runs `effect` in a lane, waiting for one in turn; the lane is given back however `effect` ends. */
  readonly withLane: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Lanes free now (for tests and metrics). */
  readonly free: Effect.Effect<number>
  /** Effects waiting for a lane now. */
  readonly waiting: Effect.Effect<number>
}

/** One effect waiting in line: resumed once, when a lane is handed to it. */
interface Waiter {
  resume: ((lane: Effect.Effect<void>) => void) | undefined
  /**
   * Set when a lane is handed over, before the waiter runs again: if it is interrupted in between, the lane is
   * its to give on (see `withLane`), never lost.
   */
  handed: boolean
}

/** `count` lanes (a whole number of at least 1). */
export const make = (count: number): Effect.Effect<Lanes> =>
  Effect.sync(() => {
    if (!Number.isInteger(count) || count < 1) {
      throw new RangeError(`Lanes.make: the number of lanes must be a whole number of at least 1, not ${count}`)
    }
    let free = count
    // A queue as an array with a moving head: waiters join at the end and leave from the head, or from
    // wherever they are when interrupted (rare).
    let line: Array<Waiter> = []
    let head = 0

    /** A lane set free: to the longest waiter, or free if nobody waits. */
    const giveBack = (): void => {
      if (head === line.length) {
        free++
        return
      }
      const next = line[head]!
      head++
      if (head === line.length) {
        line = []
        head = 0
      } else if (head > 1024 && head * 2 > line.length) {
        line = line.slice(head)
        head = 0
      }
      next.handed = true
      next.resume?.(Effect.void)
    }

    const leaveLine = (waiter: Waiter): void => {
      const at = line.indexOf(waiter, head)
      if (at !== -1) line.splice(at, 1)
    }

    /** Runs `effect` in a lane this fiber holds, and gives the lane back however it ends. */
    const inLane = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      Effect.matchCauseEffect(effect, {
        onFailure: (cause) =>
          Effect.suspend(() => {
            giveBack()
            return Effect.failCause(cause)
          }),
        onSuccess: (value) =>
          Effect.sync(() => {
            giveBack()
            return value
          })
      })

    return {
      // Uninterruptible but for the wait and `effect` itself. A free lane is taken in one step. A waiter's
      // outcome is read outside the wait, in one place: interrupted, it leaves the line, or gives on a lane
      // handed to it as it was interrupted.
      withLane: <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
        Effect.uninterruptibleMask((restore) =>
          Effect.suspend(() => {
            if (free > 0) {
              free--
              return inLane(restore(effect))
            }
            const waiter: Waiter = { resume: undefined, handed: false }
            const wait = Effect.async<void>((resume) => {
              waiter.resume = resume
              line.push(waiter)
            })
            return Effect.matchCauseEffect(restore(wait), {
              onFailure: (cause) =>
                Effect.suspend(() => {
                  if (waiter.handed) {
                    waiter.handed = false
                    giveBack()
                  } else leaveLine(waiter)
                  return Effect.failCause(cause)
                }),
              onSuccess: () => inLane(restore(effect))
            })
          })
        ),
      free: Effect.sync(() => free),
      waiting: Effect.sync(() => line.length - head)
    }
  })

/**
 * Runs `f` over `items`, at most `count` at once, started in the items' order: `count` fibers each take the next
 * item when done. `Effect.forEach` with a concurrency does the same with about eight runtime operations of
 * bookkeeping per item, here two; a tick reads a list or two per repository (bench/RESULTS.md, thirteenth part).
 * The first failure interrupts the items still running and fails the whole, as there.
 */
export const forEach = <A, E, R>(
  items: Iterable<A>,
  count: number,
  f: (item: A) => Effect.Effect<unknown, E, R>
): Effect.Effect<void, E, R> =>
  Effect.suspend(() => {
    const all = Array.from(items)
    let next = 0
    const worker: Effect.Effect<void, E, R> = Effect.suspend(() =>
      next < all.length ? Effect.flatMap(f(all[next++]!), () => worker) : Effect.void
    )
    const workers = Math.min(Math.max(1, Math.floor(count)), all.length)
    return workers <= 1
      ? worker
      : Effect.all(Array.from({ length: workers }, () => worker), { concurrency: "unbounded", discard: true })
  })
