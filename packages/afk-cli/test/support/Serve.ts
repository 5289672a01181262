/**
 * The CLI tests' world (`World`) as a process of its own, for a check that runs a program outside the test
 * runner against it (`scripts/embed-check.mjs`). It prints one JSON line, `{ "env": … }` (the armed
 * environment pointing at the fakes on 127.0.0.1), serves until its stdin closes, then prints one more,
 * `{ "writes": […], "threads": n }` (the writes the GitHub fake received and the T3 threads started), and stops
 * the fakes. Run with vite-node and the afk-cli test config (the workspace packages' sources).
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as World from "./World.js"

const stdinClosed = Effect.async<void>((resume) => {
  process.stdin.on("close", () => resume(Effect.void))
  process.stdin.resume()
})

const serve = Effect.gen(function*() {
  const world = yield* World.make()
  yield* Console.log(JSON.stringify({ env: world.env }))
  yield* stdinClosed
  yield* Console.log(JSON.stringify({ writes: world.github.writes(), threads: world.t3.threads().length }))
})

NodeRuntime.runMain(Effect.scoped(serve))
