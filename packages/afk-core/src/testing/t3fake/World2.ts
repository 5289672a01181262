/**
 * The state behind the protocol-2 T3 fake: projects, threads with their runs, command receipts and the
 * event log, with the server's rules (`t3-protocol-v2.md` §4): receipts per `commandId` (§4.6), the
 * refusals of §4.2–4.5 as typed failures, `createdBy` forced to `"user"`, and the project rules of §4.1.
 */
import { posix } from "node:path"
import * as Commands from "./Commands2.js"
import type { Project } from "./Model.js"
import type { Run, ThreadState } from "./Model2.js"
import { active, terminal } from "./Model2.js"
import * as Projects from "./Projects2.js"
import * as Runs from "./Runs2.js"
import type { Behaviour } from "./Script.js"

/** The answer to one `orchestration.dispatchCommand`: a sequence, or the text of a typed failure. */
export type Outcome =
  | { readonly _tag: "Accepted"; readonly sequence: number }
  | { readonly _tag: "Rejected"; readonly message: string }

/** One event of the log, as `orchestration.subscribeThread` streams it (§5.5). */
export interface Event {
  readonly sequence: number
  readonly threadId: string
  readonly event: {
    readonly id: string
    readonly type: string
    readonly threadId: string
    readonly runId?: string
    readonly occurredAt: string
    readonly payload: unknown
  }
}

/** What a `commandId` was used for, and how it ended (§4.6). */
export type Receipt = { readonly aggregate: string; readonly sequence?: number; readonly rejected?: string }

/** The reason a command was refused, or `undefined` once it was applied. */
type Decision = string | undefined

export const make = (options: {
  readonly now: () => number
  readonly behaviour: Behaviour
  readonly existingRoots: ReadonlyArray<string>
  readonly home: string
  readonly interruptAckPolls: number
}) => {
  const projects = new Map<string, Project>()
  const threads = new Map<string, ThreadState>()
  const receipts = new Map<string, Receipt>()
  const roots = new Set<string>()
  const events: Array<Event> = []
  const listeners = new Set<(event: Event) => void>()
  let sequence = 0
  let lastMillis = 0
  let counter = 0

  const stamp = () => {
    lastMillis = Math.max(options.now(), lastMillis + 1)
    return new Date(lastMillis).toISOString()
  }
  const normalise = (root: string) => posix.resolve(root.replace(/^~(?=$|\/)/, options.home))
  for (const root of options.existingRoots) roots.add(normalise(root))

  const emit = (state: ThreadState, type: string, entity: object, runId?: string) => {
    sequence += 1
    const at = stamp()
    state.thread.updatedAt = at
    const event: Event = {
      sequence,
      threadId: state.thread.id,
      event: {
        id: `event:${sequence}`,
        type,
        threadId: state.thread.id,
        ...(runId === undefined ? {} : { runId }),
        occurredAt: at,
        payload: structuredClone(entity)
      }
    }
    events.push(event)
    for (const listener of listeners) listener(event)
  }

  const runs = Runs.make({
    stamp,
    next: () => ++counter,
    emit,
    workspaceRoot: (state) => projects.get(state.thread.projectId)?.workspaceRoot ?? options.home,
    interruptAckPolls: options.interruptAckPolls
  })

  const liveThread = (id: string) => {
    const state = threads.get(id)
    return state === undefined || state.thread.deletedAt !== null ? undefined : state
  }

  const threadCreate = (command: Extract<Commands.Command, { type: "thread.create" }>): Decision => {
    if (threads.has(command.threadId)) return `Thread ${command.threadId} already exists.`
    const project = projects.get(command.projectId)
    if (project === undefined || project.deletedAt !== null) return `Project ${command.projectId} was not found.`
    const at = stamp()
    const instanceId = Commands.instanceOf(command.modelSelection)
    const state: ThreadState = {
      thread: {
        id: command.threadId,
        projectId: command.projectId,
        title: command.title,
        providerInstanceId: instanceId,
        modelSelection: {
          instanceId,
          model: command.modelSelection.model,
          ...(command.modelSelection.options === undefined ? {} : { options: command.modelSelection.options })
        },
        runtimeMode: command.runtimeMode,
        interactionMode: command.interactionMode,
        branch: command.branch,
        worktreePath: command.worktreePath,
        activeProviderThreadId: null,
        historyOrigin: "native",
        lineage: null,
        forkedFrom: null,
        createdAt: at,
        updatedAt: at,
        archivedAt: null,
        settledAt: null,
        deletedAt: null,
        createdBy: "user",
        creationSource: command.creationSource
      },
      runs: [],
      attempts: [],
      nodes: [],
      runtimeRequests: [],
      messages: [],
      turnItems: [],
      providerSessions: []
    }
    threads.set(command.threadId, state)
    emit(state, "thread.created", state.thread)
    return undefined
  }

  const messageDispatch = (
    command: Extract<Commands.Command, { type: "message.dispatch" }>,
    deferStart: boolean
  ): Decision => {
    const state = liveThread(command.threadId)
    if (state === undefined) return `Thread ${command.threadId} was not found.`
    const mode = command.dispatchMode.type
    if (mode !== "start_immediately" && mode !== "queue_after_active" && !(deferStart && mode === "defer_start")) {
      return `The T3 fake does not model dispatchMode ${mode}; send start_immediately (t3-protocol-v2 §4.3).`
    }
    // UNCONFIRMED (§4.6 says there is no dedupe on messageId): the stricter reading refuses a second message
    // with the same id, which would otherwise give two runs one userMessageId.
    if (state.messages.some((m) => m.id === command.messageId)) return `Message ${command.messageId} already exists.`
    const busy = state.runs.some((r) => active.has(r.status) || r.status === "queued")
    const at = stamp()
    const ordinal = state.runs.length + 1
    const queued = state.runs.filter((r) => r.status === "queued").length
    const run: Run = {
      id: `run:thread:${state.thread.id}:ordinal:${ordinal}`,
      threadId: state.thread.id,
      ordinal,
      providerInstanceId: state.thread.providerInstanceId,
      modelSelection: state.thread.modelSelection,
      providerThreadId: null,
      userMessageId: command.messageId,
      rootNodeId: null,
      activeAttemptId: null,
      status: busy ? "queued" : deferStart ? "preparing" : "starting",
      ...(busy ? { queuePosition: queued + 1 } : {}),
      queueHeld: false,
      requestedAt: at,
      startedAt: null,
      workStartedAt: null,
      completedAt: null,
      checkpointId: null
    }
    const message = {
      id: command.messageId,
      threadId: state.thread.id,
      runId: run.id,
      nodeId: null,
      role: "user" as const,
      text: command.text,
      attachments: command.attachments,
      streaming: false,
      createdAt: at,
      updatedAt: at,
      createdBy: "user" as const,
      creationSource: command.creationSource
    }
    state.runs.push(run)
    state.messages.push(message)
    emit(state, "run.created", run, run.id)
    emit(state, "message.updated", message, run.id)
    const item = {
      id: `item:${++counter}`,
      threadId: state.thread.id,
      runId: run.id,
      nodeId: null,
      ordinal: state.turnItems.length + 1,
      type: "user_message",
      status: "completed",
      title: "user_message",
      startedAt: at,
      completedAt: at,
      updatedAt: at,
      messageId: command.messageId,
      inputIntent: busy ? "queued_turn" : "turn_start",
      text: command.text
    }
    state.turnItems.push(item)
    emit(state, "turn-item.updated", item, run.id)
    runs.track(
      run,
      options.behaviour({
        threadId: state.thread.id,
        title: state.thread.title,
        turnIndex: ordinal,
        text: command.text
      })
    )
    return undefined
  }

  const runCommand = (
    command: Extract<Commands.Command, { type: "run.interrupt" | "queued-run.cancel" }>
  ): Decision => {
    const state = liveThread(command.threadId)
    if (state === undefined) return `Thread ${command.threadId} was not found.`
    const run = state.runs.find((r) => r.id === command.runId)
    if (run === undefined) return `Run ${command.runId} was not found.`
    if (command.type === "queued-run.cancel") {
      if (run.status !== "queued") return `Run ${run.id} is not queued.`
      runs.cancelQueued(state, run)
      return undefined
    }
    if (run.status !== "preparing" && run.status !== "starting" && run.status !== "running") {
      return `Run ${run.id} is not interruptible.`
    }
    if (command.holdQueue === true) {
      for (const queued of state.runs.filter((r) => r.status === "queued")) {
        queued.queueHeld = true
        emit(state, "run.updated", queued, queued.id)
      }
    }
    runs.interrupt(state, run, command.reason ?? "Interrupted.")
    return undefined
  }

  const threadCommand = (
    command: Extract<
      Commands.Command,
      { type: "thread.archive" | "thread.settle" | "queue.resume" | "provider-session.detach" }
    >
  ): Decision => {
    const state = liveThread(command.threadId)
    if (state === undefined) return `Thread ${command.threadId} was not found.`
    const thread = state.thread
    switch (command.type) {
      case "thread.archive":
        if (thread.archivedAt !== null) return `Thread ${thread.id} is already archived.`
        // UNCONFIRMED (§4.5, §7 row 11): the stricter reading refuses to archive a thread whose run is not over.
        if (state.runs.some((r) => !terminal.has(r.status))) {
          return `Thread ${thread.id} has a run in progress; interrupt or cancel it before archiving.`
        }
        thread.archivedAt = stamp()
        emit(state, "thread.archived", thread)
        return undefined
      case "thread.settle":
        if (thread.settledAt !== null) return `Thread ${thread.id} is already settled.`
        thread.settledAt = stamp()
        emit(state, "thread.settled", thread)
        return undefined
      case "queue.resume": {
        const held = state.runs.filter((r) => r.status === "queued" && r.queueHeld)
        if (held.length === 0) return `Thread ${thread.id} has no held queue.`
        for (const run of held) run.queueHeld = false
        for (const run of held) emit(state, "run.updated", run, run.id)
        runs.promote(state)
        return undefined
      }
      case "provider-session.detach": {
        const session = state.providerSessions.find((s) => s.id === command.providerSessionId && s.status !== "stopped")
        if (session === undefined) return `Provider session ${command.providerSessionId} is not attached.`
        session.status = "stopped"
        emit(state, "provider-session.updated", session)
        return undefined
      }
    }
  }

  const decide = (command: Commands.Command, deferStart: boolean): Decision => {
    switch (command.type) {
      case "thread.create":
        return threadCreate(command)
      case "message.dispatch":
        return messageDispatch(command, deferStart)
      case "run.interrupt":
      case "queued-run.cancel":
        return runCommand(command)
      default:
        return threadCommand(command)
    }
  }

  /**
   * `orchestration.dispatchCommand` with a decoded command: receipts first (§4.6), then the rules.
   * `deferStart` lets `message.dispatch` use `defer_start`, as `launchThread` does on the server (§4.4).
   */
  const dispatch = (command: Commands.Command, options: { readonly deferStart?: boolean } = {}): Outcome => {
    const aggregate = `thread:${command.threadId}`
    const receipt = receipts.get(command.commandId)
    if (receipt !== undefined) {
      if (receipt.aggregate !== aggregate) {
        return {
          _tag: "Rejected",
          message: `Command ${command.commandId} was already used for ${receipt.aggregate}; mint a new commandId.`
        }
      }
      if (receipt.rejected !== undefined) {
        return {
          _tag: "Rejected",
          message: `Command ${command.commandId} was previously rejected: ${receipt.rejected}`
        }
      }
      return { _tag: "Accepted", sequence: receipt.sequence ?? 0 }
    }
    const before = sequence
    const refused = decide(command, options.deferStart === true) ??
      (sequence === before ? "The command produced no events." : undefined)
    if (refused !== undefined) {
      receipts.set(command.commandId, { aggregate, rejected: refused })
      return { _tag: "Rejected", message: refused }
    }
    receipts.set(command.commandId, { aggregate, sequence })
    return { _tag: "Accepted", sequence }
  }

  const mutateProject = Projects.make({
    projects,
    roots,
    receipts,
    normalise,
    stamp,
    commit: () => ++sequence
  })

  return {
    dispatch,
    /** Whether `commandId` has a receipt, accepted or rejected. */
    hasReceipt: (commandId: string): boolean => receipts.has(commandId),
    mutateProject,
    /** Moves the thread's active run one step, as a poll does. */
    advance: (threadId: string): void => {
      const state = threads.get(threadId)
      if (state !== undefined) runs.advance(state)
    },
    /** A server restart (§5.4): in-flight runs end `outcome`, queued runs are held. */
    restart: (outcome: "cancelled" | "failed") => {
      for (const state of threads.values()) runs.restart(state, outcome)
    },
    state: (threadId: string): ThreadState | undefined => threads.get(threadId),
    states: (): ReadonlyArray<ThreadState> => [...threads.values()],
    projects: (): ReadonlyArray<Project> => [...projects.values()],
    events: (after: number, threadId: string): ReadonlyArray<Event> =>
      events.filter((e) => e.sequence > after && e.threadId === threadId),
    /** Calls `listener` for every event from now on; the returned function stops it. */
    subscribe: (listener: (event: Event) => void): () => void => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    sequence: () => sequence,
    stamp
  }
}

export type World = ReturnType<typeof make>
