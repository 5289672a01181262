/**
 * The per-repository policy file `.afk.json`, read at the head of the repository's default branch. Changing
 * it needs write access to that branch, so it is trusted like the code itself — but it only narrows or tunes
 * what the operator configured: it has no key that could arm the loop, widen the allowlist, change labels,
 * trust or secrets, and any unknown key refuses the repository. `decode` checks the text strictly (its JSON
 * Schema, `jsonSchema`, is published as `afk-core/afk-policy.schema.json`); `apply` lays a decoded policy over
 * the operator's configuration for that repository.
 */
import * as Either from "effect/Either"
import * as JSONSchema from "effect/JSONSchema"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type * as Config from "./Config.js"

/** The file's name, at the root of the default branch. */
export const fileName = ".afk.json"

/** Most characters `instructions` may hold. */
export const maxInstructionsChars = 8_000

/** Most fix-forward attempts a repository may ask for. */
export const maxFixForwardAttempts = 20

/** Most check patterns in `requiredChecks` or `deployChecks`, and most characters in one. */
export const maxChecks = 50
const maxCheckChars = 200

const checkPattern = Schema.String.pipe(
  Schema.filter((name) => name.length >= 1 && name.length <= maxCheckChars && !name.includes(","), {
    message: () => `each pattern must be 1 to ${maxCheckChars} characters without a comma`,
    jsonSchema: { minLength: 1, maxLength: maxCheckChars, pattern: "^[^,]*$" }
  })
)

const checks = (description: string) =>
  Schema.optionalWith(
    Schema.Array(checkPattern).pipe(
      Schema.filter((list) => list.length <= maxChecks, {
        message: () => `at most ${maxChecks} patterns`,
        jsonSchema: { maxItems: maxChecks }
      })
    ),
    { exact: true }
  ).annotations({ description })

const int = (min: number, max: number, description: string) =>
  Schema.optionalWith(
    Schema.Number.pipe(
      Schema.filter((n) => Number.isInteger(n) && n >= min && n <= max, {
        message: () => `expected an integer from ${min} to ${max}`,
        jsonSchema: { type: "integer", minimum: min, maximum: max }
      })
    ),
    { exact: true }
  ).annotations({ description })

const literal = <const L extends ReadonlyArray<string>>(values: L, description: string) =>
  Schema.optionalWith(
    Schema.String.pipe(
      Schema.filter((value): value is L[number] => values.includes(value), {
        message: () => `expected one of ${values.map((value) => JSON.stringify(value)).join(", ")}`,
        jsonSchema: { enum: values }
      })
    ),
    { exact: true }
  ).annotations({ description })

/** The policy file's schema: every key optional, no other key allowed. */
export const RepoPolicy = Schema.Struct({
  $schema: Schema.optionalWith(Schema.String, { exact: true }).annotations({
    description: "The schema this file follows (for editors)."
  }),
  delivery: literal(
    ["push", "pull-request"],
    "How a run delivers its work: `push` to the default branch, or `pull-request` (a branch per run, a pull " +
      "request AFK merges on green), replacing AFK_DELIVERY."
  ),
  mergeMethod: literal(
    ["squash", "merge", "rebase"],
    "Pull-request delivery: how the pull request is merged, replacing AFK_MERGE_METHOD."
  ),
  requiredApprovals: int(
    0,
    10,
    "Pull-request delivery: approvals by trusted reviewers the pull request needs before AFK merges it, " +
      "replacing AFK_REQUIRED_APPROVALS."
  ),
  requiredChecks: checks(
    "Check name patterns that must pass for green in this repository, replacing AFK_REQUIRED_CHECKS; empty " +
      "means every reported check."
  ),
  deployChecks: checks(
    "Check name patterns whose success means deployed in this repository, replacing AFK_DEPLOY_CHECKS."
  ),
  fixForwardMaxAttempts: int(
    0,
    maxFixForwardAttempts,
    "Corrective turns a run in this repository may spend on red CI, replacing AFK_FIX_FORWARD_MAX_ATTEMPTS."
  ),
  reviewMaxRounds: int(
    1,
    20,
    "Pull-request delivery: review rounds before the run is escalated, replacing AFK_REVIEW_MAX_ROUNDS."
  ),
  instructions: Schema.optionalWith(
    Schema.String.pipe(
      Schema.filter((text) => text.length <= maxInstructionsChars, {
        message: (issue) =>
          `at most ${maxInstructionsChars} characters (this has ${String(issue.actual).length}): shorten it`,
        jsonSchema: { maxLength: maxInstructionsChars }
      })
    ),
    { exact: true }
  ).annotations({
    description: "Repository-specific text for the agent, appended after AFK's standing rules (never replacing " +
      "them) under its own heading, fenced as repository-supplied text."
  })
}).annotations({
  title: ".afk.json",
  description: "AFK's per-repository policy, read at the head of the default branch. Every key is optional; " +
    "an unknown key or a bad value refuses the repository until the file is fixed."
})

export type RepoPolicy = typeof RepoPolicy.Type

/** No file: the operator's configuration applies unchanged. */
export const empty: RepoPolicy = {}

/** JSON Schema (draft-07, as `effect/JSONSchema` writes it) of `.afk.json`. */
export const jsonSchema: JSONSchema.JsonSchema7Root = JSONSchema.make(RepoPolicy)

const decodeStrict = Schema.decodeUnknownEither(RepoPolicy, { onExcessProperty: "error", errors: "all" })

const keyOf = (path: ReadonlyArray<PropertyKey>): string =>
  path.length === 0 ? "(the file)" : path.map((key) => (typeof key === "number" ? `[${key}]` : String(key))).join(".")

const describeIssues = (issues: ReadonlyArray<ParseResult.ArrayFormatterIssue>): string => {
  const unknown = issues.filter((issue) => issue._tag === "Unexpected").map((issue) => `"${keyOf(issue.path)}"`)
  const allowed = Object.keys(RepoPolicy.fields).join(", ")
  return [
    ...(unknown.length === 0 ? [] : [
      `unknown key${unknown.length === 1 ? "" : "s"} ${unknown.join(", ")}: remove ${
        unknown.length === 1 ? "it" : "them"
      } (allowed: ${allowed})`
    ]),
    ...issues.filter((issue) => issue._tag !== "Unexpected").map((issue) => `"${keyOf(issue.path)}": ${issue.message}`)
  ].join("; ")
}

/**
 * The policy in `text` (the file's content), or why it is refused: not JSON, not an object, an unknown key
 * (naming it and the keys allowed), or a bad value (naming the key and what it accepts).
 */
export const decode = (text: string): Either.Either<RepoPolicy, string> => {
  const json = Either.try(() => JSON.parse(text.replace(/^\uFEFF/, "")) as unknown)
  if (Either.isLeft(json)) return Either.left(`${fileName} is not valid JSON: fix its syntax`)
  if (typeof json.right !== "object" || json.right === null || Array.isArray(json.right)) {
    return Either.left(`${fileName} must be a JSON object ({ … }): make it one, or remove the file`)
  }
  return decodeStrict(json.right).pipe(
    Either.mapLeft((error) =>
      `${fileName} is refused: ${describeIssues(ParseResult.ArrayFormatter.formatErrorSync(error))}`
    )
  )
}

/** What a run in the repository works with: the configuration with the file's overrides, and its instructions. */
export interface Applied {
  readonly config: Config.AfkConfig
  readonly instructions: Option.Option<string>
}

/**
 * Lays `policy` over `config`: each of `delivery`, `mergeMethod`, `requiredApprovals`, `reviewMaxRounds`,
 * `requiredChecks`, `deployChecks` and `fixForwardMaxAttempts` the file sets replaces the operator's value for
 * this repository; nothing else of the configuration can change.
 */
export const apply = (config: Config.AfkConfig, policy: RepoPolicy): Applied => ({
  config: {
    ...config,
    requiredChecks: policy.requiredChecks ?? config.requiredChecks,
    deployChecks: policy.deployChecks ?? config.deployChecks,
    fixForwardMaxAttempts: policy.fixForwardMaxAttempts ?? config.fixForwardMaxAttempts,
    delivery: policy.delivery ?? config.delivery,
    mergeMethod: policy.mergeMethod ?? config.mergeMethod,
    requiredApprovals: policy.requiredApprovals ?? config.requiredApprovals,
    reviewMaxRounds: policy.reviewMaxRounds ?? config.reviewMaxRounds
  },
  instructions: Option.fromNullable(policy.instructions).pipe(Option.filter((text) => text.trim() !== ""))
})

/** The repository's policy from the file's text (none: no file), laid over `config`; or why it is refused. */
export const resolve = (config: Config.AfkConfig, text: Option.Option<string>): Either.Either<Applied, string> =>
  Either.map(
    Option.match(text, { onNone: () => Either.right(empty), onSome: decode }),
    (policy) => apply(config, policy)
  )
