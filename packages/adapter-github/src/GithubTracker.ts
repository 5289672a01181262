/**
 * The `Tracker` port over GitHub issues: open issues by label (pull requests left out), label history from
 * the issue events, comments, label and comment writes, closing as completed, the bot's login, and trust
 * (`GithubTrust`). The last edit is the later of the last title change (the issue events' `renamed`, with its
 * actor) and the last body edit (GraphQL `Issue.lastEditedAt` and `editor`: the REST issue says nothing of
 * edits), left unread while everyone who ever labelled the issue is known untrusted, a refusal past its time
 * confirmed by a conditional read (then it is an edit by nobody now, which can only refuse). Issues name their repository as GitHub spells it (`repository_url`).
 * Label lists, issue histories and body edits of unchanged repositories and issues are served from memos
 * that `GithubChanges` keeps and invalidates.
 */
import * as Domain from "afk-core/Domain"
import * as PortError from "afk-core/PortError"
import * as Tracker from "afk-core/Tracker"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import * as GithubBatchLists from "./GithubBatchLists.js"
import * as GithubChanges from "./GithubChanges.js"
import * as GithubClient from "./GithubClient.js"
import * as GithubCodec from "./GithubCodec.js"
import * as GithubEdits from "./GithubEdits.js"
import type * as GithubError from "./GithubError.js"
import * as GithubPolicyFile from "./GithubPolicyFile.js"
import * as GithubTrust from "./GithubTrust.js"

export interface Options extends GithubTrust.Options {
  /** The colour given to a label this adapter has to create; GitHub's grey by default. */
  readonly labelColor?: string | undefined
  /** When unchanged repositories and issues are served from memos (`GithubChanges`). */
  readonly changes?: GithubChanges.Options | undefined
  /**
   * How issue lists by label are read from GitHub: `rest` (default), one request (per 100 issues) per list; or
   * `graphql`, the lists asked together in queries of one owner each within GitHub's node limit
   * (`GithubBatchLists`), about a GraphQL point per list of open issues and a tenth of one per list of both
   * states (the lock label's), each list read the REST way where the query cannot answer it whole. Remembered
   * lists (`GithubChanges`) are served as with `rest`.
   */
  readonly lists?: "rest" | "graphql" | undefined
}

const Login = Schema.Struct({ login: Schema.String })
const Actor = Schema.NullOr(Login)

/** What GitHub calls a user it no longer knows (deleted accounts). */
const ghost = "ghost"

/**
 * A bounded table of shared values: the value kept under `key`, or `make`'s, kept while the table holds fewer
 * than `limit` (past it each caller keeps its own). A tick holds every ready issue of every repository, and
 * what its issues carry alike (a label set, the repository they are in) is one value for all of them.
 */
const sharedTable = <A>(limit: number) => {
  const table = new Map<string, A>()
  return (key: string, make: () => A): A => {
    const known = table.get(key)
    if (known !== undefined) return known
    const made = make()
    if (table.size < limit) table.set(key, made)
    return made
  }
}

/** One read-only array per distinct set of label names (nearly every issue carries the same one or two). */
const labelSets = sharedTable<ReadonlyArray<string>>(10_000)

/** One string per repository URL, shared by its issues as long as the list is kept. */
const repositoryUrls = sharedTable<string>(50_000)

/** An issue's `repository_url`, one string per repository shared by its issues (as long as the list is kept). */
const RepositoryUrl = Schema.transform(Schema.String, Schema.String, {
  strict: true,
  decode: (url) => repositoryUrls(url, () => url),
  encode: (url) => url
})

const shareLabels = (names: Array<string>): ReadonlyArray<string> =>
  labelSets(names.join("\u0000"), () => Object.freeze(names))

/** A read-only array of names, taken as it is (the transforms below made it): not copied by a decode. */
const Names = Schema.declare(
  (input: unknown): input is ReadonlyArray<string> =>
    Array.isArray(input) && input.every((name) => typeof name === "string"),
  { identifier: "Names" }
)

/**
 * An issue's labels as their names. A list answer is kept decoded for as long as the cache holds it, so what
 * it keeps of each issue is what the tracker uses, not GitHub's label objects (their JSON form is rebuilt only
 * when the cache file is written).
 */
const LabelNames = Schema.transform(
  Schema.Array(Schema.Union(Schema.String, Schema.Struct({ name: Schema.optional(Schema.String) }))),
  Names,
  {
    strict: true,
    decode: (labels) => {
      const names: Array<string> = []
      for (const label of labels) {
        const name = typeof label === "string" ? label : label.name
        if (name !== undefined) names.push(name)
      }
      return shareLabels(names)
    },
    encode: (names) => names.map((name) => ({ name }))
  }
)

/** Who opened an issue, as a login (`ghost` for a deleted account), not GitHub's user object. */
const AuthorLogin = Schema.transform(Actor, Schema.String, {
  strict: true,
  decode: (actor) => actor?.login ?? ghost,
  encode: (login) => ({ login })
})

const parseRepo = Schema.decodeUnknownOption(Domain.Repo)

/** The repository a `repository_url` names, as GitHub spells it; none if it names none. */
const repoIn = (url: string): Option.Option<Domain.Repo> => {
  const match = /\/repos\/([^/]+)\/([^/]+)\/?$/.exec(url)
  if (match === null) return Option.none()
  const [owner = "", name = ""] = match.slice(1).map((part) => decodeURIComponent(part))
  return parseRepo(`${owner}/${name}`)
}

/** What each repository URL names, read once per URL (every issue of a repository carries the same one). */
const repositories = sharedTable<Option.Option<Domain.Repo>>(50_000)

const IssueBody = Schema.Struct({
  number: Schema.Int.pipe(Schema.positive()),
  title: Schema.String,
  body: Schema.optional(Schema.NullOr(Schema.String)),
  state: Schema.String,
  html_url: Schema.String,
  user: AuthorLogin,
  labels: LabelNames,
  pull_request: Schema.optional(Schema.Unknown),
  updated_at: Schema.optional(Schema.String),
  repository_url: RepositoryUrl
})

/**
 * `Domain.Issue`'s prototype under a constructor that takes checked fields as they are: what the issue's own
 * constructor ends with (Effect's structural base assigns the fields, in their order) without its copy of them
 * and its look for defaults. A test compares what it makes with `new Domain.Issue(fields, true)`.
 */
const IssueFields = function(this: object, fields: ConstructorParameters<typeof Domain.Issue>[0]) {
  Object.assign(this, fields)
} as unknown as typeof Domain.Issue
IssueFields.prototype = Domain.Issue.prototype

/**
 * An issue as GitHub lists (or reads) it: a `Domain.Issue` like any other, carrying the three things of GitHub's item
 * that only this adapter uses in private fields, read through getters, so never compared, shown, copied or
 * encoded as the issue's: `updated_at` (change tracking), `repository_url` (to write the cache file back) and
 * whether it is a pull request. A list's answer is kept decoded for as long as a pass or the cache holds it: one
 * object per issue, not GitHub's item beside the issue made from it. (Private fields, not properties defined
 * on each issue: defining three properties cost more than making the issue, about 0.7 µs an issue.) It is made
 * through `IssueFields`, not `Domain.Issue`'s own constructor, which copies its fields twice and looks for
 * defaults the issue has none of (some 0.4 µs an issue); its fields are already checked.
 */
class Listed extends IssueFields {
  readonly #updatedAt: string | undefined
  readonly #repositoryUrl: string
  readonly #pullRequest: boolean

  constructor(
    fields: ConstructorParameters<typeof Domain.Issue>[0],
    updatedAt: string | undefined,
    repositoryUrl: string,
    pullRequest: boolean
  ) {
    super(fields, true)
    this.#updatedAt = updatedAt
    this.#repositoryUrl = repositoryUrl
    this.#pullRequest = pullRequest
  }

  get updated_at(): string | undefined {
    return this.#updatedAt
  }

  get repository_url(): string {
    return this.#repositoryUrl
  }

  get pull_request(): boolean {
    return this.#pullRequest
  }
}

/** A `Listed` whose `repository_url` names no repository: its issue takes the repository it was asked of. */
const unnamed = "" as Domain.Repo

const ListedIssue = Schema.declare((input: unknown): input is Listed => input instanceof Listed, {
  identifier: "ListedIssue"
})

/** A checked item (`IssueBody`'s type) as the `Listed` issue it is. */
const toListed = (item: typeof IssueBody.Type): Listed =>
  new Listed(
    {
      repo: Option.getOrElse(repositories(item.repository_url, () => repoIn(item.repository_url)), () => unnamed),
      number: item.number,
      title: item.title,
      body: item.body ?? "",
      labels: item.labels,
      state: item.state === "closed" ? "closed" : "open",
      author: item.user,
      url: item.html_url
    },
    item.updated_at,
    item.repository_url,
    item.pull_request !== undefined
  )

/**
 * GitHub's issue item, decoded to a `Listed` (every field checked by `IssueBody`, so not again).
 *
 * @internal exported for the test that compares it with `quickItem`; not part of the adapter's API.
 */
export const IssueItemChecked = Schema.transform(IssueBody, ListedIssue, {
  strict: true,
  decode: toListed,
  encode: (issue) => ({
    number: issue.number,
    title: issue.title,
    body: issue.body,
    state: issue.state,
    html_url: issue.url,
    user: issue.author,
    labels: issue.labels,
    ...(issue.pull_request ? { pull_request: {} } : {}),
    ...(issue.updated_at === undefined ? {} : { updated_at: issue.updated_at }),
    repository_url: issue.repository_url
  })
})

/**
 * What `IssueItemChecked` decodes `input` to, checked by hand, or undefined for anything it is not sure of.
 * A cold process runs Effect Schema's parser in V8's interpreter, about 40 µs an issue, and a tick decodes
 * every ready issue of every repository (20,000 at 1,000 repositories); this takes a few. It accepts nothing
 * `IssueBody` refuses (a test compares the two over variants of every field), and whatever it leaves is
 * decoded by the schema, so a malformed item still fails with the schema's own message.
 *
 * @internal exported for its test; not part of the adapter's API.
 */
export const quickItem = (input: unknown): Listed | undefined => {
  if (!Predicate.isRecord(input)) return undefined
  const { number, title, body, state, html_url, user, labels, updated_at, repository_url } = input
  if (typeof number !== "number" || !Number.isSafeInteger(number) || number <= 0) return undefined
  if (typeof title !== "string" || typeof state !== "string" || typeof html_url !== "string") return undefined
  if (typeof repository_url !== "string") return undefined
  if (body !== undefined && body !== null && typeof body !== "string") return undefined
  if (updated_at !== undefined && typeof updated_at !== "string") return undefined
  if (user !== null && !(Predicate.isRecord(user) && typeof user.login === "string")) return undefined
  if (!Array.isArray(labels)) return undefined
  const names: Array<string> = []
  for (const label of labels as ReadonlyArray<unknown>) {
    if (typeof label === "string") names.push(label)
    else if (Predicate.isRecord(label) && (label.name === undefined || typeof label.name === "string")) {
      if (label.name !== undefined) names.push(label.name)
    } else return undefined
  }
  return toListed({
    number,
    title,
    body,
    state,
    html_url,
    user: user === null ? ghost : user.login as string,
    labels: shareLabels(names),
    ...(Object.hasOwn(input, "pull_request") && input.pull_request !== undefined
      ? { pull_request: input.pull_request }
      : {}),
    updated_at,
    repository_url: repositoryUrls(repository_url, () => repository_url)
  })
}

/** What `IssueItemChecked` encodes `issue` to (the cache file's form), built by hand. @internal */
export const quickEncode = (issue: Listed): typeof IssueItemChecked.Encoded => ({
  number: issue.number,
  title: issue.title,
  body: issue.body,
  state: issue.state,
  html_url: issue.url,
  user: { login: issue.author },
  labels: issue.labels.map((name) => ({ name })),
  ...(issue.pull_request ? { pull_request: {} } : {}),
  ...(issue.updated_at === undefined ? {} : { updated_at: issue.updated_at }),
  repository_url: issue.repository_url
})

const checked = ParseResult.decodeUnknown(IssueItemChecked)
const encodeChecked = ParseResult.encodeUnknown(IssueItemChecked)

/** GitHub's issue item as a `Listed`: `quickItem` where it is sure, else `IssueItemChecked`. @internal */
export const IssueItem = Schema.transformOrFail(Schema.Unknown, ListedIssue, {
  strict: true,
  decode: (input, options) => {
    const quick = quickItem(input)
    return quick === undefined ? checked(input, options) : ParseResult.succeed(quick)
  },
  encode: (issue, options) => encodeChecked(issue, options)
})

const isListed = Schema.is(ListedIssue)
const ListedIssues = Schema.declare(
  (input: unknown): input is ReadonlyArray<Listed> => Array.isArray(input) && input.every(isListed),
  { identifier: "ListedIssues" }
)
const checkedList = ParseResult.decodeUnknown(Schema.Array(IssueItemChecked))

/**
 * A list of GitHub's issue items: every item by `quickItem` when it takes them all, else the list by
 * `IssueItemChecked` (which fails where an item is malformed, with its reasons); encoded by `quickEncode`,
 * which makes what the schema makes. Every list, page and memo of `IssueItem` is read and kept with it.
 *
 * @internal exported for its test; not part of the adapter's API.
 */
export const IssueItems = Schema.transformOrFail(Schema.Array(Schema.Unknown), ListedIssues, {
  strict: true,
  decode: (items, options) => {
    const quick: Array<Listed> = []
    for (const item of items) {
      const issue = quickItem(item)
      if (issue === undefined) return checkedList(items, options)
      quick.push(issue)
    }
    return ParseResult.succeed(quick)
  },
  encode: (issues) => ParseResult.succeed(issues.map(quickEncode))
})
GithubCodec.withArray(IssueItem, IssueItems)

const EventBody = Schema.Struct({
  event: Schema.String,
  actor: Actor,
  created_at: Schema.DateTimeUtc,
  label: Schema.optional(Schema.Struct({ name: Schema.String })),
  rename: Schema.optional(Schema.Struct({ from: Schema.String, to: Schema.String }))
})

/** The events an issue's history keeps: label changes and title changes. */
const kept: ReadonlySet<string> = new Set(["labeled", "unlabeled", "renamed"])

const CommentBody = Schema.Struct({
  id: Schema.Number,
  user: Actor,
  body: Schema.optional(Schema.NullOr(Schema.String)),
  created_at: Schema.DateTimeUtc
})
type CommentBody = typeof CommentBody.Type

const ReactionBody = Schema.Struct({ created_at: Schema.DateTimeUtc })

/** Everyone who ever added a label to the issue: whoever applied the ready label is one of them. */
const labellers = (events: ReadonlyArray<typeof EventBody.Type>): ReadonlyArray<string> =>
  events.flatMap((event) => (event.event === "labeled" ? [event.actor?.login ?? ghost] : []))

const read = (operation: string): GithubClient.Call => ({ operation, permission: "Issues: read" })
const write = (operation: string): GithubClient.Call => ({ operation, permission: "Issues: write" })

const toError = (error: GithubError.GithubError): Tracker.TrackerError =>
  new Tracker.TrackerError(PortError.carry(error))

/**
 * The issue a listed item is: itself, named by its repository as GitHub spells it, or, where its
 * `repository_url` could not be read, the same issue in the repository asked for.
 */
const toIssue = (asked: Domain.Repo, issue: Listed): Domain.Issue =>
  issue.repo === unnamed ? new Domain.Issue({ ...issue, repo: asked }, true) : issue

/** The issues of a list, its pull requests left out. */
const issuesOf = (asked: Domain.Repo, items: ReadonlyArray<Listed>): Array<Domain.Issue> => {
  const issues: Array<Domain.Issue> = []
  for (const item of items) if (!item.pull_request) issues.push(toIssue(asked, item))
  return issues
}

const toComment = (body: CommentBody): Domain.Comment =>
  new Domain.Comment({
    id: String(body.id),
    author: body.user?.login ?? ghost,
    body: body.body ?? "",
    createdAt: body.created_at
  })

/** A `Tracker` over the ambient `GithubClient`. */
export const make = (options: Options = {}): Effect.Effect<Tracker.Service, never, GithubClient.GithubClient> =>
  Effect.gen(function*() {
    const client = yield* GithubClient.GithubClient
    const trust = GithubTrust.make(client, options)
    const changes = GithubChanges.make(
      client,
      options.changes,
      options.lists === "graphql" ? GithubBatchLists.make(client) : undefined
    )

    const getIssue = (repo: Domain.Repo, number: number) =>
      client
        .get(read("getIssue"), GithubClient.repoPath(repo, "issues", number), IssueItem)
        .pipe(Effect.map((issue) => toIssue(repo, issue)))

    const createLabel = (repo: Domain.Repo, label: string) =>
      client
        .sendVoid(write("addLabel"), "POST", GithubClient.repoPath(repo, "labels"), {
          name: label,
          color: options.labelColor ?? "ededed"
        })
        .pipe(
          Effect.catchIf(
            (error) => error.status === 422,
            () => Effect.void
          )
        )

    const addLabels = (repo: Domain.Repo, number: number, label: string) =>
      client.sendVoid(write("addLabel"), "POST", GithubClient.repoPath(repo, "issues", number, "labels"), {
        labels: [label]
      })

    const history = (repo: Domain.Repo, number: number) =>
      changes.read(
        repo,
        changes.perIssue(
          repo,
          number,
          "history",
          GithubCodec.arrayOf(EventBody),
          client.list(read("issueEvents"), GithubClient.repoPath(repo, "issues", number, "events"), EventBody).pipe(
            Effect.map((events) => events.filter((event) => kept.has(event.event)))
          )
        )
      )

    const bodyEdit = (repo: Domain.Repo, number: number) =>
      changes.read(
        repo,
        changes.perIssue(repo, number, "body edit", GithubEdits.MaybeEdit, GithubEdits.bodyEdit(client, repo, number))
      )

    /**
     * The history, then the body edit. An issue every labeller of which is known untrusted is refused whatever
     * its text: its body edit is not read (unless remembered), and an unread one is an edit by nobody now,
     * which could only refuse it.
     */
    const historyThenEdit = (repo: Domain.Repo, number: number) =>
      Effect.gen(function*() {
        const events = yield* history(repo, number)
        const known = yield* changes.remembered(repo, number, "body edit", GithubEdits.MaybeEdit)
        const body = Option.isSome(known)
          ? known.value
          : (yield* trust.stillRefused(repo, labellers(events)))
          ? Option.some<GithubEdits.Edit>({ at: yield* DateTime.now })
          : yield* bodyEdit(repo, number)
        return [events, body] as const
      })

    /** The issues (not pull requests) in `state` carrying `label`, from a memo or from GitHub. */
    const listIssues = (repo: Domain.Repo, label: string, state: GithubBatchLists.State) =>
      changes.list(repo, label, IssueItem, state).pipe(
        Effect.map((items) => issuesOf(repo, items)),
        Effect.mapError(toError)
      )

    const service: Tracker.Service = {
      listsInBatches: options.lists === "graphql",
      listsAtOnce: options.lists === "graphql" ? GithubBatchLists.listsAtOnce : undefined,
      listsAllAtOnce: options.lists === "graphql" ? GithubBatchLists.listsAllAtOnce : undefined,

      listOpenIssues: (repo, label) => listIssues(repo, label, "open"),
      listClosedIssues: (repo, label) => listIssues(repo, label, "closed"),
      // `state=all`: the lock label's open and closed issues in one request (GraphQL: `states: [OPEN, CLOSED]`).
      listOpenAndClosedIssues: (repo, label) => listIssues(repo, label, "all"),

      listUpdatedSince: (repo, since) =>
        client.list(read("listUpdatedSince"), GithubClient.repoPath(repo, "issues"), IssueItem, {
          state: "all",
          since: DateTime.formatIso(since),
          sort: "updated",
          direction: "desc"
        }).pipe(
          Effect.map((items) => issuesOf(repo, items).sort((a, b) => a.number - b.number)),
          Effect.mapError(toError)
        ),

      getIssue: (repo, number) => getIssue(repo, number).pipe(Effect.mapError(toError)),

      // Where nobody can be known untrusted (`refusesIn`), the body edit is read beside the history, a round
      // sooner: waiting for the labellers could spare no read there.
      lastEdit: (repo, number) =>
        Effect.gen(function*() {
          const [events, body] = (yield* trust.refusesIn(repo))
            ? yield* historyThenEdit(repo, number)
            : yield* Effect.all([history(repo, number), bodyEdit(repo, number)], { concurrency: 2 })
          return Option.map(
            GithubEdits.later(body, GithubEdits.lastRename(events)),
            (edit) => new Domain.IssueEdit(edit)
          )
        }).pipe(Effect.mapError(toError)),

      labelEvents: (repo, number) =>
        history(repo, number).pipe(
          Effect.map((events) =>
            events.flatMap((event) =>
              event.label !== undefined && event.event !== "renamed"
                ? [
                  new Domain.LabelEvent({
                    label: event.label.name,
                    action: event.event === "labeled" ? "added" : "removed",
                    actor: event.actor?.login ?? ghost,
                    at: event.created_at
                  })
                ]
                : []
            )
          ),
          Effect.mapError(toError)
        ),

      listComments: (repo, number) =>
        changes.read(
          repo,
          client.list(read("listComments"), GithubClient.repoPath(repo, "issues", number, "comments"), CommentBody)
        ).pipe(
          Effect.map((comments) => comments.map(toComment)),
          Effect.mapError(toError)
        ),

      addLabel: (repo, number, label) =>
        changes.write(
          repo,
          addLabels(repo, number, label).pipe(
            Effect.catchIf(
              (error) => error.status === 422,
              () => createLabel(repo, label).pipe(Effect.zipRight(addLabels(repo, number, label)))
            ),
            Effect.mapError(toError)
          )
        ),

      removeLabel: (repo, number, label) =>
        changes.write(
          repo,
          client
            .sendVoid(write("removeLabel"), "DELETE", GithubClient.repoPath(repo, "issues", number, "labels", label))
            .pipe(
              Effect.catchIf(
                (error) => error.status === 404,
                () => Effect.void
              ),
              Effect.mapError(toError)
            )
        ),

      postComment: (repo, number, body) =>
        changes.write(
          repo,
          client
            .send(
              { ...write("postComment"), idempotent: false },
              "POST",
              GithubClient.repoPath(repo, "issues", number, "comments"),
              { body },
              CommentBody
            )
            .pipe(Effect.map(toComment), Effect.mapError(toError))
        ),

      editComment: (repo, commentId, body) =>
        changes.write(
          repo,
          client
            .sendVoid(write("editComment"), "PATCH", GithubClient.repoPath(repo, "issues", "comments", commentId), {
              body
            })
            .pipe(Effect.mapError(toError))
        ),

      forget: changes.forget,

      policyFile: (repo) => GithubPolicyFile.read(client, repo).pipe(Effect.mapError(toError)),

      // A reaction is GitHub's test-and-set: 201 when this request made it, 200 with the bot's existing one.
      // Repeating it changes nothing, so it is retried like a read. It does not change the issue's lists.
      markComment: (repo, commentId) =>
        client
          .sendAnswer(
            { ...write("markComment"), idempotent: true },
            "POST",
            GithubClient.repoPath(repo, "issues", "comments", commentId, "reactions"),
            { content: "rocket" },
            ReactionBody
          )
          .pipe(
            Effect.map(({ status, value }) =>
              new Domain.CommentMark({ created: status === 201, at: value.created_at })
            ),
            Effect.mapError(toError)
          ),

      closeIssue: (repo, number) =>
        changes.write(
          repo,
          getIssue(repo, number).pipe(
            Effect.flatMap((issue) =>
              issue.state === "closed"
                ? Effect.void
                : client.sendVoid(write("closeIssue"), "PATCH", GithubClient.repoPath(repo, "issues", number), {
                  state: "closed",
                  state_reason: "completed"
                })
            ),
            Effect.mapError(toError)
          )
        ),

      isTrusted: (repo, login) => trust.isTrusted(repo, login).pipe(Effect.mapError(toError)),
      knownUntrusted: trust.knownUntrusted,

      whoami: client.whoami.pipe(Effect.mapError(toError))
    }
    return Tracker.Tracker.of(service)
  })
