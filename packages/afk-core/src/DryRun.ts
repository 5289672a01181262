/**
 * Dry-run mode: wraps the ports so that every read happens and every write is recorded instead of made.
 * The programs do not know they are in a dry run — they decide exactly as they would, and the recorded
 * writes say what a real pass would have changed.
 */
import * as Context from "effect/Context"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { AgentRuntime } from "./AgentRuntime.js"
import { Comment, CommentMark } from "./Domain.js"
import { Notifier } from "./Notifier.js"
import { MergeRefusal, PullRequest, PullRequests } from "./PullRequests.js"
import { Tracker } from "./Tracker.js"

export interface Write {
  readonly port: "tracker" | "agent" | "notifier" | "pull-requests"
  readonly op: string
  readonly target: string
  readonly detail: string
}

/** The writes a dry run would have made, in order. */
export class Writes extends Context.Tag("afk-core/DryRun/Writes")<
  Writes,
  {
    readonly list: () => ReadonlyArray<Write>
    /** Records a write instead of making it (and logs it). */
    readonly record: (port: Write["port"], op: string, target: string, detail: string) => Effect.Effect<void>
  }
>() {}

const oneLine = (text: string) => {
  const flat = text.replace(/\s+/g, " ").trim()
  return flat.length > 120 ? `${flat.slice(0, 120)}…` : flat
}

/**
 * Replaces Tracker and AgentRuntime by recording wrappers around the real ones, and the Notifier by a
 * recorder (nothing is sent). Provide the real
 * layers below it: `DryRun.layer.pipe(Layer.provide(real))`.
 */
export const layer: Layer.Layer<Tracker | AgentRuntime | Notifier | Writes, never, Tracker | AgentRuntime> = Layer
  .effectContext(
    Effect.gen(function*() {
      const tracker = yield* Tracker
      const agent = yield* AgentRuntime
      const writes: Array<Write> = []
      let fakeId = 0
      const record = (port: Write["port"], op: string, target: string, detail: string) =>
        Effect.zipRight(
          Effect.sync(() => writes.push({ port, op, target, detail: oneLine(detail) })),
          Effect.logInfo(`dry-run: would ${op} ${target}${detail === "" ? "" : `: ${oneLine(detail)}`}`)
        )
      return Context.make(Writes, { list: () => [...writes], record })
        .pipe(
          Context.add(Tracker, {
            ...tracker,
            addLabel: (repo, n, label) => record("tracker", "add label", `${repo}#${n}`, label),
            removeLabel: (repo, n, label) => record("tracker", "remove label", `${repo}#${n}`, label),
            postComment: (repo, n, body) =>
              Effect.zipRight(
                record("tracker", "post comment", `${repo}#${n}`, body),
                Effect.map(
                  DateTime.now,
                  (now) => new Comment({ id: `dry-run-${++fakeId}`, author: "dry-run", body, createdAt: now })
                )
              ),
            editComment: (repo, id, body) => record("tracker", "edit comment", `${repo} comment ${id}`, body),
            // The mark is a reaction on the forge: recorded, and this pass acts as if it made it.
            ...(tracker.markComment === undefined ? {} : {
              markComment: (repo, id) =>
                Effect.zipRight(
                  record("tracker", "mark comment", `${repo} comment ${id}`, ""),
                  Effect.map(DateTime.now, (at) => new CommentMark({ created: true, at }))
                )
            }),
            closeIssue: (repo, n) => record("tracker", "close", `${repo}#${n}`, "")
          })
        )
        .pipe(
          Context.add(AgentRuntime, {
            ...agent,
            // Readying the runtime (a T3 project) is a write too; the recorded dispatch stands for it.
            prepare: () => Effect.void,
            dispatch: (request) => record("agent", "dispatch", String(request.issue), `thread ${request.threadId}`),
            followUp: (request) => record("agent", "follow up", `thread ${request.threadId}`, request.step),
            interrupt: (_runId, threadId) =>
              Effect.as(record("agent", "interrupt", `thread ${threadId}`, ""), "settled" as const),
            release: (request) =>
              Effect.as(
                record("agent", "release", `thread ${request.threadId}`, request.archive ? "stop and archive" : "stop"),
                "released" as const
              )
          })
        )
        .pipe(
          Context.add(Notifier, {
            notify: (n) => Effect.as(record("notifier", `notify ${n.kind}`, String(n.issue), n.headline), {})
          })
        )
    })
  )

/**
 * The PullRequests port in a dry run: reads go through; opening a pull request, merging and deleting a branch
 * are recorded and not made. A recorded open answers with a stand-in without a head (watch ends its pass
 * there, and never reads it back); a recorded merge answers that the merge was not made, so the pass waits.
 * Provide the real port and `layer`'s `Writes` below it.
 */
export const pullRequests: Layer.Layer<PullRequests, never, PullRequests | Writes> = Layer.effect(
  PullRequests,
  Effect.gen(function*() {
    const real = yield* PullRequests
    const writes = yield* Writes
    const record = (op: string, target: string, detail: string) => writes.record("pull-requests", op, target, detail)
    return {
      ...real,
      open: (repo, request) =>
        Effect.as(
          record("open pull request", repo, `${request.head}: ${request.title}`),
          new PullRequest({
            number: 1,
            url: `dry-run:${repo}:${request.head}`,
            state: "open",
            head: request.head,
            headSha: "",
            base: "",
            author: "dry-run"
          })
        ),
      merge: (repo, number, options) =>
        Effect.as(record("merge pull request", `${repo}#${number}`, `${options.method} at ${options.sha}`), {
          _tag: "Refused" as const,
          refusal: MergeRefusal.Blocked({ detail: "dry run: the merge was not made" })
        }),
      deleteBranch: (repo, branch) => record("delete branch", repo, branch)
    }
  })
)
