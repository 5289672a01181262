/**
 * What a failed HTTP exchange means and how AFK says so, for every adapter: which statuses are transient and
 * which failures certainly never reached the server (so a write may be sent again), the fields of a port
 * error with a hint that says what to do, and the scrubbing of known secrets from whatever a server echoes.
 * `HttpKit` retries and builds clients on these.
 */
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type * as PortError from "./PortError.js"

/** Statuses that are never retried: the request itself is wrong, or not allowed. */
export const neverRetried: ReadonlySet<number> = new Set([400, 401, 404, 410, 422, 451])

export const isTransientStatus = (status: number): boolean =>
  status === 408 || status === 429 || (status >= 500 && status <= 599)

/** Whether a request failed in transport (no answer), as opposed to an invalid request. */
export const isTransportError = (error: unknown): boolean =>
  typeof error === "object" &&
  error !== null &&
  "_tag" in error &&
  error._tag === "RequestError" &&
  "reason" in error &&
  error.reason === "Transport"

/** Errors that mean no connection was made: refused, unreachable, a name that did not resolve. */
const unsentCodes: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_CONNECT_TIMEOUT"
])

const errorCodes = (cause: unknown, depth = 0): ReadonlyArray<string> => {
  if (typeof cause !== "object" || cause === null || depth > 4) return []
  const own = "code" in cause && typeof cause.code === "string" ? [cause.code] : []
  const nested = "errors" in cause && Array.isArray(cause.errors) ? cause.errors : []
  return [
    ...own,
    ...("cause" in cause ? errorCodes(cause.cause, depth + 1) : []),
    ...nested.flatMap((inner: unknown) => errorCodes(inner, depth + 1))
  ]
}

/**
 * Whether a failed request certainly never reached the server: an invalid URL or body, a connection
 * refused, a host unreachable or unresolved. A reset, a timeout or any answer may come after the server
 * acted on the request.
 */
export const isUnsent = (error: unknown): boolean =>
  typeof error === "object" &&
  error !== null &&
  "_tag" in error &&
  error._tag === "RequestError" &&
  (!isTransportError(error) || ("cause" in error && errorCodes(error.cause).some((code) => unsentCodes.has(code))))

/** Whether an answer with this status leaves a non-idempotent write's outcome unknown (5xx, 408). */
export const isUnsettledStatus = (status: number): boolean => status === 408 || status >= 500

/** Who the adapter talks to, for the wording of hints ("GitHub", "Forgejo", "Slack", "T3 Code"). */
export interface Vendor {
  readonly name: string
  /** Where the operator mints or fixes the credential, in a few words. */
  readonly credential: string
}

/** What replaces a secret value in anything an error shows. */
export const redactedMark = "[redacted]"

/** The few characters V8 quotes from text it could not parse as JSON, which may be a piece of a secret. */
const parsedExcerpt = /(\.\.\.)?"[^\n]{0,64}?"(\.\.\.)? is not valid JSON/g

/**
 * Replaces every occurrence of the given secret values in `text` (values under 4 characters are left, as
 * they would redact ordinary words), and elides the excerpt a JSON parse error quotes (a secret cut short
 * there would not match). For quoting what a server sent back, which may echo a credential.
 */
export const redact = (secrets: ReadonlyArray<Redacted.Redacted<string>>) => (text: string): string => {
  const known = secrets.reduce((out, secret) => {
    const value = Redacted.value(secret)
    return value.length < 4 ? out : out.split(value).join(redactedMark)
  }, text)
  return known.includes(" is not valid JSON") ? known.replace(parsedExcerpt, "(text elided) is not valid JSON") : known
}

/** The credential an `Authorization` header carries (`Bearer …`, `token …`), to redact from what echoes it. */
export const credentialOf = (
  request: HttpClientRequest.HttpClientRequest
): ReadonlyArray<Redacted.Redacted<string>> => {
  const value = /^\S+\s+(\S.*)$/.exec(request.headers.authorization ?? "")?.[1]?.trim()
  return value === undefined ? [] : [Redacted.make(value)]
}

/** A cause in words, nested causes included, for an error that must not hold the raw object. */
export const describeCause = (cause: unknown, depth = 0): string => {
  if (cause instanceof Error) {
    const inner = cause.cause === undefined || depth >= 3 ? "" : ` (${describeCause(cause.cause, depth + 1)})`
    return `${cause.name}: ${cause.message}${inner}`
  }
  return typeof cause === "string" ? cause : String(cause)
}

/** Port-error fields with every secret value redacted from the detail, the hint and the cause (kept in words). */
export const redactFields =
  (secrets: ReadonlyArray<Redacted.Redacted<string>>) =>
  <F extends PortError.Fields & { readonly cause?: unknown }>(fields: F): F => {
    const scrub = redact(secrets)
    return {
      ...fields,
      detail: scrub(fields.detail),
      hint: fields.hint === undefined ? undefined : scrub(fields.hint),
      cause: fields.cause === undefined ? undefined : scrub(describeCause(fields.cause))
    }
  }

/**
 * The fields for a non-idempotent write that failed after the server may have acted on it (a 5xx, a reset,
 * a timeout, an unreadable answer): transient, and saying it was not sent again. `next` says what the next
 * pass does about it.
 */
export const mayHaveApplied = <F extends PortError.Fields>(
  vendor: Vendor,
  fields: F,
  next = "the next pass reconciles it (adopts it if it landed, sends it once if not)"
): F => ({
  ...fields,
  detail: `${fields.detail}; ${vendor.name} may have applied the write`,
  transient: true,
  hint: `not sent again, since that could apply it twice: ${next}`
})

/** How an answer is quoted into an error. */
export interface Quoting {
  /** Secret values never to quote (the credentials the client holds); the request's own is always added. */
  readonly secrets?: ReadonlyArray<Redacted.Redacted<string>> | undefined
  /** `false` for a non-idempotent write: an unsettled failure then says it may have been applied. */
  readonly idempotent?: boolean | undefined
  /** What the next pass does about such a write, when not the default of `mayHaveApplied`. */
  readonly next?: string | undefined
}

/** `text` cut to 300 characters (with `…`), for an error that quotes what a server said. */
export const short = (text: string): string => (text.length > 300 ? `${text.slice(0, 300)}…` : text)

const snippet = (text: string): string => short(text.replace(/\s+/g, " ").trim())

/** The hint for an HTTP status, naming what to do. */
export const hintFor = (vendor: Vendor, status: number): string | undefined => {
  if (status === 401) {
    return `${vendor.name} rejected the credential as invalid or expired: issue a new ${vendor.credential}`
  }
  if (status === 403) {
    return `${vendor.name} refused the request: the ${vendor.credential} lacks a permission or scope for it (or a rate limit applies)`
  }
  if (status === 404) return `not found on ${vendor.name}, or not visible to this ${vendor.credential}`
  if (status === 422) return `${vendor.name} rejected the request as invalid`
  if (status === 429) return `${vendor.name} rate limit: wait and try again`
  if (status >= 500) return `${vendor.name} had a server error: it will be retried on the next pass`
  return undefined
}

/** The port-error fields for a non-success response (the body is quoted short and redacted; headers never). */
export const fromResponse = (
  vendor: Vendor,
  operation: string,
  response: HttpClientResponse.HttpClientResponse,
  quoting: Quoting = {}
): Effect.Effect<PortError.Fields & { readonly status: number }> =>
  response.text.pipe(
    Effect.orElseSucceed(() => ""),
    Effect.map((text) => {
      const body = redact([...(quoting.secrets ?? []), ...credentialOf(response.request)])(text)
      const fields = {
        operation,
        status: response.status,
        detail: `HTTP ${response.status}${body === "" ? "" : ` ${snippet(body)}`}`,
        transient: isTransientStatus(response.status),
        hint: hintFor(vendor, response.status)
      }
      return quoting.idempotent === false && isUnsettledStatus(response.status)
        ? mayHaveApplied(vendor, fields, quoting.next)
        : fields
    })
  )

/**
 * The port-error fields for a request that got no usable answer (refused, reset, timed out, bad JSON). The
 * cause is kept in words, redacted: a body that failed to parse may be quoted in it.
 */
export const fromClientError = (
  vendor: Vendor,
  operation: string,
  error: HttpClientError.HttpClientError,
  quoting: Quoting = {}
): PortError.Fields & { readonly cause: unknown } => {
  const secrets = [...(quoting.secrets ?? []), ...credentialOf(error.request)]
  const cause = error.cause === undefined ? undefined : redact(secrets)(describeCause(error.cause))
  const fields = error._tag === "RequestError"
    ? {
      operation,
      detail: `${vendor.name} could not be reached (${error.reason})`,
      transient: error.reason === "Transport",
      hint: error.reason === "Transport" ? `check that ${vendor.name} is up and reachable from here` : undefined,
      cause
    }
    : {
      operation,
      status: error.response.status,
      detail:
        `${vendor.name} answered HTTP ${error.response.status} with a body that could not be read (${error.reason})`,
      transient: true,
      hint: `${vendor.name} sent a malformed answer; it will be retried on the next pass`,
      cause
    }
  const unsettled = error._tag === "RequestError"
    ? !isUnsent(error)
    : error.reason !== "StatusCode" || isUnsettledStatus(error.response.status)
  return quoting.idempotent === false && unsettled ? mayHaveApplied(vendor, fields, quoting.next) : fields
}
