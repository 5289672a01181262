/**
 * How big the reliability suites run: reduced counts in CI (`npm test`), the counts quality.md names with
 * `AFK_RELIABILITY_FULL=1` (`npm run test:reliability:full`).
 */

/** True when the full counts were asked for. */
export const full: boolean = process.env.AFK_RELIABILITY_FULL === "1"

/** `ci` normally, `fullValue` under `AFK_RELIABILITY_FULL=1`. */
export const pick = <A>(ci: A, fullValue: A): A => (full ? fullValue : ci)
