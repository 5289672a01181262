/**
 * The kinds of value a setting takes (boolean, whole number, text, URL, one of a few words, list,
 * repositories, optional, a directory or off, a secret, a PEM private key, a GitHub id): how each is
 * parsed strictly from env-style text, read from `afk.config.json`, shown and described in the JSON
 * Schema. Internal to `ConfigSchema`.
 */
import * as Either from "effect/Either"
import * as JSONSchema from "effect/JSONSchema"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { Repo } from "./Domain.js"

/** What a value of a setting must look like, and how it is parsed, read from JSON and shown. */
export interface Kind<A> {
  /** What a value must look like, in words, for error messages. */
  readonly accepts: string
  /** Parses trimmed, non-blank text; `Left` is the problem, never containing the value. */
  readonly decode: (text: string) => Either.Either<A, string>
  /** The env-style text of a value found in `afk.config.json`; `Left` is the problem. */
  readonly fromJson: (value: unknown) => Either.Either<string, string>
  readonly json: Record<string, unknown>
  toJson(value: A): unknown
  show(value: A): string
}

const jsonString = (value: unknown): Either.Either<string, string> =>
  typeof value === "string" ? Either.right(value) : Either.left("expected a JSON string")

export const boolean: Kind<boolean> = {
  accepts: "1, true, yes, on, 0, false, no or off (trimmed, any case)",
  decode: (text) => {
    const lower = text.toLowerCase()
    if (["1", "true", "yes", "on"].includes(lower)) return Either.right(true)
    if (["0", "false", "no", "off"].includes(lower)) return Either.right(false)
    return Either.left("is not a boolean")
  },
  fromJson: (value) => typeof value === "boolean" ? Either.right(String(value)) : Either.left("expected true or false"),
  json: { type: "boolean" },
  toJson: (value) => value,
  show: String
}

export const int = (minimum: number): Kind<number> => ({
  accepts: minimum === Number.MIN_SAFE_INTEGER ? "a whole number" : `a whole number >= ${minimum}`,
  decode: (text) => {
    if (!/^[+-]?\d+$/.test(text)) {
      return Either.left(Number.isFinite(Number(text)) ? "is not a whole number" : "is not a number")
    }
    const value = Number(text)
    return Number.isSafeInteger(value) && value >= minimum ? Either.right(value) : Either.left("is out of range")
  },
  fromJson: (value) => typeof value === "number" ? Either.right(String(value)) : Either.left("expected a JSON number"),
  json: minimum === Number.MIN_SAFE_INTEGER ? { type: "integer" } : { type: "integer", minimum },
  toJson: (value) => value,
  show: String
})

export const text: Kind<string> = {
  accepts: "any text",
  decode: Either.right,
  fromJson: jsonString,
  json: { type: "string" },
  toJson: (value) => value,
  show: (value) => value
}

const isHttpUrl = (value: string): boolean => {
  try {
    const url = new URL(value)
    return (url.protocol === "http:" || url.protocol === "https:") && url.host !== ""
  } catch {
    return false
  }
}

export const url: Kind<string> = {
  ...text,
  accepts: "an absolute http:// or https:// URL",
  decode: (value) => (isHttpUrl(value) ? Either.right(value) : Either.left("is not an http(s) URL")),
  json: { type: "string", format: "uri", pattern: "^https?://" }
}

export const oneOf = <const L extends string>(...values: ReadonlyArray<L>): Kind<L> => ({
  ...text,
  accepts: `one of ${values.join(", ")}`,
  decode: (value) => {
    const found = values.find((literal) => literal === value)
    return found === undefined ? Either.left("is not an accepted value") : Either.right(found)
  },
  json: { type: "string", enum: values },
  toJson: (value) => value,
  show: (value) => value
})

const splitList = (value: string): ReadonlyArray<string> =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "")

const fromJsonList = (value: unknown): Either.Either<string, string> => {
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    return Either.left("expected an array of strings")
  }
  const withComma = value.find((item) => item.includes(","))
  return withComma === undefined
    ? Either.right(value.join(","))
    : Either.left(`item ${JSON.stringify(withComma)} contains ',' (lists are comma-separated; use a * wildcard)`)
}

export const list: Kind<ReadonlyArray<string>> = {
  accepts: "a comma-separated list (items trimmed, empty items dropped)",
  decode: (value) => Either.right(splitList(value)),
  fromJson: fromJsonList,
  json: { type: "array", items: { type: "string", pattern: "^[^,]*$" } },
  toJson: (value) => value,
  show: (value) => (value.length === 0 ? "(empty)" : value.join(","))
}

const repoPattern = (JSONSchema.make(Repo) as { readonly pattern?: string }).pattern ?? "/"
const decodeRepo = Schema.decodeUnknownOption(Repo)

export const repos: Kind<ReadonlyArray<Repo>> = {
  ...list,
  accepts: "a comma-separated list of owner/name repositories",
  decode: (value) => {
    const entries = splitList(value)
    const parsed = entries.flatMap((entry) => Option.toArray(decodeRepo(entry)))
    const bad = entries.find((entry) => Option.isNone(decodeRepo(entry)))
    return bad === undefined ? Either.right(parsed) : Either.left(`entry ${JSON.stringify(bad)} is not owner/name`)
  },
  json: { type: "array", items: { type: "string", pattern: repoPattern } }
}

export const optional = <A>(kind: Kind<A>): Kind<Option.Option<A>> => ({
  ...kind,
  decode: (value) => Either.map(kind.decode(value), Option.some),
  toJson: Option.getOrUndefined,
  show: Option.match({ onNone: () => "(unset)", onSome: (value) => kind.show(value) })
})

export const directoryOrOff: Kind<Option.Option<string>> = {
  ...optional(text),
  accepts: "a directory path, or off",
  decode: (value) => Either.right(value.toLowerCase() === "off" ? Option.none() : Option.some(value)),
  toJson: Option.getOrElse(() => "off"),
  show: Option.getOrElse(() => "off")
}

export const secret = (kind: Kind<string>): Kind<Option.Option<Redacted.Redacted>> => ({
  ...optional(kind),
  decode: (value) => Either.map(kind.decode(value), (valid) => Option.some(Redacted.make(valid))),
  fromJson: () => Either.left("secrets are not allowed in the config file"),
  toJson: () => undefined,
  show: Option.match({ onNone: () => "(unset)", onSome: () => "<redacted>" })
})

const pemShape = /^-----BEGIN (RSA )?PRIVATE KEY-----\r?\n[A-Za-z0-9+/=\s]+\r?\n-----END \1PRIVATE KEY-----$/

/** A private key in PEM form (PKCS#1 as GitHub issues it, or PKCS#8); a one-line value's `\n` escapes are newlines. */
export const pemPrivateKey: Kind<string> = {
  ...text,
  accepts: "a PEM private key (-----BEGIN RSA PRIVATE KEY----- … as GitHub issues it, or PKCS#8), with newlines or \\n",
  decode: (value) => {
    const pem = value.includes("\n") ? value : value.replaceAll("\\n", "\n")
    return pemShape.test(pem) ? Either.right(pem) : Either.left("is not a PEM private key")
  }
}

/** A GitHub id: digits, or (`clientId`) also a GitHub App's client id (`Iv…`), which GitHub accepts as its JWT issuer. */
export const githubId = (clientId: boolean): Kind<string> => ({
  ...text,
  accepts: clientId ? "a GitHub App id (digits) or client id (Iv…)" : "a GitHub App installation id (digits)",
  decode: (value) =>
    /^\d+$/.test(value) || (clientId && /^Iv[0-9A-Za-z.]+$/.test(value))
      ? Either.right(value)
      : Either.left("is not a GitHub id"),
  fromJson: (value) =>
    typeof value === "number" && Number.isSafeInteger(value) ? Either.right(String(value)) : jsonString(value),
  json: { anyOf: [{ type: "integer", minimum: 1 }, { type: "string" }] }
})
