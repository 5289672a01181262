/**
 * The T3 runtime over a T3 fake on 127.0.0.1, as the T3 tests build it: the fake's own token, the model and
 * workspace root every test uses, protocol 1 pinned (the fake's descriptor says so; negotiation has its own
 * tests), and `overrides` (retries, settle times, the shell's batching).
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as T3 from "../../src/T3.js"
import * as T3Fake from "../../src/testing/T3Fake.js"

/** The runtime over `fake`. */
export const over = (fake: T3Fake.T3Fake, overrides: Partial<T3.Options> = {}) =>
  T3.make({
    url: fake.url,
    token: Effect.sync(() => Redacted.make(fake.token())),
    model: "claude-sonnet-5",
    workspaceRoot: "/data/{owner}__{repo}",
    protocol: 1,
    ...overrides
  }).pipe(Effect.provide(FetchHttpClient.layer))

/** A fake started with `fakeOptions` and the runtime over it. */
export const setup = (fakeOptions?: T3Fake.FakeOptions, overrides: Partial<T3.Options> = {}) =>
  Effect.gen(function*() {
    const fake = yield* T3Fake.start(fakeOptions)
    const runtime = yield* over(fake, overrides)
    return { fake, runtime }
  })
