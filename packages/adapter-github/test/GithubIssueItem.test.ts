/**
 * The listed issue's two decoders agree: `quickItem` (checked by hand, for a cold process's speed) takes only
 * what `IssueItemChecked` (Effect Schema, the definition) takes, and makes the same issue of it; `IssueItem`,
 * which lists use, answers exactly as `IssueItemChecked` does, failures and their messages included.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { IssueItem, IssueItemChecked, IssueItems, quickItem } from "../src/GithubTracker.js"

/** An item as GitHub's REST API lists it, with fields AFK does not read. */
const base = {
  id: 1,
  node_id: "I_1",
  number: 7,
  title: "Fix the parser",
  body: "Steps to reproduce.",
  state: "open",
  html_url: "https://github.com/acme/app/issues/7",
  user: { login: "maintainer", id: 3, type: "User" },
  labels: [{ id: 1, name: "ready-for-agent", color: "ededed" }, { id: 2, name: "bug" }],
  updated_at: "2026-06-01T00:00:00Z",
  repository_url: "https://api.github.com/repos/acme/app",
  comments: 0
}

const values: ReadonlyArray<unknown> = [
  undefined,
  null,
  0,
  -1,
  1,
  1.5,
  2 ** 53,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  "",
  "x",
  "closed",
  true,
  [],
  {},
  { login: "someone" },
  { login: 1 },
  { name: "n" },
  ["ready-for-agent"],
  [{ name: "a" }, "b"],
  [{ name: 1 }],
  [1],
  [true],
  [{ id: 1 }],
  [null],
  [[]],
  [["a"]],
  [{ name: undefined }]
]

/** The base item, and for every field: the field absent, and the field set to each of `values`. */
const variants: ReadonlyArray<unknown> = [
  base,
  null,
  [],
  "item",
  7,
  [base],
  ...Object.keys(base).flatMap((key) => {
    const { [key as keyof typeof base]: _, ...without } = base
    return [without, ...values.map((value) => ({ ...base, [key]: value }))]
  }),
  { ...base, pull_request: { url: "https://api.github.com/repos/acme/app/pulls/7" } },
  { ...base, pull_request: null },
  { ...base, pull_request: undefined },
  { ...base, body: null, user: null, labels: [] },
  { ...base, repository_url: "https://api.github.com/repos/Acme/App" },
  { ...base, repository_url: "not a repository" }
]

const checked = Schema.decodeUnknownEither(IssueItemChecked)
const listed = Schema.decodeUnknownEither(IssueItem)
const message = (error: ParseResult.ParseError) => ParseResult.TreeFormatter.formatErrorSync(error)

/** What a decoded issue is, its three non-enumerable properties included. */
const whole = (issue: typeof IssueItemChecked.Type) => ({
  ...issue,
  updated_at: issue.updated_at,
  repository_url: issue.repository_url,
  pull_request: issue.pull_request
})

describe("a listed GitHub issue is decoded quickly only where the schema would decode it the same", () => {
  it("quickItem takes nothing IssueItemChecked refuses, and makes the same issue of what it takes", () => {
    let taken = 0
    for (const input of variants) {
      const quick = quickItem(input)
      const slow = checked(input)
      if (quick === undefined) continue
      taken++
      expect(Either.isRight(slow), JSON.stringify(input)).toBe(true)
      if (Either.isRight(slow)) expect(whole(quick), JSON.stringify(input)).toEqual(whole(slow.right))
    }
    // Not vacuous: the valid variants (extra fields, null body or author, optional fields absent, labels as
    // names or objects) are taken quickly.
    expect(taken).toBeGreaterThan(40)
    expect(quickItem(base)).toBeDefined()
  })

  it("IssueItem answers as IssueItemChecked does: the same issue, or the same failure", () => {
    let refused = 0
    for (const input of variants) {
      const slow = checked(input)
      const fast = listed(input)
      expect(Either.isRight(fast), JSON.stringify(input)).toBe(Either.isRight(slow))
      if (Either.isRight(fast) && Either.isRight(slow)) expect(whole(fast.right)).toEqual(whole(slow.right))
      if (Either.isLeft(fast) && Either.isLeft(slow)) {
        refused++
        // The same tree of reasons, one level deeper (under `IssueItem`'s own transformation).
        const lines = (error: ParseResult.ParseError) =>
          message(error).split("\n").map((l) => l.replace(/^[\s└├│─]+/, ""))
        expect(lines(fast.left)).toEqual(expect.arrayContaining(lines(slow.left)))
      }
    }
    expect(refused).toBeGreaterThan(40)
  })

  it("a list: IssueItems answers as an array of IssueItemChecked does, one malformed item failing the list", () => {
    const checkedList = Schema.decodeUnknownEither(Schema.Array(IssueItemChecked))
    const quickList = Schema.decodeUnknownEither(IssueItems)
    const lists: ReadonlyArray<unknown> = [
      [],
      [base],
      variants,
      variants.filter((v) => quickItem(v) !== undefined),
      "x"
    ]
    for (const list of lists) {
      const slow = checkedList(list)
      const fast = quickList(list)
      expect(Either.isRight(fast)).toBe(Either.isRight(slow))
      if (Either.isRight(fast) && Either.isRight(slow)) expect(fast.right.map(whole)).toEqual(slow.right.map(whole))
    }
    expect(Either.isRight(quickList(lists[3]))).toBe(true)
  })

  it("encodes issues as the checked schema does (the cache file's form)", () => {
    const issues = variants.flatMap((v) => {
      const issue = quickItem(v)
      return issue === undefined ? [] : [issue]
    })
    expect(issues.length).toBeGreaterThan(40)
    expect(Schema.encodeSync(IssueItems)(issues)).toEqual(Schema.encodeSync(Schema.Array(IssueItemChecked))(issues))
    const [one] = issues
    expect(Schema.encodeSync(IssueItem)(one!)).toEqual(Schema.encodeSync(IssueItemChecked)(one!))
  })
})
