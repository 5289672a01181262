#!/usr/bin/env node
/**
 * The `afk-cli` executable: wiring only. Node's file system, path and terminal for the command line; an
 * HTTP client (undici) loaded only when a command goes on the network; `process.env` as the environment;
 * exit codes 0 / 1 / 2 from `Outcome.exitCode`.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Cli from "./Cli.js"
import * as Outcome from "./Outcome.js"

const http = Layer.unwrapEffect(
  Effect.map(
    Effect.promise(() => import("@effect/platform-node/NodeHttpClient")),
    (NodeHttpClient) => NodeHttpClient.layerUndici
  )
)

const platform = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeTerminal.layer)

Cli.run({ http, env: process.env })(process.argv).pipe(
  Effect.provide(platform),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    disablePrettyLogger: true,
    teardown: (exit, onExit) => onExit(Outcome.exitCode(exit))
  })
)
