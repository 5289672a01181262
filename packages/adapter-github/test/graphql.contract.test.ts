/**
 * Contract test for the GraphQL queries the adapter sends (an issue's last body edit, and the change probe
 * over many repositories): validated against GitHub's published GraphQL schema (`@octokit/graphql-schema`), as
 * the REST calls are against its OpenAPI description; and the fake answers exactly those queries, so the fake
 * cannot drift from what GitHub accepts.
 */
import { describe, expect, it } from "@effect/vitest"
import { validate } from "@octokit/graphql-schema"
import * as GithubBatchLists from "../src/GithubBatchLists.js"
import * as GithubEdits from "../src/GithubEdits.js"
import * as GithubSweep from "../src/GithubSweep.js"
import * as GithubFakeGraphql from "../src/testing/GithubFakeGraphql.js"
import { GithubFake } from "../src/testing/index.js"

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

  it.each([[1], [3], [GithubSweep.maxRepos]])(
    "the change probe over %i repositories is valid against GitHub's schema",
    (n) => {
      expect(validate(GithubSweep.query(n)).map((error) => error.message)).toEqual([])
    }
  )

  it("the fake answers exactly the change probe the adapter sends", () => {
    expect(GithubFakeGraphql.probeQuery(3)).toBe(GithubSweep.query(3))
    expect(validate(GithubFakeGraphql.probeQuery(2)).map((error) => error.message)).toEqual([])
  })

  it("the schema check can fail: issues ordered by a field GitHub does not order by is refused", () => {
    const wrong = GithubSweep.query(1).replace("UPDATED_AT", "EDITED_AT")
    expect(validate(wrong).map((error) => error.message)).toEqual([
      expect.stringContaining("EDITED_AT")
    ])
  })

  it("the fake scores a probe as GitHub does: 100 repositories per point, at least one", () => {
    const world = GithubFake.make().world
    const cost = (n: number) =>
      GithubFakeGraphql.answer(
        world,
        {
          query: GithubFakeGraphql.probeQuery(n),
          variables: Object.fromEntries(
            Array.from({ length: n }, (_, i) => [[`o${i}`, "octo"], [`n${i}`, `r${i}`]]).flat()
          )
        },
        "2026-06-01T00:00:00Z"
      ).cost
    expect([cost(1), cost(100), cost(149), cost(151)]).toEqual([1, 1, 1, 2])
  })

  it("the fake refuses a probe whose shape differs from the one GitHub's schema accepts", () => {
    const world = GithubFake.make().world
    const reply = GithubFakeGraphql.answer(
      world,
      { query: GithubFakeGraphql.probeQuery(1).replace("first: 1", "first: 2"), variables: { o0: "octo", n0: "x" } },
      "2026-06-01T00:00:00Z"
    )
    expect(reply.body).toEqual({
      errors: [expect.objectContaining({ message: expect.stringContaining("probeQuery(n)") })]
    })
  })

  it.each([[["open"] as const], [["open", "open", "closed"] as const], [["all", "open"] as const]])(
    "the list query over %j is valid against GitHub's schema",
    (states) => {
      expect(validate(GithubBatchLists.query(states)).map((error) => error.message)).toEqual([])
    }
  )

  it("the fake answers exactly the list query the adapter sends", () => {
    expect(
      GithubFakeGraphql.listQuery([["OPEN"], ["CLOSED"], {
        state: ["OPEN", "CLOSED"],
        first: GithubBatchLists.shortPage
      }])
    ).toBe(GithubBatchLists.query(["open", "closed", "all"]))
  })

  it("the schema check can fail: a list filtered by a state GitHub does not have is refused", () => {
    const wrong = GithubBatchLists.query(["open"]).replace("OPEN", "READY")
    expect(validate(wrong).map((error) => error.message)).toEqual([expect.stringContaining("READY")])
  })

  it("the fake scores lists as GitHub does, and refuses a query past 500,000 nodes", () => {
    const world = GithubFake.make().world
    const reply = (n: number) =>
      GithubFakeGraphql.answer(
        world,
        {
          query: GithubFakeGraphql.listQuery(Array.from({ length: n }, () => ["OPEN"] as const)),
          variables: Object.fromEntries(
            Array.from({ length: n }, (_, i) => [[`o${i}`, "octo"], [`n${i}`, `r${i}`], [`l${i}`, "afk"]]).flat()
          )
        },
        "2026-06-01T00:00:00Z"
      )
    expect([1, 10, GithubBatchLists.maxAsks].map((n) => reply(n).cost)).toEqual([1, 10, 49])
    expect(reply(GithubBatchLists.maxAsks + 1).body).toEqual({
      errors: [expect.objectContaining({ type: "MAX_NODE_LIMIT_EXCEEDED" })]
    })
  })

  it("the fake scores a list by the issues it asks for, and refuses `first` outside 1–100", () => {
    const world = GithubFake.make().world
    const reply = (asks: ReadonlyArray<GithubFakeGraphql.ListAsk>, query = GithubFakeGraphql.listQuery(asks)) =>
      GithubFakeGraphql.answer(
        world,
        {
          query,
          variables: Object.fromEntries(
            asks.map((_, i) => [[`o${i}`, "octo"], [`n${i}`, `r${i}`], [`l${i}`, "afk"]]).flat()
          )
        },
        "2026-06-01T00:00:00Z"
      )
    const full = { state: ["OPEN"] } as const
    const short = { state: ["OPEN", "CLOSED"], first: 10 } as const
    // 49 full lists and 5 of 10: (49 × 101 + 5 × 11) / 100 = 50.04, 499,950 nodes; a sixth short list is one
    // too many (501,960 nodes).
    expect(reply([...Array(49).fill(full), ...Array(5).fill(short)]).cost).toBe(50)
    expect(reply([...Array(49).fill(full), ...Array(6).fill(short)]).body).toEqual({
      errors: [expect.objectContaining({ type: "MAX_NODE_LIMIT_EXCEEDED" })]
    })
    expect(reply(Array(100).fill(short)).cost).toBe(11)
    for (const first of ["0", "101", "1.5"]) {
      const wrong = GithubFakeGraphql.listQuery([short]).replace("first: 10,", `first: ${first},`)
      expect(reply([short], wrong).body).toEqual({
        errors: [expect.objectContaining({ message: expect.stringContaining("listQuery") })]
      })
    }
  })
})
