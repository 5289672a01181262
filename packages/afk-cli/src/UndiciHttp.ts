/**
 * undici's HTTP client for `@effect/platform` (`Wiring.nodeHttp` loads this module when a command first goes on
 * the network). Imported by name, so the bundle leaves out `@effect/platform-node`'s other client, built on
 * `node:http` and `node:https`, which no command uses and which cost every armed start its module loads.
 */
export { layerUndici } from "@effect/platform-node/NodeHttpClient"
