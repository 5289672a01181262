/** The fake itself speaks Slack's wire shapes, so the simulated world can rely on it. */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { SlackFake } from "../src/testing/index.js"

const post = (url: string, body: string, headers: Record<string, string>) =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const response = yield* client.execute(
      HttpClientRequest.post(url).pipe(HttpClientRequest.bodyText(body), HttpClientRequest.setHeaders(headers))
    )
    return { status: response.status, body: yield* response.text, retryAfter: response.headers["retry-after"] }
  }).pipe(Effect.provide(FetchHttpClient.layer))

const json = "application/json; charset=utf-8"

describe("SlackFake answers like Slack", () => {
  it.scoped("chat.postMessage: ok with channel, ts and message; not_authed; no_text; invalid_blocks", () =>
    Effect.gen(function*() {
      const fake = yield* SlackFake.make()
      const api = `${fake.apiUrl}/chat.postMessage`
      const auth = { authorization: `Bearer ${fake.token}`, "content-type": json }
      const ok = yield* post(api, JSON.stringify({ channel: fake.channel, text: "hi" }), auth)
      const ts = (yield* fake.posted)[0]?.ts
      expect(JSON.parse(ok.body)).toMatchObject({ ok: true, channel: fake.channel, ts, message: { text: "hi", ts } })
      const anonymous = yield* post(api, JSON.stringify({ channel: fake.channel, text: "hi" }), {
        "content-type": json
      })
      expect(JSON.parse(anonymous.body)).toEqual({ ok: false, error: "not_authed" })
      const empty = yield* post(api, JSON.stringify({ channel: fake.channel }), auth)
      expect(JSON.parse(empty.body)).toEqual({ ok: false, error: "no_text" })
      const tooLong = [{ type: "section", text: { type: "mrkdwn", text: "x".repeat(3001) } }]
      const invalid = yield* post(api, JSON.stringify({ channel: fake.channel, blocks: tooLong }), auth)
      expect(JSON.parse(invalid.body)).toMatchObject({
        ok: false,
        error: "invalid_blocks",
        errors: ["must be less than 3001 characters [json-pointer:/blocks/0/text/text]"]
      })
      expect((yield* fake.posted).length).toBe(1)
    }))

  it.scoped("chat.postMessage: a JSON body without a charset draws Slack's missing_charset warning", () =>
    Effect.gen(function*() {
      const fake = yield* SlackFake.make()
      const answer = yield* post(
        `${fake.apiUrl}/chat.postMessage`,
        JSON.stringify({ channel: fake.channel, text: "x" }),
        {
          authorization: `Bearer ${fake.token}`,
          "content-type": "application/json"
        }
      )
      expect(JSON.parse(answer.body)).toMatchObject({ ok: true, response_metadata: { warnings: ["missing_charset"] } })
      expect((yield* fake.posted)[0]?.warnings).toEqual(["missing_charset"])
    }))

  it.scoped("webhook: ok as a bare word, invalid_payload, no_service; faults queue per endpoint", () =>
    Effect.gen(function*() {
      const fake = yield* SlackFake.make()
      yield* fake.failNext(SlackFake.Fault.RateLimited({ retryAfter: 7 }), "webhook")
      const limited = yield* post(`${fake.apiUrl}/chat.postMessage`, "{}", { "content-type": json })
      expect(JSON.parse(limited.body)).toEqual({ ok: false, error: "not_authed" })
      const first = yield* post(fake.webhookUrl, JSON.stringify({ text: "hi" }), { "content-type": json })
      expect(first).toEqual({ status: 429, body: "rate_limited", retryAfter: "7" })
      expect(yield* post(fake.webhookUrl, JSON.stringify({ text: "hi" }), { "content-type": json })).toMatchObject({
        status: 200,
        body: "ok"
      })
      expect(yield* post(fake.webhookUrl, "{not json", { "content-type": json })).toMatchObject({
        status: 400,
        body: "invalid_payload"
      })
      expect(yield* post(`${fake.url}/services/T0/B0/unknown`, "{}", { "content-type": json })).toMatchObject({
        status: 404,
        body: "no_service"
      })
      expect((yield* fake.received).map((r) => [r.via, r.status])).toEqual([
        ["api", 200],
        ["webhook", 429],
        ["webhook", 200],
        ["webhook", 400],
        ["other", 404]
      ])
    }))

  it.effect("stops listening when its scope closes", () =>
    Effect.gen(function*() {
      const url = yield* Effect.scoped(Effect.map(SlackFake.make(), (fake) => fake.webhookUrl))
      const error = yield* post(url, "{}", { "content-type": json }).pipe(Effect.flip)
      expect(error._tag).toBe("RequestError")
    }))
})
