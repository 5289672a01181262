/**
 * A keyed memo that lives for one pass: the first ask for a key starts the read, every later or concurrent
 * ask for that key shares it. What happens to a read that fails is chosen when the memo is made, so each
 * caller says it: `"remember"` keeps the failure for the rest of the pass, `"retry"` forgets it so the next
 * ask reads again.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"

/** What a failed read leaves behind: its failure for every later ask (`remember`) or nothing (`retry`). */
export type OnFailure = "remember" | "retry"

export interface Memo<A, E> {
  /** The shared result of `read` for `key`; `read` runs only when the key holds nothing. */
  readonly get: (key: string, read: Effect.Effect<A, E>) => Effect.Effect<A, E>
  /** Forgets every key `drop` selects: the next ask for one of them reads again. */
  readonly forget: (drop: (key: string) => boolean) => Effect.Effect<void>
}

/**
 * A memo for one pass. With `"remember"` a failed read fails every ask for its key until the memo is dropped
 * (the pass ends); with `"retry"` a failed read fails the asks that shared it and is then forgotten, so the
 * next ask reads again — unless `retryOnly` says its failure is not worth asking again (a refusal such as a
 * 401): that one is remembered like with `"remember"`, so the pass never sends a refused request twice.
 */
/** A read in flight: those waiting for it, resumed with its `Exit` once (`settled` after). */
interface Pending<A, E> {
  waiting: Array<(exit: Exit.Exit<A, E>) => void>
  settled: Exit.Exit<A, E> | undefined
  /** What an ask gets meanwhile: the read's `Exit` when it ends; an asker interrupted first leaves the list. */
  readonly effect: Effect.Effect<A, E>
}

const waitingSide = <A, E>(): Pending<A, E> => {
  const pending: Pending<A, E> = {
    waiting: [],
    settled: undefined,
    effect: Effect.async<A, E>((resume) => {
      if (pending.settled !== undefined) return resume(pending.settled)
      pending.waiting.push(resume)
      return Effect.sync(() => {
        const at = pending.waiting.indexOf(resume)
        if (at !== -1) pending.waiting.splice(at, 1)
      })
    })
  }
  return pending
}

export const make = <A, E>(
  onFailure: OnFailure,
  retryOnly: (error: E) => boolean = () => true
): Effect.Effect<Memo<A, E>> =>
  Effect.sync(() => {
    // A key holds the waiting side of its read while the read runs, then the read's `Exit` (itself an effect):
    // nothing of the read (its effect, its fiber, a cached wrapper) is kept once it ends. A tick holds one
    // entry per list of every repository, so this is what an entry costs for the rest of the pass.
    const entries = new Map<string, Effect.Effect<A, E>>()
    // The waiting side of a read in flight is a list of the askers to resume with its `Exit`. Effect's
    // `Deferred` does the same, but each one is built by spreading the effect prototype: about 7 µs of a cold
    // tick's CPU per list in a profile (bench/RESULTS.md, thirteenth part).
    const settle = (key: string, pending: Pending<A, E>, exit: Exit.Exit<A, E>) => {
      if (entries.get(key) === pending.effect) {
        // An interrupted read is never kept: the next ask reads again.
        const failure = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : Option.none()
        const keep = Exit.isSuccess(exit) ||
          (!Exit.isInterrupted(exit) &&
            (onFailure === "remember" || Option.exists(failure, (error) => !retryOnly(error))))
        if (keep) entries.set(key, exit)
        else entries.delete(key)
      }
      const waiting = pending.waiting
      pending.settled = exit
      pending.waiting = []
      for (const resume of waiting) resume(exit)
      return exit
    }
    // Each step in line rather than an effect of its own: a tick asks one entry per list of every repository.
    const start = (key: string, read: Effect.Effect<A, E>): Effect.Effect<A, E> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.suspend(() => {
          const pending = waitingSide<A, E>()
          entries.set(key, pending.effect)
          return Effect.matchCauseEffect(restore(read), {
            onFailure: (cause) => settle(key, pending, Exit.failCause(cause)),
            onSuccess: (value) => settle(key, pending, Exit.succeed(value))
          })
        })
      )
    return {
      get: (key, read) => Effect.suspend(() => entries.get(key) ?? start(key, read)),
      forget: (drop) =>
        Effect.sync(() => {
          for (const key of [...entries.keys()]) if (drop(key)) entries.delete(key)
        })
    }
  })
