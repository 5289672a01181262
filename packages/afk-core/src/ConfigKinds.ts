/**
 * The kinds of value a setting takes — boolean, whole number, text, URL, list, repositories, optional, secret —
 * each with its strict parser from env-style text and from `afk.config.json`, its words for error messages, its
 * JSON Schema and how `doctor` shows it. Internal to `Config`; the settings table is in `ConfigTable`.
 */
import * as Either from "effect/Either"
import * as JSONSchema from "effect/JSONSchema"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { Repo } from "./Domain.js"

/** One kind of value: how it is parsed from env-style text and from JSON, described, shown and schema-typed. */
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

/** A whole number from `minimum` to `maximum`. */
export const intIn = (minimum: number, maximum: number): Kind<number> => ({
  ...int(minimum),
  accepts: `a whole number from ${minimum} to ${maximum}`,
  decode: (text) =>
    Either.filterOrLeft(int(minimum).decode(text), (value) => value <= maximum, () => "is out of range"),
  json: { type: "integer", minimum, maximum }
})

export const text: Kind<string> = {
  accepts: "any text",
  decode: Either.right,
  fromJson: jsonString,
  json: { type: "string" },
  toJson: (value) => value,
  show: (value) => value
}

const httpUrl = (value: string): Option.Option<URL> => {
  try {
    const url = new URL(value)
    return (url.protocol === "http:" || url.protocol === "https:") && url.host !== "" ? Option.some(url) : Option.none()
  } catch {
    return Option.none()
  }
}

const credentialParameter = /^(.*token|.*secret|.*password|passwd|pwd|api[-_]?key|key|auth|sig|signature)$/i

/** `text` with any `user:password@` and the value of any credential-like query parameter replaced by `***`. */
export const redactCredentials = (text: string): string =>
  text
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, "$1***@")
    .replace(
      /([?&#;])([^=&#;]*)=([^&#;]*)/g,
      (whole, lead: string, name: string) => (credentialParameter.test(name) ? `${lead}${name}=***` : whole)
    )

const carriesCredential = (url: URL): boolean =>
  url.username !== "" || url.password !== "" ||
  [...url.searchParams.keys()].some((name) => credentialParameter.test(name))

/**
 * An http(s) URL that is shown (in `doctor`, `status`, logs and errors), so it may not carry a credential:
 * `tokenHome` says where the credential goes instead.
 */
export const url = (tokenHome: string): Kind<string> => ({
  ...text,
  accepts: "an absolute http:// or https:// URL without a credential in it",
  decode: (value) =>
    Option.match(httpUrl(value), {
      onNone: () => Either.left("is not an http(s) URL"),
      onSome: (parsed) =>
        carriesCredential(parsed)
          ? Either.left(
            `carries a credential (user:password@ or a token parameter), which doctor, status, logs and errors would show; ${tokenHome}`
          )
          : Either.right(value)
    }),
  json: { type: "string", format: "uri", pattern: "^https?://[^/?#@]+([/?#]|$)" },
  show: redactCredentials
})

/**
 * An absolute POSIX path on another machine (the T3 Code host, which creates a missing folder silently):
 * `~` and relative paths are refused, since they would be resolved here, against AFK's home and directory.
 */
export const hostPath: Kind<string> = {
  ...text,
  accepts: "an absolute path on the T3 Code host, starting with /",
  decode: (value) =>
    value.startsWith("/")
      ? Either.right(value)
      : Either.left(
        "is not an absolute path: it names a folder on the T3 Code host, which creates it there if missing; `~` and relative paths would be resolved on AFK's machine instead, so write the full path as the T3 host sees it"
      ),
  json: { type: "string", pattern: "^/" }
}

export const tokenIn = (env: string) => `put the token in ${env} instead`

export const secretUrl: Kind<string> = {
  ...text,
  accepts: "an absolute http:// or https:// URL",
  decode: (value) => (Option.isSome(httpUrl(value)) ? Either.right(value) : Either.left("is not an http(s) URL"))
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

/** The entry spelt like an earlier one once lower-cased, and that earlier spelling. */
const repeated = (entries: ReadonlyArray<string>): Option.Option<readonly [string, string]> => {
  const seen = new Map<string, string>()
  for (const entry of entries) {
    const earlier = seen.get(entry.toLowerCase())
    if (earlier !== undefined) return Option.some([earlier, entry])
    seen.set(entry.toLowerCase(), entry)
  }
  return Option.none()
}

/** Trimmed and lower-cased, as the forges compare `owner/name`; one repository named twice is refused. */
export const repos: Kind<ReadonlyArray<Repo>> = {
  ...list,
  accepts: "a comma-separated list of owner/name repositories, each named once (any case)",
  decode: (value) => {
    const entries = splitList(value)
    const bad = entries.find((entry) => Option.isNone(decodeRepo(entry)))
    if (bad !== undefined) return Either.left(`entry ${JSON.stringify(bad)} is not owner/name`)
    return Option.match(repeated(entries), {
      onNone: () => Either.right(entries.flatMap((entry) => Option.toArray(decodeRepo(entry.toLowerCase())))),
      onSome: ([earlier, entry]) =>
        Either.left(
          `entry ${JSON.stringify(entry.toLowerCase())} appears twice (${JSON.stringify(earlier)} and ${
            JSON.stringify(entry)
          }); repositories compare case-insensitively, so name each once`
        )
    })
  },
  json: { type: "array", uniqueItems: true, items: { type: "string", pattern: repoPattern } }
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
