/**
 * Test support for the YAML examples (`kubernetes/`, `github-actions/`): a reader for the subset of YAML
 * they are written in, so their checks need no YAML dependency. Block mappings and sequences (a sequence
 * may sit at its key's indentation), plain / single / double-quoted scalars, `|` and `>` block scalars,
 * one-line flow sequences of scalars, `#` comments and `---` between documents. Anything else (anchors,
 * aliases, tags, multi-line flow collections, tabs) is refused with its line number, never guessed.
 *
 * Plain scalars: `true` / `false`, `null` / `~` / empty, and integers are typed; everything else is text.
 */
import { readFile } from "node:fs/promises"
import { basename } from "node:path"
import { fileURLToPath } from "node:url"

/** @typedef {unknown} Yaml a parsed value: null, boolean, number, string, array or plain object */

/**
 * @param {string} text
 * @param {string} [name] for error messages
 * @returns {Array<Yaml>} the documents, in order
 */
export const parseAll = (text, name = "yaml") => {
  /** @type {Array<Array<{ indent: number; text: string; line: number }>>} */
  const documents = [[]]
  const raw = text.split(/\r?\n/)
  raw.forEach((raw, index) => {
    const line = index + 1
    if (/^\t| \t/.test(raw.match(/^\s*/)?.[0] ?? "")) throw new Error(`${name}:${line}: tabs are not supported`)
    if (raw === "---" || raw.startsWith("--- ")) return documents.push([])
    const content = stripComment(raw)
    if (content.trim() === "") return
    documents.at(-1)?.push({ indent: content.length - content.trimStart().length, text: content.trim(), line })
  })
  return documents.filter((lines) => lines.length > 0).map((lines) => {
    const reader = { lines, at: 0, name, raw }
    const value = readBlock(reader, lines[0]?.indent ?? 0)
    const rest = lines[reader.at]
    if (rest !== undefined) throw new Error(`${name}:${rest.line}: unexpected indentation`)
    return value
  })
}

/** @param {string} raw */
const stripComment = (raw) => {
  let quote = ""
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]
    if (quote !== "") {
      if (c === quote && !(quote === "\"" && raw[i - 1] === "\\")) quote = ""
    } else if (c === "\"" || c === "'") {
      quote = c
    } else if (c === "#" && (i === 0 || raw[i - 1] === " ")) {
      return raw.slice(0, i).trimEnd()
    }
  }
  return raw.trimEnd()
}

/**
 * @typedef {{ lines: Array<{ indent: number; text: string; line: number }>; at: number; name: string; raw: Array<string> }} Reader
 */

/** A mapping or a sequence whose lines start at `indent`. @param {Reader} r @param {number} indent @returns {Yaml} */
const readBlock = (r, indent) => {
  const first = r.lines[r.at]
  if (first === undefined || first.indent !== indent) return null
  return first.text === "-" || first.text.startsWith("- ") ? readSequence(r, indent) : readMapping(r, indent)
}

/** @param {Reader} r @param {number} indent @returns {Array<Yaml>} */
const readSequence = (r, indent) => {
  /** @type {Array<Yaml>} */
  const items = []
  for (let line = r.lines[r.at]; line !== undefined && line.indent === indent; line = r.lines[r.at]) {
    if (!(line.text === "-" || line.text.startsWith("- "))) break
    const rest = line.text.slice(1).trimStart()
    if (rest === "-" || rest.startsWith("- ")) throw new Error(`${r.name}:${line.line}: "- - " is not supported`)
    if (rest === "") {
      r.at += 1
      items.push(readBlock(r, r.lines[r.at]?.indent ?? indent + 1))
    } else if (isKey(rest)) {
      // "- key: value": a mapping whose first key sits two columns right of the dash.
      const inner = indent + line.text.length - rest.length
      r.lines[r.at] = { ...line, indent: inner, text: rest }
      items.push(readMapping(r, inner))
    } else {
      r.at += 1
      items.push(readScalar(r, rest, line.line, indent))
    }
  }
  return items
}

/** @param {string} text */
const isKey = (text) => /^(?:"[^"]*"|'[^']*'|[^\s"'#\-[{][^:#]*|-[^\s:#][^:#]*):(?:\s|$)/.test(text)

/** @param {Reader} r @param {number} indent @returns {{ [key: string]: Yaml }} */
const readMapping = (r, indent) => {
  /** @type {{ [key: string]: Yaml }} */
  const map = {}
  for (let line = r.lines[r.at]; line !== undefined && line.indent === indent; line = r.lines[r.at]) {
    const match = /^("[^"]*"|'[^']*'|[^:]+?):(?:\s+(.*))?$/.exec(line.text)
    if (match === null || line.text.startsWith("- ")) throw new Error(`${r.name}:${line.line}: expected "key: value"`)
    const key = unquote(match[1] ?? "")
    if (key in map) throw new Error(`${r.name}:${line.line}: duplicate key ${key}`)
    const rest = match[2] ?? ""
    r.at += 1
    if (rest !== "") {
      map[key] = readScalar(r, rest, line.line, indent)
      continue
    }
    const next = r.lines[r.at]
    const nested = next !== undefined &&
      (next.indent > indent || (next.indent === indent && (next.text === "-" || next.text.startsWith("- "))))
    map[key] = nested && next !== undefined ? readBlock(r, next.indent) : null
  }
  return map
}

/** @param {string} text */
const unquote = (text) =>
  text.startsWith("\"") ? JSON.parse(text) : text.startsWith("'") ? text.slice(1, -1).replaceAll("''", "'") : text

/** @param {Reader} r @param {string} text @param {number} line @param {number} indent @returns {Yaml} */
const readScalar = (r, text, line, indent) => {
  if (/^[&*!]/.test(text)) throw new Error(`${r.name}:${line}: anchors, aliases and tags are not supported`)
  const folded = /^([|>])([+-]?)$/.exec(text)
  if (folded !== null) {
    // Read from the raw lines: inside a block scalar, blank lines and "#" are content.
    const indentOf = (/** @type {string} */ raw) => raw.length - raw.trimStart().length
    let end = line
    const first = r.raw.slice(line).find((raw) => raw.trim() !== "")
    const inner = first === undefined ? indent + 1 : indentOf(first)
    /** @type {Array<string>} */
    const body = []
    if (inner > indent) {
      for (let raw = r.raw[end]; raw !== undefined && (raw.trim() === "" || indentOf(raw) >= inner); raw = r.raw[end]) {
        body.push(raw.slice(inner))
        end += 1
      }
    }
    while (body.length > 0 && body.at(-1)?.trim() === "") body.pop()
    while ((r.lines[r.at]?.line ?? Infinity) <= end) r.at += 1
    const joined = folded[1] === "|"
      ? body.join("\n")
      : body.reduce(
        (text, raw) => raw === "" ? `${text}\n` : text === "" || text.endsWith("\n") ? text + raw : `${text} ${raw}`,
        ""
      )
    return folded[2] === "-" || body.length === 0 ? joined : `${joined}\n`
  }
  if (text.startsWith("[")) {
    if (!text.endsWith("]")) throw new Error(`${r.name}:${line}: multi-line flow sequences are not supported`)
    const inside = text.slice(1, -1).trim()
    return inside === "" ? [] : inside.split(",").map((item) => readScalar(r, item.trim(), line, indent))
  }
  if (text.startsWith("{")) {
    if (text === "{}") return {}
    throw new Error(`${r.name}:${line}: flow mappings are not supported`)
  }
  if (text.startsWith("\"") || text.startsWith("'")) return unquote(text)
  if (text === "true" || text === "false") return text === "true"
  if (text === "null" || text === "~") return null
  if (/^-?\d+$/.test(text)) return Number(text)
  return text
}

/** Reading a parsed document, failing with a readable message when it does not have the expected shape. */

/** @param {Yaml} value @param {string} where @returns {{ [key: string]: Yaml }} */
export const mapping = (value, where) => {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    return /** @type {{ [key: string]: Yaml }} */ (value)
  }
  throw new Error(`${where} is not a mapping`)
}

/** @param {Yaml} value @param {string} where @returns {Array<Yaml>} */
export const list = (value, where) => {
  if (Array.isArray(value)) return value
  throw new Error(`${where} is not a list`)
}

/** @param {Yaml} value @param {string} where @returns {string} */
export const text = (value, where) => {
  if (typeof value === "string") return value
  throw new Error(`${where} is not a string`)
}

/** The value at `path` (keys and list indexes). @param {Yaml} node @param {ReadonlyArray<string | number>} path */
export const at = (node, path) =>
  path.reduce((value, key, i) => {
    const where = path.slice(0, i + 1).join(".")
    const child = typeof key === "number" ? list(value, where)[key] : mapping(value, where)[key]
    if (child === undefined) throw new Error(`${where} is missing`)
    return child
  }, node)

/** The one document in `file` (a URL, e.g. `new URL("x.yaml", import.meta.url)`), as a mapping. */
export const readDocument = async (/** @type {URL} */ file) => {
  const name = basename(fileURLToPath(file))
  const documents = parseAll(await readFile(file, "utf8"), name)
  if (documents.length !== 1) throw new Error(`${name} should hold one document, not ${documents.length}`)
  return mapping(documents[0], name)
}
