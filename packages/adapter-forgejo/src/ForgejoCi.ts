/**
 * The `Ci` port over Forgejo / Gitea commit statuses — what Forgejo Actions, Woodpecker and other CI
 * report into. The combined status (the server's newest status per context) and the full status list are
 * both read to their last page and merged, the newest status per context winning (highest id), then folded
 * with afk-core's `Ci.fold`, so required-context patterns such as `deploy/*` decide `deployed`. The
 * server's combined state is final: with no required contexts configured, a verdict is green only when the
 * combined state of every page is a passing one too — a `pending` combined state keeps it pending (a check
 * named `combined status`), a failing one makes it red, even when every listed status passed.
 *
 * States: `pending` → pending; `success` → success; `warning` → success (Gitea's success-with-warning, the
 * summary says so); `skipped` → success (a job the workflow chose not to run; the summary says so);
 * `error` and `failure` → failure; anything else → pending, never success.
 */
import * as Ci from "afk-core/Ci"
import * as Domain from "afk-core/Domain"
import * as PortError from "afk-core/PortError"
import * as Effect from "effect/Effect"
import * as Api from "./ForgejoApi.js"
import * as ForgejoClient from "./ForgejoClient.js"
import type * as Wire from "./ForgejoWire.js"

/** The port error: `operation` names the port method, as GitHub's adapter does; `detail` leads with the request. */
const toCiError = (method: string) => (error: ForgejoClient.ForgejoError): Ci.CiError =>
  new Ci.CiError(PortError.carry(error, method))

/** The check state of a Forgejo commit-status state. */
export const checkState = (state: string): Domain.CheckState => {
  switch (state) {
    case "success":
    case "warning":
    case "skipped":
      return "success"
    case "error":
    case "failure":
      return "failure"
    default:
      return "pending"
  }
}

const summaryOf = (status: Wire.CommitStatus): string | undefined => {
  const qualified = status.status === "warning" || status.status === "skipped"
  if (status.description === "") return qualified ? status.status : undefined
  return qualified ? `${status.status}: ${status.description}` : status.description
}

/** One `Check` per context: the newest status (highest id) of each, ordered by context. */
export const newestPerContext = (statuses: ReadonlyArray<Wire.CommitStatus>): ReadonlyArray<Domain.Check> => {
  const newest = new Map<string, Wire.CommitStatus>()
  for (const status of statuses) {
    const seen = newest.get(status.context)
    if (seen === undefined || status.id > seen.id) newest.set(status.context, status)
  }
  return [...newest.values()]
    .sort((a, b) => a.context.localeCompare(b.context))
    .map((status) => {
      const summary = summaryOf(status)
      return new Domain.Check({
        name: status.context,
        state: checkState(status.status),
        ...(status.target_url === "" ? {} : { url: status.target_url }),
        ...(summary === undefined ? {} : { summary })
      })
    })
}

/** The check a combined state adds to a green verdict: none when it passed too. */
export const combinedCheck = (states: ReadonlyArray<string>): ReadonlyArray<Domain.Check> => {
  const unsettled = states.find((state) => checkState(state) === "failure") ??
    states.find((state) => checkState(state) !== "success")
  return unsettled === undefined ? [] : [
    new Domain.Check({
      name: "combined status",
      state: checkState(unsettled),
      summary: `the server's combined state is "${unsettled}"`
    })
  ]
}

/** The Ci port over the given client (`make` takes it from the context). */
export const fromClient = (client: ForgejoClient.Service): Ci.Service => ({
  verdict: (repo, sha, requirements) =>
    Effect.all([Api.combinedStatus(client, repo, sha), Api.statuses(client, repo, sha)], { concurrency: 2 }).pipe(
      Effect.map(([pages, history]) => {
        const checks = newestPerContext([...pages.flatMap((page) => page.statuses), ...history])
        const verdict = Ci.fold(checks, requirements)
        const held = verdict.state === "green" && requirements.required.length === 0
          ? combinedCheck(pages.map((page) => page.state))
          : []
        return held.length === 0 ? verdict : Ci.fold([...checks, ...held], requirements)
      }),
      Effect.mapError(toCiError("verdict"))
    )
})

/** A `Ci` over the ambient `ForgejoClient`. */
export const make = (): Effect.Effect<Ci.Service, never, ForgejoClient.ForgejoClient> =>
  Effect.map(ForgejoClient.ForgejoClient, fromClient)
