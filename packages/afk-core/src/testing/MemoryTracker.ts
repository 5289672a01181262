/**
 * An in-memory `Tracker` that behaves like a forge: labels with history and actors, comments with
 * authorship and order, trusted actors, open/closed issues. Used by the lifecycle tests, the demo and as
 * the reference for the adapter conformance suite. Every write goes through `onWrite`, where fault and
 * crash injection hook in.
 */
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { Comment, CommentMark, hasLabel, Issue, IssueEdit, LabelEvent, type Repo, repoOwner } from "../Domain.js"
import { type Service, TrackerError } from "../Tracker.js"

export interface SeedIssue {
  readonly number: number
  readonly title: string
  readonly body?: string
  readonly labels?: ReadonlyArray<string>
  readonly state?: "open" | "closed"
  readonly author?: string
  readonly isPullRequest?: boolean | undefined
  /** Who applied each initial label (default: the issue author). */
  readonly labeledBy?: Readonly<Record<string, string>>
  readonly events?: ReadonlyArray<{ label: string; action: "added" | "removed"; actor: string; at: string }>
  readonly comments?: ReadonlyArray<{ author: string; body: string; createdAt?: string }>
  /**
   * Edits of the title or body after the issue was opened (`editor` absent: the forge cannot tell who), oldest
   * first; each sets the `title` and/or `body` it gives, over the text the issue was opened with.
   */
  readonly edits?:
    | ReadonlyArray<{ editor?: string; at: string; title?: string | undefined; body?: string | undefined }>
    | undefined
}

export interface Seed {
  readonly bot: string
  readonly repos: ReadonlyArray<{
    readonly repo: Repo
    readonly trusted?: ReadonlyArray<string>
    readonly labels?: ReadonlyArray<string>
    readonly issues?: ReadonlyArray<SeedIssue>
    /** The text of `.afk.json` at the head of the default branch; no such file when absent. */
    readonly policyFile?: string | undefined
  }>
}

interface IssueData {
  number: number
  title: string
  body: string
  labels: Array<string>
  state: "open" | "closed"
  author: string
  isPullRequest: boolean
  events: Array<LabelEvent>
  comments: Array<Comment>
  edits: Array<IssueEdit>
  /** When the issue was last closed or reopened. */
  stateChangedAt?: DateTime.Utc
}

interface RepoData {
  trusted: Set<string>
  labels: Set<string>
  issues: Map<number, IssueData>
  policyFile: string | undefined
}

export type WriteOp = "addLabel" | "removeLabel" | "postComment" | "editComment" | "markComment" | "closeIssue"

export interface Write {
  readonly op: WriteOp
  readonly repo: Repo
  readonly target: string
  readonly detail: string
}

export interface MemoryTracker {
  readonly service: Service
  /** Every write performed, in order. */
  readonly writes: ReadonlyArray<Write>
  /** Read calls performed, by operation. */
  readonly reads: Readonly<Record<string, number>>
  /** Direct access for assertions and for a "person" acting between ticks. */
  readonly issue: (repo: Repo, number: number) => Issue
  readonly comments: (repo: Repo, number: number) => ReadonlyArray<Comment>
  readonly events: (repo: Repo, number: number) => ReadonlyArray<LabelEvent>
  readonly actAs: (login: string) => {
    addLabel: (repo: Repo, n: number, label: string) => void
    removeLabel: (repo: Repo, n: number, label: string) => void
    comment: (repo: Repo, n: number, body: string) => void
    /** Edits the title and/or body as this person. */
    edit: (repo: Repo, n: number, change: { readonly title?: string; readonly body?: string }) => void
    close: (repo: Repo, n: number) => void
    reopen: (repo: Repo, n: number) => void
  }
  readonly addIssue: (repo: Repo, issue: SeedIssue) => void
  /** Pushes `.afk.json` to the default branch with `text`, or deletes it (`undefined`). */
  readonly setPolicyFile: (repo: Repo, text: string | undefined) => void
  /** Hook run before every call; a failing effect makes the call fail (fault injection). */
  hook: (op: string, isWrite: boolean) => Effect.Effect<void, TrackerError>
  /** Hook run after every successful write (crash injection). */
  afterWrite: (write: Write) => Effect.Effect<void>
}

export const make = (seed: Seed): Effect.Effect<MemoryTracker> =>
  Effect.sync(() => {
    const repos = new Map<Repo, RepoData>()
    const writes: Array<Write> = []
    const reads: Record<string, number> = {}
    let nextCommentId = 1000
    const marks = new Map<string, DateTime.Utc>()
    let lastStamp = 0
    const stamp = (clockMillis?: number): DateTime.Utc => {
      lastStamp = Math.max(clockMillis ?? lastStamp, lastStamp + 1)
      return DateTime.unsafeMake(lastStamp)
    }
    const toDate = (iso: string | undefined): DateTime.Utc => (iso === undefined ? stamp() : stamp(Date.parse(iso)))
    /** A seeded edit keeps its own time (later stamps still come after it). */
    const exactly = (iso: string): DateTime.Utc => {
      const at = Date.parse(iso)
      lastStamp = Math.max(lastStamp, at)
      return DateTime.unsafeMake(at)
    }

    const insertIssue = (data: RepoData, seedIssue: SeedIssue) => {
      const author = seedIssue.author ?? "reporter"
      const labels = [...(seedIssue.labels ?? [])]
      for (const label of labels) data.labels.add(label)
      const events = seedIssue.events?.map(
        (e) => new LabelEvent({ label: e.label, action: e.action, actor: e.actor, at: toDate(e.at) })
      ) ??
        labels.map(
          (label) =>
            new LabelEvent({
              label,
              action: "added",
              actor: seedIssue.labeledBy?.[label] ?? author,
              at: toDate(undefined)
            })
        )
      const edits = seedIssue.edits ?? []
      data.issues.set(seedIssue.number, {
        number: seedIssue.number,
        title: edits.reduce((title, edit) => edit.title ?? title, seedIssue.title),
        body: edits.reduce((body, edit) => edit.body ?? body, seedIssue.body ?? ""),
        labels,
        state: seedIssue.state ?? "open",
        author,
        isPullRequest: seedIssue.isPullRequest ?? false,
        events,
        comments: (seedIssue.comments ?? []).map(
          (c) =>
            new Comment({ id: String(nextCommentId++), author: c.author, body: c.body, createdAt: toDate(c.createdAt) })
        ),
        edits: edits.map((e) => new IssueEdit({ at: exactly(e.at), editor: e.editor }))
      })
    }

    for (const entry of seed.repos) {
      const data: RepoData = {
        trusted: new Set(entry.trusted ?? []),
        labels: new Set(entry.labels ?? []),
        issues: new Map(),
        policyFile: entry.policyFile
      }
      repos.set(entry.repo, data)
      for (const issue of entry.issues ?? []) insertIssue(data, issue)
    }

    const notFound = (operation: string, what: string) =>
      new TrackerError({ operation, detail: `${what} not found`, transient: false, status: 404 })
    /** The repository as seeded, whatever the case it is asked in (as forges resolve names). */
    const canonical = (repo: Repo): Repo =>
      [...repos.keys()].find((known) => known.toLowerCase() === repo.toLowerCase()) ?? repo
    const repoData = (operation: string, repo: Repo) => {
      const data = repos.get(canonical(repo))
      return data === undefined ? Effect.fail(notFound(operation, `repository ${repo}`)) : Effect.succeed(data)
    }
    const issueData = (operation: string, repo: Repo, number: number) =>
      Effect.flatMap(repoData(operation, repo), (data) => {
        const issue = data.issues.get(number)
        return issue === undefined ? Effect.fail(notFound(operation, `issue ${repo}#${number}`)) : Effect.succeed(issue)
      })
    const toIssue = (asked: Repo, data: IssueData) => {
      const repo = canonical(asked)
      return new Issue({
        repo,
        number: data.number,
        title: data.title,
        body: data.body,
        labels: [...data.labels],
        state: data.state,
        author: data.author,
        url: `https://tracker.example/${repo}/issues/${data.number}`
      })
    }

    const now = Effect.map(DateTime.now, (d) => stamp(d.epochMillis))
    const read = <A, E>(op: string, effect: Effect.Effect<A, E>) =>
      Effect.zipRight(
        Effect.suspend(() => {
          reads[op] = (reads[op] ?? 0) + 1
          return tracker.hook(op, false)
        }),
        effect
      )
    const write = <A>(write: Omit<Write, "repo"> & { repo: Repo }, effect: Effect.Effect<A, TrackerError>) =>
      Effect.suspend(() => tracker.hook(write.op, true)).pipe(
        Effect.zipRight(effect),
        Effect.tap(() => {
          writes.push(write)
          return tracker.afterWrite(write)
        })
      )

    const applyLabel = (
      issue: IssueData,
      label: string,
      action: "added" | "removed",
      actor: string,
      at: DateTime.Utc
    ) => {
      const has = issue.labels.includes(label)
      if (action === "added" && !has) issue.labels.push(label)
      if (action === "removed" && has) issue.labels.splice(issue.labels.indexOf(label), 1)
      if ((action === "added") !== has) issue.events.push(new LabelEvent({ label, action, actor, at }))
    }

    /** The latest change the issue shows: a label event, a comment, an edit, a close or a reopen. */
    const updatedAt = (issue: IssueData): number =>
      Math.max(
        0,
        ...issue.events.map((e) => e.at.epochMillis),
        ...issue.comments.map((c) => c.createdAt.epochMillis),
        ...issue.edits.map((e) => e.at.epochMillis),
        issue.stateChangedAt?.epochMillis ?? 0
      )
    const list = (operation: string, state: "open" | "closed", repo: Repo, label: string) =>
      read(
        operation,
        Effect.map(repoData(operation, repo), (data) =>
          [...data.issues.values()]
            .filter((i) => i.state === state && !i.isPullRequest && hasLabel(i.labels, label))
            .sort((a, b) => a.number - b.number)
            .map((i) => toIssue(repo, i)))
      )

    const service: Service = {
      listOpenIssues: (repo, label) => list("listOpenIssues", "open", repo, label),
      listClosedIssues: (repo, label) => list("listClosedIssues", "closed", repo, label),
      listUpdatedSince: (repo, since) =>
        read(
          "listUpdatedSince",
          Effect.map(repoData("listUpdatedSince", repo), (data) =>
            [...data.issues.values()]
              .filter((i) => !i.isPullRequest && updatedAt(i) >= since.epochMillis)
              .sort((a, b) => a.number - b.number)
              .map((i) => toIssue(repo, i)))
        ),
      getIssue: (repo, number) =>
        read(
          "getIssue",
          Effect.map(issueData("getIssue", repo, number), (i) => toIssue(repo, i))
        ),
      labelEvents: (repo, number) =>
        read(
          "labelEvents",
          Effect.map(issueData("labelEvents", repo, number), (i) => [...i.events])
        ),
      lastEdit: (repo, number) =>
        read(
          "lastEdit",
          Effect.map(issueData("lastEdit", repo, number), (i) => Option.fromNullable(i.edits.at(-1)))
        ),
      listComments: (repo, number) =>
        read(
          "listComments",
          Effect.map(issueData("listComments", repo, number), (i) => [...i.comments])
        ),
      addLabel: (repo, number, label) =>
        write(
          { op: "addLabel", repo, target: `#${number}`, detail: label },
          Effect.gen(function*() {
            const data = yield* repoData("addLabel", repo)
            const issue = yield* issueData("addLabel", repo, number)
            data.labels.add(label)
            applyLabel(issue, label, "added", seed.bot, yield* now)
          })
        ),
      removeLabel: (repo, number, label) =>
        write(
          { op: "removeLabel", repo, target: `#${number}`, detail: label },
          Effect.gen(function*() {
            const issue = yield* issueData("removeLabel", repo, number)
            applyLabel(issue, label, "removed", seed.bot, yield* now)
          })
        ),
      postComment: (repo, number, body) =>
        write(
          { op: "postComment", repo, target: `#${number}`, detail: body },
          Effect.gen(function*() {
            const issue = yield* issueData("postComment", repo, number)
            const comment = new Comment({ id: String(nextCommentId++), author: seed.bot, body, createdAt: yield* now })
            issue.comments.push(comment)
            return comment
          })
        ),
      editComment: (repo, commentId, body) =>
        write(
          { op: "editComment", repo, target: commentId, detail: body },
          Effect.gen(function*() {
            const data = yield* repoData("editComment", repo)
            for (const issue of data.issues.values()) {
              const index = issue.comments.findIndex((c) => c.id === commentId)
              const existing = issue.comments[index]
              if (existing === undefined) continue
              if (existing.author !== seed.bot) {
                return yield* Effect.fail(
                  new TrackerError({
                    operation: "editComment",
                    detail: `comment ${commentId} belongs to ${existing.author}`,
                    transient: false,
                    status: 403
                  })
                )
              }
              issue.comments[index] = new Comment({ ...existing, body })
              return
            }
            return yield* Effect.fail(notFound("editComment", `comment ${commentId}`))
          })
        ),
      markComment: (repo, commentId) =>
        write(
          { op: "markComment", repo, target: commentId, detail: "mark" },
          Effect.gen(function*() {
            const data = yield* repoData("markComment", repo)
            const exists = [...data.issues.values()].some((issue) => issue.comments.some((c) => c.id === commentId))
            if (!exists) return yield* Effect.fail(notFound("markComment", `comment ${commentId}`))
            const at = marks.get(commentId)
            if (at !== undefined) return new CommentMark({ created: false, at })
            const made = yield* now
            marks.set(commentId, made)
            return new CommentMark({ created: true, at: made })
          })
        ),
      closeIssue: (repo, number) =>
        write(
          { op: "closeIssue", repo, target: `#${number}`, detail: "completed" },
          Effect.flatMap(issueData("closeIssue", repo, number), (issue) =>
            Effect.map(now, (at) => {
              if (issue.state === "closed") return
              issue.state = "closed"
              issue.stateChangedAt = at
            }))
        ),
      isTrusted: (repo, login) =>
        read(
          "isTrusted",
          Effect.map(
            repoData("isTrusted", repo),
            (data) => login.toLowerCase() === repoOwner(repo).toLowerCase() || data.trusted.has(login)
          )
        ),
      policyFile: (repo) =>
        read("policyFile", Effect.map(repoData("policyFile", repo), (data) => Option.fromNullable(data.policyFile))),
      whoami: read("whoami", Effect.succeed(seed.bot))
    }

    const tracker: MemoryTracker = {
      service,
      writes,
      reads,
      issue: (repo, number) => {
        const data = repos.get(repo)?.issues.get(number)
        if (data === undefined) throw new Error(`no issue ${repo}#${number}`)
        return toIssue(repo, data)
      },
      comments: (repo, number) => [...(repos.get(repo)?.issues.get(number)?.comments ?? [])],
      events: (repo, number) => [...(repos.get(repo)?.issues.get(number)?.events ?? [])],
      actAs: (login) => ({
        addLabel: (repo, n, label) => {
          const issue = repos.get(repo)?.issues.get(n)
          if (issue !== undefined) applyLabel(issue, label, "added", login, stamp())
        },
        removeLabel: (repo, n, label) => {
          const issue = repos.get(repo)?.issues.get(n)
          if (issue !== undefined) applyLabel(issue, label, "removed", login, stamp())
        },
        comment: (repo, n, body) => {
          repos
            .get(repo)
            ?.issues.get(n)
            ?.comments.push(
              new Comment({
                id: String(nextCommentId++),
                author: login,
                body,
                createdAt: stamp()
              })
            )
        },
        edit: (repo, n, change) => {
          const issue = repos.get(repo)?.issues.get(n)
          if (issue === undefined) return
          if (change.title !== undefined) issue.title = change.title
          if (change.body !== undefined) issue.body = change.body
          issue.edits.push(new IssueEdit({ at: stamp(), editor: login }))
        },
        close: (repo, n) => {
          const issue = repos.get(repo)?.issues.get(n)
          if (issue !== undefined) Object.assign(issue, { state: "closed", stateChangedAt: stamp() })
        },
        reopen: (repo, n) => {
          const issue = repos.get(repo)?.issues.get(n)
          if (issue !== undefined) Object.assign(issue, { state: "open", stateChangedAt: stamp() })
        }
      }),
      addIssue: (repo, issue) => {
        let data = repos.get(repo)
        if (data === undefined) {
          data = { trusted: new Set(), labels: new Set(), issues: new Map(), policyFile: undefined }
          repos.set(repo, data)
        }
        insertIssue(data, issue)
      },
      setPolicyFile: (repo, text) => {
        const data = repos.get(canonical(repo))
        if (data === undefined) throw new Error(`no repository ${repo}`)
        data.policyFile = text
      },
      hook: () => Effect.void,
      afterWrite: () => Effect.void
    }
    return tracker
  })
