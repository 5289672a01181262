/**
 * The `Tracker` port over Forgejo / Gitea. Lists are read in full (issues, timeline, comments, labels);
 * pull requests and issues the server returned without the label (compared regardless of case) are dropped
 * (Forgejo ignores a `labels=` filter naming no existing label and answers every issue; whether it matches
 * a name's case depends on the server's database). Issues name their repository as the server spells it
 * (`repository.full_name`). The last edit is inferred from the timeline and `updated_at`, failing closed
 * (`ForgejoEdits`): API v1 has no record of body edits. Labels are written by id through a
 * per-repo name→id index, refreshed once on a miss; a missing label is created. Trust is the repository
 * owner or a `write` / `admin` / `owner` permission, cached for a bounded time, and fails closed.
 * History and comments come oldest first in creation (id) order.
 */
import * as Domain from "afk-core/Domain"
import * as PortError from "afk-core/PortError"
import * as Tracker from "afk-core/Tracker"
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import * as Api from "./ForgejoApi.js"
import * as ForgejoClient from "./ForgejoClient.js"
import * as ForgejoEdits from "./ForgejoEdits.js"
import * as ForgejoPolicyFile from "./ForgejoPolicyFile.js"
import type * as Wire from "./ForgejoWire.js"

export interface Options {
  /** How long a trust answer is reused; 5 minutes by default. */
  readonly trustTtl?: Duration.DurationInput | undefined
  /** The colour of labels the tracker creates; `#ededed` by default. */
  readonly labelColor?: string | undefined
}

const writers: ReadonlySet<string> = new Set(["write", "admin", "owner"])

/** The login Forgejo shows for a deleted account. */
const ghost = "Ghost"

/** The port error: `operation` names the port method, as GitHub's adapter does; `detail` leads with the request. */
const toTrackerError = (method: string) => (error: ForgejoClient.ForgejoError): Tracker.TrackerError =>
  new Tracker.TrackerError(PortError.carry(error, method))

const toDomain =
  <A, I>(method: string, schema: Schema.Schema<A, I>) => (value: I): Effect.Effect<A, Tracker.TrackerError> =>
    Schema.decode(schema)(value).pipe(
      Effect.mapError((error) => new Tracker.TrackerError(ForgejoClient.malformed(method, error)))
    )

/** Creation order: ids grow as comments and events are written, whatever timestamps migrations carried in. */
const byId = <A extends { readonly id: number }>(items: ReadonlyArray<A>) => [...items].sort((a, b) => a.id - b.id)

const parseRepo = Schema.decodeUnknownOption(Domain.Repo)

/** The repository as the server spells it (`full_name`, else `owner` and `name`); the one asked for if neither reads. */
const repoOf = (asked: Domain.Repo, issue: Wire.Issue): Domain.Repo => {
  const meta = issue.repository
  if (meta === undefined) return asked
  return Option.getOrElse(
    Option.orElse(parseRepo(meta.full_name), () => parseRepo(`${meta.owner}/${meta.name}`)),
    () => asked
  )
}

const toIssue = (method: string, asked: Domain.Repo, issue: Wire.Issue) =>
  toDomain(
    method,
    Domain.Issue
  )({
    repo: repoOf(asked, issue),
    number: issue.number,
    title: issue.title,
    body: issue.body,
    labels: issue.labels.map((label) => label.name),
    state: issue.state === "closed" ? "closed" : "open",
    author: issue.user?.login ?? ghost,
    url: issue.html_url
  })

const toComment = (method: string) => (comment: Wire.Comment) =>
  toDomain(
    method,
    Domain.Comment
  )({
    id: String(comment.id),
    author: comment.user?.login ?? ghost,
    body: comment.body,
    createdAt: comment.created_at
  })

/** The tracker over the given client (`make` takes it from the context). */
export const fromClient = (
  client: ForgejoClient.Service,
  options: Options = {}
): Effect.Effect<Tracker.Service> =>
  Effect.gen(function*() {
    const trustTtl = Duration.toMillis(Duration.decode(options.trustTtl ?? "5 minutes"))
    const labelColor = options.labelColor ?? "#ededed"
    const indexes = yield* Ref.make(new Map<string, ReadonlyMap<string, number>>())
    const trust = yield* Ref.make(new Map<string, { readonly trusted: boolean; readonly until: number }>())
    const bot = yield* Ref.make(Option.none<string>())
    const labelLock = yield* Effect.makeSemaphore(1)

    const loadIndex = (repo: Domain.Repo) =>
      Effect.gen(function*() {
        const labels = yield* Api.labels(client, repo)
        const index = new Map<string, number>()
        for (const label of labels) if (!index.has(label.name)) index.set(label.name, label.id)
        yield* Ref.update(indexes, (all) => new Map(all).set(repo.toLowerCase(), index))
        return index as ReadonlyMap<string, number>
      })

    const findLabel = (repo: Domain.Repo, name: string) =>
      Effect.gen(function*() {
        const known = (yield* Ref.get(indexes)).get(repo.toLowerCase())?.get(name)
        if (known !== undefined) return Option.some(known)
        return Option.fromNullable((yield* loadIndex(repo)).get(name))
      })

    const ensureLabel = (repo: Domain.Repo, name: string) =>
      labelLock.withPermits(1)(
        Effect.flatMap(
          findLabel(repo, name),
          Option.match({
            onSome: Effect.succeed,
            onNone: () =>
              Effect.gen(function*() {
                const created = yield* Api.createLabel(client, repo, name, labelColor)
                yield* Ref.update(indexes, (all) => {
                  const index = new Map(all.get(repo.toLowerCase()) ?? []).set(name, created.id)
                  return new Map(all).set(repo.toLowerCase(), index)
                })
                return created.id
              })
          })
        )
      )

    const forgetIndex = (repo: Domain.Repo) =>
      Ref.update(indexes, (all) => {
        const next = new Map(all)
        next.delete(repo.toLowerCase())
        return next
      })

    const permissionOf = (repo: Domain.Repo, login: string) =>
      Api.permission(client, repo, login).pipe(
        Effect.map((permission) => writers.has(permission)),
        Effect.catchIf(
          (error) => error.status === 403 || error.status === 404,
          (error) =>
            Effect.as(
              error.status === 403
                ? Effect.logWarning(
                  `Forgejo refused to say whether ${login} may write to ${repo}; treating them as untrusted (the bot needs admin on the repository to read collaborators' permissions)`
                )
                : Effect.void,
              false
            )
        )
      )

    const listIssues = (operation: string, state: "open" | "closed" | "all") => (repo: Domain.Repo, label: string) =>
      Api.openIssues(client, repo, label, state).pipe(
        Effect.mapError(toTrackerError(operation)),
        Effect.flatMap((issues) => {
          const kept = new Map<number, Wire.Issue>()
          for (const issue of issues) {
            const labelled = issue.labels.some((carried) => Domain.sameLabel(carried.name, label))
            const inState = state === "all" || issue.state === state
            if (issue.pull_request == null && inState && labelled) kept.set(issue.number, issue)
          }
          const ordered = [...kept.values()].sort((a, b) => a.number - b.number)
          return Effect.forEach(ordered, (issue) => toIssue(operation, repo, issue))
        })
      )
    const listOpenIssues: Tracker.Service["listOpenIssues"] = listIssues("listOpenIssues", "open")
    const listClosedIssues: Tracker.Service["listClosedIssues"] = listIssues("listClosedIssues", "closed")
    const listOpenAndClosedIssues = listIssues("listOpenAndClosedIssues", "all")
    const listUpdatedSince: NonNullable<Tracker.Service["listUpdatedSince"]> = (repo, since) =>
      Api.updatedSince(client, repo, DateTime.formatIso(since)).pipe(
        Effect.mapError(toTrackerError("listUpdatedSince")),
        Effect.flatMap((issues) =>
          Effect.forEach(
            issues.filter((issue) => issue.pull_request == null).sort((a, b) => a.number - b.number),
            (issue) => toIssue("listUpdatedSince", repo, issue)
          )
        )
      )

    const getIssue: Tracker.Service["getIssue"] = (repo, number) =>
      Api.issue(client, repo, number).pipe(
        Effect.mapError(toTrackerError("getIssue")),
        Effect.flatMap((issue) => toIssue("getIssue", repo, issue))
      )

    const labelEvents: Tracker.Service["labelEvents"] = (repo, number) =>
      Api.timeline(client, repo, number).pipe(
        Effect.mapError(toTrackerError("labelEvents")),
        Effect.flatMap((events) =>
          Effect.forEach(
            byId(events).filter((event) => event.type === "label" && event.label != null),
            (event) =>
              toDomain(
                "labelEvents",
                Domain.LabelEvent
              )({
                label: event.label?.name ?? "",
                action: event.body === "1" ? "added" : "removed",
                actor: event.user?.login ?? ghost,
                at: event.created_at
              })
          )
        )
      )

    const lastEdit: Tracker.Service["lastEdit"] = (repo, number) =>
      Effect.all([Api.issue(client, repo, number), Api.timeline(client, repo, number)], { concurrency: 2 }).pipe(
        Effect.mapError(toTrackerError("lastEdit")),
        Effect.flatMap(([issue, timeline]) =>
          Option.match(ForgejoEdits.lastEdit(issue, timeline), {
            onNone: () => Effect.succeedNone,
            onSome: (edit) =>
              Effect.map(
                toDomain("lastEdit", Domain.IssueEdit)({ at: new Date(edit.at).toISOString(), editor: edit.editor }),
                Option.some
              )
          })
        )
      )

    const listComments: Tracker.Service["listComments"] = (repo, number) =>
      Api.comments(client, repo, number).pipe(
        Effect.mapError(toTrackerError("listComments")),
        Effect.flatMap((comments) => Effect.forEach(byId(comments), toComment("listComments")))
      )

    const attach = (repo: Domain.Repo, number: number, label: string) =>
      Effect.flatMap(ensureLabel(repo, label), (id) =>
        Effect.map(Api.addIssueLabels(client, repo, number, [id]), (carried) =>
          carried.some((held) =>
            held.id === id || held.name === label
          )))

    const addLabel: Tracker.Service["addLabel"] = (repo, number, label) =>
      attach(repo, number, label).pipe(
        Effect.flatMap((attached) =>
          attached ? Effect.succeed(true) : Effect.zipRight(forgetIndex(repo), attach(repo, number, label))
        ),
        Effect.flatMap((attached) =>
          attached
            ? Effect.void
            : Effect.fail(
              new ForgejoClient.ForgejoError({
                operation: "POST /repos/{o}/{r}/issues/{index}/labels",
                detail: `Forgejo did not attach "${label}" to ${repo}#${number}, even after re-reading the labels`,
                transient: true
              })
            )
        ),
        Effect.mapError(toTrackerError("addLabel"))
      )

    const detach = (
      repo: Domain.Repo,
      number: number,
      label: string,
      retry: boolean
    ): Effect.Effect<void, ForgejoClient.ForgejoError> =>
      Effect.flatMap(
        labelLock.withPermits(1)(findLabel(repo, label)),
        Option.match({
          onNone: () => Effect.void,
          onSome: (id) =>
            Api.removeIssueLabel(client, repo, number, id).pipe(
              Effect.catchIf(
                (error) => error.status === 422,
                () => Effect.zipRight(forgetIndex(repo), retry ? detach(repo, number, label, false) : Effect.void)
              )
            )
        })
      )

    const removeLabel: Tracker.Service["removeLabel"] = (repo, number, label) =>
      detach(repo, number, label, true).pipe(Effect.mapError(toTrackerError("removeLabel")))

    const postComment: Tracker.Service["postComment"] = (repo, number, body) =>
      Api.createComment(client, repo, number, body).pipe(
        Effect.mapError(toTrackerError("postComment")),
        Effect.flatMap(toComment("postComment"))
      )

    const editComment: Tracker.Service["editComment"] = (repo, commentId, body) =>
      /^[1-9]\d*$/.test(commentId)
        ? Api.editComment(client, repo, Number(commentId), body).pipe(Effect.mapError(toTrackerError("editComment")))
        : Effect.fail(
          new Tracker.TrackerError({
            operation: "editComment",
            detail: `"${commentId}" is not a Forgejo comment id`,
            transient: false,
            hint: "Forgejo comment ids are positive integers, as listComments returns them"
          })
        )

    const markComment: NonNullable<Tracker.Service["markComment"]> = (repo, commentId) =>
      /^[1-9]\d*$/.test(commentId)
        ? Api.reactToComment(client, repo, Number(commentId), "rocket").pipe(
          Effect.mapError(toTrackerError("markComment")),
          Effect.flatMap(toDomain("markComment", Domain.CommentMark))
        )
        : Effect.fail(
          new Tracker.TrackerError({
            operation: "markComment",
            detail: `"${commentId}" is not a Forgejo comment id`,
            transient: false,
            hint: "Forgejo comment ids are positive integers, as listComments returns them"
          })
        )

    const closeIssue: Tracker.Service["closeIssue"] = (repo, number) =>
      Api.closeIssue(client, repo, number).pipe(Effect.mapError(toTrackerError("closeIssue")))

    const trustKey = (repo: Domain.Repo, login: string) => `${repo.toLowerCase()}|${login.toLowerCase()}`

    const isTrusted: Tracker.Service["isTrusted"] = (repo, login) =>
      Effect.gen(function*() {
        if (login.toLowerCase() === Domain.repoOwner(repo).toLowerCase()) return true
        const key = trustKey(repo, login)
        const now = yield* Clock.currentTimeMillis
        const cached = (yield* Ref.get(trust)).get(key)
        if (cached !== undefined && cached.until > now) return cached.trusted
        const trusted = yield* permissionOf(repo, login).pipe(Effect.mapError(toTrackerError("isTrusted")))
        yield* Ref.update(trust, (all) => new Map(all).set(key, { trusted, until: now + trustTtl }))
        return trusted
      })

    const knownUntrusted: Tracker.Service["knownUntrusted"] = (repo, login) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const cached = (yield* Ref.get(trust)).get(trustKey(repo, login))
        return cached !== undefined && cached.until > now && !cached.trusted
      })

    const whoami: Tracker.Service["whoami"] = Effect.gen(function*() {
      const known = yield* Ref.get(bot)
      if (Option.isSome(known)) return known.value
      const user = yield* Api.currentUser(client).pipe(Effect.mapError(toTrackerError("whoami")))
      yield* Ref.set(bot, Option.some(user.login))
      return user.login
    })

    return {
      listOpenIssues,
      listClosedIssues,
      listOpenAndClosedIssues,
      listUpdatedSince,
      getIssue,
      labelEvents,
      lastEdit,
      listComments,
      addLabel,
      removeLabel,
      postComment,
      editComment,
      markComment,
      closeIssue,
      isTrusted,
      knownUntrusted,
      policyFile: (repo) => ForgejoPolicyFile.read(client, repo).pipe(Effect.mapError(toTrackerError("policyFile"))),
      whoami
    }
  })

/** A `Tracker` over the ambient `ForgejoClient`. */
export const make = (options: Options = {}): Effect.Effect<Tracker.Service, never, ForgejoClient.ForgejoClient> =>
  Effect.flatMap(ForgejoClient.ForgejoClient, (client) => fromClient(client, options))
