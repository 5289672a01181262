/**
 * `afk-cli serve` through real HTTP on 127.0.0.1: the built CLI in its own process, deliveries signed as
 * GitHub and Forgejo sign them, the loopback GitHub and T3 fakes behind it.
 */
import { describe, expect, it } from "@effect/vitest"
import type { GithubFake } from "afk-adapter-github/testing"
import * as Effect from "effect/Effect"
import * as Cli from "./support/Cli.js"
import * as Daemon from "./support/Daemon.js"
import * as Loopback from "./support/Loopback.js"
import * as World from "./support/World.js"

const labeled = JSON.stringify({
  action: "labeled",
  issue: { number: 1 },
  label: { name: "ready-for-agent" },
  repository: { full_name: World.repo }
})

/** The value of one sample line (`name{labels} value`) of a Prometheus text page; undefined if absent. */
const sample = (page: string, series: string): number | undefined => {
  const line = page.split("\n").find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

const result = (answer: Daemon.Answer) => (JSON.parse(answer.text) as { result: string }).result

/** Disarmed (kill switch on), allowlisting acme/app, with the forge and T3 pointed at a counting server. */
const disarmedEnv = (counter: string, extra: Record<string, string> = {}) => ({
  AFK_ALLOWLIST: World.repo,
  AFK_GITHUB_API: counter,
  GITHUB_TOKEN: World.secrets.github,
  AFK_T3_URL: counter,
  AFK_T3_TOKEN: World.secrets.t3,
  AFK_WEBHOOK_SECRET: Daemon.secret,
  ...extra
})

/** acme/app with #1 open and not yet labelled. */
const unlabelled: GithubFake.Seed = {
  ...World.seed,
  issues: World.seed.issues.map((issue) => (issue.number === 1 ? { ...issue, labels: [], events: [] } : issue))
}

/** acme/app with #1 open, nothing ready or locked: every pass is idle. */
const idle: GithubFake.Seed = {
  ...World.seed,
  issues: World.seed.issues.filter((issue) => issue.number === 1).map((issue) => ({ ...issue, labels: [], events: [] }))
}

describe("afk-cli serve: deliveries", () => {
  it.scopedLive("the right signature is taken; a wrong secret, a sha1= prefix, a truncated one or none is refused", () =>
    Effect.gen(function*() {
      const counter = yield* Loopback.counting
      const daemon = yield* Daemon.start(disarmedEnv(counter.url))
      const good = yield* Daemon.deliver(daemon.url, { event: "issues", id: "a-1", body: labeled })
      expect([good.status, result(good)]).toEqual([202, "accepted"])
      const hex = Daemon.hmac(labeled)
      const refused = [
        { id: "b-1", key: "another-secret" },
        { id: "b-2", signature: `sha1=${hex.slice(0, 40)}` },
        { id: "b-3", signature: `sha1=${hex}` },
        { id: "b-4", signature: `sha256=${hex.slice(0, 63)}` },
        { id: "b-5", signature: "" },
        { id: "b-6", signature: hex }
      ]
      for (const delivery of refused) {
        const answer = yield* Daemon.deliver(daemon.url, { event: "issues", body: labeled, ...delivery })
        expect([delivery.id, answer.status, result(answer)]).toEqual([delivery.id, 401, "unauthorized"])
      }
      const forgejo = yield* Daemon.deliver(daemon.url, { forge: "forgejo", event: "issues", id: "f-1", body: labeled })
      expect(forgejo.status).toBe(202)
      const prefixed = yield* Daemon.deliver(daemon.url, {
        forge: "forgejo",
        event: "issues",
        id: "f-2",
        body: labeled,
        signature: `sha256=${hex}`
      })
      expect(prefixed.status).toBe(401)
      const metrics = yield* Daemon.get(daemon.url, "/metrics")
      expect(metrics.text).toContain("afk_webhook_deliveries_total{forge=\"github\",result=\"unauthorized\"} 6")
      expect(metrics.text).toContain("afk_webhook_deliveries_total{forge=\"github\",result=\"accepted\"} 1")
      expect(counter.requests()).toBe(0)
    }))

  it.scopedLive("a replayed delivery is taken once; 413 over 25 MB; 400 for a body that is not JSON; 202 for an event AFK does not act on", () =>
    Effect.gen(function*() {
      const counter = yield* Loopback.counting
      const daemon = yield* Daemon.start(disarmedEnv(counter.url))
      const first = yield* Daemon.deliver(daemon.url, { event: "issues", id: "r-1", body: labeled })
      const again = yield* Daemon.deliver(daemon.url, { event: "issues", id: "r-1", body: labeled })
      expect([result(first), result(again)]).toEqual(["accepted", "duplicate"])
      expect(again.status).toBe(202)
      const huge = new Uint8Array(25 * 1024 * 1024 + 1).fill(32)
      const tooLarge = yield* Daemon.deliver(daemon.url, { event: "issues", id: "r-2", body: huge })
      expect([tooLarge.status, result(tooLarge)]).toEqual([413, "too_large"])
      const malformed = yield* Daemon.deliver(daemon.url, { event: "issues", id: "r-3", body: "{\"action\": " })
      expect([malformed.status, result(malformed)]).toEqual([400, "malformed"])
      const array = yield* Daemon.deliver(daemon.url, { event: "issues", id: "r-4", body: "[1]" })
      expect(array.status).toBe(400)
      const unknown = yield* Daemon.deliver(daemon.url, { event: "fork", id: "r-5", body: labeled })
      expect([unknown.status, result(unknown)]).toEqual([202, "ignored"])
      const elsewhere = yield* Daemon.deliver(daemon.url, {
        event: "issues",
        id: "r-6",
        body: JSON.stringify({ action: "labeled", repository: { full_name: "other/repo" } })
      })
      expect([elsewhere.status, result(elsewhere)]).toEqual([202, "ignored"])
      const health = yield* Daemon.get(daemon.url, "/healthz")
      expect(health.status).toBe(200)
      expect(counter.requests()).toBe(0)
    }))

  it.scopedLive("disarmed: deliveries are verified and answered, nothing is sent, /readyz says why", () =>
    Effect.gen(function*() {
      const world = yield* World.make()
      const daemon = yield* Daemon.start({ ...world.env, AFK_KILL_SWITCH: "true", AFK_WEBHOOK_SECRET: Daemon.secret })
      const ready = yield* Daemon.get(daemon.url, "/readyz")
      expect(ready.status).toBe(503)
      expect(ready.text).toContain("kill switch is on (AFK_KILL_SWITCH=true)")
      const answer = yield* Daemon.deliver(daemon.url, { event: "issues", id: "d-1", body: labeled })
      expect(answer.status).toBe(202)
      const bad = yield* Daemon.deliver(daemon.url, { event: "issues", id: "d-2", body: labeled, key: "wrong" })
      expect(bad.status).toBe(401)
      yield* Effect.sleep("1 second")
      expect(world.github.fake.log).toEqual([])
      expect(world.t3.requests()).toEqual([])
      expect(yield* daemon.stop()).toBe(0)
    }))

  it.scopedLive("without AFK_WEBHOOK_SECRET the webhook routes answer 503 and say why; no secret appears anywhere", () =>
    Effect.gen(function*() {
      const counter = yield* Loopback.counting
      const { AFK_WEBHOOK_SECRET: _secret, ...env } = disarmedEnv(counter.url)
      const daemon = yield* Daemon.start(env)
      const answer = yield* Daemon.deliver(daemon.url, { event: "issues", id: "n-1", body: labeled })
      expect(answer.status).toBe(503)
      expect(answer.text).toContain("AFK_WEBHOOK_SECRET is not set")
      const withSecret = yield* Daemon.start(disarmedEnv(counter.url))
      const answers = [
        answer,
        yield* Daemon.deliver(withSecret.url, { event: "issues", id: "n-2", body: labeled }),
        yield* Daemon.deliver(withSecret.url, { event: "issues", id: "n-3", body: labeled, key: "wrong" }),
        yield* Daemon.deliver(withSecret.url, { event: "issues", id: "n-4", body: labeled, signature: Daemon.secret }),
        yield* Daemon.get(withSecret.url, "/readyz"),
        yield* Daemon.get(withSecret.url, "/metrics")
      ]
      yield* withSecret.stop()
      const everything = [...answers.map((a) => a.text), daemon.stdout(), daemon.stderr(), withSecret.stderr()].join(
        "\n"
      )
      for (const value of [Daemon.secret, ...Object.values(World.secrets)]) expect(everything).not.toContain(value)
      expect(everything).not.toContain(Daemon.hmac(labeled))
    }))
})

describe("afk-cli serve: passes", () => {
  it.scopedLive("a labelled issue and a signed issues.labeled delivery: dispatched in seconds, not at the next reconcile", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ seed: unlabelled })
      const daemon = yield* Daemon.start({
        ...world.env,
        AFK_WEBHOOK_SECRET: Daemon.secret,
        AFK_RECONCILE_SECONDS: "3600"
      })
      yield* Daemon.until(() => daemon.stderr().includes("(tick)"), 30_000, "the first tick")
      expect(world.t3.threads()).toEqual([])
      world.github.fake.actAs("maintainer").addLabel(World.repo, 1, "ready-for-agent")
      const sent = Date.now()
      const answer = yield* Daemon.deliver(daemon.url, { event: "issues", id: "l-1", body: labeled })
      expect(answer.status).toBe(202)
      expect(Date.now() - sent).toBeLessThan(1000)
      const took = yield* Daemon.until(() => world.t3.threads().length === 1, 20_000, "a dispatch")
      expect(took).toBeLessThan(20_000)
      let metrics = ""
      yield* Daemon.until(() => metrics.includes("afk_dispatched_total 1"), 10_000, "the pass's report").pipe(
        Effect.race(Effect.forever(Effect.map(Daemon.get(daemon.url, "/metrics"), (answer) => (metrics = answer.text))))
      )
      expect(metrics).toContain("afk_runs_in_flight 1")
      expect(metrics).toContain("afk_passes_total{pass=\"tick\",result=\"ok\"} 2")
      expect(sample(metrics, "afk_http_requests_total{service=\"github\",result=\"ok\"}")).toBeGreaterThan(0)
      expect(sample(metrics, "afk_http_requests_total{service=\"t3\",result=\"ok\"}")).toBeGreaterThan(0)
      expect(sample(metrics, "afk_http_requests_total{service=\"other\",result=\"ok\"}")).toBeUndefined()
      const remaining = sample(metrics, "afk_rate_limit_remaining{service=\"github\"}")
      expect(remaining).toBeGreaterThan(0)
      expect(remaining).toBeLessThan(5000)
      const status = yield* Cli.run(["status", "--json"], world.env)
      const inFlight = (JSON.parse(status.stdout) as { rows: ReadonlyArray<unknown> }).rows.length
      expect([status.code, inFlight]).toEqual([0, sample(metrics, "afk_runs_in_flight")])
      expect(yield* daemon.stop()).toBe(0)
    }))

  it.scopedLive("a delivery seconds after the last pass is not answered from the tracker's memos", () =>
    Effect.gen(function*() {
      const repos = ["acme/app-1", "acme/app-2"]
      const world = yield* World.make({ seeds: repos.map((repo) => ({ ...unlabelled, repo })) })
      const daemon = yield* Daemon.start({
        ...world.env,
        AFK_WEBHOOK_SECRET: Daemon.secret,
        AFK_RECONCILE_SECONDS: "3600"
      })
      yield* Daemon.until(() => daemon.stderr().includes("(tick)"), 30_000, "the first tick")
      for (const [i, repo] of repos.entries()) {
        world.github.fake.actAs("maintainer").addLabel(repo, 1, "ready-for-agent")
        const body = JSON.stringify({ action: "labeled", issue: { number: 1 }, repository: { full_name: repo } })
        expect((yield* Daemon.deliver(daemon.url, { event: "issues", id: `m-${i}`, body })).status).toBe(202)
        yield* Daemon.until(() => world.t3.threads().length === i + 1, 8_000, `${repo}#1's dispatch`)
      }
      expect(yield* daemon.stop()).toBe(0)
    }))

  it.scopedLive("P1: one client for the daemon's life, so an idle reconcile tick spends no rate-limit point", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ seed: idle })
      // Longer than a change probe is reused (10 s), so the third tick asks GitHub again rather than its memos.
      const daemon = yield* Daemon.start({ ...world.env, AFK_CACHE_DIR: "off", AFK_RECONCILE_SECONDS: "11" })
      const ticks = () => (daemon.stderr().match(/\(tick\)/g) ?? []).length
      yield* Daemon.until(() => ticks() >= 2, 40_000, "two ticks")
      const points = world.github.fake.counters().points
      const seen = world.github.fake.log.length
      yield* Daemon.until(() => ticks() >= 3, 40_000, "a third tick")
      const third = world.github.fake.log.slice(seen)
      expect(third.length).toBeGreaterThan(0)
      expect(third.map((r) => `${r.method} ${r.path} ${r.conditional ? "conditional" : "plain"} ${r.status}`))
        .toEqual(third.map((r) => `GET ${r.path} conditional 304`))
      expect(world.github.fake.counters().points - points).toBe(0)
      expect(daemon.stderr()).toContain("poll: 0 decisions, 0 failures")
      expect(world.t3.requests()).toEqual([])
      expect(yield* daemon.stop()).toBe(0)
    }))

  it.scopedLive("SIGTERM mid-pass: the listener stops, the claim in progress finishes its writes, exit 0", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ latency: 150 })
      const daemon = yield* Daemon.start({ ...world.env, AFK_RECONCILE_SECONDS: "3600" })
      yield* Daemon.until(
        () => world.github.writes().some((write) => write.startsWith("POST /repos/acme/app/issues/1/labels")),
        30_000,
        "the claim's lock"
      )
      expect(world.t3.threads()).toEqual([])
      const code = yield* daemon.stop("SIGTERM")
      expect(code, daemon.stderr()).toBe(0)
      expect(world.t3.threads()).toHaveLength(1)
      expect(daemon.stderr()).toContain("letting the tick in progress finish")
      expect(daemon.stderr()).toContain("acme/app#1: dispatch")
      expect(world.github.writes()).toContainEqual(
        expect.stringMatching(/^POST \/repos\/acme\/app\/issues\/1\/comments/)
      )
    }))

  it.scopedLive("two replicas against one world and the same delivery: one agent thread, one turn", () =>
    Effect.gen(function*() {
      const world = yield* World.make({ seed: unlabelled, latency: 20 })
      const env = { ...world.env, AFK_WEBHOOK_SECRET: Daemon.secret, AFK_RECONCILE_SECONDS: "3600" }
      const replicas = [yield* Daemon.start(env), yield* Daemon.start(env)]
      yield* Daemon.until(() => replicas.every((r) => r.stderr().includes("(tick)")), 30_000, "both first ticks")
      world.github.fake.actAs("maintainer").addLabel(World.repo, 1, "ready-for-agent")
      yield* Effect.forEach(
        replicas,
        (replica) => Daemon.deliver(replica.url, { event: "issues", id: "x-1", body: labeled }),
        { concurrency: 2 }
      )
      yield* Daemon.until(() => world.t3.threads().length > 0, 20_000, "a dispatch")
      yield* Daemon.until(
        () => replicas.every((r) => (r.stderr().match(/\(tick\)/g) ?? []).length >= 2),
        20_000,
        "both follow-up ticks"
      )
      expect(world.t3.threads()).toHaveLength(1)
      const dispatches = replicas.map((r) => (r.stderr().match(/acme\/app#1: dispatch/g) ?? []).length)
      expect(dispatches.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1)
      const turns = world.t3.threads()[0]!.messages.filter((message) => message.role === "user")
      expect(turns).toHaveLength(1)
      for (const replica of replicas) expect(yield* replica.stop()).toBe(0)
    }))

  it.scopedLive("with OTEL_EXPORTER_OTLP_ENDPOINT, the tick's spans and AFK's metrics reach the collector", () =>
    Effect.gen(function*() {
      const world = yield* World.make()
      const collector = yield* Loopback.collector
      const daemon = yield* Daemon.start({
        ...world.env,
        AFK_RECONCILE_SECONDS: "3600",
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer%20otel-token"
      })
      yield* Daemon.until(() => daemon.stderr().includes("(tick)"), 30_000, "the first tick")
      expect(yield* daemon.stop()).toBe(0)
      expect(collector.received("/v1/traces").join("\n")).toContain("afk.tick")
      // The tracer is on here only: each request to the forge is a span of its own.
      expect(collector.received("/v1/traces").join("\n")).toContain("http.client GET")
      expect(collector.received("/v1/metrics").join("\n")).toContain("afk_dispatched_total")
      expect(collector.headers()).toContain("Bearer otel-token")
      for (const value of Object.values(World.secrets)) {
        expect([...collector.received("/v1/traces"), ...collector.received("/v1/metrics")].join("\n")).not.toContain(
          value
        )
      }
    }))
})
