/**
 * The CLI as a user runs it, for the bad-input and secrets suites: the afk-cli tests' own runner
 * (`node bin/afk-cli.js` in a fresh process, a clean environment, an empty working directory) and their
 * loopback servers, plus a bounded-concurrency runner for case tables.
 */
import * as Effect from "effect/Effect"
import * as Cli from "../../../packages/afk-cli/test/support/Cli.js"
import * as Loopback from "../../../packages/afk-cli/test/support/Loopback.js"
import * as CliWorld from "../../../packages/afk-cli/test/support/World.js"

export { Cli, CliWorld, Loopback }

/** Processes started at once: the machines have two cores. */
export const concurrency = 3

/** Runs `cases` through `run`, a few processes at a time, in order of the results. */
export const each = <A, B, E, R>(cases: ReadonlyArray<A>, run: (item: A) => Effect.Effect<B, E, R>) =>
  Effect.forEach(cases, run, { concurrency })
