/**
 * The GitHub GraphQL endpoint as the fake answers it: exactly three query shapes. An issue's last body edit
 * (`repository(owner, name) { issue(number) { lastEditedAt editor { login } } }`), with its three variables
 * typed as GitHub declares them; the change probe over n repositories (`probeQuery(n)`: for each, under
 * the alias `r<i>`, its most recently updated issue of any state, pull requests left out as GitHub's
 * `Repository.issues` leaves them, and `rateLimit { cost }`); and issue lists by label (`listQuery(asks)`:
 * under the alias `a<i>`, the repository's `nameWithOwner` and its issues in `asks[i]`'s states carrying label
 * `$l<i>`, newest first, at most `first` (1–100) and the fake's page size of them and at most 100 and the page
 * size of each one's labels, with `pageInfo { hasNextPage }`;
 * a query asking more than GitHub's 500,000 nodes is refused as GitHub refuses it; `viewer { login }`, the
 * login the request is made as, as `GET /user` or an App's `<slug>[bot]`). Anything else is refused the way GitHub refuses
 * it: HTTP 200 with an `errors` array (each with `message` and `locations`, `type: "NOT_FOUND"` and a `path`
 * for a missing repository or issue, beside the `data` of the rest), or HTTP 400 for a body that is not a
 * query at all. A pull request's number is not an issue, as on GitHub.
 *
 * Each answer carries its rate-limit cost as GitHub computes it: one request per connection asked
 * (`first: 1` on each repository's issues; for a list, 1 for its issues and 1 per issue it may hold, `first`,
 * for their labels), their sum divided by 100 and rounded, at least 1.
 */
import { lower, updatedAt, type World } from "./GithubFakeWorld.js"

/** The one query the fake answers, as GitHub would read it (whitespace and commas are insignificant). */
export const acceptedQuery =
  "query($owner: String!, $name: String!, $number: Int!) { repository(owner: $owner, name: $name) { issue(number: $number) { lastEditedAt editor { login } } } }"

/** The change probe over `n` repositories, variables `$o<i>` (owner) and `$n<i>` (name) for alias `r<i>`. */
export const probeQuery = (n: number): string => {
  const indices = Array.from({ length: n }, (_, i) => i)
  const variables = indices.map((i) => `$o${i}: String!, $n${i}: String!`).join(", ")
  const fields = indices.map((i) =>
    `r${i}: repository(owner: $o${i}, name: $n${i}) { issues(first: 1, orderBy: {field: UPDATED_AT, direction: DESC}) { nodes { number updatedAt } } }`
  )
  return `query(${variables}) { ${fields.join(" ")} rateLimit { cost } }`
}

export interface Reply {
  readonly status: number
  readonly body: unknown
  /** The rate-limit points the answer costs (a refused query costs 1, as on GitHub). */
  readonly cost: number
}

const tokens = (query: string): ReadonlyArray<string> =>
  query.match(/\.\.\.|[A-Za-z_$][\w]*|[!{}():[\]=@]|"[^"]*"|-?\d+/g) ?? []

const accepted = tokens(acceptedQuery).join(" ")

const at = { line: 1, column: 1 }

const failure = (message: string, extra: Record<string, unknown> = {}): Reply => ({
  status: 200,
  body: { errors: [{ message, locations: [at], ...extra }] },
  cost: 1
})

const notFoundError = (path: ReadonlyArray<string>, message: string) => ({
  type: "NOT_FOUND",
  path,
  locations: [at],
  message
})

const notFound = (data: unknown, path: ReadonlyArray<string>, message: string): Reply => ({
  status: 200,
  body: { data, errors: [notFoundError(path, message)] },
  cost: 1
})

const invalidVariable = (name: string, type: string, value: unknown): Reply =>
  failure(`Variable $${name} of type ${type} was provided invalid value`, {
    extensions: { value: value ?? null, problems: [{ path: [], explanation: `Expected value to be a ${type}` }] }
  })

/** GitHub's score: one request per `first: 1` connection, the sum over 100, rounded, at least 1. */
const probeCost = (n: number): number => Math.max(1, Math.round(n / 100))

const newestIssue = (world: World, owner: string, name: string, now: string) => {
  const repo = world.repos.get(lower(`${owner}/${name}`))
  if (repo === undefined) return undefined
  const issues = [...repo.issues.values()].filter((issue) => !issue.isPullRequest)
    .map((issue) => ({ number: issue.number, updatedAt: updatedAt(issue, now) }))
  const newest = issues.reduce<{ number: number; updatedAt: string } | undefined>(
    (best, issue) =>
      best === undefined || Date.parse(issue.updatedAt) > Date.parse(best.updatedAt) ||
        (issue.updatedAt === best.updatedAt && issue.number > best.number)
        ? issue
        : best,
    undefined
  )
  return { nodes: newest === undefined ? [] : [newest] }
}

const probe = (world: World, n: number, variables: Record<string, unknown>, now: string): Reply => {
  const data: Record<string, unknown> = {}
  const errors: Array<unknown> = []
  for (let i = 0; i < n; i++) {
    const owner = variables[`o${i}`]
    const name = variables[`n${i}`]
    if (typeof owner !== "string") return invalidVariable(`o${i}`, "String!", owner)
    if (typeof name !== "string") return invalidVariable(`n${i}`, "String!", name)
    const issues = newestIssue(world, owner, name, now)
    data[`r${i}`] = issues === undefined ? null : { issues }
    if (issues === undefined) {
      errors.push(notFoundError([`r${i}`], `Could not resolve to a Repository with the name '${owner}/${name}'.`))
    }
  }
  const cost = probeCost(n)
  data.rateLimit = { cost }
  return { status: 200, body: errors.length === 0 ? { data } : { data, errors }, cost }
}

/** The `IssueState`s one alias of the list query asks (`states: [OPEN]`, `[CLOSED]` or `[OPEN, CLOSED]`). */
type ListState = ReadonlyArray<"OPEN" | "CLOSED">

/** Labels per issue the list query asks, and the most issues one list may ask (`first`, GitHub's 1–100). */
const listFirst = 100

/** One list of the list query: the states it asks and how many issues (`first`, 100 when not given). */
export interface ListAsk {
  readonly state: ListState
  readonly first?: number | undefined
}

/** A list as a sent query asks it. */
interface Asked {
  readonly state: ListState
  readonly first: number
}

/** One list of the list query: alias `a<i>`, variables `$o<i>`, `$n<i>`, `$l<i>`. */
const listField = (i: number, ask: ListAsk): string =>
  `a${i}: repository(owner: $o${i}, name: $n${i}) { nameWithOwner issues(labels: [$l${i}], states: [${
    ask.state.join(", ")
  }], first: ${
    ask.first ?? listFirst
  }, orderBy: {field: CREATED_AT, direction: DESC}) { pageInfo { hasNextPage } nodes { number title body state url createdAt updatedAt author { login } labels(first: ${listFirst}) { pageInfo { hasNextPage } nodes { name } } } } }`

/**
 * Issue lists by label over `asks.length` repositories (an alias per list, in `asks[i]`'s states, `first`
 * issues): a bare list of states asks 100 issues.
 */
export const listQuery = (asks: ReadonlyArray<ListState | ListAsk>): string => {
  const variables = asks.map((_, i) => `$o${i}: String!, $n${i}: String!, $l${i}: String!`).join(", ")
  return `query(${variables}) { ${
    asks.map((ask, i) => listField(i, "state" in ask ? ask : { state: ask })).join(" ")
  } viewer { login } rateLimit { cost } }`
}

/**
 * The lists a sent list query asks, in alias order (`states: [X, …], first: N`); none where one is not a
 * state or `first` is not a whole number from 1 to 100 (the query then matches no shape and is refused).
 */
const listAsks = (sent: ReadonlyArray<string>): ReadonlyArray<Asked> =>
  sent.flatMap((token, i) => {
    if (token !== "states" || sent[i + 1] !== ":" || sent[i + 2] !== "[") return []
    const end = sent.indexOf("]", i + 3)
    const named = sent.slice(i + 3, end < 0 ? i + 3 : end)
    const valid = named.length > 0 && named.every((state) => state === "OPEN" || state === "CLOSED")
    const first = end < 0 || sent[end + 1] !== "first" || sent[end + 2] !== ":" ? NaN : Number(sent[end + 3])
    return valid && Number.isInteger(first) && first >= 1 && first <= listFirst
      ? [{ state: named as ListState, first }]
      : []
  })

/** GitHub's node limit per query. */
const nodeLimit = 500_000

const listOf = (
  world: World,
  owner: string,
  name: string,
  label: string,
  ask: Asked,
  now: string,
  pageSize: number
) => {
  const repo = world.repos.get(lower(`${owner}/${name}`))
  if (repo === undefined) return undefined
  const { state } = ask
  const issuesFirst = Math.min(ask.first, pageSize)
  const first = Math.min(listFirst, pageSize)
  const matching = [...repo.issues.values()]
    .filter((issue) =>
      !issue.isPullRequest && state.some((asked) => issue.state === lower(asked)) &&
      issue.labels.some((have) => lower(have) === lower(label))
    )
    .sort((a, b) => b.number - a.number)
  return {
    nameWithOwner: repo.slug,
    issues: {
      pageInfo: { hasNextPage: matching.length > issuesFirst },
      nodes: matching.slice(0, issuesFirst).map((issue) => ({
        number: issue.number,
        title: issue.title,
        body: issue.body,
        state: issue.state === "closed" ? "CLOSED" : "OPEN",
        url: `https://github.com/${repo.slug}/issues/${issue.number}`,
        createdAt: "2026-01-01T00:00:00Z",
        updatedAt: updatedAt(issue, now),
        author: { login: issue.author },
        labels: {
          pageInfo: { hasNextPage: issue.labels.length > first },
          nodes: issue.labels.slice(0, first).map((label) => ({ name: label }))
        }
      }))
    }
  }
}

/**
 * GitHub's score of the list query: per alias one request for its issues and one per issue it may hold
 * (`first`) for their labels, summed, over 100, rounded, at least 1. `firsts`: each alias's `first`.
 */
export const listCost = (firsts: ReadonlyArray<number>): number =>
  Math.max(1, Math.round(firsts.reduce((sum, first) => sum + 1 + first, 0) / 100))

const lists = (
  world: World,
  asks: ReadonlyArray<Asked>,
  variables: Record<string, unknown>,
  now: string,
  pageSize: number,
  viewer: string
): Reply => {
  const nodes = asks.reduce((sum, ask) => sum + ask.first + ask.first * listFirst, 0)
  if (nodes > nodeLimit) {
    return failure(
      `This query requests up to ${nodes.toLocaleString("en-US")} possible nodes which exceeds the maximum limit of ${
        nodeLimit.toLocaleString("en-US")
      }.`,
      { type: "MAX_NODE_LIMIT_EXCEEDED" }
    )
  }
  const data: Record<string, unknown> = {}
  const errors: Array<unknown> = []
  for (const [i, ask] of asks.entries()) {
    const owner = variables[`o${i}`]
    const name = variables[`n${i}`]
    const label = variables[`l${i}`]
    if (typeof owner !== "string") return invalidVariable(`o${i}`, "String!", owner)
    if (typeof name !== "string") return invalidVariable(`n${i}`, "String!", name)
    if (typeof label !== "string") return invalidVariable(`l${i}`, "String!", label)
    const list = listOf(world, owner, name, label, ask, now, pageSize)
    data[`a${i}`] = list ?? null
    if (list === undefined) {
      errors.push(notFoundError([`a${i}`], `Could not resolve to a Repository with the name '${owner}/${name}'.`))
    }
  }
  const cost = listCost(asks.map((ask) => ask.first))
  data.viewer = { login: viewer }
  data.rateLimit = { cost }
  return { status: 200, body: errors.length === 0 ? { data } : { data, errors }, cost }
}

/**
 * Answers `POST /graphql` with the decoded JSON body, at `now` (ISO) on the fake's clock; a list query's
 * connections hold at most `pageSize` nodes (and say `hasNextPage` past them), as the REST pages do.
 */
export const answer = (world: World, body: unknown, now: string, pageSize = 100, viewer = world.bot): Reply => {
  const fields = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {}
  if (typeof fields.query !== "string") {
    return {
      status: 400,
      body: {
        message: "A query attribute must be specified and must be a string.",
        documentation_url: "https://docs.github.com/graphql"
      },
      cost: 0
    }
  }
  const variables = typeof fields.variables === "object" && fields.variables !== null
    ? (fields.variables as Record<string, unknown>)
    : {}
  const sent = tokens(fields.query)
  const repositories = sent.filter((token) => token === "repository").length
  if (repositories > 0 && sent.join(" ") === tokens(probeQuery(repositories)).join(" ")) {
    return probe(world, repositories, variables, now)
  }
  const asks = listAsks(sent)
  if (asks.length > 0 && sent.join(" ") === tokens(listQuery(asks)).join(" ")) {
    return lists(world, asks, variables, now, pageSize, viewer)
  }
  if (sent.join(" ") !== accepted) {
    return failure(
      `this GitHub fake answers only the query "${acceptedQuery}", probeQuery(n) and listQuery(states); it was sent "${fields.query}"`
    )
  }
  const { name, number, owner } = variables
  if (typeof owner !== "string") return invalidVariable("owner", "String!", owner)
  if (typeof name !== "string") return invalidVariable("name", "String!", name)
  if (typeof number !== "number" || !Number.isInteger(number)) return invalidVariable("number", "Int!", number)
  const repo = world.repos.get(lower(`${owner}/${name}`))
  if (repo === undefined) {
    return notFound(
      { repository: null },
      ["repository"],
      `Could not resolve to a Repository with the name '${owner}/${name}'.`
    )
  }
  const issue = repo.issues.get(number)
  if (issue === undefined || issue.isPullRequest) {
    return notFound(
      { repository: { issue: null } },
      ["repository", "issue"],
      `Could not resolve to an Issue with the number of ${number}.`
    )
  }
  const edit = issue.bodyEdit
  return {
    status: 200,
    cost: 1,
    body: {
      data: {
        repository: {
          issue: {
            lastEditedAt: edit?.at ?? null,
            editor: edit === undefined || edit.editor === null ? null : { login: edit.editor }
          }
        }
      }
    }
  }
}
