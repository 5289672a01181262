/**
 * The T3 Code `AgentRuntime` (`t3-protocol.md`): a run's thread is created and its first turn started by
 * two dispatches over plain HTTP, with every id minted from the run id, so a retried or crashed dispatch
 * adopts what exists instead of duplicating it. Status is read from the per-thread endpoint through §6's
 * table (`T3Status`); an unreachable or failing server reads as `unknown`, never as an error that
 * escalates (prior-art §8.13).
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import { posix } from "node:path"
import * as AgentRuntime from "./AgentRuntime.js"
import { type Repo, repoName, repoOwner, TurnStatus } from "./Domain.js"
import type * as HttpKit from "./HttpKit.js"
import * as Ids from "./Ids.js"
import * as T3Client from "./T3Client.js"
import * as T3Status from "./T3Status.js"
import * as T3Wire from "./T3Wire.js"

export interface Options {
  /** The server's origin, e.g. `http://127.0.0.1:3773` (a trailing slash is tolerated). */
  readonly url: string
  /** The bearer access token (`t3 auth session issue --token-only`), read again for every request. */
  readonly token: Effect.Effect<Redacted.Redacted>
  /** The Claude model slug, e.g. `claude-sonnet-5`. */
  readonly model: string
  /** The workspace root template, e.g. `/data/{owner}__{repo}`; normalised like the server's `path.resolve`. */
  readonly workspaceRoot: string
  /** Base of the links people open to watch a thread (default: `url`). */
  readonly webUrl?: string
  /** How the agent's tools run: `full-access` (the default; no approval prompts) or `auto`. */
  readonly runtimeMode?: RuntimeMode
  /** How long an interrupt waits for the agent to stop, reading the thread `every` (default 10 s, 1 s). */
  readonly interruptSettle?: { readonly within: Duration.DurationInput; readonly every: Duration.DurationInput }
  /**
   * How long one `GET /api/orchestration/shell` answers `status` for the turns it shows working (default
   * 1 s): the runs a pass drives together share one shell read, and a thread's detail is read only once its
   * turn has ended. `0` turns the shell off: every `status` reads the thread's detail.
   */
  readonly shellTtl?: Duration.DurationInput
  /** How long an accepted turn may wait for the server to start it (§6 row 8; default 60 s). */
  readonly queuedGrace?: Duration.DurationInput
  /** The longest one HTTP attempt may take before it counts as a transport failure (default 30 s). */
  readonly requestTimeout?: Duration.DurationInput
  readonly retry?: HttpKit.RetryOptions
}

/** The options `layerConfig` reads from `Config`; the token is read again for every request. */
export interface ConfigOptions {
  readonly url: string
  readonly token: Redacted.Redacted
  readonly model: string
  readonly workspaceRoot: string
  readonly webUrl?: string | undefined
  readonly runtimeMode?: RuntimeMode | undefined
  readonly queuedGrace?: Duration.Duration | undefined
}

/** The runtime modes AFK runs agents in: T3 Code's `full-access` (no approval prompts) or `auto`. */
export type RuntimeMode = Extract<T3Wire.RuntimeMode, "full-access" | "auto">

/** `{owner}` and `{repo}` substituted, then resolved like the server does: absolute, no trailing slash. */
export const workspaceRootFor = (template: string, repo: Repo): string =>
  posix.resolve(template.replaceAll("{owner}", repoOwner(repo)).replaceAll("{repo}", repoName(repo)))

/** Cuts a prompt to T3's input limit, ending with a note that says so; shorter prompts are unchanged. */
export const truncatePrompt = (text: string, limit = T3Wire.maxInputChars): string => {
  if (text.length <= limit) return text
  const note =
    `\n\n[AFK: this prompt was truncated from ${text.length} to ${limit} characters to fit T3 Code's input limit; the rest was not sent.]`
  let cut = limit - note.length
  if (/[\uD800-\uDBFF]/.test(text.charAt(cut - 1))) cut -= 1
  return `${text.slice(0, cut)}${note}`
}

/** How long one snapshot read may answer "which project serves this workspace root" for other repos. */
const snapshotTtl = Duration.seconds(30)

const defaultSettle = { within: Duration.seconds(10), every: Duration.seconds(1) }

const isLive = (thread: T3Wire.Thread) => thread.session?.status === "starting" || thread.session?.status === "running"

/** Builds the T3 `AgentRuntime` service on the ambient `HttpClient`. Nothing is sent until a method runs. */
export const make = (options: Options): Effect.Effect<AgentRuntime.Service, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const webUrl = (options.webUrl ?? options.url).replace(/\/+$/, "")
    const runtimeMode = options.runtimeMode ?? "full-access"
    const { environment, readThread, send, shell, snapshot } = yield* T3Client.make(options)
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
        if (thread.session !== null && thread.session.status !== "stopped") {
          yield* send({
            type: "thread.session.stop",
            commandId: Ids.derive(request.runId, `session-stop:${request.threadId}`),
            threadId: request.threadId,
            createdAt,
            onlyIfSettled: true
          })
        }
        if (request.archive && thread.archivedAt == null) {
          yield* send({
            type: "thread.archive",
            commandId: Ids.derive(request.runId, `archive:${request.threadId}`),
            threadId: request.threadId
          })
        }
        return "released" as const
      }).pipe(Effect.withSpan("T3.release", { attributes: { threadId: request.threadId } }))

    // Read once and kept (concurrent first links share the read); a failed read is tried again next time.
    const [environmentId, forget] = yield* Effect.cachedInvalidateWithTTL(
      Effect.map(environment, (e) => e.environmentId),
      Duration.infinity
    )
    const threadUrl = (threadId: string) =>
      Effect.gen(function*() {
        const id = yield* Effect.option(Effect.tapError(environmentId, () => forget))
        if (Option.isNone(id)) {
          yield* Effect.logWarning(
            "T3 Code's environment id could not be read (GET /.well-known/t3/environment), so no thread link is shown this time"
          )
          return undefined
        }
        return `${webUrl}/${encodeURIComponent(id.value)}/${encodeURIComponent(threadId)}`
      })

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

    return AgentRuntime.AgentRuntime.of({
      prepare: (request) =>
        Effect.asVoid(ensureProject(request, workspaceRootFor(options.workspaceRoot, request.issue.repo))).pipe(
          Effect.withSpan("T3.prepare")
        ),
      dispatch,
      followUp,
      interrupt,
      release,
      status,
      threadUrl
    })
  })

/** Provides `AgentRuntime` backed by T3 Code; requires an `HttpClient`. */
export const layer = (options: Options): Layer.Layer<AgentRuntime.AgentRuntime, never, HttpClient.HttpClient> =>
  Layer.effect(AgentRuntime.AgentRuntime, make(options))

/**
 * Like `layer`, reading the options from `Config` (e.g. `token: Config.redacted("AFK_T3_TOKEN")`). The
 * config is read when the layer is built (failing it when invalid) and again for every request's token,
 * so a rotated secret is picked up; a failed re-read keeps the last good token.
 */
export const layerConfig = (
  config: Config.Config.Wrap<ConfigOptions>
): Layer.Layer<AgentRuntime.AgentRuntime, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.effect(
    AgentRuntime.AgentRuntime,
    Effect.gen(function*() {
      const read = Config.unwrap(config)
      const provider = yield* Effect.configProviderWith(Effect.succeed)
      const initial = yield* read
      const lastGood = yield* Ref.make(initial.token)
      const token = read.pipe(
        Effect.withConfigProvider(provider),
        Effect.tap((fresh) => Ref.set(lastGood, fresh.token)),
        Effect.map((fresh) => fresh.token),
        Effect.orElse(() => Ref.get(lastGood))
      )
      return yield* make({
        url: initial.url,
        token,
        model: initial.model,
        workspaceRoot: initial.workspaceRoot,
        ...(initial.webUrl === undefined ? {} : { webUrl: initial.webUrl }),
        ...(initial.runtimeMode === undefined ? {} : { runtimeMode: initial.runtimeMode }),
        ...(initial.queuedGrace === undefined ? {} : { queuedGrace: initial.queuedGrace })
      })
    })
  )

/** What `probe` learns from `GET /.well-known/t3/environment`. */
export type ProbeResult = T3Client.ProbeResult

/** Checks that `url` is a reachable T3 Code server (no credential needed) and reads its version. */
export const probe = T3Client.probe

/** The scopes the loop needs on its T3 token: it reads threads and dispatches commands. */
export const requiredScopes: ReadonlyArray<string> = ["orchestration:read", "orchestration:operate"]

/** The scopes a bearer token carries, when the server lists them (a read; nothing is created). */
export const scopes = T3Client.scopes

/**
 * The T3 Code orchestration protocol this runtime speaks: 1, the HTTP API of T3 Code up to 0.0.45. Servers
 * from 0.0.46 on speak protocol 2 (`ProbeResult.orchestrationProtocol`) and refuse its requests.
 */
export const orchestrationProtocol = 1
