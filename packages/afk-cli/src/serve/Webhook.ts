/**
 * One webhook delivery from GitHub or from Forgejo / Gitea: whether its signature holds over the raw body, its
 * delivery id and event, and the hint it gives the reconcile loop. A delivery only makes a pass happen sooner:
 * its payload is read for the repository alone (to ignore repositories outside the allowlist), never for the
 * issue, its labels or who acted; the pass re-reads all of that through the tracker, with every trust rule.
 */
import { createHmac, timingSafeEqual } from "node:crypto"

/** Which route a delivery came in on. */
export type Forge = "github" | "forgejo"

/** What a delivery asks of the loop: a full tick (an issue changed) or a watch pass (CI reported). */
export type Hint = "tick" | "watch"

/** Request headers by lower-case name, as Node gives them. */
export type Headers = Readonly<Record<string, string | ReadonlyArray<string> | undefined>>

const one = (headers: Headers, name: string): string | undefined => {
  const value = headers[name]
  return typeof value === "string" ? value : undefined
}

const hex = /^[0-9a-f]{64}$/i

/**
 * Why the delivery's signature does not hold, or `undefined` when it does. GitHub signs with
 * `X-Hub-Signature-256: sha256=<hex>`; Forgejo with `X-Forgejo-Signature: <hex>` and Gitea (and Forgejo, for
 * compatibility) with `X-Gitea-Signature: <hex>` — when the Forgejo header is present it is the one checked.
 * Each is the HMAC-SHA256 of the raw body under the secret, compared in constant time.
 */
export const refuseSignature = (
  forge: Forge,
  headers: Headers,
  body: Uint8Array,
  secret: string
): string | undefined => {
  const [name, prefix] = forge === "github"
    ? ["x-hub-signature-256", "sha256="]
    : one(headers, "x-forgejo-signature") === undefined
    ? ["x-gitea-signature", ""]
    : ["x-forgejo-signature", ""]
  const given = one(headers, name)
  if (given === undefined) {
    return forge === "github"
      ? "no X-Hub-Signature-256 header; set the webhook's secret on GitHub"
      : "no X-Forgejo-Signature or X-Gitea-Signature header; set the webhook's secret on the forge"
  }
  const digest = given.startsWith(prefix) ? given.slice(prefix.length) : undefined
  if (digest === undefined || !hex.test(digest)) {
    return `${name} is not ${prefix === "" ? "a" : `"${prefix}" and a`} 64-digit hex HMAC-SHA256`
  }
  const expected = createHmac("sha256", secret).update(body).digest()
  return timingSafeEqual(Buffer.from(digest, "hex"), expected)
    ? undefined
    : `${name} does not match the body under AFK_WEBHOOK_SECRET`
}

/** The delivery id and event name from the forge's headers, if both are there. */
export const identify = (
  forge: Forge,
  headers: Headers
): { readonly id: string; readonly event: string } | string => {
  const id = forge === "github"
    ? one(headers, "x-github-delivery")
    : one(headers, "x-forgejo-delivery") ?? one(headers, "x-gitea-delivery")
  const event = forge === "github"
    ? one(headers, "x-github-event")
    : one(headers, "x-forgejo-event") ?? one(headers, "x-gitea-event")
  if (id === undefined || id.trim() === "" || id.length > 200) {
    return forge === "github" ? "no X-GitHub-Delivery header" : "no X-Forgejo-Delivery or X-Gitea-Delivery header"
  }
  if (event === undefined || event.trim() === "") {
    return forge === "github" ? "no X-GitHub-Event header" : "no X-Forgejo-Event or X-Gitea-Event header"
  }
  return { id, event: event.trim().toLowerCase() }
}

const issueActions = new Set(["opened", "labeled", "unlabeled", "closed", "reopened", "edited"])

const ciEvents: Record<Forge, ReadonlySet<string>> = {
  github: new Set(["check_run", "check_suite", "status", "workflow_run"]),
  forgejo: new Set(["status", "workflow_run", "workflow_job", "action_run"])
}

/** What a verified delivery means for the loop. */
export type Meaning =
  | { readonly _tag: "Hint"; readonly hint: Hint; readonly repo: string }
  | { readonly _tag: "Ignored"; readonly reason: string }
  | { readonly _tag: "Malformed"; readonly reason: string }

const hintOf = (forge: Forge, event: string, action: unknown): Hint | string => {
  if (ciEvents[forge].has(event)) return "watch"
  // Pull requests, their reviews and review comments (GitHub's and Forgejo's names all start so) move a
  // pull-request run: watch reads them.
  if (event.startsWith("pull_request")) return "watch"
  if (event === "issue_comment") return "tick"
  if (forge === "forgejo" && (event === "issues" || event === "issue_label")) return "tick"
  if (event === "issues") {
    return typeof action === "string" && issueActions.has(action)
      ? "tick"
      : `issues.${String(action)} changes nothing AFK reads`
  }
  return `AFK does not act on ${event} events`
}

/**
 * Reads a verified delivery: malformed unless its body is a JSON object; ignored when its event is not one AFK
 * acts on or its repository is outside `allowlist`; otherwise the hint for the loop.
 */
export const meaning = (
  forge: Forge,
  event: string,
  body: Uint8Array,
  allowlist: ReadonlyArray<string>
): Meaning => {
  let payload: unknown
  try {
    payload = JSON.parse(Buffer.from(body).toString("utf8"))
  } catch {
    return {
      _tag: "Malformed",
      reason: "the body is not JSON; set the webhook's content type to application/json"
    }
  }
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    return { _tag: "Malformed", reason: "the body is not a JSON object" }
  }
  const fields = payload as { readonly action?: unknown; readonly repository?: { readonly full_name?: unknown } }
  const hint = hintOf(forge, event, fields.action)
  if (hint !== "tick" && hint !== "watch") return { _tag: "Ignored", reason: hint }
  const repo = fields.repository?.full_name
  if (typeof repo !== "string") return { _tag: "Ignored", reason: "the delivery names no repository" }
  if (!allowlist.some((allowed) => allowed.toLowerCase() === repo.toLowerCase())) {
    return { _tag: "Ignored", reason: "the repository is not in AFK_ALLOWLIST" }
  }
  return { _tag: "Hint", hint, repo }
}

/** The delivery ids already taken, the newest `capacity` of them: a redelivery within them is taken once. */
export interface Seen {
  /** True the first time `id` is offered; false while it is remembered. */
  readonly first: (id: string) => boolean
}

export const seen = (capacity: number): Seen => {
  const ids = new Set<string>()
  return {
    first: (id) => {
      if (ids.has(id)) return false
      ids.add(id)
      if (ids.size > capacity) ids.delete(ids.values().next().value!)
      return true
    }
  }
}
