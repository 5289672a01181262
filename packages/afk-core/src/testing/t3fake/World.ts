/**
 * The state behind the T3 fake: projects, threads, command receipts and the event sequence, with the
 * server's rules (`t3-protocol.md` §3, §5, §7) — strict command decoding, `commandId` idempotency, 500
 * for business-rule violations — and scripted turns that move one step per poll.
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { posix } from "node:path"
import * as T3Wire from "../../T3Wire.js"
import type { Activity, LatestTurn, Project, Session, Thread } from "./Model.js"
import type { Behaviour, Script } from "./Script.js"

interface Run {
  readonly script: Script
  readonly text: string
  readonly requestedAt: string
  turnId: string
  polls: number
  phase: "queued" | "running" | "blocked" | "done"
}

type Receipt = { readonly aggregate: string; readonly sequence: number | undefined }

/** The answer to one dispatch: a sequence, or an HTTP status with the server's body (none for 400 schema errors). */
export type Outcome =
  | { readonly _tag: "Accepted"; readonly sequence: number }
  | { readonly _tag: "Rejected"; readonly status: 400 | 500; readonly body?: object }

const internalError = {
  _tag: "EnvironmentInternalError",
  code: "internal_error",
  reason: "orchestration_dispatch_failed"
}

/** What a session shows once a started turn failed: a generic text, never the provider's detail. */
export const stoppedAfterFailure = "Provider session stopped."

/** The start-failure detail the real server records: the error's message, then its stack with server paths. */
const stackTrace = (message: string) =>
  [
    `Error: ${message}`,
    ...Array.from({ length: 30 }, (_, i) =>
      `    at ProviderService.startSession (/home/t3/.t3/app/apps/server/src/provider/Layers/ProviderService.ts:${
        400 + i
      }:17)`)
  ].join("\n")

const liveStatuses = new Set(["idle", "starting", "running", "ready", "interrupted"])

export const make = (options: {
  readonly now: () => number
  readonly behaviour: Behaviour
  readonly existingRoots: ReadonlyArray<string>
  readonly home: string
  /** Polls after an interrupt before the provider acknowledges it and the session settles. */
  readonly interruptAckPolls: number
}) => {
  const projects = new Map<string, Project>()
  const threads = new Map<string, Thread>()
  const runs = new Map<string, Array<Run>>()
  const receipts = new Map<string, Receipt>()
  const settling = new Map<string, { polls: number; readonly patch: Partial<Session> }>()
  const reactions: Array<() => void> = []
  const roots = new Set<string>()
  let sequence = 0
  let lastMillis = 0
  let counter = 0

  const stamp = () => {
    lastMillis = Math.max(options.now(), lastMillis + 1)
    return new Date(lastMillis).toISOString()
  }
  const next = () => ++counter
  const normalise = (root: string) => posix.resolve(root.replace(/^~(?=$|\/)/, options.home))
  for (const root of options.existingRoots) roots.add(normalise(root))

  const activity = (thread: Thread, kind: string, tone: Activity["tone"], payload: Record<string, unknown>) => {
    sequence += 1
    thread.activities.push({
      id: `activity:${next()}`,
      tone,
      kind,
      summary: kind,
      payload,
      turnId: thread.latestTurn?.turnId ?? null,
      sequence,
      createdAt: stamp()
    })
  }

  const setSession = (thread: Thread, patch: Partial<Session>) => {
    sequence += 1
    const updatedAt = stamp()
    thread.session = {
      threadId: thread.id,
      status: "idle",
      providerName: "claudeAgent",
      providerInstanceId: "claudeAgent",
      runtimeMode: thread.runtimeMode,
      activeTurnId: null,
      lastError: null,
      ...thread.session,
      ...patch,
      updatedAt
    }
    thread.updatedAt = updatedAt
  }

  const endTurn = (thread: Thread, run: Run, state: LatestTurn["state"], assistantMessageId: string | null = null) => {
    run.phase = "done"
    if (thread.latestTurn?.turnId === run.turnId) {
      thread.latestTurn = { ...thread.latestTurn, state, completedAt: stamp(), assistantMessageId }
    }
  }

  const settleLater = (thread: Thread, polls: number, patch: Partial<Session>) => {
    if (polls <= 0) return setSession(thread, patch)
    settling.set(thread.id, { polls, patch })
  }

  const failStart = (thread: Thread, run: Run, detail: string) => {
    run.phase = "done"
    const trace = stackTrace(detail)
    setSession(thread, { status: "error", lastError: trace, activeTurnId: null })
    activity(thread, "provider.turn.start.failed", "error", { detail: trace })
    settleLater(thread, 1, { status: "stopped", lastError: stoppedAfterFailure })
  }

  // Running counts over the thread's session, as the provider reports them: a turn's input when it starts,
  // its output when it ends.
  const spent = new WeakMap<Thread, { input: number; output: number }>()
  const usage = (thread: Thread, run: Run, output: number) => {
    const input = 1_000 + run.text.length
    const so = spent.get(thread) ?? { input: 0, output: 0 }
    const now = output === 0 ? { input: so.input + input, output: so.output } : { ...so, output: so.output + output }
    spent.set(thread, now)
    activity(thread, "context-window.updated", "info", {
      usedTokens: input + output,
      maxTokens: 200_000,
      totalProcessedTokens: now.input + now.output,
      inputTokens: now.input,
      outputTokens: now.output,
      lastInputTokens: input,
      lastOutputTokens: output
    })
  }

  const begin = (thread: Thread, run: Run, legacy: boolean) => {
    run.phase = "running"
    run.turnId = `turn_${next()}`
    setSession(thread, { status: "running", activeTurnId: run.turnId, lastError: null })
    if (!legacy) {
      const startedAt = stamp()
      thread.latestTurn = {
        turnId: run.turnId,
        state: "running",
        requestedAt: run.requestedAt,
        startedAt,
        completedAt: null,
        assistantMessageId: null
      }
      usage(thread, run, 0)
    }
  }

  const outcome = (thread: Thread, run: Run) => {
    const script = run.script
    switch (script._tag) {
      case "Complete": {
        const at = stamp()
        const id = `assistant:msg_${next()}`
        thread.messages.push({
          id,
          role: "assistant",
          text: script.text,
          attachments: [],
          turnId: run.turnId,
          streaming: false,
          createdAt: at,
          updatedAt: at
        })
        usage(thread, run, 100 + script.text.length)
        endTurn(thread, run, "completed", id)
        setSession(thread, { status: "ready", activeTurnId: null })
        return
      }
      case "Fail":
        activity(thread, "runtime.error", "error", { message: script.detail })
        endTurn(thread, run, "error")
        setSession(thread, { status: "error", lastError: script.detail, activeTurnId: null })
        return
      case "Interrupt":
        endTurn(thread, run, "interrupted")
        setSession(thread, { status: "interrupted", activeTurnId: null })
        return
      case "Block":
        run.phase = "blocked"
        activity(thread, `${script.on}.requested`, script.on === "approval" ? "approval" : "info", {
          requestId: `request:${next()}`
        })
        return
      case "Vanish":
        run.phase = "done"
        thread.deletedAt = stamp()
        sequence += 1
        return
    }
  }

  /** Moves the thread's current turn one step, as a poll of the real server would observe it. */
  const advance = (threadId: string): void => {
    const thread = threads.get(threadId)
    if (thread === undefined || thread.deletedAt !== null) return
    const pending = settling.get(threadId)
    if (pending !== undefined) {
      pending.polls -= 1
      if (pending.polls > 0) return
      settling.delete(threadId)
      return setSession(thread, pending.patch)
    }
    const run = runs.get(threadId)?.find((r) => r.phase !== "done")
    if (run === undefined || run.phase === "blocked") return
    const script = run.script
    run.polls += 1
    if (run.phase === "queued") {
      if (script._tag === "Queue") return
      if (run.text.length > T3Wire.maxInputChars) {
        failStart(thread, run, `Input exceeds the ${T3Wire.maxInputChars}-character limit.`)
        return
      }
      if (script._tag === "Fail" && script.at === "start") {
        failStart(thread, run, script.detail)
        return
      }
      if (script._tag === "Stop") {
        run.phase = "done"
        setSession(thread, { status: "stopped", activeTurnId: null })
        return
      }
      begin(thread, run, script._tag === "Complete" && script.legacy)
    }
    if (script._tag === "Hang" || !("afterPolls" in script) || run.polls < script.afterPolls) return
    outcome(thread, run)
  }

  const reject = (status: 400 | 500, body?: object): Outcome =>
    body === undefined ? { _tag: "Rejected", status } : { _tag: "Rejected", status, body }

  const liveThread = (id: string) => {
    const thread = threads.get(id)
    return thread === undefined || thread.deletedAt !== null ? undefined : thread
  }

  /** Applies a valid command: the number of events it produced, or a rule violation. */
  const decide = (command: T3Wire.Command): number | "violation" => {
    const at = stamp()
    switch (command.type) {
      case "project.create": {
        const root = normalise(command.workspaceRoot)
        const taken = [...projects.values()].some((p) => p.deletedAt === null && p.workspaceRoot === root)
        if (projects.has(command.projectId) || taken) return "violation"
        roots.add(root)
        projects.set(command.projectId, {
          id: command.projectId,
          title: command.title,
          workspaceRoot: root,
          defaultModelSelection: command.defaultModelSelection ?? null,
          scripts: [],
          createdAt: at,
          updatedAt: at,
          deletedAt: null
        })
        return 1
      }
      case "thread.create": {
        const project = projects.get(command.projectId)
        if (threads.has(command.threadId) || project === undefined || project.deletedAt !== null) return "violation"
        const { instanceId, provider, model, options: modelOptions } = command.modelSelection
        threads.set(command.threadId, {
          id: command.threadId,
          projectId: command.projectId,
          title: command.title,
          modelSelection: {
            instanceId: instanceId ?? provider ?? "",
            model,
            ...(modelOptions === undefined ? {} : { options: modelOptions })
          },
          runtimeMode: command.runtimeMode,
          interactionMode: command.interactionMode ?? "default",
          branch: command.branch,
          worktreePath: command.worktreePath,
          latestTurn: null,
          createdAt: at,
          updatedAt: at,
          archivedAt: null,
          settledOverride: null,
          settledAt: null,
          deletedAt: null,
          messages: [],
          proposedPlans: [],
          activities: [],
          checkpoints: [],
          session: null
        })
        runs.set(command.threadId, [])
        return 1
      }
      case "thread.turn.start": {
        if (threads.get(command.threadId)?.deletedAt != null) return 2
        const thread = liveThread(command.threadId)
        if (thread === undefined) return "violation"
        const { messageId, text } = command.message
        thread.messages.push({
          id: messageId,
          role: "user",
          text,
          attachments: [],
          turnId: null,
          streaming: false,
          createdAt: at,
          updatedAt: at
        })
        thread.updatedAt = at
        const turns = runs.get(thread.id) ?? []
        const script = options.behaviour({
          threadId: thread.id,
          title: thread.title,
          turnIndex: turns.length + 1,
          text
        })
        turns.push({ script, text, requestedAt: at, turnId: "", polls: 0, phase: "queued" })
        runs.set(thread.id, turns)
        if (script._tag !== "Queue") {
          reactions.push(() => setSession(thread, { status: "starting", activeTurnId: null }))
        }
        return 2
      }
      case "thread.turn.interrupt": {
        const thread = liveThread(command.threadId)
        if (thread === undefined) return "violation"
        const run = runs.get(thread.id)?.find((r) => r.phase === "running" || r.phase === "blocked")
        if (run !== undefined && (command.turnId === undefined || command.turnId === run.turnId)) {
          endTurn(thread, run, command.turnId === undefined ? "completed" : "interrupted")
          settleLater(thread, options.interruptAckPolls, { status: "ready", activeTurnId: null })
        }
        return 1
      }
      case "thread.session.stop": {
        const thread = liveThread(command.threadId)
        if (thread === undefined) return "violation"
        const live = runs.get(thread.id)?.some((r) => r.phase !== "done") === true || settling.has(thread.id) ||
          thread.session?.status === "starting" || thread.session?.status === "running"
        if (thread.session === null || (command.onlyIfSettled === true && live)) return 0
        for (const run of runs.get(thread.id) ?? []) {
          if (run.phase !== "done") endTurn(thread, run, "interrupted")
        }
        settling.delete(thread.id)
        setSession(thread, { status: "stopped", activeTurnId: null })
        return 1
      }
      case "thread.archive": {
        const thread = liveThread(command.threadId)
        if (thread === undefined || thread.archivedAt !== null) return "violation"
        thread.archivedAt = at
        thread.updatedAt = at
        return 1
      }
      case "thread.delete": {
        const thread = liveThread(command.threadId)
        if (thread === undefined) return "violation"
        thread.deletedAt = at
        return 1
      }
    }
  }

  const decodeCommand = Schema.decodeUnknownEither(T3Wire.Command)

  /** `POST /api/orchestration/dispatch` with an already-parsed JSON body. */
  const dispatch = (body: unknown): Outcome => {
    const decoded = decodeCommand(body)
    if (Either.isLeft(decoded)) return reject(400)
    const command = decoded.right
    if (command.type === "project.create") {
      const root = normalise(command.workspaceRoot)
      if (!roots.has(root) && command.createWorkspaceRootIfMissing !== true) {
        return reject(400, {
          _tag: "EnvironmentRequestInvalidError",
          code: "invalid_request",
          reason: "invalid_command"
        })
      }
    }
    const aggregate = command.type === "project.create" ? `project:${command.projectId}` : `thread:${command.threadId}`
    const receipt = receipts.get(command.commandId)
    if (receipt !== undefined) {
      if (receipt.aggregate !== aggregate || receipt.sequence === undefined) return reject(500, internalError)
      return { _tag: "Accepted", sequence: receipt.sequence }
    }
    const events = decide(command)
    if (events === "violation") {
      receipts.set(command.commandId, { aggregate, sequence: undefined })
      return reject(500, internalError)
    }
    sequence += events
    receipts.set(command.commandId, { aggregate, sequence })
    const accepted = sequence
    for (const react of reactions.splice(0)) react()
    return { _tag: "Accepted", sequence: accepted }
  }

  return {
    dispatch,
    advance,
    projects: (): ReadonlyArray<Project> => [...projects.values()],
    threads: (): ReadonlyArray<Thread> => [...threads.values()],
    liveSessions: (): number =>
      [...threads.values()].filter((t) => t.deletedAt === null && liveStatuses.has(t.session?.status ?? "")).length,
    thread: liveThread,
    sequence: () => sequence,
    stamp
  }
}

export type World = ReturnType<typeof make>
