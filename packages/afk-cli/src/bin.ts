/**
 * The `afk-cli` executable: wiring only. Node's file system, path and terminal for the command line (the
 * terminal opened only if a prompt uses it); undici as the HTTP client (`Wiring.nodeHttp`) and
 * Node's WebSocket for T3 Code's protocol 2 (`Wiring.nodeWebSocket`);
 * `process.env` as the environment; whether stdout and stderr are terminals (colour); output to a closed pipe
 * dropped; exit codes 0 / 1 / 2 from `Outcome.exitCode`.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as Terminal from "@effect/platform/Terminal"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as Cli from "./Cli.js"
import * as Outcome from "./Outcome.js"
import { nodeHttp, nodeWebSocket } from "./Wiring.js"

/**
 * Node's terminal, made when first used: only `--wizard` and prompts read it, and opening stdin costs
 * `--help` or a disarmed tick a noticeable part of its start.
 */
const terminal = Layer.scoped(
  Terminal.Terminal,
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const node = yield* Effect.cached(Scope.extend(NodeTerminal.make(), scope))
    return Terminal.Terminal.of({
      columns: Effect.flatMap(node, (t) => t.columns),
      rows: Effect.flatMap(node, (t) => t.rows),
      isTTY: Effect.flatMap(node, (t) => t.isTTY),
      readInput: Effect.flatMap(node, (t) => t.readInput),
      readLine: Effect.flatMap(node, (t) => t.readLine),
      display: (text) => Effect.flatMap(node, (t) => t.display(text))
    })
  })
)

const platform = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, terminal)

const ttys = { stdout: process.stdout.isTTY === true, stderr: process.stderr.isTTY === true }

/**
 * A reader that stops early (`afk-cli status | head`) closes the pipe: the rest of the output is dropped and the
 * command finishes its work, instead of dying mid-pass on an unhandled EPIPE.
 */
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error
  })
}

// No span leaves a command (only `serve` exports traces, and turns them back on then): off, the HTTP client
// records none per request and sends no trace headers, about 5 % of a tick's CPU (bench/RESULTS.md).
Cli.run({ http: nodeHttp, webSocket: nodeWebSocket, env: process.env, terminal: ttys })(process.argv).pipe(
  Effect.withTracerEnabled(false),
  Effect.provide(platform),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    disablePrettyLogger: true,
    teardown: (exit, onExit) => onExit(Outcome.exitCode(exit))
  })
)
