import { describe, expect, it } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import * as DispatchPolicy from "../src/DispatchPolicy.js"
import { Issue, IssueRef, type Repo, repo } from "../src/Domain.js"

const alpha = repo("acme/alpha")
const beta = repo("acme/beta")
const gamma = repo("acme/gamma")
const outside = repo("other/outside")

const config: DispatchPolicy.PolicyConfig = {
  killSwitch: false,
  allowlist: [alpha, beta, gamma],
  readyLabel: "ready-for-agent",
  lockLabel: "agent-in-progress",
  humanLabel: "ready-for-human",
  pausedLabel: "paused",
  maxConcurrentRuns: 3,
  defaultPriority: 0
}

interface IssueSpec {
  readonly repo?: Repo
  readonly number: number
  readonly labels?: ReadonlyArray<string>
  readonly state?: "open" | "closed"
  readonly body?: string
}

const issue = (spec: IssueSpec) => {
  const r = spec.repo ?? alpha
  return new Issue({
    repo: r,
    number: spec.number,
    title: `Issue ${spec.number}`,
    body: spec.body ?? "",
    labels: [...(spec.labels ?? ["ready-for-agent"])],
    state: spec.state ?? "open",
    author: "someone",
    url: `https://example.test/${r}/issues/${spec.number}`
  })
}

const candidate = (
  spec: IssueSpec,
  extra: { trusted?: boolean; blockers?: ReadonlyArray<DispatchPolicy.Blocker> } = {}
): DispatchPolicy.Candidate => ({
  issue: issue(spec),
  trusted: extra.trusted ?? true,
  blockers: extra.blockers ?? []
})

const decide = (
  candidates: ReadonlyArray<DispatchPolicy.Candidate>,
  options: { lockedRepos?: ReadonlyArray<Repo>; inFlight?: number; config?: Partial<DispatchPolicy.PolicyConfig> } = {}
) =>
  DispatchPolicy.decide({
    candidates,
    lockedRepos: new Set(options.lockedRepos ?? []),
    inFlight: options.inFlight ?? 0,
    config: { ...config, ...options.config }
  })

const dispatched = (result: ReturnType<typeof decide>) => result.dispatch.map((d) => d.issue.ref.toString())
const refusal = (result: ReturnType<typeof decide>, ref: string) =>
  result.refused.find((r) => r.issue.ref.toString() === ref)?.reason

describe("DispatchPolicy rules", () => {
  it("rule 1: the kill switch refuses everything before anything else", () => {
    const result = decide([candidate({ number: 1 }), candidate({ number: 2, state: "closed" })], {
      config: { killSwitch: true }
    })
    expect(result.dispatch).toEqual([])
    expect(result.refused.map((r) => r.reason)).toEqual(["kill-switch", "kill-switch"])
  })

  it("rule 2: a closed issue is refused", () => {
    expect(refusal(decide([candidate({ number: 1, state: "closed" })]), "acme/alpha#1")).toBe("closed")
  })

  it("rule 2: an issue without the ready label is refused", () => {
    expect(refusal(decide([candidate({ number: 1, labels: ["bug"] })]), "acme/alpha#1")).toBe("not-ready")
  })

  it("rule 2: the human label refuses", () => {
    const result = decide([candidate({ number: 1, labels: ["ready-for-agent", "ready-for-human"] })])
    expect(refusal(result, "acme/alpha#1")).toBe("human")
  })

  it("rule 2: the paused label refuses", () => {
    const result = decide([candidate({ number: 1, labels: ["ready-for-agent", "paused"] })])
    expect(refusal(result, "acme/alpha#1")).toBe("paused")
  })

  it("rule 2: a ready label applied by an untrusted actor refuses", () => {
    expect(refusal(decide([candidate({ number: 1 }, { trusted: false })]), "acme/alpha#1")).toBe("untrusted")
  })

  it("rule 2: a repo outside the allowlist is refused (exact owner/name)", () => {
    expect(refusal(decide([candidate({ repo: outside, number: 1 })]), "other/outside#1")).toBe("not-allowlisted")
    const lookalike = repo("acme/alpha-fork")
    expect(refusal(decide([candidate({ repo: lookalike, number: 1 })]), "acme/alpha-fork#1")).toBe("not-allowlisted")
    expect(refusal(decide([candidate({ number: 1 })], { config: { allowlist: [] } }), "acme/alpha#1")).toBe(
      "not-allowlisted"
    )
  })

  it("the allowlist is a set: thousands of repos × issues read each entry once, any case", () => {
    const repos = Array.from({ length: 2_000 }, (_, i) => `acme/repo-${i}`)
    let reads = 0
    const counted = new Proxy(repos, {
      get: (target, key, receiver) => {
        if (typeof key === "string" && /^\d+$/.test(key)) reads++
        return Reflect.get(target, key, receiver)
      }
    })
    for (const [i, name] of repos.entries()) {
      expect(DispatchPolicy.allowlisted(counted, i % 2 === 0 ? name : name.toUpperCase())).toBe(true)
    }
    expect(DispatchPolicy.allowlisted(counted, "acme/repo-2000")).toBe(false)
    expect(reads).toBeLessThanOrEqual(repos.length)
  })

  it("rule 2: a locked repo refuses", () => {
    expect(refusal(decide([candidate({ number: 1 })], { lockedRepos: [alpha] }), "acme/alpha#1")).toBe("repo-locked")
  })

  it("rule 2: an open, missing or unresolved blocker refuses; closed blockers do not", () => {
    const ref = (n: number) => new IssueRef({ repo: alpha, number: n })
    const open = candidate({ number: 1 }, { blockers: [{ ref: ref(9), state: "open" }] })
    const missing = candidate({ repo: beta, number: 2 }, { blockers: [{ ref: ref(9), state: "missing" }] })
    const unresolved = candidate({ repo: gamma, number: 3, body: "Blocked by #7" })
    expect(decide([open, missing, unresolved]).refused.map((r) => r.reason)).toEqual(["blocked", "blocked", "blocked"])
    const closed = candidate({ number: 4, body: "Blocked by #9" }, { blockers: [{ ref: ref(9), state: "closed" }] })
    expect(dispatched(decide([closed]))).toEqual(["acme/alpha#4"])
  })

  it("rule 3: at most one run per repo; the loser is repo-busy", () => {
    const result = decide([candidate({ number: 2 }), candidate({ number: 1 })])
    expect(dispatched(result)).toEqual(["acme/alpha#1"])
    expect(refusal(result, "acme/alpha#2")).toBe("repo-busy")
  })

  it("rule 3: never more than maxConcurrentRuns in flight overall; the rest are at-capacity", () => {
    const candidates = [
      candidate({ number: 1 }),
      candidate({ repo: beta, number: 2 }),
      candidate({ repo: gamma, number: 3 })
    ]
    const result = decide(candidates, { inFlight: 2 })
    expect(dispatched(result)).toEqual(["acme/alpha#1"])
    expect(refusal(result, "acme/beta#2")).toBe("at-capacity")
    expect(refusal(result, "acme/gamma#3")).toBe("at-capacity")
    expect(decide(candidates, { inFlight: 5 }).dispatch).toEqual([])
  })

  it("rule 4: lowest priority label first, then lowest number", () => {
    const candidates = [
      candidate({ number: 1, labels: ["ready-for-agent", "priority:2"] }),
      candidate({ repo: beta, number: 5, labels: ["ready-for-agent", "priority:1"] }),
      candidate({ repo: gamma, number: 3, labels: ["ready-for-agent", "priority:1"] })
    ]
    const result = decide(candidates, { config: { maxConcurrentRuns: 2 } })
    expect(dispatched(result)).toEqual(["acme/gamma#3", "acme/beta#5"])
    expect(result.dispatch.map((d) => d.priority)).toEqual([1, 1])
  })

  it("rule 4: an ineligible issue never takes a repo's slot", () => {
    const urgentButPaused = candidate({ number: 1, labels: ["ready-for-agent", "paused", "priority:-5"] })
    const result = decide([urgentButPaused, candidate({ number: 2 })])
    expect(dispatched(result)).toEqual(["acme/alpha#2"])
  })

  it("gives every dispatch a readable reason", () => {
    const [decision] = decide([candidate({ number: 4, labels: ["ready-for-agent", "priority:3"] })]).dispatch
    expect(decision?.reason).toBe("acme/alpha#4: eligible (trusted, allowlisted, unblocked, repo free), priority 3.")
  })
})

describe("DispatchPolicy prior art", () => {
  it("§8.3 lower priority number runs first", () => {
    const result = decide([
      candidate({ number: 1, labels: ["ready-for-agent", "priority:9"] }),
      candidate({ number: 2, labels: ["ready-for-agent", "priority:1"] })
    ])
    expect(dispatched(result)).toEqual(["acme/alpha#2"])
  })

  it("§8.12 escalation is final: the human label refuses dispatch", () => {
    const escalated = candidate({ number: 1, labels: ["ready-for-agent", "Ready-For-Human"] })
    const result = decide([escalated])
    expect(result.dispatch).toEqual([])
    expect(refusal(result, "acme/alpha#1")).toBe("human")
  })

  it("§8.23 the lock label, not the ready label, locks the repo", () => {
    const inFlightWithoutReady = candidate({ number: 1, labels: ["agent-in-progress"] })
    const result = decide([inFlightWithoutReady, candidate({ number: 2 })])
    expect(result.dispatch).toEqual([])
    expect(refusal(result, "acme/alpha#2")).toBe("repo-locked")
    const stillReady = candidate({ repo: beta, number: 3, labels: ["ready-for-agent", "agent-in-progress"] })
    expect(refusal(decide([stillReady]), "acme/beta#3")).toBe("repo-locked")
  })
})

describe("DispatchPolicy.priorityOf", () => {
  it("takes the lowest numeric priority label, else the default", () => {
    expect(DispatchPolicy.priorityOf(["priority:3", "Priority:1", "bug"], 0)).toBe(1)
    expect(DispatchPolicy.priorityOf(["priority:high", "priority:"], 7)).toBe(7)
    expect(DispatchPolicy.priorityOf(["priority:-2"], 0)).toBe(-2)
    expect(DispatchPolicy.priorityOf([], 4)).toBe(4)
  })
})

describe("DispatchPolicy.blockersOf", () => {
  const body = (text: string) => DispatchPolicy.blockersOf(issue({ number: 1, body: text })).map(String)

  it("reads local and cross-repo refs, several per line, any case", () => {
    expect(body("Fix it.\nBlocked by #3, #4 and acme/beta#5\n- blocked by: #3")).toEqual([
      "acme/alpha#3",
      "acme/alpha#4",
      "acme/beta#5"
    ])
  })

  it("ignores refs outside Blocked by lines and words that only contain it", () => {
    expect(body("See #3.\nUnblocked by #4\nRelated to #5")).toEqual([])
  })

  it("ignores malformed refs and the issue itself", () => {
    expect(body("Blocked by #0, #abc, x#4y, /bad#2, #1, acme/alpha#1")).toEqual([])
  })
})

const repos = [alpha, beta, gamma, outside]
const labelPool = ["ready-for-agent", "ready-for-human", "paused", "agent-in-progress", "priority:1", "priority:3"]

const arbitraryCandidates = FastCheck.uniqueArray(
  FastCheck.record({
    repo: FastCheck.constantFrom(...repos),
    number: FastCheck.integer({ min: 1, max: 30 }),
    labels: FastCheck.subarray(labelPool),
    closed: FastCheck.boolean(),
    trusted: FastCheck.boolean(),
    blocker: FastCheck.constantFrom<"none" | DispatchPolicy.Blocker["state"]>("none", "open", "closed", "missing")
  }),
  { selector: (c) => `${c.repo}#${c.number}`, maxLength: 25 }
).map((specs) =>
  specs.map((s) =>
    candidate(
      { repo: s.repo, number: s.number, labels: s.labels, state: s.closed ? "closed" : "open" },
      {
        trusted: s.trusted,
        blockers: s.blocker === "none" ? [] : [{ ref: new IssueRef({ repo: s.repo, number: 99 }), state: s.blocker }]
      }
    )
  )
)

const arbitraryWorld = FastCheck.record({
  candidates: arbitraryCandidates,
  locked: FastCheck.subarray(repos),
  inFlight: FastCheck.nat(5),
  max: FastCheck.integer({ min: 1, max: 4 }),
  killSwitch: FastCheck.boolean(),
  seed: FastCheck.nat()
})

type World = typeof arbitraryWorld extends FastCheck.Arbitrary<infer T> ? T : never

const run = (world: World, candidates: ReadonlyArray<DispatchPolicy.Candidate> = world.candidates) =>
  decide(candidates, {
    lockedRepos: world.locked,
    inFlight: world.inFlight,
    config: { maxConcurrentRuns: world.max, killSwitch: world.killSwitch }
  })

const shuffle = <A>(items: ReadonlyArray<A>, seed: number): ReadonlyArray<A> => {
  const out = [...items]
  let state = (seed % 2_147_483_646) + 1
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 48_271) % 2_147_483_647
    const j = state % (i + 1)
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

describe("DispatchPolicy properties", () => {
  it.prop("the output does not depend on the input order", [arbitraryWorld], ([world]) => {
    const shuffled = shuffle(world.candidates, world.seed)
    expect(run(world, shuffled)).toEqual(run(world))
    expect(run(world, [...world.candidates].reverse())).toEqual(run(world))
  })

  it.prop("never two dispatches in one repo", [arbitraryWorld], ([world]) => {
    const repoList = run(world).dispatch.map((d) => d.issue.repo)
    expect(new Set(repoList).size).toBe(repoList.length)
  })

  it.prop("never over the global cap", [arbitraryWorld], ([world]) => {
    const { dispatch } = run(world)
    expect(dispatch.length === 0 || world.inFlight + dispatch.length <= world.max).toBe(true)
  })

  it.prop("never dispatches into a locked repo", [arbitraryWorld], ([world]) => {
    const lockedByLabel = world.candidates
      .filter((c) => c.issue.state === "open" && c.issue.labels.includes("agent-in-progress"))
      .map((c) => c.issue.repo)
    const locked = new Set([...world.locked, ...lockedByLabel])
    for (const d of run(world).dispatch) expect(locked.has(d.issue.repo)).toBe(false)
  })

  it.prop("every candidate gets exactly one answer", [arbitraryWorld], ([world]) => {
    const { dispatch, refused } = run(world)
    expect(dispatch.length + refused.length).toBe(world.candidates.length)
  })

  it.prop("the kill switch dispatches nothing", [arbitraryWorld], ([world]) => {
    const result = run({ ...world, killSwitch: true })
    expect(result.dispatch).toEqual([])
    expect(result.refused.every((r) => r.reason === "kill-switch")).toBe(true)
  })
})
