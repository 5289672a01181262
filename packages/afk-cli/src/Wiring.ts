/**
 * What `bin.ts` hands the commands: the platform pieces a command may need, passed in so that nothing
 * is built (and nothing is sent) unless a command actually needs it, and so tests can hand in their own.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Layer from "effect/Layer"

export interface Wiring {
  /** The HTTP client for the adapters and probes; only built when a command uses the network. */
  readonly http: Layer.Layer<HttpClient.HttpClient>
  /** The environment variables configuration is read from (`process.env`). */
  readonly env: Record<string, string | undefined>
  /** Whether stdout and stderr are terminals, where help may be coloured; absent means neither is. */
  readonly terminal?: { readonly stdout: boolean; readonly stderr: boolean }
}
