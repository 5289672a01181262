/**
 * Credentials of the protocol-2 T3 fake (`t3-protocol-v2.md` §2): bearer tokens with scopes, the scheme
 * word case-sensitive (§8), and WebSocket tickets that expire after a short TTL and are spent on use —
 * deliberately stricter than protocol 1, which accepted a ticket again within five minutes (§2.3).
 */
import { randomBytes } from "node:crypto"
import type * as http from "node:http"

export interface Token {
  value: string
  readonly scopes: ReadonlyArray<string>
}

/** An HTTP refusal: status and JSON body. */
export interface Denied {
  readonly status: number
  readonly body: object
}

/** Whom a ticket or bearer stands for: the token it was minted from, and its scopes. */
export interface Principal {
  readonly token: Token
  readonly value: string
}

const traced = (body: object) => ({ ...body, traceId: "fake-trace" })

/** `401 EnvironmentAuthInvalidError` (§6.1). */
export const invalid = (reason: "missing_credential" | "invalid_credential"): Denied => ({
  status: 401,
  body: traced({ _tag: "EnvironmentAuthInvalidError", code: "auth_invalid", reason })
})

export const make = (options: {
  readonly tokens: ReadonlyArray<Token>
  readonly now: () => number
  readonly ticketTtlMillis: number
}) => {
  const tickets = new Map<string, { readonly principal: Principal; readonly expiresAt: number }>()

  /** The bearer of `req` (with `scope`, when given), or the 401/403 the server answers (§2.1, §6.1). */
  const bearer = (req: http.IncomingMessage, scope?: string): Principal | Denied => {
    const header = req.headers.authorization
    const match = header === undefined ? null : /^Bearer (\S+)$/.exec(header)
    if (match === null) return invalid(header === undefined ? "missing_credential" : "invalid_credential")
    const token = options.tokens.find((t) => t.value === match[1])
    if (token === undefined) return invalid("invalid_credential")
    if (scope !== undefined && !token.scopes.includes(scope)) {
      return {
        status: 403,
        body: traced({ _tag: "EnvironmentScopeRequiredError", code: "insufficient_scope", requiredScope: scope })
      }
    }
    return { token, value: token.value }
  }

  return {
    bearer,
    /** `POST /api/auth/websocket-ticket`: `{ticket, expiresAt}` for the bearer (§2.3). */
    mint: (principal: Principal) => {
      const ticket = randomBytes(24).toString("base64url")
      const expiresAt = options.now() + options.ticketTtlMillis
      tickets.set(ticket, { principal, expiresAt })
      return { ticket, expiresAt: new Date(expiresAt).toISOString() }
    },
    /**
     * Spends `ticket` on an upgrade: the principal, or `undefined` when it is unknown, expired, already spent,
     * or minted from a token that no longer holds (rotated).
     */
    spend: (ticket: string | null): Principal | undefined => {
      if (ticket === null) return undefined
      const found = tickets.get(ticket)
      tickets.delete(ticket)
      if (found === undefined || found.expiresAt <= options.now()) return undefined
      return found.principal.token.value === found.principal.value ? found.principal : undefined
    }
  }
}

export type Auth = ReturnType<typeof make>
