/**
 * The protocol-1 backend of the T3 runtime (`t3-protocol.md`): a run's thread is created and its first turn
 * started by two dispatches over plain HTTP, with every id minted from the run id, so a retried or crashed
 * dispatch adopts what exists instead of duplicating it. Status is read from the per-thread endpoint through
 * §6's table (`T3Status`); an unreachable or failing server reads as `unknown`, never as an error that
 * escalates (prior-art §8.13).
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as AgentRuntime from "./AgentRuntime.js"
import { TurnStatus } from "./Domain.js"
import * as Ids from "./Ids.js"
import type * as T3Backend from "./T3Backend.js"
import type * as T3Client from "./T3Client.js"
import * as T3Options from "./T3Options.js"
import * as T3Status from "./T3Status.js"
import type * as T3Wire from "./T3Wire.js"

const { truncatePrompt, workspaceRootFor } = T3Options

/** How long one snapshot read may answer "which project serves this workspace root" for other repos. */
const snapshotTtl = Duration.seconds(30)

const defaultSettle = { within: Duration.seconds(10), every: Duration.seconds(1) }

const isLive = (thread: T3Wire.Thread) => thread.session?.status === "starting" || thread.session?.status === "running"

/** Builds the protocol-1 backend on `client`. Nothing is sent until a method runs. */
export const make = (options: T3Options.Options, client: T3Client.T3Client): Effect.Effect<T3Backend.T3Backend> =>
  Effect.gen(function*() {
    const runtimeMode = options.runtimeMode ?? "full-access"
    const { readThread, send, shell, snapshot } = client
    // One shell read answers every status asked within `shellTtl` (a pass drives its runs together).
    const shellTtl = Duration.decode(options.shellTtl ?? "1 second")
    const sharedShell = yield* Effect.cachedWithTTL(shell, shellTtl)

    const ambiguous = (operation: string, what: string) =>
      new AgentRuntime.AgentRuntimeError({
        operation,
        status: 500,
        detail: `T3 Code answered HTTP 500 twice and ${what} is still not there`,
        transient: true,
        hint: "the server rejected the command or failed; its log has the reason (the next pass tries again)"
      })

    /**
     * Sends `first`; after an ambiguous 500 re-reads state and adopts what `reread` finds, else retries
     * once with `second` (a fresh id: a rejected command id fails forever). `Some` is what was adopted.
     */
    const sendOrAdopt = <B>(
      first: T3Wire.Command,
      second: T3Wire.Command,
      reread: Effect.Effect<Option.Option<B>, AgentRuntime.AgentRuntimeError>,
      what: string
    ) =>
      Effect.gen(function*() {
        for (const command of [first, second]) {
          if (yield* send(command)) return Option.none<B>()
          const found = yield* reread
          if (Option.isSome(found)) return found
        }
        return yield* ambiguous(`dispatch ${first.type}`, what)
      })

    const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis).toISOString())

    // Projects found or created, by workspace root: one snapshot read serves every repo dispatched within
    // `snapshotTtl`, and a repo's later dispatches read nothing. A root is forgotten when a thread.create on
    // it stays ambiguous (the project may have been deleted), so the next dispatch looks again.
    const projects = new Map<string, string>()
    const [recentSnapshot, refreshSnapshot] = yield* Effect.cachedInvalidateWithTTL(snapshot, snapshotTtl)

    const ensureProject = (request: Pick<AgentRuntime.DispatchRequest, "runId" | "issue">, workspaceRoot: string) =>
      Effect.gen(function*() {
        const known = projects.get(workspaceRoot)
        if (known !== undefined) return known
        const active = (list: ReadonlyArray<T3Wire.Project>) =>
          Option.fromNullable(list.find((p) => p.deletedAt === null && p.workspaceRoot === workspaceRoot))
        const { projects: listed } = yield* recentSnapshot
        const found = active(listed)
        if (Option.isSome(found)) return found.value.id
        const preferred = Ids.projectId(request.issue.repo)
        const projectId = listed.some((p) => p.id === preferred) ? Ids.derive(request.runId, "project-id") : preferred
        const createdAt = yield* now
        const command = (step: string): T3Wire.ProjectCreate => ({
          type: "project.create",
          commandId: Ids.derive(request.runId, step),
          projectId,
          title: request.issue.repo,
          workspaceRoot,
          createWorkspaceRootIfMissing: true,
          createdAt
        })
        const reread = Effect.map(snapshot, (s) => active(s.projects))
        const adopted = yield* sendOrAdopt(command("project"), command("project#retry"), reread, workspaceRoot)
        return Option.match(adopted, { onNone: () => projectId, onSome: (project) => project.id })
      }).pipe(Effect.tap((projectId) => Effect.sync(() => projects.set(workspaceRoot, projectId))))

    const withMessage = (messageId: string) => (thread: Option.Option<T3Wire.Thread>) =>
      Option.filter(thread, (t) => t.messages.some((m) => m.id === messageId))

    const startTurn = (
      runId: string,
      threadId: string,
      step: string,
      text: string,
      options: { readonly known?: T3Wire.Thread | undefined; readonly verify?: boolean } = {}
    ) =>
      Effect.gen(function*() {
        const messageId = Ids.derive(runId, `${step}:message`)
        const { known, verify = false } = options
        if (Option.isSome(withMessage(messageId)(Option.fromNullable(known)))) return
        const createdAt = yield* now
        const command = (commandStep: string): T3Wire.ThreadTurnStart => ({
          type: "thread.turn.start",
          commandId: Ids.derive(runId, commandStep),
          threadId,
          message: { messageId, role: "user", text: truncatePrompt(text), attachments: [] },
          runtimeMode,
          interactionMode: "default",
          createdAt
        })
        const reread = Effect.map(readThread(threadId), withMessage(messageId))
        const adopted = yield* sendOrAdopt(command(step), command(`${step}#retry`), reread, `the turn ${step}`)
        if (!verify || Option.isSome(adopted)) return
        // The server answers 200 to a turn on a deleted thread and runs nothing: only a read tells.
        if (Option.isNone(yield* readThread(threadId, 1))) {
          return yield* new AgentRuntime.AgentRuntimeError({
            operation: "dispatch thread.turn.start",
            status: 404,
            detail:
              `T3 Code accepted the turn ${step} (200), but thread ${threadId} is deleted (404 thread_not_found): the turn went nowhere`,
            transient: false,
            hint: "the thread was deleted on the server; the run continues as a vanished thread"
          })
        }
      })

    const dispatch = (request: AgentRuntime.DispatchRequest) =>
      Effect.gen(function*() {
        const workspaceRoot = workspaceRootFor(options.workspaceRoot, request.issue.repo)
        const projectId = yield* ensureProject(request, workspaceRoot)
        const existing = request.fresh === true ? Option.none() : yield* readThread(request.threadId)
        if (Option.isNone(existing)) {
          const createdAt = yield* now
          const command = (step: string): T3Wire.ThreadCreate => ({
            type: "thread.create",
            commandId: Ids.derive(request.runId, step),
            threadId: request.threadId,
            projectId,
            title: request.title.trim() === "" ? request.issue.toString() : request.title.trim(),
            modelSelection: { instanceId: "claudeAgent", provider: "claudeAgent", model: options.model },
            runtimeMode,
            interactionMode: "default",
            branch: null,
            worktreePath: null,
            createdAt
          })
          const reread = readThread(request.threadId)
          yield* sendOrAdopt(command("create"), command("create#retry"), reread, `thread ${request.threadId}`).pipe(
            Effect.tapError(() => Effect.zipRight(Effect.sync(() => projects.delete(workspaceRoot)), refreshSnapshot))
          )
        }
        yield* startTurn(request.runId, request.threadId, "turn-1", request.prompt, {
          known: Option.getOrUndefined(existing)
        })
      }).pipe(Effect.withSpan("T3.dispatch", { attributes: { threadId: request.threadId } }))

    const followUp = (request: AgentRuntime.FollowUpRequest) =>
      startTurn(request.runId, request.threadId, request.step, request.text, { verify: true }).pipe(
        Effect.withSpan("T3.followUp", { attributes: { threadId: request.threadId, step: request.step } })
      )

    const interrupt = (runId: string, threadId: string) =>
      Effect.gen(function*() {
        const activeTurn = (thread: Option.Option<T3Wire.Thread>) =>
          Option.flatMapNullable(thread, (t) => t.session?.activeTurnId)
        const thread = yield* readThread(threadId)
        const turnId = activeTurn(thread)
        if (Option.isNone(turnId)) {
          return Option.exists(thread, isLive) ? yield* settled(threadId) : "no-turn" as const
        }
        const createdAt = yield* now
        const step = `interrupt-${turnId.value}`
        const command = (commandStep: string): T3Wire.ThreadTurnInterrupt => ({
          type: "thread.turn.interrupt",
          commandId: Ids.derive(runId, commandStep),
          threadId,
          turnId: turnId.value,
          createdAt
        })
        const stopped = Effect.map(readThread(threadId), (thread) =>
          Option.getOrUndefined(activeTurn(thread)) === turnId.value ? Option.none() : Option.some(thread))
        yield* sendOrAdopt(command(step), command(`${step}#retry`), stopped, `the interrupt of ${turnId.value}`)
        return yield* settled(threadId)
      }).pipe(Effect.withSpan("T3.interrupt", { attributes: { threadId } }))

    const settle = options.interruptSettle ?? defaultSettle
    const reads = Math.max(
      1,
      Math.ceil(Duration.toMillis(settle.within) / Math.max(1, Duration.toMillis(settle.every)))
    )
    /** Reads the thread until its session no longer runs, at most `reads` times. */
    const settled = (threadId: string) =>
      Effect.gen(function*() {
        for (let read = 1; read <= reads; read++) {
          const thread = yield* readThread(threadId, 1)
          if (Option.isNone(thread) || !isLive(thread.value)) return "settled" as const
          if (read < reads) yield* Effect.sleep(settle.every)
        }
        return "still-running" as const
      })

    const release = (request: AgentRuntime.ReleaseRequest) =>
      Effect.gen(function*() {
        const read = yield* readThread(request.threadId, 1)
        if (Option.isNone(read)) return "gone" as const
        const thread = read.value
        if (isLive(thread)) return "still-running" as const
        const createdAt = yield* now
        // An ambiguous 500 is read back, never taken as done: a session left running would hold the provider.
        const readBack = (done: (thread: T3Wire.Thread) => boolean) =>
          Effect.map(
            readThread(request.threadId, 1),
            (read) => Option.isNone(read) || done(read.value) ? Option.some(true) : Option.none()
          )
        if (thread.session !== null && thread.session.status !== "stopped") {
          const stop = (step: string): T3Wire.Command => ({
            type: "thread.session.stop",
            commandId: Ids.derive(request.runId, step),
            threadId: request.threadId,
            createdAt,
            onlyIfSettled: true
          })
          yield* sendOrAdopt(
            stop(`session-stop:${request.threadId}`),
            stop(`session-stop:${request.threadId}#retry`),
            readBack((t) => t.session === null || t.session.status === "stopped"),
            `the stop of ${request.threadId}'s session`
          )
        }
        if (request.archive && thread.archivedAt == null) {
          const archive = (step: string): T3Wire.Command => ({
            type: "thread.archive",
            commandId: Ids.derive(request.runId, step),
            threadId: request.threadId
          })
          yield* sendOrAdopt(
            archive(`archive:${request.threadId}`),
            archive(`archive:${request.threadId}#retry`),
            readBack((t) => t.archivedAt != null),
            `the archive of ${request.threadId}`
          )
        }
        return "released" as const
      }).pipe(Effect.withSpan("T3.release", { attributes: { threadId: request.threadId } }))

    const queuedGrace = options.queuedGrace ?? T3Status.defaultQueuedGrace
    const fromShell = (threadId: string) =>
      Effect.map(
        Effect.option(sharedShell),
        Option.flatMap((snapshot) =>
          Option.fromNullable(snapshot.threads.find((thread) => thread.id === threadId)).pipe(
            Option.flatMap((thread) => Option.fromNullable(T3Status.runningFromShell(thread)))
          )
        )
      )
    const batched = Duration.toMillis(shellTtl) > 0
    const status = (threadId: string) =>
      (batched
        ? Effect.flatMap(
          fromShell(threadId),
          Option.match({ onSome: Effect.succeed, onNone: () => threadStatus(threadId) })
        )
        : threadStatus(threadId)).pipe(Effect.withSpan("T3.status", { attributes: { threadId } }))
    const threadStatus = (threadId: string) =>
      readThread(threadId, 1).pipe(
        Effect.flatMap(
          Option.match({
            onNone: () =>
              Effect.succeed(new TurnStatus({ state: "vanished", detail: "T3 Code answered 404 thread_not_found" })),
            onSome: (thread) =>
              Effect.map(Clock.currentTimeMillis, (millis) => T3Status.fromThread(thread, millis, queuedGrace))
          })
        ),
        Effect.catchIf(
          (error) => error.transient,
          (error) => Effect.succeed(new TurnStatus({ state: "unknown", detail: error.message }))
        )
      )

    return {
      prepare: (request) =>
        Effect.asVoid(ensureProject(request, workspaceRootFor(options.workspaceRoot, request.issue.repo))).pipe(
          Effect.withSpan("T3.prepare")
        ),
      dispatch,
      followUp,
      interrupt,
      release,
      status
    }
  })
