/**
 * The conformance suite of the `PullRequests` port: the behavioural checks every adapter must pass, whatever
 * forge it speaks to, as the port's contract states them. An adapter's test file calls `run(name, build)`
 * where `build()` starts a fake of its forge (speaking the real wire format) with one repository, and returns
 * a `Forge`: the adapter over it, and a small driver acting on the forge as people and pushes do (a push to a
 * branch, a review, a close, a conflict, branch protection).
 *
 * Import it from `afk-core/pull-requests/conformance` (it needs vitest; `afk-core/testing` does not).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import { type Repo, repo as parseRepo, repoName, repoOwner } from "../Domain.js"
import type { MergeResult, PullRequest, PullRequestsError, Review, Service } from "../PullRequests.js"

/** A review a person submits on the forge, on the pull request's head now. */
export interface ReviewInput {
  readonly author: string
  readonly state: "approved" | "changes-requested" | "commented"
  readonly body?: string
  /** Inline comments, in the order they were written. */
  readonly comments?: ReadonlyArray<{ readonly path: string; readonly line: number; readonly body: string }>
}

/** The adapter under test, and what the suite does on its forge between the adapter's calls. */
export interface Forge {
  readonly service: Service
  /** The repository the forge holds (its default branch exists, with a commit of its own). */
  readonly repo: Repo
  readonly defaultBranch: string
  /** The login the adapter acts as: the author of the pull requests it opens. */
  readonly bot: string
  /** A login with write access to the repository: its approval counts for branch protection. */
  readonly trusted: string
  /** Pushes commit `sha` (40 hex) to `branch`, creating it; the open pull request from it follows. */
  readonly push: (branch: string, sha: string) => Effect.Effect<void>
  readonly review: (number: number, review: ReviewInput) => Effect.Effect<void>
  /** A person closes the pull request without merging it. */
  readonly close: (number: number) => Effect.Effect<void>
  /** Whether the forge finds the pull request's head conflicting with its base. */
  readonly conflict: (number: number, conflicting: boolean) => Effect.Effect<void>
  /** Protects the default branch: `approvals` approving reviews by writers needed before a merge. */
  readonly protect: (approvals: number) => Effect.Effect<void>
}

export type Build = () => Effect.Effect<Forge, never, Scope.Scope>

const branch = "afk/7-r1"
const other = "afk/8-r1"
const first = "1".repeat(40)
const second = "2".repeat(40)
const third = "3".repeat(40)

const hex40 = /^[0-9a-f]{40}$/

const request = (head: string) => ({ head, title: `Deliver ${head}`, body: `From ${head}` })

const merge = (forge: Forge, number: number, sha: string) =>
  forge.service.merge(forge.repo, number, { sha, method: "squash", title: `Deliver #${number}` })

/** The merge commit of a `Merged` result; fails the test on any other. */
const mergedSha = (result: MergeResult): string => {
  expect(result, JSON.stringify(result)).toMatchObject({ _tag: "Merged" })
  return (result as Extract<MergeResult, { _tag: "Merged" }>).sha
}

/** The refusal of a `Refused` result, checked to be of `tag` with words in it; fails the test on any other. */
const refusedAs = (result: MergeResult, tag: "HeadMoved" | "Conflict" | "Blocked"): void => {
  expect(result._tag, JSON.stringify(result)).toBe("Refused")
  const refusal = (result as Extract<MergeResult, { _tag: "Refused" }>).refusal
  expect(refusal._tag, JSON.stringify(refusal)).toBe(tag)
  expect(refusal.detail.trim()).not.toBe("")
}

const failsNotTransient = (error: PullRequestsError): void => {
  expect(error._tag).toBe("PullRequestsError")
  expect(error.transient, error.message).toBe(false)
}

const numberOf = (found: Option.Option<PullRequest>): number | undefined =>
  Option.getOrUndefined(Option.map(found, (pull) => pull.number))

/** What a review says, without its id and times (which each forge gives its own way). */
const said = (review: Review) => ({
  author: review.author,
  state: review.state,
  body: review.body,
  comments: review.comments.map((comment) => ({ ...comment }))
})

/** `Acme/WIDGETS` for `acme/widgets`: the same repository to a forge, spelt otherwise. */
const respelt = (repo: Repo): Repo =>
  parseRepo(`${repoOwner(repo).replace(/^./, (c) => c.toUpperCase())}/${repoName(repo).toUpperCase()}`)

/** Registers the suite under `describe(name)`. */
export const run = (name: string, build: Build): void => {
  describe(`${name}: PullRequests conformance`, () => {
    const withForge = <A, E>(f: (forge: Forge) => Effect.Effect<A, E>) => Effect.scoped(Effect.flatMap(build(), f))

    /** The forge with `branch` pushed at `first` and its pull request opened by the adapter. */
    const withOpened = <A, E>(f: (forge: Forge, pull: PullRequest) => Effect.Effect<A, E>) =>
      withForge((forge) =>
        Effect.gen(function*() {
          yield* forge.push(branch, first)
          const pull = yield* forge.service.open(forge.repo, request(branch))
          return yield* f(forge, pull)
        })
      )

    it.effect("findOpen: none before a pull request is opened, then the open one, from the given branch only", () =>
      withForge((forge) =>
        Effect.gen(function*() {
          const { repo, service } = forge
          yield* forge.push(branch, first)
          yield* forge.push(other, second)
          expect(yield* service.findOpen(repo, branch)).toEqual(Option.none())
          const pull = yield* service.open(repo, request(branch))
          const found = yield* service.findOpen(repo, branch)
          expect(numberOf(found)).toBe(pull.number)
          expect(Option.map(found, (p) => [p.state, p.head, p.headSha, p.base])).toEqual(
            Option.some(["open", branch, first, forge.defaultBranch])
          )
          expect(yield* service.findOpen(repo, other)).toEqual(Option.none())
          expect(yield* service.findOpen(repo, "afk/9-r1")).toEqual(Option.none())
          const another = yield* service.open(repo, request(other))
          expect(another.number).not.toBe(pull.number)
          expect(numberOf(yield* service.findOpen(repo, other))).toBe(another.number)
          expect(numberOf(yield* service.findOpen(repo, branch))).toBe(pull.number)
        })
      ))

    it.effect("findOpen: never a closed pull request; a new one from the same branch is found instead", () =>
      withOpened((forge, pull) =>
        Effect.gen(function*() {
          const { repo, service } = forge
          yield* forge.close(pull.number)
          expect(yield* service.findOpen(repo, branch)).toEqual(Option.none())
          const reopened = yield* service.open(repo, request(branch))
          expect(reopened.number).not.toBe(pull.number)
          expect(reopened.state).toBe("open")
          expect(numberOf(yield* service.findOpen(repo, branch))).toBe(reopened.number)
        })
      ))

    it.effect("findOpen: never a merged pull request", () =>
      withOpened((forge, pull) =>
        Effect.gen(function*() {
          mergedSha(yield* merge(forge, pull.number, first))
          expect(yield* forge.service.findOpen(forge.repo, branch)).toEqual(Option.none())
        })
      ))

    it.effect("open: the pull request from the branch at its pushed commit into the default branch, by the bot", () =>
      withOpened((forge, pull) =>
        Effect.sync(() => {
          expect(Number.isInteger(pull.number) && pull.number > 0).toBe(true)
          expect(pull.url).toMatch(/^https?:\/\/\S+$/)
          expect(pull.url).toContain(String(pull.number))
          expect({ ...pull, number: 0, url: "" }).toMatchObject({
            state: "open",
            head: branch,
            headSha: first,
            base: forge.defaultBranch,
            author: forge.bot
          })
          expect(pull.mergeSha).toBeUndefined()
          expect(pull.mergeable).not.toBe(false)
        })
      ))

    it.effect("open: a second open of the same branch adopts the open one; there is only one", () =>
      withOpened((forge, pull) =>
        Effect.gen(function*() {
          const { repo, service } = forge
          const again = yield* service.open(repo, { ...request(branch), title: "Deliver again" })
          expect(again.number).toBe(pull.number)
          expect(again.state).toBe("open")
          expect(again.head).toBe(branch)
          // Were there two, the other would be found once this one is closed.
          yield* forge.close(pull.number)
          expect(yield* service.findOpen(repo, branch)).toEqual(Option.none())
        })
      ))

    it.effect("open: a branch never pushed fails, not transient, and opens nothing", () =>
      withForge((forge) =>
        Effect.gen(function*() {
          const error = yield* Effect.flip(forge.service.open(forge.repo, request("afk/99-r1")))
          failsNotTransient(error)
          expect(error.detail).toContain("afk/99-r1")
          expect(yield* forge.service.findOpen(forge.repo, "afk/99-r1")).toEqual(Option.none())
        })
      ))

    it.effect("get: an open pull request as it is now, following a push to its branch", () =>
      withOpened((forge, pull) =>
        Effect.gen(function*() {
          yield* forge.push(branch, second)
          const now = yield* forge.service.get(forge.repo, pull.number)
          expect([now.number, now.state, now.head, now.headSha, now.base, now.author]).toEqual([
            pull.number,
            "open",
            branch,
            second,
            forge.defaultBranch,
            forge.bot
          ])
          expect(now.mergeSha).toBeUndefined()
        })
      ))

    it.effect("get: a merged or closed pull request keeps the head it had; a later push to its branch moves nothing", () =>
      withOpened((forge, pull) =>
        Effect.gen(function*() {
          const { repo, service } = forge
          mergedSha(yield* merge(forge, pull.number, first))
          yield* forge.push(branch, second)
          expect((yield* service.get(repo, pull.number)).headSha).toBe(first)
          yield* forge.push(other, first)
          const closing = yield* service.open(repo, request(other))
          yield* forge.close(closing.number)
          yield* forge.push(other, third)
          expect((yield* service.get(repo, closing.number)).headSha).toBe(first)
        })
      ))

    it.effect("names the repository in any case the forge accepts", () =>
      withOpened((forge, pull) =>
        Effect.gen(function*() {
          const { service } = forge
          const asked = respelt(forge.repo)
          expect(asked).not.toBe(forge.repo)
          expect(numberOf(yield* service.findOpen(asked, branch))).toBe(pull.number)
          expect((yield* service.get(asked, pull.number)).head).toBe(branch)
          expect((yield* service.open(asked, request(branch))).number).toBe(pull.number)
        })
      ))

    it.effect("get: closed by a person, without a merge commit", () =>
      withOpened((forge, pull) =>
        Effect.gen(function*() {
          yield* forge.close(pull.number)
          const closed = yield* forge.service.get(forge.repo, pull.number)
          expect(closed.state).toBe("closed")
          expect(closed.mergeSha).toBeUndefined()
          expect(closed.head).toBe(branch)
        })
      ))

    it.effect("get: a pull request that does not exist fails, not transient", () =>
      withOpened((forge, pull) =>
        Effect.map(
          Effect.flip(forge.service.get(forge.repo, pull.number + 1000)),
          (error) => {
            failsNotTransient(error)
            expect(error.status).toBe(404)
          }
        )
      ))

    it.effect("reviews: none before any; then every submitted review oldest first, states mapped, with inline comments", () =>
      withOpened((forge, pull) =>
        Effect.gen(function*() {
          const { repo, service } = forge
          expect(yield* service.reviews(repo, pull.number)).toEqual([])
          yield* forge.review(pull.number, {
            author: forge.trusted,
            state: "changes-requested",
            body: "Two things.",
            comments: [
              { path: "src/a.ts", line: 3, body: "Rename this." },
              { path: "src/b.ts", line: 10, body: "Handle the error." }
            ]
          })
          yield* forge.review(pull.number, { author: "a-reader", state: "commented", body: "Looks fine to me." })
          yield* forge.push(branch, second)
          yield* forge.review(pull.number, { author: forge.trusted, state: "approved" })
          const reviews = yield* service.reviews(repo, pull.number)
          expect(reviews.map(said)).toEqual([
            {
              author: forge.trusted,
              state: "changes-requested",
              body: "Two things.",
              comments: [
                { path: "src/a.ts", line: 3, body: "Rename this." },
                { path: "src/b.ts", line: 10, body: "Handle the error." }
              ]
            },
            { author: "a-reader", state: "commented", body: "Looks fine to me.", comments: [] },
            { author: forge.trusted, state: "approved", body: "", comments: [] }
          ])
          expect(new Set(reviews.map((review) => review.id)).size).toBe(3)
          const times = reviews.map((review) => review.submittedAt.epochMillis)
          expect(times).toEqual([...times].sort((a, b) => a - b))
          // The commit each was given on, where the forge tells.
          expect(reviews.map((review) => review.commitSha ?? "untold")).toEqual(
            [first, first, second].map((sha, i) => reviews[i]?.commitSha === undefined ? "untold" : sha)
          )
        })
      ))

    it.effect("merge: with the head commit merges, and get reads it merged with that merge commit", () =>
      withOpened((forge, pull) =>
        Effect.gen(function*() {
          const sha = mergedSha(yield* merge(forge, pull.number, first))
          expect(sha).toMatch(hex40)
          const after = yield* forge.service.get(forge.repo, pull.number)
          expect(after.state).toBe("merged")
          expect(after.mergeSha).toBe(sha)
        })
      ))

    it.effect("merge: a stale head commit is refused as HeadMoved and merges nothing; the new head merges", () =>
      withOpened((forge, pull) =>
        Effect.gen(function*() {
          yield* forge.push(branch, second)
          refusedAs(yield* merge(forge, pull.number, first), "HeadMoved")
          const after = yield* forge.service.get(forge.repo, pull.number)
          expect([after.state, after.headSha, after.mergeSha]).toEqual(["open", second, undefined])
          mergedSha(yield* merge(forge, pull.number, second))
        })
      ))

    it.effect("merge: a conflicting branch is refused as Conflict and merges nothing", () =>
      withOpened((forge, pull) =>
        Effect.gen(function*() {
          yield* forge.conflict(pull.number, true)
          refusedAs(yield* merge(forge, pull.number, first), "Conflict")
          const after = yield* forge.service.get(forge.repo, pull.number)
          expect([after.state, after.mergeable]).toEqual(["open", false])
          yield* forge.conflict(pull.number, false)
          mergedSha(yield* merge(forge, pull.number, first))
        })
      ))

    it.effect("merge: refused as Blocked while protection lacks an approval, merged once a writer approves the head", () =>
      withOpened((forge, pull) =>
        Effect.gen(function*() {
          yield* forge.protect(1)
          refusedAs(yield* merge(forge, pull.number, first), "Blocked")
          yield* forge.review(pull.number, { author: forge.trusted, state: "commented", body: "Reading." })
          refusedAs(yield* merge(forge, pull.number, first), "Blocked")
          expect((yield* forge.service.get(forge.repo, pull.number)).state).toBe("open")
          yield* forge.review(pull.number, { author: forge.trusted, state: "approved" })
          const sha = mergedSha(yield* merge(forge, pull.number, first))
          expect((yield* forge.service.get(forge.repo, pull.number)).mergeSha).toBe(sha)
        })
      ))

    it.effect("merge: only a writer's approval counts, and only while it is their latest say", () =>
      withOpened((forge, pull) =>
        Effect.gen(function*() {
          yield* forge.protect(1)
          yield* forge.review(pull.number, { author: "a-reader", state: "approved" })
          refusedAs(yield* merge(forge, pull.number, first), "Blocked")
          yield* forge.review(pull.number, { author: forge.trusted, state: "approved" })
          yield* forge.review(pull.number, { author: forge.trusted, state: "changes-requested", body: "Wait." })
          refusedAs(yield* merge(forge, pull.number, first), "Blocked")
          expect((yield* forge.service.get(forge.repo, pull.number)).state).toBe("open")
          yield* forge.review(pull.number, { author: forge.trusted, state: "approved" })
          mergedSha(yield* merge(forge, pull.number, first))
        })
      ))

    it.effect("merge: an already merged pull request reads back its merge commit, never merged twice", () =>
      withOpened((forge, pull) =>
        Effect.gen(function*() {
          const sha = mergedSha(yield* merge(forge, pull.number, first))
          expect(mergedSha(yield* merge(forge, pull.number, first))).toBe(sha)
          expect(mergedSha(yield* merge(forge, pull.number, first))).toBe(sha)
          const after = yield* forge.service.get(forge.repo, pull.number)
          expect([after.state, after.mergeSha]).toEqual(["merged", sha])
        })
      ))

    it.effect("merge: a pull request a person closed is refused as Blocked, not merged", () =>
      withOpened((forge, pull) =>
        Effect.gen(function*() {
          yield* forge.close(pull.number)
          refusedAs(yield* merge(forge, pull.number, first), "Blocked")
          expect((yield* forge.service.get(forge.repo, pull.number)).state).toBe("closed")
        })
      ))

    it.effect("deleteBranch: deletes a merged pull request's branch; deleting it again is a no-op", () =>
      withOpened((forge, pull) =>
        Effect.gen(function*() {
          const { repo, service } = forge
          mergedSha(yield* merge(forge, pull.number, first))
          yield* service.deleteBranch(repo, branch)
          failsNotTransient(yield* Effect.flip(service.open(repo, request(branch))))
          expect(yield* service.findOpen(repo, branch)).toEqual(Option.none())
          yield* service.deleteBranch(repo, branch)
          yield* service.deleteBranch(repo, "afk/never-pushed")
          const after = yield* service.get(repo, pull.number)
          expect([after.state, after.head, after.headSha]).toEqual(["merged", branch, first])
        })
      ))

    it.effect("deleteBranch: deleting the branch of an open pull request closes it, as the forge does", () =>
      withOpened((forge, pull) =>
        Effect.gen(function*() {
          const { repo, service } = forge
          yield* service.deleteBranch(repo, branch)
          expect(yield* service.findOpen(repo, branch)).toEqual(Option.none())
          const after = yield* service.get(repo, pull.number)
          expect([after.state, after.head, after.headSha]).toEqual(["closed", branch, first])
          refusedAs(yield* merge(forge, pull.number, first), "Blocked")
        })
      ))

    it.effect("deleteBranch: deletes only the branch given", () =>
      withForge((forge) =>
        Effect.gen(function*() {
          const { repo, service } = forge
          yield* forge.push(branch, first)
          yield* forge.push(other, third)
          yield* service.deleteBranch(repo, branch)
          failsNotTransient(yield* Effect.flip(service.open(repo, request(branch))))
          const kept = yield* service.open(repo, request(other))
          expect([kept.head, kept.headSha]).toEqual([other, third])
        })
      ))

    it.effect("deleteBranch: the default branch is refused, not transient, and stays", () =>
      withOpened((forge, pull) =>
        Effect.gen(function*() {
          failsNotTransient(yield* Effect.flip(forge.service.deleteBranch(forge.repo, forge.defaultBranch)))
          mergedSha(yield* merge(forge, pull.number, first))
          yield* forge.push(other, second)
          expect((yield* forge.service.open(forge.repo, request(other))).base).toBe(forge.defaultBranch)
        })
      ))
  })
}
