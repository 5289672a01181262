/**
 * afk-cli as a library: the command tree, to embed or extend. The executable is `bin.ts`.
 */
export * as Cli from "./Cli.js"
export * as Outcome from "./Outcome.js"
export * as Ports from "./Ports.js"
export type { Wiring } from "./Wiring.js"
