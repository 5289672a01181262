/**
 * A scriptable in-memory `Ci`: what is reported for a commit is a function of the repo, the commit's
 * order among the commits seen in that repo, and how often it was read — enough to script
 * pending → red → green, red once then green, or a pipeline that never reports.
 */
import * as Effect from "effect/Effect"
import { CiError, fold, type Service } from "../Ci.js"
import { Check, type Repo } from "../Domain.js"

export interface CiContext {
  readonly repo: Repo
  readonly sha: string
  /** 0 for the first commit seen in the repo, 1 for the second, … */
  readonly shaIndex: number
  /** How many times this commit was read before (0 on the first read). */
  readonly reads: number
}

export type Script = (context: CiContext) => ReadonlyArray<Check>

const check = (name: string, state: Check["state"]) =>
  new Check({ name, state, url: `https://ci.example/${name}`, summary: `${name}: ${state}` })

/** Ready-made scripts. */
export const scripts = {
  green: (): Script => () => [check("build", "success"), check("test", "success")],
  /** Pending for `reads` reads, then green. */
  pendingThenGreen: (reads: number): Script => (c) =>
    c.reads < reads ? [check("build", "pending")] : [check("build", "success"), check("test", "success")],
  /** The first `times` commits go red on `test`, later ones green. */
  redThenGreen: (times = 1): Script => (c) =>
    c.shaIndex < times
      ? [check("build", "success"), check("test", "failure")]
      : [check("build", "success"), check("test", "success")],
  /** Every commit fails the same check. */
  alwaysRed: (): Script => () => [check("build", "success"), check("test", "failure")],
  /** Nothing is ever reported. */
  silent: (): Script => () => []
}

export interface MemoryCi {
  readonly service: Service
  script: Script
  unreachable: boolean
  readonly reads: () => number
  /** Commits that were ever reported green. */
  readonly greens: ReadonlySet<string>
  hook: (op: string) => Effect.Effect<void, CiError>
}

export const make = (script: Script = scripts.green()) =>
  Effect.sync(() => {
    const order = new Map<string, number>()
    const readCount = new Map<string, number>()
    let total = 0
    const greens = new Set<string>()
    const ci: MemoryCi = {
      greens,
      script,
      unreachable: false,
      reads: () => total,
      hook: () => Effect.void,
      service: {
        verdict: (repo, sha, requirements) =>
          Effect.suspend(() => ci.hook("verdict")).pipe(
            Effect.zipRight(
              Effect.suspend(() => {
                total++
                if (ci.unreachable) {
                  return Effect.fail(new CiError({ operation: "verdict", detail: "CI unreachable", transient: true }))
                }
                const key = `${repo}@${sha}`
                if (!order.has(key)) order.set(key, [...order.keys()].filter((k) => k.startsWith(`${repo}@`)).length)
                const reads = readCount.get(key) ?? 0
                readCount.set(key, reads + 1)
                const checks = ci.script({ repo, sha, shaIndex: order.get(key) ?? 0, reads })
                const verdict = fold(checks, requirements)
                if (verdict.state === "green") greens.add(sha)
                return Effect.succeed(verdict)
              })
            )
          )
      }
    }
    return ci
  })
