/**
 * Duplicate keys in JSON text. `JSON.parse` keeps the last of two equal keys in one object without a word, so
 * `{"killSwitch": true, "killSwitch": false}` would load as armed; AFK's config file refuses such a file instead.
 * One linear pass with an explicit stack (no recursion, so no nesting depth can overflow it), run only on
 * text `JSON.parse` has accepted. Internal to `Config`.
 */
import * as Option from "effect/Option"

/** A key found twice in one object: its path from the top (array items by index) and its offset in the text. */
export interface Duplicate {
  readonly path: ReadonlyArray<string>
  readonly offset: number
}

interface Container {
  readonly parent: Container | undefined
  /** The keys seen so far in an object; absent for an array. */
  readonly keys: Set<string> | undefined
  /** The current key (object) or item index (array). */
  at: string
}

const pathOf = (container: Container | undefined, key: string): ReadonlyArray<string> => {
  const path = [key]
  for (let at = container?.parent; at !== undefined; at = at.parent) path.push(at.at)
  return path.reverse()
}

const whitespace = new Set([" ", "\t", "\n", "\r"])

const nextSignificant = (text: string, from: number): string | undefined => {
  let i = from
  while (i < text.length && whitespace.has(text[i]!)) i++
  return text[i]
}

/** The first key that appears twice in one object of `text`, which must be valid JSON. */
export const duplicate = (text: string): Option.Option<Duplicate> => {
  const stack: Array<Container> = []
  let i = 0
  while (i < text.length) {
    const c = text[i]
    const top = stack.at(-1)
    if (c === "\"") {
      const start = i
      for (i++; text[i] !== "\""; i++) if (text[i] === "\\") i++
      i++
      if (top?.keys !== undefined && nextSignificant(text, i) === ":") {
        const key = JSON.parse(text.slice(start, i)) as string
        if (top.keys.has(key)) return Option.some({ path: pathOf(top, key), offset: start })
        top.keys.add(key)
        top.at = key
      }
      continue
    }
    if (c === "{" || c === "[") {
      stack.push({ parent: top, keys: c === "{" ? new Set() : undefined, at: "0" })
    } else if (c === "}" || c === "]") {
      stack.pop()
    } else if (c === "," && top !== undefined && top.keys === undefined) {
      top.at = String(Number(top.at) + 1)
    }
    i++
  }
  return Option.none()
}
