/**
 * Every GitHub failure as one tagged error, before a port maps it into its own. `HttpKit.client` maps
 * failures into its fields (an invalid token, a repository not found, a malformed answer, a new comment that
 * may have been posted although the answer was lost); what is GitHub's own is added here: where the request
 * went, the permission a 403 names for the operation, a rate limit that outlasted the allowed wait, and a
 * GraphQL answer's `errors`. Whatever GitHub echoes is quoted with the client's credentials redacted.
 */
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpFailure from "afk-core/HttpFailure"
import type * as HttpKit from "afk-core/HttpKit"
import * as PortError from "afk-core/PortError"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as GithubCodec from "./GithubCodec.js"
import * as GithubRateLimit from "./GithubRateLimit.js"

export class GithubError extends Schema.TaggedError<GithubError>()("GithubError", PortError.fields) {
  override get message(): string {
    return PortError.message("GitHub", this)
  }
}

/** What a request is for: the port operation, and the token permission it needs (named in 403 hints). */
export interface Call {
  readonly operation: string
  readonly permission: string
  /**
   * `false` for a write that must not be applied twice (a new comment): it is sent again only after a
   * refusal, and a failure after GitHub may have acted says so (`HttpKit.nonIdempotent`).
   */
  readonly idempotent?: boolean | undefined
  /**
   * `true` for a read whose answer decides trust or identity (a collaborator's permission, who the bot is): it
   * is cached in memory only, never read from or written to the cache directory.
   */
  readonly decidesTrust?: boolean | undefined
  /**
   * The repository (`owner/name`) a call is about when its URL does not say (a GraphQL query), so a GitHub App
   * without a configured installation authenticates it as that repository's installation.
   */
  readonly repo?: string | undefined
}

export const vendor: HttpFailure.Vendor = { name: "GitHub", credential: "token (or GitHub App installation)" }

const where = (request: HttpClientRequest.HttpClientRequest): string =>
  `${request.method} ${new URL(request.url).pathname}`

/** The call as `HttpKit.client` takes it. */
export type KitCall = HttpKit.Call & Call

/** The call with its idempotency said outright. */
export const kitCall = (call: Call): KitCall => ({ ...call, idempotent: call.idempotent !== false })

/**
 * GitHub's reading of a failure: where it happened (method and path), a rate limit (its headers, within
 * `maxWait`) and the permission a 403 names for the operation.
 */
export const refine = (maxWait: Duration.DurationInput) =>
(
  call: KitCall,
  failure: HttpKit.Failure,
  fields: HttpKit.ErrorFields
): Effect.Effect<HttpKit.ErrorFields> => {
  const request = failure._tag === "Unreachable" ? failure.error.request : failure.response.request
  const located = { ...fields, detail: `${where(request)}: ${fields.detail}` }
  if (failure._tag !== "Answer") return Effect.succeed(located)
  const rateLimited = GithubRateLimit.isRateLimited(failure.response)
  return Effect.succeed({
    ...located,
    transient: fields.transient || rateLimited,
    hint: rateLimited
      ? GithubRateLimit.hint(failure.response, maxWait)
      : failure.response.status === 403
      ? `GitHub refused ${call.operation}: the token lacks the "${call.permission}" permission (fine-grained token or GitHub App), or the "repo" scope (classic token)`
      : fields.hint
  })
}

const graphqlStatus: Readonly<Record<string, number>> = { NOT_FOUND: 404, FORBIDDEN: 403, RATE_LIMITED: 403 }

/**
 * The fields for a GraphQL answer whose `errors` say the query failed (HTTP 200 all the same), or that
 * carried no data. A missing repository or issue is a 404 and a refusal a 403, as REST says them; a rate
 * limit is transient.
 */
export const fromGraphql = (
  call: Call,
  request: HttpClientRequest.HttpClientRequest,
  errors: ReadonlyArray<GithubCodec.GraphqlError>
): HttpKit.ErrorFields => {
  const types = errors.flatMap((error) => (error.type === undefined ? [] : [error.type]))
  const status = types.map((type) => graphqlStatus[type]).find((found) => found !== undefined)
  const rateLimited = types.includes("RATE_LIMITED")
  const said = errors.length === 0
    ? "GitHub's GraphQL answer carried neither data nor errors"
    : `GitHub's GraphQL answer has errors: ${
      errors.map((error) => `${error.type ?? "ERROR"}: ${error.message}`).join("; ")
    }`
  return {
    operation: call.operation,
    detail: `${where(request)}: ${HttpFailure.short(said)}`,
    transient: rateLimited || errors.length === 0,
    ...(status === undefined ? {} : { status }),
    hint: rateLimited
      ? "GitHub's GraphQL rate limit was reached; it will be retried on the next pass"
      : status === 404
      ? "the repository or issue was not found, or is not visible to this token"
      : status === 403
      ? `GitHub refused ${call.operation}: the token lacks the "${call.permission}" permission`
      : errors.length === 0
      ? "it will be retried on the next pass"
      : "GitHub rejected the query; AFK's query and GitHub's schema disagree (report it)"
  }
}
