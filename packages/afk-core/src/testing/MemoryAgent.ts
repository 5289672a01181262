/**
 * A scriptable in-memory `AgentRuntime`: each turn follows a behaviour (push after k polls, finish without
 * a push, fail, vanish, block on user input, hang), and the whole runtime can be made unreachable. Threads
 * are keyed by the caller's deterministic ids, so a repeated dispatch adopts the existing thread exactly as
 * T3 does — `threadsCreated` counts real creations, which the crash and overlap suites assert on.
 */
import * as Effect from "effect/Effect"
import { createHash } from "node:crypto"
import { AgentRuntimeError, type ReleaseRequest, type Service } from "../AgentRuntime.js"
import { type IssueRef, TokenUsage, TurnStatus } from "../Domain.js"

export type Behaviour =
  | { readonly _tag: "push"; readonly afterPolls: number; readonly sha?: string }
  | { readonly _tag: "noPush"; readonly afterPolls: number; readonly text?: string }
  | { readonly _tag: "fail"; readonly afterPolls: number; readonly detail?: string }
  | { readonly _tag: "vanish"; readonly afterPolls: number }
  | { readonly _tag: "block"; readonly afterPolls: number }
  | { readonly _tag: "interrupt"; readonly afterPolls: number }
  | { readonly _tag: "hang" }

export interface TurnContext {
  readonly issue: IssueRef
  readonly threadId: string
  /** 1 for the first turn of a thread, 2 for the first follow-up, … */
  readonly turnIndex: number
  /** How many threads this issue had before this one (0 for the first, 1 after a redispatch). */
  readonly threadIndex: number
  readonly text: string
}

interface Turn {
  readonly behaviour: Behaviour
  readonly context: TurnContext
  polls: number
  interrupted: boolean
  pushed: boolean
}

interface Thread {
  readonly issue: IssueRef
  readonly turns: Array<Turn>
  readonly steps: Set<string>
  deleted: boolean
}

export interface MemoryAgent {
  readonly service: Service
  readonly threads: () => ReadonlyArray<{
    readonly id: string
    readonly issue: IssueRef
    readonly turns: number
    readonly deleted: boolean
  }>
  /** Threads actually created (a repeated dispatch of the same thread is adopted, not counted). */
  readonly threadsCreated: () => number
  readonly turnsStarted: () => number
  /** Dispatches marked `fresh` whose thread existed already: the caller's hint was wrong. */
  readonly staleFresh: () => number
  /** Interrupts received for a turn that existed. */
  readonly interrupts: () => number
  /** The releases received, oldest first (a run's last step stops its session). */
  readonly releases: () => ReadonlyArray<ReleaseRequest>
  behaviour: (turn: TurnContext) => Behaviour
  /**
   * Tokens each turn uses (input, output), reported as the thread's running counts once the turn has ended;
   * 0 (the default) reports no usage at all.
   */
  tokensPerTurn: { readonly input: number; readonly output: number }
  unreachable: boolean
  hook: (op: string, isWrite: boolean) => Effect.Effect<void, AgentRuntimeError>
  afterWrite: (op: string) => Effect.Effect<void>
  /** Called once when a turn pushes its commit, with the turn (its text names where to push). */
  onPush: (turn: TurnContext, sha: string) => void
}

/** The commit a scripted agent pushes for a turn: deterministic, 40 hex. */
export const shaFor = (threadId: string, turnIndex: number): string =>
  createHash("sha1").update(`${threadId}:${turnIndex}`).digest("hex")

export const make = (behaviour: (turn: TurnContext) => Behaviour = () => ({ _tag: "push", afterPolls: 1 })) =>
  Effect.sync(() => {
    const threads = new Map<string, Thread>()
    const threadsPerIssue = new Map<string, number>()
    let created = 0
    let started = 0
    const releases: Array<ReleaseRequest> = []
    let interrupts = 0
    let staleFresh = 0

    const call = <A>(op: string, isWrite: boolean, effect: Effect.Effect<A, AgentRuntimeError>) =>
      Effect.suspend(() => agent.hook(op, isWrite)).pipe(
        Effect.zipRight(
          Effect.suspend(() =>
            agent.unreachable
              ? Effect.fail(
                new AgentRuntimeError({ operation: op, detail: "agent runtime unreachable", transient: true })
              )
              : effect
          )
        ),
        Effect.tap(() => (isWrite ? agent.afterWrite(op) : Effect.void))
      )

    const startTurn = (threadId: string, thread: Thread, text: string) => {
      const issueKey = String(thread.issue)
      const context: TurnContext = {
        issue: thread.issue,
        threadId,
        turnIndex: thread.turns.length + 1,
        threadIndex: (threadsPerIssue.get(issueKey) ?? 1) - 1,
        text
      }
      thread.turns.push({ behaviour: agent.behaviour(context), context, polls: 0, interrupted: false, pushed: false })
      started++
    }

    /** The thread's running counts: every turn that has ended so far (and the current one, once it has). */
    const usageOf = (thread: Thread, ended: boolean): TurnStatus["usage"] => {
      const { input, output } = agent.tokensPerTurn
      if (input === 0 && output === 0) return undefined
      const turns = thread.turns.length - (ended ? 0 : 1)
      return new TokenUsage({ input: turns * input, output: turns * output, total: turns * (input + output) })
    }

    const statusOf = (threadId: string, thread: Thread | undefined): TurnStatus => {
      const status = statusOfTurn(threadId, thread)
      if (thread === undefined || status.state === "vanished") return status
      const usage = usageOf(thread, status.state !== "running")
      return usage === undefined ? status : new TurnStatus({ ...status, usage })
    }

    const statusOfTurn = (threadId: string, thread: Thread | undefined): TurnStatus => {
      const turn = thread?.turns.at(-1)
      if (thread === undefined || thread.deleted || turn === undefined) {
        return new TurnStatus({ state: "vanished", detail: "the runtime has no such thread" })
      }
      turn.polls++
      const b = turn.behaviour
      const due = b._tag !== "hang" && turn.polls > b.afterPolls
      if (turn.interrupted) return new TurnStatus({ state: "interrupted", detail: "interrupted" })
      if (!due) return new TurnStatus({ state: "running", activeTurnId: `${threadId}/${turn.context.turnIndex}` })
      switch (b._tag) {
        case "push": {
          const sha = b.sha ?? shaFor(threadId, turn.context.turnIndex)
          if (!turn.pushed) {
            turn.pushed = true
            agent.onPush(turn.context, sha)
          }
          return new TurnStatus({
            state: "succeeded",
            lastAssistantText: `Fixed it and pushed.\n\nPushed-Commit: ${sha}`
          })
        }
        case "noPush":
          return new TurnStatus({
            state: "succeeded",
            lastAssistantText: b.text ?? "Nothing was pushed: the issue is unclear."
          })
        case "fail":
          return new TurnStatus({ state: "failed", detail: b.detail ?? "provider.turn.start.failed" })
        case "vanish":
          thread.deleted = true
          return new TurnStatus({ state: "vanished", detail: "the runtime has no such thread" })
        case "block":
          return new TurnStatus({
            state: "blocked",
            detail: "waiting for user input",
            activeTurnId: `${threadId}/${turn.context.turnIndex}`
          })
        case "interrupt":
          return new TurnStatus({ state: "interrupted", detail: "interrupted" })
      }
    }

    const service: Service = {
      dispatch: (request) =>
        call(
          "dispatch",
          true,
          Effect.sync(() => {
            if (threads.has(request.threadId)) {
              if (request.fresh === true) staleFresh++
              return
            }
            const key = String(request.issue)
            threadsPerIssue.set(key, (threadsPerIssue.get(key) ?? 0) + 1)
            const thread: Thread = { issue: request.issue, turns: [], steps: new Set(["turn-1"]), deleted: false }
            threads.set(request.threadId, thread)
            created++
            startTurn(request.threadId, thread, request.prompt)
          })
        ),
      followUp: (request) =>
        call(
          "followUp",
          true,
          Effect.suspend(() => {
            const thread = threads.get(request.threadId)
            if (thread === undefined || thread.deleted) {
              return Effect.fail(
                new AgentRuntimeError({
                  operation: "followUp",
                  detail: "thread not found",
                  transient: false,
                  status: 404
                })
              )
            }
            if (!thread.steps.has(request.step)) {
              thread.steps.add(request.step)
              startTurn(request.threadId, thread, request.text)
            }
            return Effect.void
          })
        ),
      status: (threadId) =>
        agent.unreachable
          ? Effect.succeed(new TurnStatus({ state: "unknown", detail: "agent runtime unreachable" }))
          : call(
            "status",
            false,
            Effect.sync(() => statusOf(threadId, threads.get(threadId)))
          ),
      interrupt: (_runId, threadId) =>
        call(
          "interrupt",
          true,
          Effect.sync(() => {
            const turn = threads.get(threadId)?.turns.at(-1)
            if (turn === undefined || turn.interrupted) return "no-turn" as const
            turn.interrupted = true
            interrupts++
            return "settled" as const
          })
        ),
      // Stopping a session that ended orders with none of the tracker's or notifier's writes, so it is no
      // point at which interleavings are explored.
      release: (request) =>
        call(
          "release",
          false,
          Effect.sync(() => {
            releases.push(request)
            return threads.get(request.threadId)?.deleted === false ? "released" as const : "gone" as const
          })
        ),
      threadUrl: (threadId) => Effect.succeed(`https://agent.example/${threadId}`)
    }

    const agent: MemoryAgent = {
      service,
      threads: () => [...threads].map(([id, t]) => ({ id, issue: t.issue, turns: t.turns.length, deleted: t.deleted })),
      threadsCreated: () => created,
      turnsStarted: () => started,
      staleFresh: () => staleFresh,
      interrupts: () => interrupts,
      releases: () => [...releases],
      behaviour,
      tokensPerTurn: { input: 0, output: 0 },
      unreachable: false,
      hook: () => Effect.void,
      afterWrite: () => Effect.void,
      onPush: () => {}
    }
    return agent
  })
