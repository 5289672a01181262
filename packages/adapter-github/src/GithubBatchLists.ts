/**
 * Issue lists by label over many repositories at once: the lists asked within a few turns of the scheduler
 * (`GithubSweep.gatherer`) are answered by one GraphQL query per owner (so a GitHub App's installation token
 * covers them all) within GitHub's node limit, an alias `a<i>` per (repository, label, state):
 * `repository(owner, name) { nameWithOwner issues(labels: [label], states: [OPEN|CLOSED], first: 100 (10 for
 * both states), orderBy: CREATED_AT DESC) { … labels(first: 100) … } }`, newest first as the REST list
 * (`GET /repos/{o}/{r}/issues?labels=…&state=…`) orders them. `Repository.issues` leaves pull requests out.
 *
 * Each answer is handed back in the REST list's shape (`number`, `title`, `body`, `state`, `html_url`, `user`,
 * `labels` by name, `updated_at`, and `repository_url` from the repository's `nameWithOwner`), so the tracker
 * builds exactly the issues it builds from REST, and `GithubChanges` notes and remembers them as it does REST
 * lists. A list is answered only when it is complete: a connection with a next page (more issues than it
 * asked, or an issue with more than 100 labels), an alias GitHub could not answer (a null repository, an
 * `errors` entry on its path, an answer that does not decode) and every alias of a query that failed are
 * answered none, and their caller reads that list the REST way. The query also asks its `viewer { login }`,
 * who the token is (`GithubClient.viewer`), so a pass that finds work in the lists knows the bot without a
 * `GET /user`.
 *
 * GitHub scores a query by the requests its connections could need: 1 per alias for its issues, plus 1 per
 * issue the alias may hold for its labels, summed, divided by 100 and rounded: about one GraphQL point per
 * list of 100 issues, a tenth of one for the lock label's list of both states (`shortPage`), against the
 * GraphQL budget (5,000 points an hour, apart from REST's). A query may ask at most 500,000 nodes (100 issues
 * + 100 × 100 labels = 10,100 for a full list, 1,010 for a short one), hence at most 49 full lists per query.
 */
import * as Domain from "afk-core/Domain"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as GithubClient from "./GithubClient.js"
import * as GithubSweep from "./GithubSweep.js"

/** Issues per list, and labels per issue, one query reads. */
export const pageSize = 100
/**
 * Issues a list of both states asks for. AFK reads a list so only for its lock label
 * (`Tracker.listOpenAndClosedIssues`): the runs in flight and the closed issues whose terminal step is
 * unfinished, a short list. GitHub scores a list by the issues it may hold (each one's labels are a request),
 * so a full page would cost it a point for a handful of issues; a longer one has a next page and is read
 * the REST way, whole.
 */
export const shortPage = 10
/** GitHub's limit on the nodes one query may ask for. */
export const nodeLimit = 500_000

export type State = "open" | "closed" | "all"

/** The issues one list in `state` asks for (`first`). */
export const firstOf = (state: State): number => (state === "all" ? shortPage : pageSize)

/** The nodes one list in `state` may need: its issues, with `pageSize` labels each. */
const nodesOf = (state: State): number => firstOf(state) * (1 + pageSize)

/** The most full-page lists one query asks (49); lists of both states are smaller, and more fit. */
export const maxAsks = Math.floor(nodeLimit / nodesOf("open"))

/** GraphQL's `IssueState`s for a REST `state`. */
const states: Record<State, string> = { open: "OPEN", closed: "CLOSED", all: "OPEN, CLOSED" }

/** One list: a repository's issues in `state` carrying `label`. */
export interface Ask {
  readonly repo: Domain.Repo
  readonly label: string
  readonly state: State
}

/** The alias of ask `i`, with variables `$o<i>` (owner), `$n<i>` (name) and `$l<i>` (label). */
export const field = (i: number, state: State): string =>
  `a${i}: repository(owner: $o${i}, name: $n${i}) { nameWithOwner issues(labels: [$l${i}], states: [${
    states[state]
  }], first: ${
    firstOf(state)
  }, orderBy: {field: CREATED_AT, direction: DESC}) { pageInfo { hasNextPage } nodes { number title body state url createdAt updatedAt author { login } labels(first: ${pageSize}) { pageInfo { hasNextPage } nodes { name } } } } }`

/** The query over `states.length` lists, ask `i` in `states[i]`. */
export const query = (states: ReadonlyArray<State>): string => {
  const variables = states.map((_, i) => `$o${i}: String!, $n${i}: String!, $l${i}: String!`).join(", ")
  return `query(${variables}) { ${
    states.map((state, i) => field(i, state)).join(" ")
  } viewer { login } rateLimit { cost } }`
}

/** `value` as an object's fields, if it is a plain object. */
const objectOf = (value: unknown): Readonly<Record<string, unknown>> | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Readonly<Record<string, unknown>>)
    : undefined

/** The connection's nodes when GitHub says it has no next page; none otherwise (or when it is not one). */
const lastPage = (connection: unknown): ReadonlyArray<unknown> | undefined => {
  const shape = objectOf(connection)
  const nodes = shape?.nodes
  return objectOf(shape?.pageInfo)?.hasNextPage === false && Array.isArray(nodes) ? nodes : undefined
}

const Answer = Schema.Record({ key: Schema.String, value: Schema.Unknown })
const decodeViewer = Schema.decodeUnknownOption(Schema.Struct({ login: Schema.NonEmptyTrimmedString }))

/**
 * A list in the REST list's shape, if the alias's answer is the whole list. Only reshaped here (GraphQL's
 * names to REST's): the tracker decodes the items as it decodes a REST list, once, so an answer that is not
 * what the query asked still fails there and the list is read the REST way.
 */
export const restShaped = (value: unknown): Option.Option<ReadonlyArray<unknown>> => {
  const answer = objectOf(value)
  const nameWithOwner = answer?.nameWithOwner
  const nodes = lastPage(answer?.issues)
  if (typeof nameWithOwner !== "string" || nodes === undefined) return Option.none()
  const repositoryUrl = `https://api.github.com/repos/${nameWithOwner}`
  const items: Array<unknown> = []
  for (const each of nodes) {
    const node = objectOf(each)
    const labels = lastPage(node?.labels)
    if (node === undefined || labels === undefined || typeof node.state !== "string") return Option.none()
    if (typeof node.updatedAt !== "string" || node.body === undefined) return Option.none()
    items.push({
      number: node.number,
      title: node.title,
      body: node.body,
      state: node.state.toLowerCase(),
      html_url: node.url,
      user: node.author,
      labels,
      updated_at: node.updatedAt,
      repository_url: repositoryUrl
    })
  }
  return Option.some(items)
}

/** Answers one batch (one owner, within the node limit): each list in the REST shape, or none where in doubt. */
export const read = (
  client: GithubClient.Service,
  asks: ReadonlyArray<Ask>
): Effect.Effect<ReadonlyArray<Option.Option<ReadonlyArray<unknown>>>> => {
  const variables: Record<string, string> = {}
  asks.forEach((ask, i) => {
    variables[`o${i}`] = Domain.repoOwner(ask.repo)
    variables[`n${i}`] = Domain.repoName(ask.repo)
    variables[`l${i}`] = ask.label
  })
  return client.graphqlPartial(
    { operation: "listIssues", permission: "Issues: read", repo: asks[0]?.repo },
    query(asks.map((ask) => ask.state)),
    variables,
    Answer
  ).pipe(
    Effect.flatMap(({ data, errors }) => {
      const refused = new Set(errors.map((error) => String(error.path?.[0] ?? "")))
      // An error without a path may concern any alias: nothing of the answer is taken then.
      const whole = Option.isSome(data) && !refused.has("")
      const lists = asks.map((_, i) =>
        whole && !refused.has(`a${i}`) ? Option.flatMap(data, (fields) => restShaped(fields[`a${i}`])) : Option.none()
      )
      // Who the token is comes with the lists: the pass that found work in them need not ask `GET /user`.
      const viewer = whole && !refused.has("viewer")
        ? Option.flatMap(data, (fields) => decodeViewer(fields.viewer))
        : Option.none()
      return Option.match(viewer, {
        onNone: () => Effect.succeed(lists),
        onSome: ({ login }) => Effect.as(client.viewer(login), lists)
      })
    }),
    Effect.orElseSucceed(() => asks.map(() => Option.none()))
  )
}

/** `asks` grouped into queries: one owner each, in order, each within GitHub's node limit. */
export const batches = <A extends { readonly ask: Ask }>(asks: ReadonlyArray<A>): ReadonlyArray<ReadonlyArray<A>> =>
  GithubSweep.batches(asks, (entry) => entry.ask.repo).flatMap((batch) => {
    const queries: Array<Array<A>> = []
    let nodes = nodeLimit
    for (const entry of batch) {
      const more = nodesOf(entry.ask.state)
      if (nodes + more > nodeLimit) {
        queries.push([])
        nodes = 0
      }
      queries[queries.length - 1]!.push(entry)
      nodes += more
    }
    return queries
  })

interface Pending {
  readonly ask: Ask
  readonly answer: Deferred.Deferred<Option.Option<ReadonlyArray<unknown>>>
}

/** A list's answer from the query its pass's lists share: the REST-shaped items, or none (read it the REST way). */
export type Lister = (ask: Ask) => Effect.Effect<Option.Option<ReadonlyArray<unknown>>>

/**
 * Queries of one gather in flight at once. Each answer holds up to 49 lists of 100 issues with their bodies:
 * unbounded, a cold tick over 4,000 repositories peaked at 978 MB; 4 at once, 642 MB, and P3 at 1,000
 * repositories went from 0.46× to 0.55× its floor (2 at once: 747 MB, 0.76×).
 */
const inFlight = 4

/**
 * Lists a caller keeps asked at once (`Tracker.listsAtOnce`): two full queries' worth (98; the lock label's
 * short lists pack more to a query, the bound stays in lists). A cold tick with GraphQL lists, 1,000
 * repositories: four queries' worth peaked at 148–155 MB, three at 144–150 MB, two at 141–144 MB; at 50 ms a
 * request, its wall time at 1,000 repositories was 1,765 / 1,807 / 2,140–2,316 ms, and at 50 repositories (100
 * lists) two queries' worth costs a round: 1.36–1.38× P3's floor with three, 1.41–1.44× with two. Two, now that
 * the lists are the default: the memory goal (150 MB at 1,000) had no margin with three.
 */
export const listsAtOnce = maxAsks * 2

/**
 * A tick with no more lists than the queries kept in flight hold when full (`Tracker.listsAllAtOnce`, 196: up
 * to 98 repositories) asks them all at once: the bound above only made it wait. At 50 repositories (100 lists: 49 +
 * 49 + 2), the last two lists waited for the first answer, a round on the critical path: `afk-cli tick` at 50
 * ms a request, median of 8, 850 → 794 ms, peak RSS 91.6 → 93.2 MB; at 98 repositories, 108 → 112 MB
 * (bench/RESULTS.md, fifteenth part).
 */
export const listsAllAtOnce = maxAsks * inFlight

/** Gathers the lists asked together into batched queries over `client`. */
export const make = (client: GithubClient.Service): Lister => {
  const gather = GithubSweep.gatherer<Pending>(
    (joined) =>
      Effect.forEach(
        batches(joined),
        (batch) =>
          Effect.flatMap(read(client, batch.map(({ ask }) => ask)), (answers) =>
            Effect.forEach(
              batch,
              ({ answer }, i) => Deferred.succeed(answer, answers[i] ?? Option.none()),
              { discard: true }
            )),
        { concurrency: inFlight, discard: true }
      ),
    ({ answer }) => Deferred.succeed(answer, Option.none())
  )
  return (ask) =>
    Effect.suspend(() => {
      const answer = Deferred.unsafeMake<Option.Option<ReadonlyArray<unknown>>>(FiberId.none)
      return Effect.zipRight(gather({ ask, answer }), Deferred.await(answer))
    })
}
