import { describe, expect, it } from "@effect/vitest"
import { Issue, IssueRef, repo } from "../src/Domain.js"

const fields = {
  number: 7,
  title: "Fix it",
  body: "",
  labels: ["ready-for-agent"],
  state: "open" as const,
  author: "reporter",
  url: "https://example.test/acme/app/issues/7"
}

describe("an issue's ref", () => {
  it("is made once per issue, from fields checked when the issue was made", () => {
    const issue = new Issue({ ...fields, repo: repo("acme/app") })
    expect(issue.ref).toBe(issue.ref)
    expect(issue.ref).toEqual(new IssueRef({ repo: repo("acme/app"), number: 7 }))
    expect(String(issue.ref)).toBe("acme/app#7")
  })

  it("does not check those fields again: only the constructor of the issue does", () => {
    expect(() => new Issue({ ...fields, repo: repo("acme/app"), number: 0 })).toThrow(/positive/)
    const unchecked = new Issue({ ...fields, repo: repo("acme/app"), number: 0 }, true)
    expect(String(unchecked.ref)).toBe("acme/app#0")
  })
})
