/**
 * For pull-request delivery through the CLI: an agent that follows its prompt (it pushes a new commit to the
 * branch the turn's text names, the default branch when it names none, and declares it), a CI that passes on
 * every commit of the repository once it exists, and ticking until a state is reached.
 */
import { GithubFakeWorld } from "afk-adapter-github/testing"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { expect } from "vitest"
import { PullRequests, T3Fake } from "../../src/Core.js"
import * as Cli from "./Cli.js"
import type * as Loopback from "./Loopback.js"
import * as World from "./World.js"

export interface Agent {
  /** Every turn the agent was given, oldest first. */
  readonly turns: Array<T3Fake.TurnInfo>
  /** Every push it made, as `branch sha`. */
  readonly pushes: Array<string>
  readonly behaviour: (github: Loopback.Github) => T3Fake.Behaviour
}

/** The agent: each turn pushes a new commit where the turn's text says, and declares it. */
export const agent = (): Agent => {
  const turns: Array<T3Fake.TurnInfo> = []
  const pushes: Array<string> = []
  return {
    turns,
    pushes,
    behaviour: (github) => (turn) => {
      turns.push(turn)
      const branch = Option.getOrElse(PullRequests.branchIn(turn.text), () => "main")
      const sha = GithubFakeWorld.fakeSha(`${turn.threadId} ${turn.turnIndex}`)
      github.fake.pushBranch(World.repo, branch, sha)
      pushes.push(`${branch} ${sha}`)
      return T3Fake.complete(`Done, and pushed to ${branch}.\n\nPushed-Commit: ${sha}`)
    }
  }
}

export const repoState = (world: World.World) => {
  const repo = world.github.fake.world.repos.get(World.repo)
  if (repo === undefined) throw new Error(`${World.repo} is seeded`)
  return repo
}

/** CI passes on `sha`. */
export const green = (world: World.World, sha: string) =>
  world.github.fake.setChecks(World.repo, sha, {
    checkRuns: [{ name: "test", status: "completed", conclusion: "success" }]
  })

/** CI passes on every commit the repository has now: each branch's head and each merge commit. */
export const greenAll = (world: World.World) => {
  const repo = repoState(world)
  for (const sha of repo.branches.values()) green(world, sha)
  for (const pull of repo.pulls.values()) if (pull.mergeSha !== null) green(world, pull.mergeSha)
}

/** `n` ticks (CI passing on every commit before each, unless `ci` is false), each succeeding; what each said. */
export const ticks = (
  world: World.World,
  env: Record<string, string>,
  n: number,
  options: { readonly ci?: boolean } = {}
) =>
  Effect.gen(function*() {
    const outputs: Array<string> = []
    for (let i = 0; i < n; i++) outputs.push(yield* tick(world, env, options))
    return outputs
  })

const tick = (world: World.World, env: Record<string, string>, options: { readonly ci?: boolean }) =>
  Effect.gen(function*() {
    if (options.ci !== false) greenAll(world)
    const result = yield* Cli.run(["tick"], env)
    expect(result.code, result.all).toBe(0)
    return result.all
  })

/** Ticks (CI passing on every commit first, unless `ci` is false) until `done` holds, at most `max` ticks. */
export const tickUntil = (
  world: World.World,
  env: Record<string, string>,
  done: () => boolean,
  options: { readonly max?: number; readonly ci?: boolean } = {}
) =>
  Effect.gen(function*() {
    const outputs: Array<string> = []
    for (let n = 0; n < (options.max ?? 6) && !done(); n++) outputs.push(yield* tick(world, env, options))
    expect(done(), `never reached; the ticks said:\n${outputs.join("\n---\n")}`).toBe(true)
    return outputs
  })

/** The pull requests of the repository, oldest first. */
export const pulls = (world: World.World) => [...repoState(world).pulls.values()].sort((a, b) => a.number - b.number)

/** The requests received as `METHOD path`, and those matching `pattern`. */
export const sent = (world: World.World, pattern?: RegExp) =>
  world.github.received().map((r) => `${r.method} ${r.path}`).filter((line) => pattern?.test(line) ?? true)

/** The bodies of the merges requested, parsed. */
export const merges = (world: World.World) =>
  world.github.received()
    .filter((r) => r.method === "PUT" && /\/pulls\/\d+\/merge$/.test(r.path))
    .map((r) => JSON.parse(r.body) as { readonly sha?: string; readonly merge_method?: string })
