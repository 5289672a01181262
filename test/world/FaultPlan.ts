/**
 * Which fault each request of the simulated world meets, host by host (the tracker and its CI, T3, Slack):
 * a seeded draw at the fault rate, then a kind in proportion to its weight, answered by the fake that owns
 * the request where the fault is an answer (5xx, 429 and secondary-limit 403 with `Retry-After`, malformed
 * JSON, a 4xx, T3's ambiguous 500 and dropped answer, Slack's errors) and by the wire otherwise (resets
 * before and after the server applied the request, timeouts, truncated bodies). A host can also be down.
 */
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { SlackFake } from "afk-adapter-slack/testing"
import type { T3Fake } from "afk-core/testing"
import * as Effect from "effect/Effect"
import type * as Faults from "./Faults.js"
import type * as Forge from "./Forge.js"
import type * as Random from "./Random.js"

export type Kind =
  | "status5xx"
  | "rateLimited"
  | "secondaryLimit"
  | "malformed"
  | "resetBefore"
  | "resetAfter"
  | "timeout"
  | "client4xx"
  | "ambiguous500"
  | "dropResponse"
  | "slackError"

/** Switches a suite turns while the world runs. */
export interface Controls {
  /** The share of requests (to each host) that get a fault. */
  faultRate: number
  /** The tracker refuses every connection. */
  trackerDown: boolean
  /** Slack refuses every connection. */
  slackDown: boolean
}

export interface Plan {
  readonly random: Random.Random
  readonly controls: Controls
  /** The kinds drawn from; every kind when absent. */
  readonly kinds?: ReadonlyArray<Kind> | undefined
}

type Decide = (request: HttpClientRequest.HttpClientRequest) => Faults.Action

const pass: Faults.Action = { _tag: "Pass" }

/** Whether this request meets a fault; nothing is drawn while the rate is 0, so a quiet world's draws (agent timings) do not depend on how many requests the adapters make. */
const faulted = (plan: Plan): boolean => plan.controls.faultRate > 0 && plan.random.chance(plan.controls.faultRate)

/** One kind in proportion to `weights`, among the kinds the plan allows; none when it allows none. */
const kindOf = <K extends Kind>(plan: Plan, weights: Readonly<Record<K, number>>): K | undefined => {
  const allowed = Object.fromEntries(
    Object.entries<number>(weights).map(([kind, weight]) => [
      kind,
      plan.kinds === undefined || plan.kinds.includes(kind as Kind) ? weight : 0
    ])
  ) as Record<K, number>
  return Object.values<number>(allowed).some((weight) => weight > 0) ? plan.random.weighted(allowed) : undefined
}

/** The tracker and its CI: every fault kind a forge answers with, on any request. */
export const tracker = (plan: Plan, forge: Forge.Forge): Decide => (request) => {
  const { controls, random } = plan
  if (controls.trackerDown) return { _tag: "ResetBefore", kind: "outage" }
  if (!faulted(plan)) return pass
  const get = request.method === "GET"
  const url = new URL(request.url)
  const kind = kindOf(plan, {
    status5xx: 25,
    rateLimited: 15,
    secondaryLimit: 5,
    malformed: 15,
    resetBefore: 10,
    resetAfter: 10,
    timeout: 10,
    client4xx: url.pathname.slice(forge.prefix.length) === "/user" ? 0 : 10
  })
  const inject = (kind: Kind, fault: Forge.Fault): Faults.Action => ({
    _tag: "Armed",
    kind,
    arm: forge.inject(fault, request, url)
  })
  switch (kind) {
    case undefined:
      return pass
    case "status5xx":
      return inject(kind, { _tag: "Status", status: random.pick([500, 502, 503]) })
    case "rateLimited":
      return inject(kind, { _tag: "Status", status: 429, retryAfter: random.int(1, 5) })
    case "secondaryLimit":
      return inject(kind, { _tag: "SecondaryLimit", retryAfter: random.int(1, 5) })
    case "malformed":
      return get ? inject(kind, { _tag: "Malformed" }) : { _tag: "Truncate", kind }
    case "resetBefore":
      return { _tag: "ResetBefore", kind }
    case "resetAfter":
      return { _tag: "ResetAfter", kind }
    case "timeout":
      return { _tag: "Timeout", kind, after: "10 seconds" }
    case "client4xx":
      return inject(kind, { _tag: "Status", status: random.pick(get ? [401, 404] : [400, 401, 404, 422]) })
  }
}

/** What the fault plan asks of either T3 fake. */
export type T3Faults = Pick<T3Fake.T3Fake | T3Fake.T3FakeV2, "failNext" | "dropResponseOnce">

/** The commands AFK sends over protocol 2's WebSocket. */
const socketCommands = [
  "thread.create",
  "message.dispatch",
  "run.interrupt",
  "provider-session.detach",
  "thread.archive"
]

/**
 * T3's WebSocket on protocol 2, armed once per tick (the HTTP faults above cannot reach RPC frames): at four
 * times the fault rate, the next dispatch of a random command is applied and its socket closed before the
 * answer (`dropResponse`), or refused unprocessed with the server's dispatch error (`status5xx`).
 */
export const t3Socket = (plan: Plan, fake: T3Faults): Kind | undefined => {
  const { controls, random } = plan
  if (controls.faultRate <= 0 || !random.chance(Math.min(1, controls.faultRate * 4))) return undefined
  const kind = kindOf(plan, { dropResponse: 50, status5xx: 50 })
  const type = random.pick(socketCommands)
  if (kind === "dropResponse") fake.dropResponseOnce(type)
  if (kind === "status5xx") fake.failNext(1, 503, type)
  return kind
}

const commandType = (body: string): string | undefined => {
  try {
    const parsed: unknown = JSON.parse(body)
    return typeof parsed === "object" && parsed !== null && "type" in parsed ? String(parsed.type) : undefined
  } catch {
    return undefined
  }
}

/** T3: 5xx, resets and timeouts on any request; an ambiguous 500 or a dropped answer on a command. */
export const t3 = (plan: Plan, fake: T3Faults): Decide => (request) => {
  const { random } = plan
  if (!faulted(plan)) return pass
  const type = request.method === "POST" && request.body._tag === "Uint8Array"
    ? commandType(new TextDecoder().decode(request.body.body))
    : undefined
  const kind = kindOf(plan, {
    status5xx: 35,
    resetBefore: 20,
    timeout: 15,
    ambiguous500: type === undefined ? 0 : 15,
    dropResponse: type === undefined ? 0 : 15
  })
  switch (kind) {
    case undefined:
      return pass
    case "status5xx":
      return { _tag: "Armed", kind, arm: Effect.sync(() => fake.failNext(1, random.pick([502, 503]), type)) }
    case "ambiguous500":
      return { _tag: "Armed", kind, arm: Effect.sync(() => fake.failNext(1, 500, type)) }
    case "dropResponse":
      return { _tag: "Armed", kind, arm: Effect.sync(() => fake.dropResponseOnce(type ?? "")) }
    case "resetBefore":
      return { _tag: "ResetBefore", kind }
    case "timeout":
      return { _tag: "Timeout", kind, after: "30 seconds" }
  }
}

/** Slack's Web API: 429 with `Retry-After`, 5xx, a reset connection, or an error in a 200. */
export const slack = (plan: Plan, fake: SlackFake.Service): Decide => () => {
  const { controls, random } = plan
  if (controls.slackDown) return { _tag: "ResetBefore", kind: "outage" }
  if (!faulted(plan)) return pass
  const kind = kindOf(plan, { rateLimited: 30, status5xx: 25, resetBefore: 25, slackError: 20 })
  if (kind === undefined) return pass
  const fault = kind === "rateLimited"
    ? SlackFake.Fault.RateLimited({ retryAfter: random.int(1, 3) })
    : kind === "status5xx"
    ? SlackFake.Fault.HttpStatus({ status: random.pick([500, 503]), body: "upstream connect error" })
    : kind === "resetBefore"
    ? SlackFake.Fault.Reset()
    : SlackFake.Fault.SlackError({ error: "internal_error" })
  return { _tag: "Armed", kind, arm: fake.failNext(fault, "api") }
}
