/**
 * The protocol-2 backend of the T3 runtime (`t3-protocol-v2.md`): the project found or created over
 * `/api/projects`, then `thread.create` and `message.dispatch` over the WebSocket (§4.2–4.3, not the
 * unconfirmed `launchThread`, §7 row 7), each with a command id minted from the run id and salted with `v2:`
 * against protocol-1 receipts (§4.6, §7 row 14). A command without an answer is never resent blindly: the
 * thread is read back and what exists is adopted; only then is the same command id sent again, and a fresh
 * `#retry` id only after "was previously rejected" (§4.6). Status maps the bounded projection (`T3StatusV2`).
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as AgentRuntime from "./AgentRuntime.js"
import { TurnStatus } from "./Domain.js"
import * as HttpKit from "./HttpKit.js"
import * as Ids from "./Ids.js"
import type * as T3Backend from "./T3Backend.js"
import type * as T3ClientV2 from "./T3ClientV2.js"
import * as T3Options from "./T3Options.js"
import * as T3StatusV2 from "./T3StatusV2.js"
import * as T3WireV2 from "./T3WireV2.js"

/** A command id of protocol 2: salted, so it never meets a protocol-1 receipt after an in-place upgrade. */
export const commandId = (runId: string, step: string): string => Ids.derive(runId, `v2:${step}`)

/** What a read-back found: the command's effect (`adopted`), nothing yet (`absent`), or no thread at all. */
type ReadBack = "adopted" | "absent" | "gone"

const defaultSettle = { within: Duration.seconds(10), every: Duration.seconds(1) }

/** How long one project list answers "which project serves this workspace root" for other repos. */
const projectsTtl = Duration.seconds(30)

/** Builds the protocol-2 backend on `client`. Nothing is sent until a method runs. */
export const make = (options: T3Options.Options, client: T3ClientV2.T3ClientV2): Effect.Effect<T3Backend.T3Backend> =>
  Effect.gen(function*() {
    const runtimeMode = options.runtimeMode ?? "full-access"
    const reconnectBase = Duration.decode((options.retry ?? HttpKit.defaultRetry).base)

    /**
     * Sends the command built for `step`; when it is rejected or lost, reads back (§4.6): adopted means done,
     * absent means send again — the same id, or `<step>#retry` once the server says the id was rejected; after
     * a lost answer, on a new connection and after a backoff (the retry base, doubling).
     */
    const sendOrAdopt = (
      runId: string,
      step: string,
      build: (commandId: string) => T3WireV2.Command,
      readBack: Effect.Effect<ReadBack, AgentRuntime.AgentRuntimeError>,
      what: string
    ) =>
      Effect.gen(function*() {
        let id = commandId(runId, step)
        let last = ""
        for (let attempt = 1; attempt <= 3; attempt++) {
          const sent = yield* client.dispatch(build(id))
          if (sent._tag === "Accepted") return
          last = sent._tag === "Lost" ? `no answer (${sent.detail})` : `refused: ${sent.message}`
          const found = yield* readBack
          if (found === "adopted") return
          if (found === "gone") {
            return yield* new AgentRuntime.AgentRuntimeError({
              operation: `dispatch ${build(id).type}`,
              status: 404,
              detail: `the thread of ${what} is deleted or gone (404 thread_not_found): ${last}`,
              transient: false,
              hint: "the thread was deleted on the server; the run continues as a vanished thread"
            })
          }
          if (sent._tag === "Rejected" && sent.previouslyRejected) id = commandId(runId, `${step}#retry`)
          if (sent._tag === "Lost") yield* Effect.sleep(Duration.times(reconnectBase, 2 ** (attempt - 1)))
        }
        return yield* new AgentRuntime.AgentRuntimeError({
          operation: `dispatch ${build(id).type}`,
          detail: `T3 Code did not take ${what}, and a read-back does not show it: ${last}`,
          transient: true,
          hint: "the server refused the command or failed; its log has the reason (the next pass tries again)"
        })
      })

    const projects = new Map<string, string>()
    const [recentProjects, refreshProjects] = yield* Effect.cachedInvalidateWithTTL(client.projects, projectsTtl)
    const activeAt = (workspaceRoot: string) => (list: ReadonlyArray<T3WireV2.Project>) =>
      Option.fromNullable(list.find((p) => p.deletedAt === null && p.workspaceRoot === workspaceRoot))

    const ensureProject = (request: Pick<AgentRuntime.DispatchRequest, "runId" | "issue">, workspaceRoot: string) =>
      Effect.gen(function*() {
        const known = projects.get(workspaceRoot)
        if (known !== undefined) return known
        const listed = yield* recentProjects
        const found = activeAt(workspaceRoot)(listed)
        if (Option.isSome(found)) return found.value.id
        const preferred = Ids.projectId(request.issue.repo)
        const projectId = listed.some((p) => p.id === preferred) ? Ids.derive(request.runId, "project-id") : preferred
        const created = yield* client.createProject(
          T3WireV2.projectCreate({
            commandId: commandId(request.runId, "project"),
            projectId,
            title: request.issue.repo,
            workspaceRoot
          })
        )
        if (created === "created") return projectId
        yield* refreshProjects
        const adopted = activeAt(workspaceRoot)(yield* recentProjects)
        if (Option.isSome(adopted)) return adopted.value.id
        return yield* new AgentRuntime.AgentRuntimeError({
          operation: "POST /api/projects/mutate",
          status: 400,
          detail: `T3 Code refused a project for ${workspaceRoot} (400 invalid_command) and lists none for it`,
          transient: true,
          hint: "another project may hold the root while being deleted; the next pass tries again"
        })
      }).pipe(Effect.tap((projectId) => Effect.sync(() => projects.set(workspaceRoot, projectId))))

    const hasMessage = (messageId: string) => (projection: T3WireV2.Projection) =>
      projection.messages.some((m) => m.id === messageId) || projection.runs.some((r) => r.userMessageId === messageId)

    const readBack = (threadId: string, found: (projection: T3WireV2.Projection) => boolean) =>
      Effect.map(client.readThread(threadId), (read): ReadBack =>
        Option.match(read, {
          onNone: () => "gone",
          onSome: (p) => p.thread.deletedAt !== null ? "gone" : found(p) ? "adopted" : "absent"
        }))

    const startTurn = (
      runId: string,
      threadId: string,
      step: string,
      text: string,
      known?: T3WireV2.Projection
    ) =>
      Effect.gen(function*() {
        const messageId = Ids.derive(runId, `${step}:message`)
        if (known !== undefined && hasMessage(messageId)(known)) return
        const build = (id: string) =>
          T3WireV2.messageDispatch({ commandId: id, threadId, messageId, text: T3Options.truncatePrompt(text) })
        yield* sendOrAdopt(runId, step, build, readBack(threadId, hasMessage(messageId)), `the turn ${step}`)
      })

    const dispatch = (request: AgentRuntime.DispatchRequest) =>
      Effect.gen(function*() {
        const workspaceRoot = T3Options.workspaceRootFor(options.workspaceRoot, request.issue.repo)
        const projectId = yield* ensureProject(request, workspaceRoot)
        const existing = request.fresh === true ? Option.none() : yield* client.readThread(request.threadId)
        if (Option.isNone(existing)) {
          const title = request.title.trim() === "" ? request.issue.toString() : request.title.trim()
          const build = (id: string) =>
            T3WireV2.threadCreate({
              commandId: id,
              threadId: request.threadId,
              projectId,
              title,
              modelSelection: { instanceId: "claudeAgent", model: options.model },
              runtimeMode
            })
          const created = Effect.map(client.readThread(request.threadId), (t): ReadBack =>
            Option.isSome(t) ? "adopted" : "absent")
          yield* sendOrAdopt(request.runId, "create", build, created, `thread ${request.threadId}`).pipe(
            Effect.tapError(() =>
              Effect.zipRight(Effect.sync(() => projects.delete(workspaceRoot)), refreshProjects)
            )
          )
        }
        yield* startTurn(request.runId, request.threadId, "turn-1", request.prompt, Option.getOrUndefined(existing))
      }).pipe(Effect.withSpan("T3.dispatch", { attributes: { threadId: request.threadId, protocol: 2 } }))

    const followUp = (request: AgentRuntime.FollowUpRequest) =>
      startTurn(request.runId, request.threadId, request.step, request.text).pipe(
        Effect.withSpan("T3.followUp", { attributes: { threadId: request.threadId, step: request.step, protocol: 2 } })
      )

    /** AFK's run on the thread: the one its latest message started (§4.5). */
    const currentRun = (projection: T3WireV2.Projection) => {
      const messageId = T3StatusV2.latestMessageId(projection)
      return messageId === undefined ? undefined : T3StatusV2.runOf(projection, messageId)
    }
    const runStatus = (threadId: string, runId: string) =>
      Effect.map(client.readThread(threadId), Option.flatMapNullable((p) => p.runs.find((r) => r.id === runId)?.status))

    const settle = options.interruptSettle ?? defaultSettle
    const reads = Math.max(
      1,
      Math.ceil(Duration.toMillis(settle.within) / Math.max(1, Duration.toMillis(settle.every)))
    )
    const settled = (threadId: string, runId: string) =>
      Effect.gen(function*() {
        for (let read = 1; read <= reads; read++) {
          const status = yield* runStatus(threadId, runId)
          if (Option.isNone(status) || !T3StatusV2.active.includes(status.value)) return "settled" as const
          if (read < reads) yield* Effect.sleep(settle.every)
        }
        return "still-running" as const
      })

    const interrupt = (runId: string, threadId: string) =>
      Effect.gen(function*() {
        const read = yield* client.readThread(threadId)
        const run = Option.isSome(read) ? currentRun(read.value) : undefined
        if (run === undefined || !T3StatusV2.active.includes(run.status)) return "no-turn" as const
        const build = (id: string) =>
          run.status === "queued"
            ? T3WireV2.queuedRunCancel({ commandId: id, threadId, runId: run.id })
            : T3WireV2.runInterrupt({ commandId: id, threadId, runId: run.id, reason: "AFK: the run was stopped" })
        const stopped = Effect.map(runStatus(threadId, run.id), (status): ReadBack =>
          Option.match(status, {
            onNone: () => "gone",
            onSome: (s) => T3StatusV2.active.includes(s) ? "absent" : "adopted"
          }))
        yield* sendOrAdopt(runId, `interrupt-${run.id}`, build, stopped, `the interrupt of ${run.id}`)
        return yield* settled(threadId, run.id)
      }).pipe(Effect.withSpan("T3.interrupt", { attributes: { threadId, protocol: 2 } }))

    const release = (request: AgentRuntime.ReleaseRequest) =>
      Effect.gen(function*() {
        const read = yield* client.readThread(request.threadId)
        if (Option.isNone(read) || read.value.thread.deletedAt !== null) return "gone" as const
        const projection = read.value
        if (projection.runs.some((r) => !T3StatusV2.terminal.includes(r.status))) return "still-running" as const
        for (const session of projection.providerSessions.filter((s) => T3StatusV2.attached(s.status))) {
          const detached = Effect.map(client.readThread(request.threadId), (t): ReadBack =>
            Option.match(t, {
              onNone: () => "gone",
              onSome: (p) =>
                p.providerSessions.some((s) => s.id === session.id && T3StatusV2.attached(s.status))
                  ? "absent"
                  : "adopted"
            }))
          yield* sendOrAdopt(
            request.runId,
            `detach:${session.id}`,
            (id) =>
              T3WireV2.providerSessionDetach({
                commandId: id,
                threadId: request.threadId,
                providerSessionId: session.id,
                reason: "AFK: the run is over"
              }),
            detached,
            `the detach of provider session ${session.id}`
          )
        }
        if (request.archive && projection.thread.archivedAt === null) {
          const archived = Effect.map(client.readThread(request.threadId), (t): ReadBack =>
            Option.match(t, {
              onNone: () => "gone",
              onSome: (p) => p.thread.archivedAt === null ? "absent" : "adopted"
            }))
          yield* sendOrAdopt(
            request.runId,
            `archive:${request.threadId}`,
            (id) => T3WireV2.threadArchive({ commandId: id, threadId: request.threadId }),
            archived,
            `the archive of ${request.threadId}`
          )
        }
        return "released" as const
      }).pipe(Effect.withSpan("T3.release", { attributes: { threadId: request.threadId, protocol: 2 } }))

    const waitingSeen = new Map<string, number>()
    const status = (threadId: string) =>
      Effect.gen(function*() {
        const read = yield* client.readThread(threadId)
        if (Option.isNone(read)) {
          return new TurnStatus({ state: "vanished", detail: "T3 Code answered 404 thread_not_found" })
        }
        const now = yield* Clock.currentTimeMillis
        const run = currentRun(read.value)
        if (run?.status === "waiting" && !waitingSeen.has(run.id)) waitingSeen.set(run.id, now)
        if (run !== undefined && T3StatusV2.terminal.includes(run.status)) waitingSeen.delete(run.id)
        return T3StatusV2.fromProjection(read.value, now, run === undefined ? undefined : waitingSeen.get(run.id))
      }).pipe(
        Effect.catchIf(
          (error) => error.transient,
          (error) => Effect.succeed(new TurnStatus({ state: "unknown", detail: error.message }))
        ),
        Effect.withSpan("T3.status", { attributes: { threadId, protocol: 2 } })
      )

    return {
      prepare: (request) =>
        Effect.asVoid(ensureProject(request, T3Options.workspaceRootFor(options.workspaceRoot, request.issue.repo))),
      dispatch,
      followUp,
      interrupt,
      release,
      status
    }
  })
