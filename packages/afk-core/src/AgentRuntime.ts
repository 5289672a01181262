/**
 * The `AgentRuntime` port: where coding agents run (T3 Code). Every id is minted by the caller from the
 * run id, so a repeated call after a crash or a dropped connection adopts what exists instead of
 * creating a second thread or turn.
 */
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import * as Schema from "effect/Schema"
import type { IssueRef, TurnStatus } from "./Domain.js"
import * as PortError from "./PortError.js"

export class AgentRuntimeError extends Schema.TaggedError<AgentRuntimeError>()("AgentRuntimeError", PortError.fields) {
  override get message(): string {
    return PortError.message("AgentRuntime", this)
  }
}

export interface DispatchRequest {
  /**
   * The id every command id of this dispatch derives from: the run id (UUID v5 of `owner/repo#n#ordinal`),
   * or an id derived from it for a redispatch onto a new thread, so no two threads share a command id.
   */
  readonly runId: string
  /** Deterministic thread id for this run. */
  readonly threadId: string
  readonly issue: IssueRef
  /** Thread title shown in the agent UI. */
  readonly title: string
  /** The whole first-turn text (preamble + fenced issue). */
  readonly prompt: string
  /**
   * True when the caller wrote this run's first record in the same pass, just before dispatching, so no
   * earlier attempt can have created the thread: a runtime may skip looking for one. Still a hint only —
   * a runtime must stay correct (adopt, never duplicate) if the thread exists after all.
   */
  readonly fresh?: boolean
}

export interface FollowUpRequest {
  readonly runId: string
  readonly threadId: string
  /** Names the turn, e.g. `fix-forward-2`; the command id derives from run id + step. */
  readonly step: string
  readonly text: string
}

export interface ReleaseRequest {
  readonly runId: string
  readonly threadId: string
  /** Also archive the thread (a run that closed with proof), so the agent UI lists only live work. */
  readonly archive: boolean
}

/**
 * What an interrupt left: `no-turn` (nothing was running), `settled` (the agent acknowledged and its
 * session no longer runs) or `still-running` (the turn is marked interrupted, but the agent had not
 * stopped within the runtime's bound).
 */
export type Interrupted = "no-turn" | "settled" | "still-running"

/** What a release did: `released` (nothing left running), `still-running` (left alone) or `gone` (no thread). */
export type Released = "released" | "still-running" | "gone"

export interface Service {
  /** Creates the run's thread (and project if needed) and starts the first turn; adopts them if they exist. */
  readonly dispatch: (request: DispatchRequest) => Effect.Effect<void, AgentRuntimeError>
  /**
   * Optional: readies what a dispatch of this run needs before its claim is settled (T3: the repo's
   * project), so the dispatch itself has less to do. Safe to call for a claim that then yields; a failure
   * is ignored by the caller, since `dispatch` does the same work again.
   */
  readonly prepare?: (request: Pick<DispatchRequest, "runId" | "issue">) => Effect.Effect<void, AgentRuntimeError>
  /** Starts another turn on the same thread. */
  readonly followUp: (request: FollowUpRequest) => Effect.Effect<void, AgentRuntimeError>
  /** The thread's turn state and final assistant text. An unreachable runtime is `unknown`, not an error. */
  readonly status: (threadId: string) => Effect.Effect<TurnStatus, AgentRuntimeError>
  /** Interrupts the active turn of the thread, if any, and waits (bounded) for the agent to stop. */
  readonly interrupt: (runId: string, threadId: string) => Effect.Effect<Interrupted, AgentRuntimeError>
  /**
   * After a run's last step: stops the thread's agent session when it is settled (never a live turn), so
   * nothing lingers on the agent host, and archives the thread when asked. Safe to repeat.
   */
  readonly release: (request: ReleaseRequest) => Effect.Effect<Released, AgentRuntimeError>
  /** A link a person can open to watch the thread, when the runtime has one; never fails. */
  readonly threadUrl: (threadId: string) => Effect.Effect<string | undefined>
}

export class AgentRuntime extends Context.Tag("afk-core/AgentRuntime")<AgentRuntime, Service>() {}

/**
 * An `AgentRuntime` made when one of its methods first runs, not before: `make` runs once, with the context
 * this effect ran in, and every call goes to what it made (concurrent first calls wait for the one run). It
 * runs in a fiber of its own, so a first caller that is interrupted (a claim's `prepare` when the claim
 * yields) leaves it made for the next. A process that never reaches the agent — an idle tick, most ticks —
 * never loads or builds it (`afk-cli` loads T3 Code's protocol modules this way).
 */
export const lazy = <R>(make: Effect.Effect<Service, never, R>): Effect.Effect<Service, never, R> =>
  Effect.map(Effect.context<R>(), (context) => {
    let made: Deferred.Deferred<Service> | undefined
    const service = Effect.suspend(() => {
      if (made !== undefined) return Deferred.await(made)
      const making = Deferred.unsafeMake<Service>(FiberId.none)
      made = making
      return Effect.zipRight(
        Effect.forkDaemon(Deferred.complete(making, Effect.provide(make, context))),
        Deferred.await(making)
      )
    })
    const on = <A, E>(use: (service: Service) => Effect.Effect<A, E>) => Effect.flatMap(service, use)
    return AgentRuntime.of({
      dispatch: (request) => on((service) => service.dispatch(request)),
      prepare: (request) => on((service) => service.prepare?.(request) ?? Effect.void),
      followUp: (request) => on((service) => service.followUp(request)),
      status: (threadId) => on((service) => service.status(threadId)),
      interrupt: (runId, threadId) => on((service) => service.interrupt(runId, threadId)),
      release: (request) => on((service) => service.release(request)),
      threadUrl: (threadId) => on((service) => service.threadUrl(threadId))
    })
  })
