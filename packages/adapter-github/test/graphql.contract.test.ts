/**
 * Contract test for the one GraphQL query the adapter sends (an issue's last body edit): validated against
 * GitHub's published GraphQL schema (`@octokit/graphql-schema`), as the REST calls are against its OpenAPI
 * description; and the fake answers exactly that query, so the fake cannot drift from what GitHub accepts.
 */
import { describe, expect, it } from "@effect/vitest"
import { validate } from "@octokit/graphql-schema"
import * as GithubEdits from "../src/GithubEdits.js"
import * as GithubFakeGraphql from "../src/testing/GithubFakeGraphql.js"

describe("contract: the adapter's GraphQL query against GitHub's schema", () => {
  it("the last-edit query is valid against GitHub's schema", () => {
    expect(validate(GithubEdits.lastEditQuery).map((error) => error.message)).toEqual([])
  })

  it("the fake answers exactly the query GitHub's schema accepts", () => {
    expect(validate(GithubFakeGraphql.acceptedQuery).map((error) => error.message)).toEqual([])
    expect(GithubFakeGraphql.acceptedQuery).toBe(GithubEdits.lastEditQuery)
  })

  it("the schema check can fail: a field GitHub does not have is refused", () => {
    const wrong = GithubEdits.lastEditQuery.replace("lastEditedAt", "lastEditedOn")
    expect(validate(wrong).map((error) => error.message)).toEqual([
      "Cannot query field \"lastEditedOn\" on type \"Issue\". Did you mean \"lastEditedAt\"?"
    ])
  })
})
