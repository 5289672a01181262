/**
 * `afk-cli serve` as a user runs it — the built CLI in a fresh process, a clean environment, an empty working
 * directory (as `Cli.run`) — on a free loopback port, and deliveries signed as GitHub and Forgejo sign them.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { spawn } from "node:child_process"
import { createHmac } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

/** The built CLI (this module does not import the test runner, so the benchmarks can use it too). */
const bin = fileURLToPath(new URL("../../bin/afk-cli.js", import.meta.url))

/** The webhook secret the tests configure (contains `SECRET`, so the leak searches find it). */
export const secret = "whsec_SECRETwebhook0123456789"

export interface Daemon {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string
  /** The daemon's process id (the benchmarks read its CPU time and memory from `/proc`). */
  readonly pid: number
  readonly stdout: () => string
  readonly stderr: () => string
  /** Sends `signal` and waits for the exit code. */
  readonly stop: (signal?: NodeJS.Signals) => Effect.Effect<number | null>
}

/** Starts `afk-cli serve` with `env` and `args` (port 0 unless given) and waits until it listens; killed with the scope. */
export const start = (
  env: Readonly<Record<string, string>>,
  options: { readonly cwd?: string; readonly args?: ReadonlyArray<string> } = {}
): Effect.Effect<Daemon, never, Scope.Scope> =>
  Effect.gen(function*() {
    const home = yield* Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "afk-serve-test-"))),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    )
    const child = yield* Effect.acquireRelease(
      Effect.sync(() =>
        spawn(process.execPath, [bin, "serve", ...(options.args ?? [])], {
          cwd: options.cwd ?? home,
          env: { PATH: process.env.PATH ?? "", HOME: home, NO_COLOR: "1", AFK_SERVE_PORT: "0", ...env },
          stdio: ["ignore", "pipe", "pipe"]
        })
      ),
      (child) => Effect.sync(() => child.exitCode === null && child.kill("SIGKILL"))
    )
    let stdout = ""
    let stderr = ""
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)))
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8")
    })
    const url = yield* Effect.async<string, Error>((resume) => {
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString("utf8")
        const listening = /listening on (http:\/\/[\d.]+:\d+)/.exec(stderr)
        if (listening !== null) resume(Effect.succeed(listening[1]!))
      })
      void exited.then((code) => resume(Effect.fail(new Error(`serve exited ${code} before listening:\n${stderr}`))))
    }).pipe(Effect.timeout("30 seconds"), Effect.orDie)
    return {
      url,
      pid: child.pid ?? 0,
      stdout: () => stdout,
      stderr: () => stderr,
      stop: (signal = "SIGTERM") =>
        Effect.promise(() => {
          child.kill(signal)
          return exited
        })
    }
  })

export interface Delivery {
  readonly forge?: "github" | "forgejo"
  readonly event: string
  readonly id: string
  readonly body: string | Uint8Array
  /** The signature header's value as sent; default: the right one for `secret`. */
  readonly signature?: string
  readonly key?: string
}

/** Bare hex HMAC-SHA256 of `body` under `key`. */
export const hmac = (body: string | Uint8Array, key = secret): string =>
  createHmac("sha256", key).update(body).digest("hex")

export interface Answer {
  readonly status: number
  readonly text: string
}

/** POSTs a delivery as the forge sends it (GitHub: `sha256=` prefix; Forgejo: both header families, bare hex). */
export const deliver = (url: string, delivery: Delivery): Effect.Effect<Answer> =>
  Effect.promise(async () => {
    const forge = delivery.forge ?? "github"
    const signature = delivery.signature ??
      (forge === "github" ? `sha256=${hmac(delivery.body, delivery.key)}` : hmac(delivery.body, delivery.key))
    const headers: Record<string, string> = forge === "github"
      ? { "x-github-event": delivery.event, "x-github-delivery": delivery.id, "x-hub-signature-256": signature }
      : {
        "x-forgejo-event": delivery.event,
        "x-forgejo-delivery": delivery.id,
        "x-forgejo-signature": signature,
        "x-gitea-event": delivery.event,
        "x-gitea-delivery": delivery.id,
        "x-gitea-signature": signature
      }
    const response = await fetch(`${url}/webhooks/${forge}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof delivery.body === "string" ? delivery.body : Buffer.from(delivery.body)
    })
    return { status: response.status, text: await response.text() }
  })

/** GETs `path` of the daemon. */
export const get = (url: string, path: string): Effect.Effect<Answer> =>
  Effect.promise(async () => {
    const response = await fetch(`${url}${path}`)
    return { status: response.status, text: await response.text() }
  })

/** Polls `check` every 50 ms until it holds or `timeoutMs` passes; the milliseconds it took, or fails. */
export const until = (check: () => boolean, timeoutMs: number, what: string): Effect.Effect<number> =>
  Effect.gen(function*() {
    const started = Date.now()
    while (!check()) {
      if (Date.now() - started > timeoutMs) return yield* Effect.die(new Error(`not within ${timeoutMs} ms: ${what}`))
      yield* Effect.sleep("50 millis")
    }
    return Date.now() - started
  })
