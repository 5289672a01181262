/**
 * The `Ci` port: what CI (and deployment) reported for a commit, folded into one verdict. `fold` is the
 * shared pure rule adapters use, so every forge decides green, red and deployed the same way.
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { type Check, type CiRequirements, CiVerdict, type Repo, type VerdictState } from "./Domain.js"
import * as PortError from "./PortError.js"

export class CiError extends Schema.TaggedError<CiError>()("CiError", PortError.fields) {
  override get message(): string {
    return PortError.message("Ci", this)
  }
}

export interface Service {
  /** Every check and status reported for `sha` (all pages), folded with `requirements`. */
  readonly verdict: (repo: Repo, sha: string, requirements: CiRequirements) => Effect.Effect<CiVerdict, CiError>
}

export class Ci extends Context.Tag("afk-core/Ci")<Ci, Service>() {}

const patternToRegExp = (pattern: string): RegExp =>
  new RegExp(
    `^${
      pattern
        .split("*")
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join(".*")
    }$`,
    "i"
  )

/** Whether a check name matches any of the patterns (`*` is a wildcard, case-insensitive). */
export const matches = (patterns: ReadonlyArray<string>, name: string): boolean =>
  patterns.some((pattern) => patternToRegExp(pattern).test(name))

const foldStates = (checks: ReadonlyArray<Check>): VerdictState => {
  if (checks.length === 0) return "none"
  if (checks.some((check) => check.state === "failure")) return "red"
  if (checks.some((check) => check.state === "pending")) return "pending"
  return "green"
}

/**
 * Folds the checks reported for a commit. With required patterns, green needs every required (and deploy)
 * pattern matched by a succeeded check; a pattern nobody reported yet is pending (none when nothing at all
 * was reported). Red as soon as a deciding check failed. With deploy patterns configured, green also needs
 * the deployment: CI that passed before the deploy check succeeded is still pending, so a run closes only
 * once it is deployed.
 */
export const fold = (checks: ReadonlyArray<Check>, requirements: CiRequirements): CiVerdict => {
  const latest = new Map<string, Check>()
  for (const check of checks) latest.set(check.name, check)
  const reported = [...latest.values()]
  const deployed = requirements.deploy.length > 0 &&
    requirements.deploy.every((pattern) => reported.some((c) => matches([pattern], c.name) && c.state === "success"))
  const deciding = (): VerdictState => {
    if (requirements.required.length === 0) return foldStates(reported)
    const gate = [...requirements.required, ...requirements.deploy]
    const relevant = reported.filter((check) => matches(gate, check.name))
    const state = foldStates(relevant)
    const allPresent = gate.every((pattern) => relevant.some((c) => matches([pattern], c.name)))
    return state === "none" || (state === "green" && !allPresent) ? "pending" : state
  }
  const state = reported.length === 0 ? "none" : deciding()
  const awaitingDeploy = state === "green" && requirements.deploy.length > 0 && !deployed
  return new CiVerdict({ state: awaitingDeploy ? "pending" : state, checks: reported, deployed })
}
