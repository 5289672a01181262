/**
 * How a protocol-2 run of the T3 fake moves (`t3-protocol-v2.md` §4.3, §4.5, §5.4): the shared scripts of
 * `Script.ts` drive it one step per poll of its thread — `starting → running → waiting → completed` on
 * success, `failed` with a root `error` item, `interrupted` with `run_interrupt_*` items, a pending
 * `user_input` (or `command` approval) request for `block` — and a finished run lets the next queued run start.
 */
import * as T3Wire from "../../T3Wire.js"
import type { Run, RunStatus, ThreadState, TurnItem } from "./Model2.js"
import { active } from "./Model2.js"
import type { Script } from "./Script.js"

/** What the run machinery needs from the world: a clock, ids and the event log. */
export interface Context {
  readonly stamp: () => string
  readonly next: () => number
  /** Records one event on the thread (the whole entity, §5.5); every change of state goes through it. */
  readonly emit: (state: ThreadState, type: string, entity: object, runId?: string) => void
  readonly workspaceRoot: (state: ThreadState) => string
  /** Polls after `run.interrupt` before the provider acknowledges it. */
  readonly interruptAckPolls: number
}

interface Driver {
  readonly script: Script
  polls: number
  interruptIn: number | undefined
}

/** `failure.message` is at most 4096 characters (§6.3). */
const failureMessageLimit = 4096

export const make = (ctx: Context) => {
  const drivers = new Map<string, Driver>()

  const setStatus = (state: ThreadState, run: Run, status: RunStatus) => {
    run.status = status
    if (!active.has(status) && status !== "queued") run.completedAt = ctx.stamp()
    ctx.emit(state, "run.updated", run, run.id)
  }

  const item = (state: ThreadState, run: Run, type: string, status: string, fields: Record<string, unknown>) => {
    const at = ctx.stamp()
    const row: TurnItem = {
      id: `item:${ctx.next()}`,
      threadId: state.thread.id,
      runId: run.id,
      nodeId: run.rootNodeId,
      ordinal: state.turnItems.length + 1,
      type,
      status,
      title: type,
      startedAt: at,
      completedAt: status === "waiting" ? null : at,
      updatedAt: at,
      ...fields
    }
    state.turnItems.push(row)
    ctx.emit(state, "turn-item.updated", row, run.id)
    return row
  }

  const session = (state: ThreadState, status: "running" | "waiting" | "ready" | "error", lastError?: string) => {
    let current = state.providerSessions.find((s) => s.status !== "stopped")
    if (current === undefined) {
      current = {
        id: `provider-session:${ctx.next()}`,
        driver: "claude",
        providerInstanceId: state.thread.providerInstanceId,
        status,
        cwd: state.thread.worktreePath ?? ctx.workspaceRoot(state),
        model: state.thread.modelSelection.model,
        lastError: null
      }
      state.providerSessions.push(current)
    }
    current.status = status
    if (lastError !== undefined) current.lastError = lastError
    ctx.emit(state, "provider-session.updated", current)
  }

  const rootNode = (state: ThreadState, run: Run) => {
    if (run.rootNodeId !== null) return
    run.rootNodeId = `node:${ctx.next()}`
    state.nodes.push({
      id: run.rootNodeId,
      threadId: state.thread.id,
      runId: run.id,
      parentNodeId: null,
      rootNodeId: run.rootNodeId,
      kind: "root",
      status: "running",
      runtimeRequestId: null
    })
  }

  const attemptOf = (state: ThreadState, run: Run) => state.attempts.find((a) => a.id === run.activeAttemptId)

  const finish = (state: ThreadState, run: Run, status: RunStatus) => {
    setStatus(state, run, status)
    const attempt = attemptOf(state, run)
    if (attempt !== undefined && attempt.completedAt === null) {
      attempt.status = status === "waiting" || status === "completed" ? "completed" : (status as typeof attempt.status)
      attempt.completedAt = run.completedAt ?? ctx.stamp()
    }
    for (const request of state.runtimeRequests) {
      const node = state.nodes.find((n) => n.id === request.nodeId)
      if (node?.runId === run.id && request.status === "pending" && status !== "waiting") {
        request.status = "cancelled"
        request.resolvedAt = ctx.stamp()
        ctx.emit(state, "runtime-request.updated", request, run.id)
      }
    }
    drivers.delete(run.id)
    if (status !== "waiting") promote(state)
  }

  const fail = (state: ThreadState, run: Run, message: string) => {
    rootNode(state, run)
    item(state, run, "error", "failed", {
      failure: { class: "provider_error", message: message.slice(0, failureMessageLimit), code: null, retryable: false }
    })
    session(state, "error", message)
    finish(state, run, "failed")
  }

  /** Starts the first queued run that is not held, once nothing is active (§4.3). */
  const promote = (state: ThreadState) => {
    if (state.runs.some((r) => active.has(r.status))) return
    const queued = state.runs.filter((r) => r.status === "queued")
    const first = queued.find((r) => !r.queueHeld)
    if (first === undefined) return
    delete first.queuePosition
    setStatus(state, first, "starting")
    let position = 0
    for (const run of queued) {
      if (run === first) continue
      run.queuePosition = ++position
      ctx.emit(state, "run.updated", run, run.id)
    }
  }

  const begin = (state: ThreadState, run: Run) => {
    rootNode(state, run)
    const at = ctx.stamp()
    const providerThreadId = state.thread.activeProviderThreadId ?? `provider-thread:${ctx.next()}`
    state.thread.activeProviderThreadId = providerThreadId
    const attempt = {
      id: `attempt:${ctx.next()}`,
      runId: run.id,
      attemptOrdinal: 1,
      rootNodeId: run.rootNodeId ?? "",
      providerThreadId,
      providerTurnId: `provider-turn:${ctx.next()}`,
      reason: "initial" as const,
      status: "running" as const,
      startedAt: at,
      completedAt: null
    }
    state.attempts.push(attempt)
    Object.assign(run, { providerThreadId, activeAttemptId: attempt.id, startedAt: at, workStartedAt: at })
    session(state, "running")
    setStatus(state, run, "running")
  }

  const block = (state: ThreadState, run: Run, on: "approval" | "user-input") => {
    const id = `runtime-request:${ctx.next()}`
    const nodeId = `node:${ctx.next()}`
    const rootNodeId = run.rootNodeId ?? nodeId
    const kind = on === "user-input" ? "user_input" : "command"
    state.nodes.push({
      id: nodeId,
      threadId: state.thread.id,
      runId: run.id,
      parentNodeId: rootNodeId,
      rootNodeId,
      kind: "runtime_request",
      status: "waiting",
      runtimeRequestId: id
    })
    const live = state.providerSessions.find((s) => s.status !== "stopped")
    const request = {
      id,
      nodeId,
      providerTurnId: attemptOf(state, run)?.providerTurnId ?? "",
      kind,
      status: "pending" as const,
      responseCapability: { type: "live" as const, providerSessionId: live?.id ?? "" },
      createdAt: ctx.stamp(),
      resolvedAt: null
    }
    state.runtimeRequests.push(request)
    ctx.emit(state, "runtime-request.updated", request, run.id)
    if (on === "user-input") {
      item(state, run, "user_input_request", "waiting", {
        requestId: id,
        questions: [{ id: "Which way?", question: "Which way?", options: [] }]
      })
    } else {
      item(state, run, "approval_request", "waiting", { requestId: id, requestKind: kind, prompt: "Run a command?" })
    }
  }

  const outcome = (state: ThreadState, run: Run, script: Script) => {
    switch (script._tag) {
      case "Complete": {
        const at = ctx.stamp()
        const message = {
          id: `assistant:${ctx.next()}`,
          threadId: state.thread.id,
          runId: run.id,
          nodeId: run.rootNodeId,
          role: "assistant" as const,
          text: script.text,
          attachments: [],
          streaming: false,
          createdAt: at,
          updatedAt: at,
          createdBy: "agent" as const,
          creationSource: "provider"
        }
        state.messages.push(message)
        ctx.emit(state, "message.updated", message, run.id)
        item(state, run, "assistant_message", "completed", {
          messageId: message.id,
          text: script.text,
          streaming: false
        })
        session(state, "waiting")
        return finish(state, run, "waiting")
      }
      case "Fail":
        return fail(state, run, script.detail)
      case "Interrupt":
        item(state, run, "run_interrupt_result", "completed", { message: "The provider interrupted the run." })
        session(state, "ready")
        return finish(state, run, "interrupted")
      case "Block":
        return block(state, run, script.on)
      case "Vanish":
        state.thread.deletedAt = ctx.stamp()
        ctx.emit(state, "thread.deleted", state.thread)
        return
      default:
        return
    }
  }

  /** Moves the thread's active run one step, as a poll of the real server would observe it. */
  const advance = (state: ThreadState): void => {
    if (state.thread.deletedAt !== null) return
    const run = state.runs.find((r) => active.has(r.status))
    if (run === undefined) return
    const driver = drivers.get(run.id)
    if (run.status === "waiting") {
      run.checkpointId = `checkpoint:${ctx.next()}`
      session(state, "ready")
      return finish(state, run, "completed")
    }
    if (driver === undefined) return
    if (driver.interruptIn !== undefined) {
      driver.interruptIn -= 1
      if (driver.interruptIn <= 0) completeInterrupt(state, run)
      return
    }
    if (run.status === "preparing") return setStatus(state, run, "starting")
    const script = driver.script
    driver.polls += 1
    if (run.status === "starting") {
      if (script._tag === "Queue") return
      // UNCONFIRMED (§6.3): V2's text has no schema limit; the stricter reading keeps protocol 1's provider limit.
      if (textOf(state, run).length > T3Wire.maxInputChars) {
        return fail(state, run, `Input exceeds the ${T3Wire.maxInputChars}-character limit.`)
      }
      if (script._tag === "Fail" && script.at === "start") return fail(state, run, script.detail)
      if (script._tag === "Stop") return finish(state, run, "cancelled")
      begin(state, run)
    }
    if (
      state.runtimeRequests.some((r) =>
        r.status === "pending" && r.providerTurnId === attemptOf(state, run)?.providerTurnId
      )
    ) return
    if (script._tag === "Hang" || !("afterPolls" in script) || driver.polls < script.afterPolls) return
    outcome(state, run, script)
  }

  const textOf = (state: ThreadState, run: Run) => state.messages.find((m) => m.id === run.userMessageId)?.text ?? ""

  const completeInterrupt = (state: ThreadState, run: Run) => {
    item(state, run, "run_interrupt_result", "completed", { message: "The run was interrupted." })
    session(state, "ready")
    finish(state, run, "interrupted")
  }

  return {
    /** Gives a newly created run (`starting` or `queued`) its script. */
    track: (run: Run, script: Script) => {
      drivers.set(run.id, { script, polls: 0, interruptIn: undefined })
    },
    advance,
    /** `run.interrupt` on a `preparing`/`starting`/`running` run (§4.5). */
    interrupt: (state: ThreadState, run: Run, reason: string) => {
      item(state, run, "run_interrupt_request", "completed", { message: reason })
      const driver = drivers.get(run.id)
      if (driver === undefined || ctx.interruptAckPolls <= 0) return completeInterrupt(state, run)
      driver.interruptIn = ctx.interruptAckPolls
    },
    /** `queued-run.cancel`. */
    cancelQueued: (state: ThreadState, run: Run) => {
      delete run.queuePosition
      finish(state, run, "cancelled")
    },
    promote,
    /** A server restart: in-flight runs end `outcome` (§5.4), pending requests expire, the queue is held. */
    restart: (state: ThreadState, outcome: "cancelled" | "failed") => {
      for (const run of state.runs.filter((r) => r.status === "queued")) {
        run.queueHeld = true
        ctx.emit(state, "run.updated", run, run.id)
      }
      for (const run of state.runs.filter((r) => active.has(r.status) && r.status !== "waiting")) {
        if (outcome === "failed") fail(state, run, "Provider turn failed.")
        else finish(state, run, "cancelled")
      }
      for (const s of state.providerSessions) s.status = "stopped"
    }
  }
}

export type Runs = ReturnType<typeof make>
