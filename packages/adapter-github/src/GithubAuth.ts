/**
 * How the GitHub adapter authenticates: a token (personal access token or an installation token minted
 * elsewhere), or a GitHub App (app id + private key + installation id), for which this module signs the
 * RS256 app JWT with `node:crypto` and keeps the installation token fresh. Secrets stay `Redacted` until
 * they become an `Authorization` header and appear in no error message.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import { sign } from "node:crypto"

/** A personal access token or an installation token, sent as `Authorization: Bearer`. */
export interface Token {
  readonly _tag: "Token"
  readonly token: Redacted.Redacted
}

/** A GitHub App installation: the app's JWT is exchanged for short-lived installation tokens. */
export interface App {
  readonly _tag: "App"
  readonly appId: string
  /** The app's private key, PEM (PKCS#1 as GitHub issues it, or PKCS#8). */
  readonly privateKey: Redacted.Redacted
  readonly installationId: string
}

export type Auth = Token | App

export const token = (value: Redacted.Redacted | string): Token => ({
  _tag: "Token",
  token: typeof value === "string" ? Redacted.make(value) : value
})

export const app = (options: Omit<App, "_tag">): App => ({ _tag: "App", ...options })

/** An installation token and when GitHub says it expires. */
export interface InstallationToken {
  readonly token: Redacted.Redacted
  readonly expiresAtMillis: number
}

/** Refresh an installation token this long before GitHub's `expires_at`. */
export const refreshMarginMillis = 5 * 60 * 1000

const base64Url = (text: string): string => Buffer.from(text, "utf8").toString("base64url")

/**
 * The app JWT GitHub expects: RS256, `iat` 60 s in the past (clock drift), `exp` 9 minutes ahead (GitHub
 * allows at most 10), `iss` the app id. Fails with a sentence that never quotes the key.
 */
export const appJwt = (
  appId: string,
  privateKey: Redacted.Redacted,
  nowMillis: number
): Effect.Effect<string, string> =>
  Effect.try({
    try: () => {
      const now = Math.floor(nowMillis / 1000)
      const unsigned = `${base64Url(JSON.stringify({ alg: "RS256", typ: "JWT" }))}.${
        base64Url(
          JSON.stringify({ iat: now - 60, exp: now + 540, iss: appId })
        )
      }`
      const signature = sign("RSA-SHA256", Buffer.from(unsigned, "utf8"), Redacted.value(privateKey))
      return `${unsigned}.${signature.toString("base64url")}`
    },
    catch: () => "the GitHub App private key could not sign the app JWT (expected an RSA private key in PEM form)"
  })

/**
 * Keeps one installation token, minting a new one through `mint` when there is none or it expires within
 * `refreshMarginMillis`. Concurrent callers share one mint.
 */
export const makeInstallationTokens = <E, R>(
  mint: Effect.Effect<InstallationToken, E, R>
): Effect.Effect<{
  readonly current: Effect.Effect<Redacted.Redacted, E, R>
  readonly invalidate: Effect.Effect<void>
}> =>
  Effect.gen(function*() {
    const cached = yield* Ref.make(Option.none<InstallationToken>())
    const lock = yield* Effect.makeSemaphore(1)
    const current = lock.withPermits(1)(
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const held = yield* Ref.get(cached)
        if (Option.isSome(held) && held.value.expiresAtMillis - refreshMarginMillis > now) return held.value.token
        const fresh = yield* mint
        yield* Ref.set(cached, Option.some(fresh))
        return fresh.token
      })
    )
    return { current, invalidate: Ref.set(cached, Option.none()) }
  })
