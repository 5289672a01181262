/**
 * The GitHub GraphQL endpoint as the fake answers it: exactly one query shape, an issue's last body edit
 * (`repository(owner, name) { issue(number) { lastEditedAt editor { login } } }`), with its three variables
 * typed as GitHub declares them. Anything else is refused the way GitHub refuses it: HTTP 200 with an
 * `errors` array (each with `message` and `locations`, `type: "NOT_FOUND"` and a `path` for a missing
 * repository or issue), or HTTP 400 for a body that is not a query at all. A pull request's number is not
 * an issue, as on GitHub.
 */
import { lower, type World } from "./GithubFakeWorld.js"

/** The one query the fake answers, as GitHub would read it (whitespace and commas are insignificant). */
export const acceptedQuery =
  "query($owner: String!, $name: String!, $number: Int!) { repository(owner: $owner, name: $name) { issue(number: $number) { lastEditedAt editor { login } } } }"

export interface Reply {
  readonly status: number
  readonly body: unknown
}

const tokens = (query: string): ReadonlyArray<string> =>
  query.match(/\.\.\.|[A-Za-z_$][\w]*|[!{}():[\]=@]|"[^"]*"|-?\d+/g) ?? []

const accepted = tokens(acceptedQuery).join(" ")

const at = { line: 1, column: 1 }

const failure = (message: string, extra: Record<string, unknown> = {}): Reply => ({
  status: 200,
  body: { errors: [{ message, locations: [at], ...extra }] }
})

const notFound = (data: unknown, path: ReadonlyArray<string>, message: string): Reply => ({
  status: 200,
  body: { data, errors: [{ type: "NOT_FOUND", path, locations: [at], message }] }
})

const invalidVariable = (name: string, type: string, value: unknown): Reply =>
  failure(`Variable $${name} of type ${type} was provided invalid value`, {
    extensions: { value: value ?? null, problems: [{ path: [], explanation: `Expected value to be a ${type}` }] }
  })

/** Answers `POST /graphql` with the decoded JSON body. */
export const answer = (world: World, body: unknown): Reply => {
  const fields = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {}
  if (typeof fields.query !== "string") {
    return {
      status: 400,
      body: {
        message: "A query attribute must be specified and must be a string.",
        documentation_url: "https://docs.github.com/graphql"
      }
    }
  }
  if (tokens(fields.query).join(" ") !== accepted) {
    return failure(`this GitHub fake answers only the query "${acceptedQuery}"; it was sent "${fields.query}"`)
  }
  const variables = typeof fields.variables === "object" && fields.variables !== null
    ? (fields.variables as Record<string, unknown>)
    : {}
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
