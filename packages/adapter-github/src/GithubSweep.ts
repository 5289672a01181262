/**
 * The change probe over many repositories at once: one GraphQL query asks each repository (an alias `r<i>`
 * per repository, up to 100 per query, one owner per query so a GitHub App's installation token covers them
 * all) for its most recently updated issue of any state, `number` and `updatedAt`. It answers what the REST
 * probe (`GET /repos/{o}/{r}/issues?state=all&sort=updated&per_page=1`) answers, in a tag of its own
 * (`graphql <number> <updatedAt>`): every change to an issue moves its `updatedAt` to now and so to the top.
 * `Repository.issues` leaves pull requests out, as the tracker's lists do once read.
 *
 * GitHub scores the query one request per repository (`first: 1` on one connection each), the sum over 100,
 * rounded, at least 1: one point per 100 repositories, against the GraphQL budget (5,000 points an hour,
 * apart from REST's). A repository the query cannot answer (unknown, not visible to the token, an answer
 * that does not decode) and every repository of a query that failed is answered `none`: its caller probes it
 * the REST way.
 */
import * as Domain from "afk-core/Domain"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as GithubClient from "./GithubClient.js"

/** How many turns of the scheduler a sweep waits for the probes of its pass to join it. */
const gatherTurns = 4

/**
 * Joins the asks made within a few turns of the scheduler of the first one into one `run`, so the repositories
 * of one pass share one query even in a new process, where none has been listed yet. The returned effect ends
 * when `run` has ended for the first ask, at once for the others; `abandon` settles every joined ask that `run`
 * left unsettled (it failed or was interrupted).
 */
export const gatherer = <A>(
  run: (joined: ReadonlyArray<A>) => Effect.Effect<void>,
  abandon: (ask: A) => Effect.Effect<unknown>
) => {
  let gathering: Array<A> | undefined
  return (ask: A): Effect.Effect<void> =>
    Effect.suspend(() => {
      if (gathering !== undefined) {
        gathering.push(ask)
        return Effect.void
      }
      const joined = [ask]
      gathering = joined
      return Effect.yieldNow().pipe(
        Effect.repeatN(gatherTurns - 1),
        Effect.zipRight(Effect.suspend(() => {
          gathering = undefined
          return run(joined)
        })),
        Effect.ensuring(Effect.suspend(() => {
          if (gathering === joined) gathering = undefined
          return Effect.forEach(joined, abandon, { discard: true })
        }))
      )
    })
}

/** The repositories sweeps answered, kept in the cache file for the next process. */
export interface Known {
  /** The repositories the cache file names (at most `maxKnown`), to probe in this process's first sweep. */
  readonly recall: Effect.Effect<ReadonlyArray<Domain.Repo>>
  /** Keeps the repositories a sweep answered, drops those it could not, and saves the names for the next process. */
  readonly settle: (
    answers: ReadonlyArray<{ readonly repo: Domain.Repo; readonly answered: boolean }>
  ) => Effect.Effect<void>
}

const knownKey = "graphql sweep"
const KnownRepos = Schema.Array(Domain.Repo)
/** A list of names decides nothing; at most this many are taken from it (10 GraphQL points a sweep). */
const maxKnown = 1000

/**
 * The repositories GraphQL sweeps answered, remembered (durably: in the cache file) so that a new process (the
 * next CLI tick) probes them all in its first sweep instead of one query per concurrent wave of its first pass.
 */
export const known = (client: GithubClient.Service): Known => {
  const names = new Map<string, Domain.Repo>()
  return {
    recall: Effect.map(client.recall(knownKey, knownKey, KnownRepos, { durable: true }), (recalled) => {
      const taken = Option.getOrElse(recalled, () => []).slice(0, maxKnown)
      for (const repo of taken) if (!names.has(repo.toLowerCase())) names.set(repo.toLowerCase(), repo)
      return taken
    }),
    settle: (answers) =>
      Effect.suspend(() => {
        for (const { answered, repo } of answers) {
          if (answered) names.set(repo.toLowerCase(), repo)
          else names.delete(repo.toLowerCase())
        }
        return client.remember(knownKey, knownKey, KnownRepos, [...names.values()].slice(0, maxKnown), {
          durable: true
        })
      })
  }
}

/** The most repositories one query asks (GitHub scores 100 `first: 1` connections as one point). */
export const maxRepos = 100

/** The query over `n` repositories, variables `$o<i>` (owner) and `$n<i>` (name) for alias `r<i>`. */
export const query = (n: number): string => {
  const indices = Array.from({ length: n }, (_, i) => i)
  const variables = indices.map((i) => `$o${i}: String!, $n${i}: String!`).join(", ")
  const fields = indices.map((i) =>
    `r${i}: repository(owner: $o${i}, name: $n${i}) { issues(first: 1, orderBy: {field: UPDATED_AT, direction: DESC}) { nodes { number updatedAt } } }`
  )
  return `query(${variables}) { ${fields.join(" ")} rateLimit { cost } }`
}

/** What the probe shows of one repository: a tag that moves with every change, and the newest change's time. */
export interface Newest {
  readonly tag: string
  readonly updatedAt: string | undefined
}

const RepoAnswer = Schema.Struct({
  issues: Schema.Struct({
    nodes: Schema.Array(Schema.Struct({ number: Schema.Number, updatedAt: Schema.String }))
  })
})
const decodeRepo = Schema.decodeUnknownOption(RepoAnswer)
const Answer = Schema.Record({ key: Schema.String, value: Schema.Unknown })

const newestOf = (value: unknown): Option.Option<Newest> =>
  Option.map(decodeRepo(value), ({ issues }) => {
    const newest = issues.nodes[0]
    return newest === undefined
      ? { tag: "graphql none", updatedAt: undefined }
      : { tag: `graphql ${newest.number} ${newest.updatedAt}`, updatedAt: newest.updatedAt }
  })

/** `items` grouped into queries: one owner each (as `repoOf` names it), at most `maxRepos` each. */
export const batches = <A>(
  items: ReadonlyArray<A>,
  repoOf: (item: A) => Domain.Repo
): ReadonlyArray<ReadonlyArray<A>> => {
  const byOwner = new Map<string, Array<A>>()
  for (const item of items) {
    const owner = Domain.repoOwner(repoOf(item)).toLowerCase()
    const known = byOwner.get(owner)
    if (known === undefined) byOwner.set(owner, [item])
    else known.push(item)
  }
  return [...byOwner.values()].flatMap((owned) =>
    Array.from({ length: Math.ceil(owned.length / maxRepos) }, (_, i) => owned.slice(i * maxRepos, (i + 1) * maxRepos))
  )
}

/** Probes one batch (one owner, at most `maxRepos`): each repository's newest change, or none where in doubt. */
export const probe = (
  client: GithubClient.Service,
  repos: ReadonlyArray<Domain.Repo>
): Effect.Effect<ReadonlyArray<Option.Option<Newest>>> => {
  const variables: Record<string, string> = {}
  repos.forEach((repo, i) => {
    variables[`o${i}`] = Domain.repoOwner(repo)
    variables[`n${i}`] = Domain.repoName(repo)
  })
  return client.graphql(
    { operation: "changeProbe", permission: "Issues: read", repo: repos[0] },
    query(repos.length),
    variables,
    Answer
  ).pipe(
    Effect.map((data) => repos.map((_, i) => newestOf(data[`r${i}`]))),
    Effect.orElseSucceed(() => repos.map(() => Option.none<Newest>()))
  )
}
