/**
 * What a verified delivery means: pull-request events (the pull request, its reviews and review comments)
 * move pull-request runs, so they wake watch on both forges; events AFK reads nothing from are ignored.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Webhook from "../src/serve/Webhook.js"

const body = (extra: Record<string, unknown> = {}) =>
  new TextEncoder().encode(JSON.stringify({ action: "submitted", repository: { full_name: "acme/app" }, ...extra }))

describe("webhook deliveries for pull-request runs", () => {
  it("a review, a review comment or a pull request change wakes watch on GitHub", () => {
    for (const event of ["pull_request", "pull_request_review", "pull_request_review_comment"]) {
      expect(Webhook.meaning("github", event, body(), ["acme/app"]), event).toEqual({
        _tag: "Hint",
        hint: "watch",
        repo: "acme/app"
      })
    }
  })

  it("Forgejo's review events (approved, rejected, comment) wake watch too", () => {
    for (const event of ["pull_request", "pull_request_review_approved", "pull_request_review_rejected"]) {
      expect(Webhook.meaning("forgejo", event, body(), ["acme/app"])._tag, event).toBe("Hint")
    }
  })

  it("outside the allowlist, or an event AFK reads nothing from, is ignored", () => {
    expect(Webhook.meaning("github", "pull_request_review", body(), ["acme/other"])._tag).toBe("Ignored")
    expect(Webhook.meaning("github", "fork", body(), ["acme/app"])).toEqual({
      _tag: "Ignored",
      reason: "AFK does not act on fork events"
    })
  })
})
