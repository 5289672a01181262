/**
 * The run state machine (PRODUCT §5): what to do next with a run in flight, from what was observed (the
 * agent's turn, the declared commit, its CI verdict, the budgets used) and the time. The first matching
 * rule wins. `unknown` (an unreachable runtime) never escalates, nothing is closed or fixed under a live
 * turn before the defer ceiling, and `Wait` has no side effect on any budget.
 */
import * as Data from "effect/Data"
import * as DateTime from "effect/DateTime"
import * as Option from "effect/Option"
import type { Check, CiVerdict, TurnState, VerdictState } from "./Domain.js"
import * as Usage from "./Usage.js"

/** One decision for a run. The watcher performs the side effects; every reason is one readable sentence. */
export type Action = Data.TaggedEnum<{
  Wait: { readonly reason: string }
  Close: { readonly reason: string }
  FixForward: { readonly reason: string; readonly failing: ReadonlyArray<Check>; readonly signature: string }
  Freeze: { readonly reason: string }
  EscalateNoVerdict: { readonly reason: string }
  Redispatch: { readonly reason: string }
  Escalate: { readonly reason: string; readonly interrupt: boolean }
}>
export const Action: Data.TaggedEnum.Constructor<Action> = Data.taggedEnum<Action>()

/** The limits the machine applies (`AfkConfig` satisfies it). */
export interface MachineConfig {
  readonly fixForwardMaxAttempts: number
  readonly closeDeferMaxSeconds: number
  readonly noVerdictMaxSeconds: number
  readonly turnMaxSeconds: number
  readonly maxRedispatches: number
  /** The run's token budget (AFK_RUN_MAX_TOKENS); none or absent: no limit. */
  readonly runMaxTokens?: Option.Option<number> | undefined
}

/** Everything the machine looks at for one run, read fresh on each pass. */
export interface Observation {
  readonly turn: TurnState
  /** The declared commit; the run has pushed when this is some. */
  readonly commit: Option.Option<{ readonly sha: string; readonly declaredAt: DateTime.Utc }>
  /** None when not pushed or not read yet, read as verdict `none`. */
  readonly ci: Option.Option<CiVerdict>
  readonly attempts: number
  readonly redispatches: number
  readonly lastFailure: Option.Option<string>
  readonly startedAt: DateTime.Utc
  readonly turnStartedAt: DateTime.Utc
  readonly now: DateTime.Utc
  /** The agent's final text of the turn, once it ended (a question in it is quoted on escalation). */
  readonly finalText?: string | undefined
  /** Tokens the run has used so far (its record's usage), over this many turns. */
  readonly tokens?: number | undefined
  readonly turns?: number | undefined
  /** Why the turn failed, in one line, as the runtime reported it (quoted on escalation). */
  readonly failure?: string | undefined
}

/**
 * The question a final message ends on, if it asks one: the last sentence ending in `?` within its last
 * non-empty lines, at most 300 characters. In full-access mode a question may not block the turn at all;
 * the turn then ends, and a turn that ended asking is a question for a human, not a silent success.
 */
export const askedQuestion = (text: string): Option.Option<string> => {
  const tail = text.split(/\r\n|\r|\n/).map((line) => line.trim()).filter((line) => line !== "").slice(-3).join(" ")
  const sentences = tail.match(/[^.!?]*\?/g)
  const last = sentences?.at(-1)?.trim()
  if (last === undefined || last.length < 3) return Option.none()
  return Option.some(last.length > 300 ? `…${last.slice(-299)}` : last)
}

/** The failing checks of a verdict, named once each, sorted: two attempts failing alike share it. */
export const failureSignature = (checks: ReadonlyArray<Check>): string =>
  [...new Set(checks.filter((check) => check.state === "failure").map((check) => check.name))].sort().join(", ")

/** A duration in seconds, as a person would say it (`1h 5m`, `45s`). */
export const formatSeconds = (seconds: number): string => {
  const whole = Math.max(0, Math.floor(seconds))
  const days = Math.floor(whole / 86_400)
  const hours = Math.floor((whole % 86_400) / 3_600)
  const minutes = Math.floor((whole % 3_600) / 60)
  const secs = whole % 60
  const parts = [
    days > 0 ? `${days}d` : "",
    hours > 0 ? `${hours}h` : "",
    minutes > 0 ? `${minutes}m` : "",
    secs > 0 || whole === 0 ? `${secs}s` : ""
  ].filter((part) => part !== "")
  return parts.slice(0, 2).join(" ")
}

const secondsBetween = (from: DateTime.Utc, to: DateTime.Utc): number => DateTime.distance(from, to) / 1000

const isLive = (turn: TurnState): boolean => turn === "running" || turn === "blocked"

const short = (sha: string): string => sha.slice(0, 7)

const pushedAction = (
  observation: Observation,
  config: MachineConfig,
  commit: { readonly sha: string; readonly declaredAt: DateTime.Utc }
): Action => {
  const verdict: VerdictState = Option.match(observation.ci, { onNone: () => "none", onSome: (ci) => ci.state })
  const sha = short(commit.sha)
  const age = secondsBetween(observation.startedAt, observation.now)
  if (observation.turn === "unknown") {
    return verdict === "green" && age >= config.closeDeferMaxSeconds
      ? Action.Close({
        reason: `CI is green on ${sha} and the run is past its ${
          formatSeconds(config.closeDeferMaxSeconds)
        } defer ceiling, though the agent runtime did not answer.`
      })
      : Action.Wait({
        reason:
          `Commit ${sha} is pushed but the agent runtime did not answer, so its turn may still be live; waiting (an unreachable runtime never escalates).`
      })
  }
  if (isLive(observation.turn)) {
    if (age < config.closeDeferMaxSeconds) {
      return Action.Wait({
        reason:
          `Commit ${sha} is pushed but the agent's turn is still ${observation.turn}, so every verdict waits until it ends or the run is ${
            formatSeconds(config.closeDeferMaxSeconds)
          } old.`
      })
    }
    if (verdict === "red") {
      return Action.Freeze({
        reason: `CI is red on ${sha} while the agent's turn is still ${observation.turn} after ${
          formatSeconds(age)
        }, past the defer ceiling, so the run is frozen rather than starting a second agent beside a live one.`
      })
    }
    if (verdict === "green") {
      return Action.Close({
        reason: `CI is green on ${sha}; the agent's turn is still ${observation.turn} after ${
          formatSeconds(age)
        }, past the defer ceiling, so the issue closes on the verdict.`
      })
    }
  } else {
    if (verdict === "green") {
      return Action.Close({ reason: `Commit ${sha} is pushed and CI is green on it.` })
    }
    if (verdict === "red") {
      const failing = Option.match(observation.ci, {
        onNone: () => [],
        onSome: (ci) => ci.checks.filter((check) => check.state === "failure")
      })
      const signature = failureSignature(failing)
      const repeated = Option.contains(observation.lastFailure, signature)
      if (observation.attempts < config.fixForwardMaxAttempts && !repeated) {
        return Action.FixForward({
          reason: `CI is red on ${sha} (${signature || "no failing check named"}), so fix-forward attempt ${
            observation.attempts + 1
          } of ${config.fixForwardMaxAttempts} starts.`,
          failing,
          signature
        })
      }
      return Action.Freeze({
        reason: repeated
          ? `CI is red on ${sha} with the same failure as the previous attempt (${
            signature || "no failing check named"
          }), so the run is frozen.`
          : `CI is red on ${sha} and the fix-forward budget is spent (${observation.attempts} of ${config.fixForwardMaxAttempts} attempts used), so the run is frozen.`
      })
    }
  }
  const waited = secondsBetween(commit.declaredAt, observation.now)
  if (waited >= config.noVerdictMaxSeconds) {
    return Action.EscalateNoVerdict({
      reason: `Commit ${sha} was declared ${formatSeconds(waited)} ago and CI has still ${
        verdict === "none" ? "reported nothing" : "not finished"
      } for it, so a human takes over.`
    })
  }
  return Action.Wait({
    reason: verdict === "none"
      ? `Commit ${sha} is pushed and CI has not reported on it yet.`
      : `Commit ${sha} is pushed and CI is still running on it.`
  })
}

const notPushedAction = (observation: Observation, config: MachineConfig): Action => {
  const { turn } = observation
  if (turn === "vanished" && observation.redispatches < config.maxRedispatches) {
    return Action.Redispatch({
      reason: `The agent's turn vanished before anything was pushed, so the run starts again (redispatch ${
        observation.redispatches + 1
      } of ${config.maxRedispatches}).`
    })
  }
  switch (turn) {
    case "vanished":
      return Action.Escalate({
        reason:
          `The agent's turn vanished again before anything was pushed and the redispatch budget is spent (${observation.redispatches} of ${config.maxRedispatches}), so a human takes over.`,
        interrupt: false
      })
    case "failed":
      return Action.Escalate({
        reason: observation.failure === undefined
          ? "The agent's turn failed before any commit was declared, so a human takes over."
          : `The agent's turn failed before any commit was declared (${observation.failure}), so a human takes over.`,
        interrupt: false
      })
    case "succeeded": {
      const question = askedQuestion(observation.finalText ?? "")
      return Action.Escalate({
        reason: Option.isSome(question)
          ? `The agent ended its turn asking a question and declared no pushed commit, so a human must answer it: "${question.value}"`
          : "The agent's turn ended without declaring a pushed commit, so a human takes over.",
        interrupt: false
      })
    }
    case "interrupted":
      return Action.Escalate({
        reason: "The agent's turn was interrupted before any commit was declared, so a human takes over.",
        interrupt: false
      })
    case "running":
    case "blocked": {
      const turnAge = secondsBetween(observation.turnStartedAt, observation.now)
      if (turnAge >= config.turnMaxSeconds) {
        return Action.Escalate({
          reason: `The agent's turn has been ${turn} for ${formatSeconds(turnAge)}, past the ${
            formatSeconds(config.turnMaxSeconds)
          } limit, so it is interrupted and a human takes over.`,
          interrupt: true
        })
      }
      return Action.Wait({
        reason: turn === "running"
          ? "The agent is working and has not declared a commit yet."
          : "The agent's turn is blocked and has not declared a commit yet; it waits until the turn limit."
      })
    }
    case "unknown":
      return Action.Wait({
        reason: "The agent runtime could not be read, which is not a dead run, so the run waits for the next pass."
      })
  }
}

/**
 * The one action for a run now (PRODUCT §5, rules 1–11, first match wins). A run at its token budget, or that
 * another turn of its average size would take over it, gets no further turn: a fix-forward or a redispatch
 * becomes an escalation naming the figures.
 */
export const next = (observation: Observation, config: MachineConfig): Action => {
  const action = Option.match(observation.commit, {
    onNone: () => notPushedAction(observation, config),
    onSome: (commit) => pushedAction(observation, config, commit)
  })
  if (action._tag !== "FixForward" && action._tag !== "Redispatch") return action
  return Option.match(
    Usage.overRunBudget(
      observation.tokens ?? 0,
      observation.turns ?? 1,
      config.runMaxTokens ?? Option.none()
    ),
    {
      onNone: () => action,
      onSome: (reason) => Action.Escalate({ reason, interrupt: false })
    }
  )
}
