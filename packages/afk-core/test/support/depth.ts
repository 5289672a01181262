/**
 * How deep the exhaustive suites go (crash-point sweeps, the interleaving explorer). `npm test` runs them
 * whole. CI's further Node lines set `AFK_TEST_DEPTH=sample`: each sweep then takes an even sample (every
 * third crash point, the first 300 interleavings), so those lines run the same code paths while the
 * exhaustive search runs once per CI run, on the README's own command.
 */

/** True when only a sample was asked for. */
export const sampled: boolean = process.env.AFK_TEST_DEPTH === "sample"

/** The stride through a sweep's points: 1 (every point), or 3 when sampled. */
export const stride: number = sampled ? 3 : 1

/** The most interleavings one exploration may run: 5,000, or 300 when sampled. */
export const interleavings: number = sampled ? 300 : 5_000
