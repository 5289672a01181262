/* global require, module */
/* eslint-disable @typescript-eslint/no-require-imports */
// The part of undici afk-cli uses, bundled as `dist/undici.js`: an `Agent` (connection pools per origin)
// with the `request` API, which is what `@effect/platform-node`'s undici client calls, and undici's errors.
// undici's own entry point also loads fetch, WebSocket, EventSource, cookies, caches and mocks; bundled,
// that doubled the file and every armed start's load of it (bench/RESULTS.md, "time to the first request").
"use strict"
const Dispatcher = require("undici/lib/dispatcher/dispatcher")
const Agent = require("undici/lib/dispatcher/agent")
const api = require("undici/lib/api")
const errors = require("undici/lib/core/errors")
const { getGlobalDispatcher, setGlobalDispatcher } = require("undici/lib/global")

// What undici's entry point does, so every dispatcher has `request`, `stream`, `pipeline`, ….
Object.assign(Dispatcher.prototype, api)

module.exports = { Dispatcher, Agent, errors, getGlobalDispatcher, setGlobalDispatcher }
