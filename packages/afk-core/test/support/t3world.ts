/**
 * The engine's world (`world.ts`) with the real T3 runtime over a strict T3 fake of either protocol in place of
 * the in-memory agent, as the lifecycle tests over T3 build it: one ready issue in acme/app, no retries, an
 * interrupt settled within 3 ms of reads. The agent of `pushes` declares a commit derived from its thread
 * and turn.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import { createHash } from "node:crypto"
import { AgentRuntime } from "../../src/AgentRuntime.js"
import * as RunRecord from "../../src/RunRecord.js"
import type * as MemoryCi from "../../src/testing/MemoryCi.js"
import * as T3Fake from "../../src/testing/T3Fake.js"
import * as T3Runtime from "./t3runtime.js"
import * as T3Runtime2 from "./t3runtime2.js"
import * as World from "./world.js"

/** The commit the agent declares for a thread's turn. */
export const sha = (threadId: string, turn: number) => createHash("sha1").update(`${threadId}:${turn}`).digest("hex")

/** An agent that fixes the issue and declares the commit it pushed. */
export const pushes: T3Fake.Behaviour = (turn) =>
  T3Fake.complete(`Fixed it.\n\nPushed-Commit: ${sha(turn.threadId, turn.turnIndex)}`)

export interface Options {
  readonly ci?: MemoryCi.Script
  readonly interruptAckPolls?: number
}

const settings = {
  retry: { times: 0, base: "1 millis", maxWait: "1 millis" },
  interruptSettle: { within: "3 millis", every: "0 millis" }
} as const

/** The fake of `protocol` playing `behaviour`, and the world whose agent is the T3 runtime over it. */
export function make(
  protocol: 1,
  behaviour: T3Fake.Behaviour,
  options?: Options
): Effect.Effect<{ readonly fake: T3Fake.T3Fake; readonly world: World.World }, never, Scope.Scope>
export function make(
  protocol: 2,
  behaviour: T3Fake.Behaviour,
  options?: Options
): Effect.Effect<{ readonly fake: T3Fake.T3FakeV2; readonly world: World.World }, never, Scope.Scope>
export function make(
  protocol: 1 | 2,
  behaviour: T3Fake.Behaviour,
  options?: Options
): Effect.Effect<{ readonly fake: T3Fake.T3Fake | T3Fake.T3FakeV2; readonly world: World.World }, never, Scope.Scope>
export function make(protocol: 1 | 2, behaviour: T3Fake.Behaviour, options: Options = {}) {
  return Effect.gen(function*() {
    const fakeOptions = options.interruptAckPolls === undefined ? {} : { interruptAckPolls: options.interruptAckPolls }
    const fake = protocol === 2
      ? yield* T3Fake.start({ protocol: 2, behaviour, ...fakeOptions })
      : yield* T3Fake.start({ behaviour, ...fakeOptions })
    const runtime = fake.protocol === 2 ? yield* T3Runtime2.over(fake, settings) : yield* T3Runtime.over(fake, settings)
    const world = yield* World.make({
      issues: { [World.app]: [World.ready(1)] },
      agentLayer: Layer.succeed(AgentRuntime, runtime),
      ...(options.ci === undefined ? {} : { ci: options.ci })
    })
    return { fake, world }
  })
}

/** acme/app#1's latest run record. */
export const latest = (world: World.World) =>
  Option.getOrThrow(RunRecord.latest(world.tracker.comments(World.app, 1), World.bot)).record
