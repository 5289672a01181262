/**
 * A `Tracker` for issues kept as Markdown files in a folder (say, a `docs/issues` folder in a repository):
 * `<root>/<owner>/<name>/<number>.md`, one file per issue (format in `MarkdownIssue.ts`), and
 * `<root>/<owner>/<name>/repo.json` with who is trusted besides the owner and which labels exist.
 *
 * This is what an integrator writes for a forge AFK does not ship: implement `Tracker.Service` over the
 * forge's API (here the file system, through `@effect/platform`'s `FileSystem`), map every failure to a
 * `TrackerError`, and prove it with afk-core's conformance suite (`test/conformance.test.ts`).
 *
 * A repository is found whatever case it is asked in, and issues name it as its folder is spelt. Edits of
 * the title or body are `afk:edit` lines in the issue's log (`editIssue` writes one); `lastEdit` is the
 * latest. The file is its own record: whoever can write it can write any line, so only people trusted with
 * the whole folder may write to it.
 */
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import { Domain, Tracker } from "afk-core"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as MarkdownIssue from "./MarkdownIssue.js"

export interface Options {
  /** The folder holding one folder per repository: `<root>/<owner>/<name>/`. */
  readonly root: string
  /** The login AFK acts as: the actor of its label changes and the author of its comments. */
  readonly bot: string
}

/** `<root>/<owner>/<name>/repo.json`. */
export interface RepoFile {
  /** Logins trusted to hand work to AFK, besides the repository owner. */
  readonly trusted: ReadonlyArray<string>
  /** The labels the repository has; `addLabel` adds a missing one. */
  readonly labels: ReadonlyArray<string>
}

const folder = (root: string, repo: Domain.Repo) => `${root}/${repo}`
const issuePath = (root: string, repo: Domain.Repo, number: number) => `${folder(root, repo)}/${number}.md`
const repoPath = (root: string, repo: Domain.Repo) => `${folder(root, repo)}/repo.json`

const failure = (operation: string, what: string) => (error: PlatformError) =>
  error._tag === "SystemError" && error.reason === "NotFound"
    ? new Tracker.TrackerError({ operation, detail: `${what} not found`, transient: false, status: 404 })
    : new Tracker.TrackerError({ operation, detail: `${what}: ${error.message}`, transient: false, cause: error })

const unreadable = (operation: string) => (error: unknown) =>
  new Tracker.TrackerError({
    operation,
    detail: error instanceof Error ? error.message : String(error),
    transient: false,
    hint: "The file is not in the expected format; fix it by hand."
  })

const refused = (operation: string, detail: string, status: number) =>
  new Tracker.TrackerError({ operation, detail, transient: false, status })

const formatRepo = (data: RepoFile) => `${JSON.stringify(data, null, 2)}\n`

/** Writes a whole file under a temporary name, then renames it over the old one: no reader sees half a file. */
const replace = (fs: FileSystem.FileSystem, path: string, text: string) =>
  Effect.zipRight(fs.writeFileString(`${path}.tmp`, text), fs.rename(`${path}.tmp`, path))

/** Creates (or replaces) a repository folder with its `repo.json`. */
export const writeRepo = (root: string, repo: Domain.Repo, data: RepoFile) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    yield* fs.makeDirectory(folder(root, repo), { recursive: true })
    yield* replace(fs, repoPath(root, repo), formatRepo(data))
  })

/**
 * `editor` changes the title and/or body of an issue file, logging the edit (what `lastEdit` reads). A
 * person editing by hand should add the same line: an edit without one cannot be seen.
 */
export const editIssue = (
  root: string,
  repo: Domain.Repo,
  number: number,
  editor: string,
  change: { readonly title?: string; readonly body?: string }
) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = issuePath(root, repo, number)
    const issue = MarkdownIssue.parse(number, yield* fs.readFileString(path), path)
    const at = DateTime.formatIso(yield* DateTime.now)
    yield* replace(
      fs,
      path,
      MarkdownIssue.format({
        ...issue,
        title: change.title ?? issue.title,
        body: change.body ?? issue.body,
        log: [...issue.log, { _tag: "edit", edit: { editor, at } }]
      })
    )
  })

/** Creates (or replaces) one issue file. */
export const writeIssue = (root: string, repo: Domain.Repo, issue: MarkdownIssue.MarkdownIssue) =>
  Effect.flatMap(
    FileSystem.FileSystem,
    (fs) => replace(fs, issuePath(root, repo, issue.number), MarkdownIssue.format(issue))
  )

export const make = (options: Options): Effect.Effect<Tracker.Service, never, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    // One writer at a time: every write reads the file, changes it and writes it back.
    const lock = yield* Effect.makeSemaphore(1)
    const { bot, root } = options

    const named = (names: ReadonlyArray<string>, wanted: string) =>
      names.find((name) => name === wanted) ?? names.find((name) => name.toLowerCase() === wanted.toLowerCase())

    /** The repository as its folder is spelt, whatever case it is asked in; as asked when there is none. */
    const canonical = (repo: Domain.Repo) =>
      Effect.gen(function*() {
        const owner = named(yield* fs.readDirectory(root), Domain.repoOwner(repo))
        if (owner === undefined) return repo
        const name = named(yield* fs.readDirectory(`${root}/${owner}`), Domain.repoName(repo))
        return name === undefined ? repo : Domain.repo(`${owner}/${name}`)
      }).pipe(Effect.orElseSucceed(() => repo))

    const readRepo = (operation: string, repo: Domain.Repo) =>
      fs.readFileString(repoPath(root, repo)).pipe(
        Effect.mapError(failure(operation, `repository ${repo}`)),
        Effect.flatMap((text) => Effect.try({ try: () => JSON.parse(text) as RepoFile, catch: unreadable(operation) }))
      )

    const readIssue = (operation: string, repo: Domain.Repo, number: number) =>
      fs.readFileString(issuePath(root, repo, number)).pipe(
        Effect.mapError(failure(operation, `issue ${repo}#${number}`)),
        Effect.flatMap((text) =>
          Effect.try({
            try: () => MarkdownIssue.parse(number, text, issuePath(root, repo, number)),
            catch: unreadable(operation)
          })
        )
      )

    /** Reads an issue, applies `change` (which may refuse), and writes it back if it changed. */
    const update = (
      operation: string,
      repo: Domain.Repo,
      number: number,
      change: (
        issue: MarkdownIssue.MarkdownIssue,
        now: string
      ) => Effect.Effect<MarkdownIssue.MarkdownIssue, Tracker.TrackerError>
    ) =>
      lock.withPermits(1)(
        Effect.gen(function*() {
          const issue = yield* readIssue(operation, repo, number)
          const next = yield* change(issue, DateTime.formatIso(yield* DateTime.now))
          if (next !== issue) {
            yield* Effect.mapError(
              replace(fs, issuePath(root, repo, number), MarkdownIssue.format(next)),
              failure(operation, `issue ${repo}#${number}`)
            )
          }
          return next
        })
      )

    const instant = (operation: string, iso: string) =>
      Option.match(DateTime.make(iso), {
        onNone: () => Effect.fail(unreadable(operation)(new Error(`${JSON.stringify(iso)} is not a date`))),
        onSome: (at) => Effect.succeed(DateTime.toUtc(at))
      })

    const toIssue = (repo: Domain.Repo, issue: MarkdownIssue.MarkdownIssue) =>
      new Domain.Issue({
        repo,
        number: issue.number,
        title: issue.title,
        body: issue.body,
        labels: issue.labels,
        state: issue.state,
        author: issue.author,
        url: issuePath(root, repo, issue.number)
      })

    const toComment = (operation: string) => (comment: MarkdownIssue.Comment) =>
      Effect.map(instant(operation, comment.createdAt), (createdAt) =>
        new Domain.Comment({
          id: comment.id,
          author: comment.author,
          body: comment.body,
          createdAt
        }))

    const labelled =
      (label: string, action: "added" | "removed") => (issue: MarkdownIssue.MarkdownIssue, at: string) => {
        const has = issue.labels.includes(label)
        if (has === (action === "added")) return Effect.succeed(issue)
        return Effect.succeed({
          ...issue,
          labels: action === "added" ? [...issue.labels, label] : issue.labels.filter((l) => l !== label),
          log: [...issue.log, { _tag: "event" as const, event: { label, action, actor: bot, at } }]
        })
      }

    /** Every issue in `state` carrying `label` (labels match in any case, as the forges match them). */
    const list = (operation: string, state: "open" | "closed", repo: Domain.Repo, label: string) =>
      Effect.gen(function*() {
        const names = yield* Effect.mapError(
          fs.readDirectory(folder(root, repo)),
          failure(operation, `repository ${repo}`)
        )
        const numbers = names.flatMap((name) => {
          const match = /^([1-9]\d*)\.md$/.exec(name)
          return match === null ? [] : [Number(match[1])]
        })
        const issues = yield* Effect.forEach(numbers, (n) => readIssue(operation, repo, n), { concurrency: 16 })
        return issues
          .filter((issue) => issue.state === state && !issue.pullRequest && Domain.hasLabel(issue.labels, label))
          .sort((a, b) => a.number - b.number)
          .map((issue) => toIssue(repo, issue))
      })
    const service: Tracker.Service = {
      listOpenIssues: (repo, label) => list("listOpenIssues", "open", repo, label),

      listClosedIssues: (repo, label) => list("listClosedIssues", "closed", repo, label),

      getIssue: (repo, number) => Effect.map(readIssue("getIssue", repo, number), (issue) => toIssue(repo, issue)),

      lastEdit: (repo, number) =>
        Effect.flatMap(
          readIssue("lastEdit", repo, number),
          (issue) =>
            Option.match(Option.fromNullable(MarkdownIssue.edits(issue).at(-1)), {
              onNone: () => Effect.succeedNone,
              onSome: (edit) =>
                Effect.map(
                  instant("lastEdit", edit.at),
                  (at) => Option.some(new Domain.IssueEdit({ at, editor: edit.editor }))
                )
            })
        ),

      labelEvents: (repo, number) =>
        Effect.flatMap(
          readIssue("labelEvents", repo, number),
          (issue) =>
            Effect.forEach(MarkdownIssue.events(issue), (event) =>
              Effect.map(instant("labelEvents", event.at), (at) =>
                new Domain.LabelEvent({
                  label: event.label,
                  action: event.action,
                  actor: event.actor,
                  at
                })))
        ),

      listComments: (repo, number) =>
        Effect.flatMap(
          readIssue("listComments", repo, number),
          (issue) => Effect.forEach(MarkdownIssue.comments(issue), toComment("listComments"))
        ),

      addLabel: (repo, number, label) =>
        Effect.gen(function*() {
          yield* update("addLabel", repo, number, labelled(label, "added"))
          yield* lock.withPermits(1)(
            Effect.gen(function*() {
              const data = yield* readRepo("addLabel", repo)
              if (data.labels.includes(label)) return
              yield* Effect.mapError(
                replace(fs, repoPath(root, repo), formatRepo({ ...data, labels: [...data.labels, label] })),
                failure("addLabel", `repository ${repo}`)
              )
            })
          )
        }),

      removeLabel: (repo, number, label) =>
        Effect.asVoid(update("removeLabel", repo, number, labelled(label, "removed"))),

      postComment: (repo, number, body) =>
        update("postComment", repo, number, (issue, now) => {
          const id = `${number}-${MarkdownIssue.comments(issue).length + 1}`
          const comment = { id, author: bot, createdAt: now, body }
          return Effect.succeed({ ...issue, log: [...issue.log, { _tag: "comment" as const, comment }] })
        }).pipe(
          Effect.map((issue) => MarkdownIssue.comments(issue).at(-1)!),
          Effect.flatMap(toComment("postComment"))
        ),

      editComment: (repo, commentId, body) => {
        const match = /^([1-9]\d*)-\d+$/.exec(commentId)
        if (match === null) return Effect.fail(refused("editComment", `comment ${commentId} not found`, 404))
        return Effect.asVoid(
          update("editComment", repo, Number(match[1]), (issue) => {
            const found = MarkdownIssue.comments(issue).find((c) => c.id === commentId)
            if (found === undefined) return Effect.fail(refused("editComment", `comment ${commentId} not found`, 404))
            if (found.author !== bot) {
              return Effect.fail(refused("editComment", `comment ${commentId} belongs to ${found.author}`, 403))
            }
            return Effect.succeed({
              ...issue,
              log: issue.log.map((entry) =>
                entry._tag === "comment" && entry.comment.id === commentId
                  ? { ...entry, comment: { ...entry.comment, body } }
                  : entry
              )
            })
          })
        )
      },

      closeIssue: (repo, number) =>
        Effect.asVoid(
          update("closeIssue", repo, number, (issue) =>
            Effect.succeed(issue.state === "closed" ? issue : { ...issue, state: "closed" as const }))
        ),

      isTrusted: (repo, login) =>
        Effect.map(
          readRepo("isTrusted", repo),
          (data) => login === Domain.repoOwner(repo) || data.trusted.includes(login)
        ),

      whoami: Effect.succeed(bot)
    }
    const resolved = <A extends ReadonlyArray<unknown>, B, E>(
      f: (repo: Domain.Repo, ...rest: A) => Effect.Effect<B, E>
    ) =>
    (repo: Domain.Repo, ...rest: A) => Effect.flatMap(canonical(repo), (found) => f(found, ...rest))
    return {
      listOpenIssues: resolved(service.listOpenIssues),
      listClosedIssues: resolved(service.listClosedIssues),
      getIssue: resolved(service.getIssue),
      labelEvents: resolved(service.labelEvents),
      lastEdit: resolved(service.lastEdit),
      listComments: resolved(service.listComments),
      addLabel: resolved(service.addLabel),
      removeLabel: resolved(service.removeLabel),
      postComment: resolved(service.postComment),
      editComment: resolved(service.editComment),
      closeIssue: resolved(service.closeIssue),
      isTrusted: resolved(service.isTrusted),
      whoami: service.whoami
    }
  })

/** The `Tracker` layer; provide a `FileSystem` (e.g. `NodeFileSystem.layer`). */
export const layer = (options: Options): Layer.Layer<Tracker.Tracker, never, FileSystem.FileSystem> =>
  Layer.effect(Tracker.Tracker, make(options))
