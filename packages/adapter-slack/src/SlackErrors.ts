/**
 * What Slack's refusals mean and what the operator should do about each: the Web API's `ok: false`
 * error codes (`channel_not_found`, `not_in_channel`, `invalid_auth`, `missing_scope`, …) and the
 * incoming webhook's HTTP errors (`invalid_payload`, `no_service`, `channel_is_archived`, …), turned into
 * the fields of a `NotifierError`. Pure; the transport in `SlackClient` decides when they apply.
 */
import * as HttpFailure from "afk-core/HttpFailure"
import type * as PortError from "afk-core/PortError"

/** What Slack said about a refused `chat.postMessage`. */
export interface ApiRefusal {
  /** The configured channel (operator config, safe to show). */
  readonly channel: string
  /** Slack's error code. */
  readonly error?: string | undefined
  /** For `missing_scope`: the scope the token needs. */
  readonly needed?: string | undefined
  /** For `invalid_blocks` and friends: Slack's own list of what was wrong. */
  readonly errors?: ReadonlyArray<string> | undefined
}

const bug =
  "Slack refused the message AFK built: a bug in afk-adapter-slack, please report it with this error (the notification was not delivered)"
const rateLimited = "Slack rate limit: the notification was not delivered, and will be sent on the next pass"
const serverError = "Slack had a server error: the notification was not delivered, and will be sent on the next pass"
const restricted =
  "a workspace or channel setting stops the bot posting there: ask a Slack admin, or configure another channel"
const reinstall = "reinstall the Slack app to the workspace and configure the new bot token (xoxb-…)"

const payloadErrors = new Set([
  "no_text",
  "msg_too_long",
  "msg_blocks_too_long",
  "invalid_blocks",
  "invalid_blocks_format",
  "invalid_arguments",
  "invalid_json",
  "json_not_object",
  "invalid_form_data",
  "invalid_payload",
  "too_many_attachments",
  "missing_text_or_fallback_or_attachments",
  "invalid_attachments",
  "invalid_metadata_format",
  "invalid_metadata_schema"
])

const restrictedErrors = new Set([
  "restricted_action",
  "restricted_action_read_only_channel",
  "restricted_action_thread_only_channel",
  "restricted_action_non_threadable_channel",
  "ekm_access_denied",
  "team_access_not_granted",
  "access_denied",
  "action_prohibited",
  "posting_to_general_channel_denied",
  "cannot_reply_to_message"
])

const rateErrors = new Set(["ratelimited", "rate_limited"])

const serverErrors = new Set([
  "internal_error",
  "fatal_error",
  "service_unavailable",
  "request_timeout",
  "rollup_error"
])

/** True for the codes that may succeed when sent again later. */
export const isTransientCode = (code: string): boolean => rateErrors.has(code) || serverErrors.has(code)

const apiHint = (refusal: ApiRefusal, code: string): string => {
  switch (code) {
    case "not_authed":
      return "no bot token reached Slack: configure the bot token (xoxb-…)"
    case "invalid_auth":
      return "Slack does not recognise the bot token: configure the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page"
    case "token_revoked":
    case "token_expired":
      return `the bot token was revoked or has expired (the app was uninstalled, or its token rotated): ${reinstall}`
    case "account_inactive":
      return `the token belongs to a deactivated user, app or workspace: ${reinstall}`
    case "missing_scope":
      return `the bot token lacks the ${
        refusal.needed ?? "chat:write"
      } scope: add it under OAuth & Permissions, then ${reinstall}`
    case "not_allowed_token_type":
      return "chat.postMessage needs a bot token (xoxb-…), not a user or app-level token: configure the bot token"
    case "channel_not_found":
      return `Slack has no channel ${refusal.channel} visible to the bot: configure the channel ID (C…), and invite the bot to a private channel`
    case "not_in_channel":
      return `the bot is not a member of ${refusal.channel}: invite it (/invite @the-bot) or grant the chat:write.public scope`
    case "is_archived":
      return `channel ${refusal.channel} is archived: unarchive it or configure another channel`
    default:
      if (payloadErrors.has(code)) return bug
      if (restrictedErrors.has(code)) return restricted
      if (rateErrors.has(code)) return rateLimited
      if (serverErrors.has(code)) return serverError
      return `see https://api.slack.com/methods/chat.postMessage#errors for what ${code} means`
  }
}

/** The error fields for a `chat.postMessage` that Slack refused (`ok: false`, or a non-200 with an error). */
export const apiFailure = (operation: string, refusal: ApiRefusal, status: number): PortError.Fields => {
  const code = refusal.error ?? "unknown_error"
  const needed = code === "missing_scope" && refusal.needed !== undefined ? ` (needed: ${refusal.needed})` : ""
  const listed = refusal.errors === undefined || refusal.errors.length === 0 ? "" : `: ${refusal.errors.join("; ")}`
  return {
    operation,
    status,
    detail: `Slack refused the message: ${code}${needed}${listed}`.slice(0, 600),
    transient: isTransientCode(code) || HttpFailure.isTransientStatus(status),
    hint: apiHint(refusal, code)
  }
}

const webhookHint = (vendor: HttpFailure.Vendor, status: number, code: string): string => {
  switch (code) {
    case "no_service":
    case "no_team":
    case "invalid_token":
    case "team_disabled":
      return "Slack no longer knows this incoming webhook (revoked, or its app removed): create a new webhook and configure its URL"
    case "channel_not_found":
      return "the webhook's channel no longer exists: create a new incoming webhook for an existing channel"
    case "channel_is_archived":
      return "the webhook's channel is archived: unarchive it, or create a webhook for another channel"
    case "user_not_found":
      return "the webhook's target user no longer exists: create a new incoming webhook"
    default:
      if (payloadErrors.has(code)) return bug
      if (restrictedErrors.has(code)) return restricted
      if (rateErrors.has(code) || status === 429) return rateLimited
      if (serverErrors.has(code) || status >= 500) return serverError
      return HttpFailure.hintFor(vendor, status) ?? `Slack refused the incoming webhook (HTTP ${status})`
  }
}

/** The error fields for an incoming webhook answered with anything but 200 (Slack sends a bare code). */
export const webhookFailure = (
  vendor: HttpFailure.Vendor,
  operation: string,
  status: number,
  body: string
): PortError.Fields => {
  const code = /^[a-z_]+$/.test(body) ? body : ""
  const shown = code !== "" ? code : body.replace(/\s+/g, " ").slice(0, 200)
  return {
    operation,
    status,
    detail: `Slack answered HTTP ${status}${shown === "" ? "" : ` ${shown}`}`,
    transient: HttpFailure.isTransientStatus(status) || isTransientCode(code),
    hint: webhookHint(vendor, status, code)
  }
}
