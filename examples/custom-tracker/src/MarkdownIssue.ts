/**
 * One issue as one Markdown file: a front matter of `key: <JSON value>` lines (also valid YAML), the body,
 * then an append-only log of label events, edits of the title or body, and comments, each starting with
 * an HTML comment (invisible when the file is rendered):
 *
 * ```md
 * ---
 * title: "Pagination skips the last item"
 * state: "open"
 * author: "reporter"
 * labels: ["ready-for-agent"]
 * ---
 * The list endpoint drops the last item of every page.
 * <!-- afk:edit {"editor":"reporter","at":"2026-05-31T23:50:00.000Z"} -->
 * <!-- afk:event {"label":"ready-for-agent","action":"added","actor":"maintainer","at":"2026-06-01T00:00:00.000Z"} -->
 * <!-- afk:comment {"id":"1-1","author":"maintainer","createdAt":"2026-06-01T00:05:00.000Z"} -->
 * Please keep the fix small.
 * ```
 *
 * Pure: `parse` and `format` round-trip exactly, whatever the texts contain.
 */

export interface Event {
  readonly label: string
  readonly action: "added" | "removed"
  readonly actor: string
  /** ISO 8601. */
  readonly at: string
}

/** Someone changed the title and/or body (the front matter and body hold the text as it is now). */
export interface Edit {
  readonly editor: string
  /** ISO 8601. */
  readonly at: string
}

export interface Comment {
  /** `<issue number>-<n>`: unique in the repository, and it says which file holds the comment. */
  readonly id: string
  readonly author: string
  /** ISO 8601. */
  readonly createdAt: string
  readonly body: string
}

export interface MarkdownIssue {
  readonly number: number
  readonly title: string
  readonly body: string
  readonly state: "open" | "closed"
  readonly author: string
  readonly labels: ReadonlyArray<string>
  readonly pullRequest: boolean
  /** Label events, edits and comments, oldest first. */
  readonly log: ReadonlyArray<Entry>
}

export type Entry =
  | { readonly _tag: "event"; readonly event: Event }
  | { readonly _tag: "edit"; readonly edit: Edit }
  | { readonly _tag: "comment"; readonly comment: Comment }

const marker = /^<!-- afk:(event|edit|comment) (.*) -->$/gm
const escapable = /^(\\*)<!-- afk:/gm

/** A text line that looks like a marker gets one more leading backslash, so it cannot be read as one. */
const escape = (text: string): string => text.replace(escapable, "\\$1<!-- afk:")
const unescape = (text: string): string => text.replace(/^\\(\\*)<!-- afk:/gm, "$1<!-- afk:")

/** The file's text. */
export const format = (issue: MarkdownIssue): string => {
  const front = [
    ["title", issue.title],
    ["state", issue.state],
    ["author", issue.author],
    ["labels", issue.labels],
    ...(issue.pullRequest ? [["pullRequest", true] as const] : [])
  ].map(([key, value]) => `${key}: ${JSON.stringify(value)}\n`)
  const log = issue.log.map((entry) =>
    entry._tag === "event"
      ? `<!-- afk:event ${JSON.stringify(entry.event)} -->\n`
      : entry._tag === "edit"
      ? `<!-- afk:edit ${JSON.stringify(entry.edit)} -->\n`
      : `<!-- afk:comment ${JSON.stringify({ ...entry.comment, body: undefined })} -->\n${escape(entry.comment.body)}\n`
  )
  return `---\n${front.join("")}---\n${escape(issue.body)}\n${log.join("")}`
}

const json = (text: string, where: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    throw new Error(`${where} is not valid JSON: ${text}`)
  }
}

const field = (front: Record<string, unknown>, key: string, file: string): unknown => {
  if (!(key in front)) throw new Error(`${file}: the front matter has no ${key}`)
  return front[key]
}

const asString = (value: unknown, what: string): string => {
  if (typeof value !== "string") throw new Error(`${what} is not a string`)
  return value
}

/** Reads a file's text; throws an `Error` naming the file when it is not in this format. */
export const parse = (number: number, text: string, file = `${number}.md`): MarkdownIssue => {
  const head = /^---\n([\s\S]*?)\n---\n/.exec(text)
  if (head === null) throw new Error(`${file}: no front matter`)
  const front: Record<string, unknown> = {}
  for (const line of head[1]!.split("\n")) {
    const colon = line.indexOf(": ")
    if (colon < 0) throw new Error(`${file}: front matter line ${JSON.stringify(line)} is not "key: value"`)
    front[line.slice(0, colon)] = json(line.slice(colon + 2), `${file}: front matter ${line.slice(0, colon)}`)
  }
  const rest = text.slice(head[0].length)
  const markers = [...rest.matchAll(marker)]
  // Each text runs up to the next marker (or the end of the file), and ends with exactly one newline.
  const textUntil = (start: number, next: number) => unescape(rest.slice(start, next).replace(/\n$/, ""))
  const log = markers.map((match, i) => {
    const data = json(match[2]!, `${file}: ${match[1]} marker`) as Record<string, unknown>
    if (match[1] === "event") return { _tag: "event" as const, event: data as unknown as Event }
    if (match[1] === "edit") return { _tag: "edit" as const, edit: data as unknown as Edit }
    const start = match.index + match[0].length + 1
    const body = textUntil(start, markers[i + 1]?.index ?? rest.length)
    return { _tag: "comment" as const, comment: { ...(data as unknown as Omit<Comment, "body">), body } }
  })
  const state = field(front, "state", file)
  if (state !== "open" && state !== "closed") throw new Error(`${file}: state must be "open" or "closed"`)
  const labels = field(front, "labels", file)
  if (!Array.isArray(labels) || !labels.every((label) => typeof label === "string")) {
    throw new Error(`${file}: labels must be a list of strings`)
  }
  return {
    number,
    title: asString(field(front, "title", file), `${file}: title`),
    body: textUntil(0, markers[0]?.index ?? rest.length),
    state,
    author: asString(field(front, "author", file), `${file}: author`),
    labels,
    pullRequest: front["pullRequest"] === true,
    log
  }
}

export const events = (issue: MarkdownIssue): ReadonlyArray<Event> =>
  issue.log.flatMap((entry) => (entry._tag === "event" ? [entry.event] : []))

export const edits = (issue: MarkdownIssue): ReadonlyArray<Edit> =>
  issue.log.flatMap((entry) => (entry._tag === "edit" ? [entry.edit] : []))

export const comments = (issue: MarkdownIssue): ReadonlyArray<Comment> =>
  issue.log.flatMap((entry) => (entry._tag === "comment" ? [entry.comment] : []))
