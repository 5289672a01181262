/**
 * Renders an AFK `Notification` as a Slack message: Block Kit blocks plus a plain-text `text` fallback.
 * Everything that comes from an issue or a CI system (title, headline, details, check names and
 * summaries, URLs) is flattened to one line and escaped, so it can neither add a line, ping anyone nor
 * plant a link; only the operator's `mention` is inserted verbatim. Every text fits Block Kit's limits.
 * Pure: no I/O.
 */
import type * as Domain from "afk-core/Domain"

/** A Block Kit `mrkdwn` text object; `verbatim` stops Slack from auto-linking names and URLs. */
export interface Mrkdwn {
  readonly type: "mrkdwn"
  readonly text: string
  readonly verbatim: true
}

export type Block =
  | { readonly type: "section"; readonly text: Mrkdwn }
  | { readonly type: "context"; readonly elements: ReadonlyArray<Mrkdwn> }

/** What goes to Slack: the blocks, and the `text` shown in notifications and by clients without blocks. */
export interface Message {
  readonly text: string
  readonly blocks: ReadonlyArray<Block>
}

export interface RenderOptions {
  /** Who to ping on escalations, in Slack syntax (`<!subteam^S123>`, `<@U123>`); inserted verbatim. */
  readonly mention?: string | undefined
}

/** Block Kit's limit on one text object. */
export const maxTextLength = 3000

const maxLineLength = 1000
const maxBlocksPerList = 10
const maxUrlLength = 1000

const markers: Record<Domain.NotificationKind, string> = {
  done: "[DONE]",
  "needs-human": "[NEEDS-HUMAN]",
  frozen: "[FROZEN]",
  dispatched: "[DISPATCHED]"
}

const checkWords: Record<Domain.CheckState, string> = { success: "passed", failure: "failed", pending: "pending" }

/** The emoji-free marker that opens every message of a kind, e.g. `[NEEDS-HUMAN]`. */
export const marker = (kind: Domain.NotificationKind): string => markers[kind]

/** True for the kinds that hand the run to a person (and carry the configured mention). */
export const isEscalation = (kind: Domain.NotificationKind): boolean => kind === "needs-human" || kind === "frozen"

/** Escapes Slack's control characters (`&`, `<`, `>`) so the text is shown, never parsed. */
export const escapeText = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

/** Escapes `text` and cuts it (never inside an entity) so the result has at most `max` characters. */
export const escapeWithin = (text: string, max: number): string => {
  const escaped = escapeText(text)
  if (escaped.length <= max) return escaped
  let out = ""
  for (const char of text) {
    const piece = escapeText(char)
    if (out.length + piece.length > max - 1) break
    out += piece
  }
  return `${out}…`
}

const oneLine = (text: string): string => text.replace(/[\s\p{Cc}]+/gu, " ").trim()

/**
 * The form of an http(s) URL that is safe inside `<url|text>`: `&` as an entity and `|`, `<`, `>`
 * percent-encoded. `undefined` for anything else (other schemes, unparsable, absurdly long).
 */
export const linkTarget = (url: string): string | undefined => {
  if (!URL.canParse(url.trim())) return undefined
  const parsed = new URL(url.trim())
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return undefined
  const safe = parsed.href.replace(/&/g, "&amp;").replace(/\|/g, "%7C").replace(/</g, "%3C").replace(/>/g, "%3E")
  return safe.length > maxUrlLength ? undefined : safe
}

/** `<url|text>` with `text` already escaped; just the text when the URL cannot be linked safely. */
export const link = (url: string | undefined, text: string): string => {
  const target = url === undefined ? undefined : linkTarget(url)
  return target === undefined ? text : `<${target}|${text}>`
}

const mrkdwn = (text: string): Mrkdwn => ({ type: "mrkdwn", text, verbatim: true })

const section = (text: string): Block => ({ type: "section", text: mrkdwn(text) })

/** Packs escaped lines under a bold label into as few sections as fit, noting any lines left out. */
const listSections = (label: string, lines: ReadonlyArray<string>): ReadonlyArray<Block> => {
  const blocks: Array<Block> = []
  let current = `*${label}*`
  for (const [index, line] of lines.entries()) {
    if (current.length + 1 + line.length <= maxTextLength) {
      current = `${current}\n${line}`
      continue
    }
    if (blocks.length === maxBlocksPerList - 1) {
      const rest = `…and ${lines.length - index} more`
      current = current.length + 1 + rest.length <= maxTextLength ? `${current}\n${rest}` : current
      break
    }
    blocks.push(section(current))
    current = line
  }
  blocks.push(section(current))
  return blocks
}

const bullet = (text: string): string => `• ${escapeWithin(oneLine(text), maxLineLength)}`

const checkLine = (check: Domain.Check): string => {
  const name = link(check.url, escapeWithin(oneLine(check.name), 200))
  const summary = check.summary === undefined ? "" : ` — ${escapeWithin(oneLine(check.summary), 500)}`
  return `• ${checkWords[check.state]} ${name}${summary}`
}

const mentionFor = (notification: Domain.Notification, options: RenderOptions): string =>
  options.mention !== undefined && options.mention !== "" && isEscalation(notification.kind)
    ? `${options.mention} `
    : ""

/** The Slack message for one notification. */
export const render = (notification: Domain.Notification, options: RenderOptions = {}): Message => {
  const mention = mentionFor(notification, options)
  const kind = marker(notification.kind)
  const ref = escapeText(`${notification.issue.repo}#${notification.issue.number}`)
  const title = escapeWithin(oneLine(notification.title), 250)
  const headline = escapeWithin(oneLine(notification.headline), 1500)
  const blocks: Array<Block> = [
    section(`${mention}*${kind}* ${link(notification.issueUrl, `${ref} ${title}`)}\n${headline}`)
  ]
  if (notification.details.length > 0) {
    blocks.push(...listSections("What happened", notification.details.map(bullet)))
  }
  if (notification.commit !== undefined) {
    blocks.push(section(`*Commit* \`${escapeWithin(oneLine(notification.commit), 80)}\``))
  }
  if (notification.checks.length > 0) {
    blocks.push(...listSections("Checks", notification.checks.map(checkLine)))
  }
  if (notification.threadUrl !== undefined) {
    const target = linkTarget(notification.threadUrl)
    const thread = target === undefined
      ? escapeWithin(oneLine(notification.threadUrl), 500)
      : `<${target}|open the agent thread>`
    blocks.push({ type: "context", elements: [mrkdwn(`Thread: ${thread}`)] })
  }
  const text = escapeWithin(
    `${kind} ${notification.issue.repo}#${notification.issue.number} ${oneLine(notification.title)}: ${
      oneLine(notification.headline)
    }`,
    maxTextLength - mention.length
  )
  return { text: `${mention}${text}`, blocks }
}
