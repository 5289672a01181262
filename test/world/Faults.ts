/**
 * The simulated world's wire: latency and fault injection in front of an `HttpClient` (a fake's in-process
 * client, or the Node client that reaches a loopback fake). Each request first waits the latency, then a
 * plan (`FaultPlan`) decides what happens: pass it on; arm the fake's own fault first (`GithubFake.inject`,
 * `T3Fake.failNext`, `SlackFake.failNext`, …) and pass it on; reset the connection before sending or after
 * the server applied it; time out; or deliver a truncated body. Every request is journalled with the fiber
 * that sent it, the time (virtual under `TestClock`), the fault and the answer's status, so a suite can tell
 * a retry (the same request again from the same fiber) from a new call, and a benchmark can count requests.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"

/** What to do with one request. */
export type Action =
  | { readonly _tag: "Pass" }
  /** Run `arm` (the fake's own fault switch), then send: the fake answers with its fault. */
  | { readonly _tag: "Armed"; readonly kind: string; readonly arm: Effect.Effect<void> }
  /** The connection drops before the request reaches the server. */
  | { readonly _tag: "ResetBefore"; readonly kind: string }
  /** The server applies the request, then the connection drops before the answer. */
  | { readonly _tag: "ResetAfter"; readonly kind: string }
  /** No answer: after `after` (virtual time) the attempt fails as a transport timeout. */
  | { readonly _tag: "Timeout"; readonly kind: string; readonly after: Duration.DurationInput }
  /** The server applies the request; its answer's body arrives cut in half. */
  | { readonly _tag: "Truncate"; readonly kind: string }

export const pass: Action = { _tag: "Pass" }

/** One request as it was sent, and what became of it. */
export interface Entry {
  readonly seq: number
  readonly fiber: string
  readonly method: string
  readonly url: string
  readonly body: string
  /** When the request was sent (before its latency), in clock milliseconds. */
  readonly at: number
  /** When its answer (or failure) was back; undefined while it is in flight. */
  answeredAt: number | undefined
  /** The injected fault, if any. */
  readonly fault: string | undefined
  /** The answer's status; 0 when no answer arrived. */
  status: number
  /** The answer's `Retry-After`, in seconds, when it had one. */
  retryAfter: number | undefined
}

export interface Journal {
  readonly entries: Array<Entry>
  /** Requests sent, and how many had a fault injected. */
  readonly counts: () => { readonly requests: number; readonly faulted: number }
}

export const journal = (): Journal => {
  const entries: Array<Entry> = []
  return {
    entries,
    counts: () => ({ requests: entries.length, faulted: entries.filter((e) => e.fault !== undefined).length })
  }
}

const bodyText = (request: HttpClientRequest.HttpClientRequest): string =>
  request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : ""

const transport = (request: HttpClientRequest.HttpClientRequest, description: string) =>
  new HttpClientError.RequestError({ request, reason: "Transport", description })

/** `client` with `latency` before every request and `decide` consulted for it, each one journalled in `into`. */
export const wrap = (
  client: HttpClient.HttpClient,
  decide: (request: HttpClientRequest.HttpClientRequest) => Action,
  into: Journal,
  latency: Duration.Duration = Duration.zero
): HttpClient.HttpClient =>
  HttpClient.transform(client, (send, request) =>
    Effect.gen(function*() {
      const at = yield* Clock.currentTimeMillis
      if (Duration.greaterThan(latency, Duration.zero)) yield* Effect.sleep(latency)
      const action = decide(request)
      const entry: Entry = {
        seq: into.entries.length,
        fiber: FiberId.threadName(yield* Effect.fiberId),
        method: request.method,
        url: request.url,
        body: bodyText(request),
        at,
        answeredAt: undefined,
        fault: action._tag === "Pass" ? undefined : action.kind,
        status: 0,
        retryAfter: undefined
      }
      into.entries.push(entry)
      return yield* Effect.ensuring(
        attempt(send, request, action, entry),
        Effect.map(Clock.currentTimeMillis, (now) => {
          entry.answeredAt = now
        })
      )
    }))

const attempt = (
  send: Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>,
  request: HttpClientRequest.HttpClientRequest,
  action: Action,
  entry: Entry
): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError> =>
  Effect.gen(function*() {
    const answered = Effect.tap(send, (response) =>
      Effect.sync(() => {
        entry.status = response.status
        const retryAfter = Number(response.headers["retry-after"])
        entry.retryAfter = Number.isFinite(retryAfter) ? retryAfter : undefined
      }))
    switch (action._tag) {
      case "Pass":
        return yield* answered
      case "Armed":
        yield* action.arm
        return yield* answered
      case "ResetBefore":
        return yield* Effect.fail(transport(request, "connection reset by peer (injected)"))
      case "ResetAfter":
        yield* answered
        entry.status = 0
        return yield* Effect.fail(transport(request, "connection reset before the answer (injected)"))
      case "Timeout":
        yield* Effect.sleep(action.after)
        return yield* Effect.fail(
          transport(request, `no answer within ${Duration.format(Duration.decode(action.after))} (injected)`)
        )
      case "Truncate": {
        const response = yield* answered
        const text = yield* Effect.orElseSucceed(response.text, () => "")
        const cut = text.length > 1 ? text.slice(0, Math.floor(text.length / 2)) : "{\"trunc"
        const bodyless = [204, 205, 304].includes(response.status)
        return HttpClientResponse.fromWeb(
          request,
          new Response(bodyless ? null : cut, {
            status: response.status,
            headers: { "content-type": "application/json; charset=utf-8" }
          })
        )
      }
    }
  })

/**
 * Requests that belong together, keyed by `key`: `byFiber` (a retry is sent by the fiber that sent the
 * first attempt, when the client has no per-attempt timeout forking a fiber), or `byRequest` (the same
 * method, URL and body).
 */
export const byFiber = (entry: Entry): string => entry.fiber
export const byRequest = (entry: Entry): string => `${entry.method} ${entry.url} ${entry.body}`

/** For every entry, the request with the same key sent before and after it (a retry repeats the entry). */
export const neighbours = (
  journal: Journal,
  key: (entry: Entry) => string
): { readonly previous: ReadonlyMap<number, Entry>; readonly next: ReadonlyMap<number, Entry> } => {
  const previous = new Map<number, Entry>()
  const next = new Map<number, Entry>()
  const latest = new Map<string, Entry>()
  for (const entry of journal.entries) {
    const before = latest.get(key(entry))
    if (before !== undefined) {
      previous.set(entry.seq, before)
      next.set(before.seq, entry)
    }
    latest.set(key(entry), entry)
  }
  return { previous, next }
}

/** Whether `later` repeats `entry` exactly (method, URL and body). */
export const sameRequest = (entry: Entry, later: Entry): boolean =>
  entry.method === later.method && entry.url === later.url && entry.body === later.body
