/**
 * What happens in the simulated world besides AFK: the agent's script for each issue (push after k polls,
 * go red n times, CI that takes a few ticks, vanish, block on user input, never push, crash), and the kinds
 * of issue the reliability suites open while the world runs (each an agent script, or a reason the issue
 * is not eligible at all). The T3 fake plays the script; CI is reported on the forge for each pushed commit.
 */
import { Domain, PullRequests } from "afk-core"
import { T3Fake } from "afk-core/testing"
import * as Data from "effect/Data"
import * as Option from "effect/Option"
import { createHash } from "node:crypto"
import type * as Forge from "./Forge.js"
import type * as Random from "./Random.js"

/** A number of polls or ticks: fixed, or drawn from `[lo, hi]` for each turn. */
export type Count = number | readonly [number, number]

/** What the agent does with each turn it is given. */
export type Agent = Data.TaggedEnum<{
  /**
   * Completes after `afterPolls` polls and declares the commit it pushed; the first `red` turns' commits
   * fail CI (`Infinity`: every one). CI reports at once, or runs for `ciTicks` ticks first.
   */
  Push: { readonly afterPolls: Count; readonly red: number; readonly ciTicks?: Count | undefined }
  /** Completes after `afterPolls` polls without pushing anything. */
  NeverPush: { readonly afterPolls: Count }
  /** The provider crashes mid-turn after `afterPolls` polls. */
  Crash: { readonly afterPolls: Count }
  /** The thread is deleted after `afterPolls` polls. */
  Vanish: { readonly afterPolls: Count }
  /** Waits on a question to the user, forever. */
  Block: { readonly afterPolls: Count }
}>

export const Agent = Data.taggedEnum<Agent>()

/** What an issue opened while the world runs is: how its agent (and its CI) behaves, or why it is not eligible. */
export type Kind =
  | "green"
  | "slowGreen"
  | "redThenGreen"
  | "frozen"
  | "noPush"
  | "fail"
  | "untrusted"
  | "blocked"
  | "paused"

export const eligibleKinds: ReadonlySet<Kind> = new Set([
  "green",
  "slowGreen",
  "redThenGreen",
  "frozen",
  "noPush",
  "fail"
])

/** Kinds whose run ends with the issue closed. */
export const closingKinds: ReadonlySet<Kind> = new Set(["green", "slowGreen", "redThenGreen"])

const polls: Count = [1, 3]

/** The agent of each kind (the ineligible kinds' agent never gets a turn). */
export const agentOf = (kind: Kind): Agent => {
  switch (kind) {
    case "green":
      return Agent.Push({ afterPolls: polls, red: 0 })
    case "slowGreen":
      return Agent.Push({ afterPolls: polls, red: 0, ciTicks: [1, 4] })
    case "redThenGreen":
      return Agent.Push({ afterPolls: polls, red: 1 })
    case "frozen":
      return Agent.Push({ afterPolls: polls, red: Infinity })
    case "fail":
      return Agent.Crash({ afterPolls: polls })
    case "noPush":
    case "untrusted":
    case "blocked":
    case "paused":
      return Agent.NeverPush({ afterPolls: polls })
  }
}

/** The sha the agent of `threadId` declares for its `turn`-th turn. */
export const shaFor = (threadId: string, turn: number): string =>
  createHash("sha1").update(`${threadId}:${turn}`).digest("hex")

const draw = (count: Count, random: Random.Random): number =>
  typeof count === "number" ? count : random.int(count[0], count[1])

/** What the script needs of the world: its random draws, and CI on the forge (now, or after some ticks). */
export interface Stage {
  readonly random: Random.Random
  readonly report: (repo: Domain.Repo, sha: string, state: Forge.CiState) => void
  readonly reportLater: (repo: Domain.Repo, sha: string, state: Forge.CiState, ticks: number) => void
  /** A push to `branch` (a pull-request run's, named in the turn's text). */
  readonly push: (repo: Domain.Repo, branch: string, sha: string) => void
}

/** The T3 fake's behaviour: each turn plays the script of the issue its thread title names (`owner/repo#n: …`). */
export const behaviour = (agentOf: (issue: Domain.IssueRef) => Agent, stage: Stage): T3Fake.Behaviour => (turn) => {
  const match = /^([^#\s]+)#(\d+):/.exec(turn.title)
  const issue = match === null
    ? undefined
    : new Domain.IssueRef({ repo: Domain.repo(match[1] ?? ""), number: Number(match[2]) })
  const agent = issue === undefined ? Agent.NeverPush({ afterPolls: 1 }) : agentOf(issue)
  const afterPolls = draw(agent.afterPolls, stage.random)
  return Agent.$match(agent, {
    Push: ({ ciTicks, red }) => {
      const sha = shaFor(turn.threadId, turn.turnIndex)
      // The agent pushes where its prompt says: the run's branch when it names one.
      const branch = PullRequests.branchIn(turn.text)
      if (issue !== undefined && Option.isSome(branch)) stage.push(issue.repo, branch.value, sha)
      const state = turn.turnIndex <= red ? "failure" : "success"
      if (issue !== undefined && ciTicks === undefined) stage.report(issue.repo, sha, state)
      if (issue !== undefined && ciTicks !== undefined) {
        stage.report(issue.repo, sha, "running")
        stage.reportLater(issue.repo, sha, state, draw(ciTicks, stage.random))
      }
      const where = Option.getOrElse(branch, () => "the default branch")
      return T3Fake.complete(`I fixed it test-first and pushed to ${where}.\n\nPushed-Commit: ${sha}`, {
        afterPolls
      })
    },
    NeverPush: () =>
      T3Fake.complete("I looked into it and pushed nothing: the cause is in an upstream library.", { afterPolls }),
    Crash: () => T3Fake.fail("the provider crashed", { afterPolls }),
    Vanish: () => T3Fake.vanish(afterPolls),
    Block: () => T3Fake.block("user-input", afterPolls)
  })
}
