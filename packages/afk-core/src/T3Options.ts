/**
 * The T3 runtime's options and the helpers both protocol backends share: how a repository's workspace root
 * is spelled, and how a prompt is cut to the provider's input limit.
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import { posix } from "node:path"
import { type Repo, repoName, repoOwner } from "./Domain.js"
import type * as HttpKit from "./HttpKit.js"
import * as T3Wire from "./T3Wire.js"

export interface Options {
  /** The server's origin, e.g. `http://127.0.0.1:3773` (a trailing slash is tolerated). */
  readonly url: string
  /** The bearer access token (`t3 auth session issue --token-only`), read again for every request. */
  readonly token: Effect.Effect<Redacted.Redacted>
  /** The Claude model slug, e.g. `claude-sonnet-5`. */
  readonly model: string
  /** The workspace root template, e.g. `/data/{owner}__{repo}`; normalised like the server's `path.resolve`. */
  readonly workspaceRoot: string
  /** Base of the links people open to watch a thread (default: `url`). */
  readonly webUrl?: string
  /** How the agent's tools run: `full-access` (the default; no approval prompts) or `auto`. */
  readonly runtimeMode?: RuntimeMode
  /** How long an interrupt waits for the agent to stop, reading the thread `every` (default 10 s, 1 s). */
  readonly interruptSettle?: { readonly within: Duration.DurationInput; readonly every: Duration.DurationInput }
  /**
   * How long one `GET /api/orchestration/shell` answers `status` for the turns it shows working (default
   * 1 s): the runs a pass drives together share one shell read, and a thread's detail is read only once its
   * turn has ended. `0` turns the shell off: every `status` reads the thread's detail.
   */
  readonly shellTtl?: Duration.DurationInput
  /** How long an accepted turn may wait for the server to start it (§6 row 8; default 60 s). */
  readonly queuedGrace?: Duration.DurationInput
  /**
   * The longest one HTTP attempt (or, on protocol 2, one RPC call) may take before it counts as a transport
   * failure (default 30 s). When set, it also bounds the opening of protocol 2's WebSocket (default 10 s).
   */
  readonly requestTimeout?: Duration.DurationInput
  readonly retry?: HttpKit.RetryOptions
  /**
   * Pins the orchestration protocol instead of reading it from the server's descriptor (for a server known to
   * speak it). By default the runtime reads `GET /.well-known/t3/environment` first and again every few minutes.
   */
  readonly protocol?: 1 | 2
}

/** The options `layerConfig` reads from `Config`; the token is read again for every request. */
export interface ConfigOptions {
  readonly url: string
  readonly token: Redacted.Redacted
  readonly model: string
  readonly workspaceRoot: string
  readonly webUrl?: string | undefined
  readonly runtimeMode?: RuntimeMode | undefined
  readonly queuedGrace?: Duration.Duration | undefined
}

/** The runtime modes AFK runs agents in: T3 Code's `full-access` (no approval prompts) or `auto`. */
export type RuntimeMode = Extract<T3Wire.RuntimeMode, "full-access" | "auto">

/** `{owner}` and `{repo}` substituted, then resolved like the server does: absolute, no trailing slash. */
export const workspaceRootFor = (template: string, repo: Repo): string =>
  posix.resolve(template.replaceAll("{owner}", repoOwner(repo)).replaceAll("{repo}", repoName(repo)))

/** Cuts a prompt to T3's input limit, ending with a note that says so; shorter prompts are unchanged. */
export const truncatePrompt = (text: string, limit = T3Wire.maxInputChars): string => {
  if (text.length <= limit) return text
  const note =
    `\n\n[AFK: this prompt was truncated from ${text.length} to ${limit} characters to fit T3 Code's input limit; the rest was not sent.]`
  let cut = limit - note.length
  if (/[\uD800-\uDBFF]/.test(text.charAt(cut - 1))) cut -= 1
  return `${text.slice(0, cut)}${note}`
}
