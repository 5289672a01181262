/**
 * P3's critical-path floor from the protocol's minimum requests, not a run's own count (issue 20), shared by
 * `p3-process.ts` (the whole process) and `p4-rss.ts` (the span of the tick's tracker requests):
 *
 *   requests R = 1 (who the bot is) + N (one list per repo, P1's floor) + 11 per dispatch (P2's tracker
 *   steps: events, last edit, permission, lock, re-read issue / events / last edit, comments, re-list,
 *   record `claimed`, record `dispatched`), k = min(3, N) dispatches (the cap; one per repository);
 *   rounds = max(⌈R ÷ 8⌉ (8 in flight per host), 7 dependent steps of one dispatch: list → events →
 *   permission → lock → re-reads ∥ comments ∥ re-list → record `claimed` → record `dispatched`);
 *   floor = start + rounds × 50 ms (start: the wall of `node -e 0` for the whole process, 0 for a span).
 */
export const latencyMillis = 50
const inFlight = 8
const dispatches = 3
const perDispatch = 11
const chain = 7

/** The protocol's minimum for a cold tick over `repos` that dispatches `dispatches` (one per repository). */
export const floor = (repos: number, startMillis: number) => {
  const requests = 1 + repos + perDispatch * Math.min(dispatches, repos)
  const steps = Math.max(Math.ceil(requests / inFlight), chain)
  return { requests, steps, millis: startMillis + steps * latencyMillis }
}
