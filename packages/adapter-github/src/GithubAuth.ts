/**
 * How the GitHub adapter authenticates: a token (personal access token or an installation token minted
 * elsewhere), or a GitHub App (app id + private key, and an installation id or none to find each
 * repository's installation), for which this module signs the RS256 app JWT with `node:crypto` and keeps
 * installation tokens fresh. Secrets stay `Redacted` until they become an `Authorization` header and
 * appear in no error message.
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

/** A GitHub App: the app's JWT is exchanged for short-lived installation tokens. */
export interface App {
  readonly _tag: "App"
  /** The app's id (or its client id), the JWT's issuer. */
  readonly appId: string
  /** The app's private key, PEM (PKCS#1 as GitHub issues it, or PKCS#8). */
  readonly privateKey: Redacted.Redacted
  /** The installation to act as; when absent, each repository's installation is looked up with the app JWT. */
  readonly installationId?: string | undefined
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

/** Refresh an installation token this long before GitHub's `expires_at` (or halfway, if it lives shorter). */
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

/** One installation's token, kept fresh. */
export interface InstallationTokens<E, R> {
  /** The token, minted when there is none or it is due for renewal; concurrent callers share one mint. */
  readonly current: Effect.Effect<Redacted.Redacted, E, R>
  /** Drops `token` (GitHub refused it) unless a newer one already replaced it. */
  readonly invalidate: (token: Redacted.Redacted) => Effect.Effect<void>
}

/**
 * Keeps one installation token, minting a new one through `mint` when there is none or it expires within
 * `refreshMarginMillis` — or within half its lifetime, for a token GitHub grants for less than twice the
 * margin, so a short-lived token is still reused.
 */
export const makeInstallationTokens = <E, R>(
  mint: Effect.Effect<InstallationToken, E, R>
): Effect.Effect<InstallationTokens<E, R>> =>
  Effect.gen(function*() {
    const cached = yield* Ref.make(Option.none<{ readonly token: Redacted.Redacted; readonly renewAt: number }>())
    const lock = yield* Effect.makeSemaphore(1)
    const current = lock.withPermits(1)(
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const held = yield* Ref.get(cached)
        if (Option.isSome(held) && held.value.renewAt > now) return held.value.token
        const fresh = yield* mint
        const margin = Math.min(refreshMarginMillis, Math.max(0, fresh.expiresAtMillis - now) / 2)
        yield* Ref.set(cached, Option.some({ token: fresh.token, renewAt: fresh.expiresAtMillis - margin }))
        return fresh.token
      })
    )
    const invalidate = (token: Redacted.Redacted) =>
      Ref.update(cached, (held) => (Option.isSome(held) && held.value.token === token ? Option.none() : held))
    return { current, invalidate }
  })
