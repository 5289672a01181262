/**
 * The T3 `AgentRuntime` against the strict fake over real loopback HTTP: dispatch with deterministic ids
 * and adoption (prior-art §8.1), follow-ups, interrupts, prompt truncation, and the error classes (401,
 * 403, 400 with what was sent, ambiguous 500, transport) — never with a token in a message.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type { AgentRuntimeError, DispatchRequest } from "../src/AgentRuntime.js"
import { IssueRef, repo as parseRepo } from "../src/Domain.js"
import type * as HttpKit from "../src/HttpKit.js"
import * as Ids from "../src/Ids.js"
import * as T3 from "../src/T3.js"
import * as T3Fake from "../src/testing/T3Fake.js"
import * as T3Runtime from "./support/t3runtime.js"

const repo = parseRepo("acme/widgets")
const issue = new IssueRef({ repo, number: 7 })
const runId = Ids.runId(issue, 1)
const threadId = Ids.threadId(runId)
const request: DispatchRequest = { runId, threadId, issue, title: "acme/widgets#7: Fix the crash", prompt: "Do it." }
const fast: HttpKit.RetryOptions = { times: 2, base: "0 millis", maxWait: "1 second" }

/** The URL and workspace root with trailing slashes, as users write them. */
const setup = (fakeOptions?: T3Fake.FakeOptions, overrides: Partial<T3.Options> = {}) =>
  Effect.gen(function*() {
    const fake = yield* T3Fake.start(fakeOptions)
    const runtime = yield* T3Runtime.over(fake, {
      url: `${fake.url}/`,
      workspaceRoot: "/data/{owner}__{repo}/",
      retry: fast,
      shellTtl: 0,
      ...overrides
    })
    return { fake, runtime }
  })

type Body = Record<string, unknown> & { readonly type: string; readonly commandId: string }
const commands = (fake: T3Fake.T3Fake, type?: string): ReadonlyArray<Body> =>
  fake
    .requests()
    .filter((r) => r.method === "POST")
    .map((r) => r.body as Body)
    .filter((b) => type === undefined || b.type === type)

const userMessages = (fake: T3Fake.T3Fake) => fake.threads().flatMap((t) => t.messages.filter((m) => m.role === "user"))

const theirProject = {
  type: "project.create",
  commandId: "someone-else",
  projectId: "their-project",
  title: "widgets",
  workspaceRoot: "/data/acme__widgets",
  createWorkspaceRootIfMissing: true,
  createdAt: new Date(0).toISOString()
}

const failure = <A>(effect: Effect.Effect<A, AgentRuntimeError>) => Effect.flip(effect)

describe("T3.dispatch", () => {
  it.scoped("creates the project, the thread and the first turn in the documented wire shapes", () =>
    Effect.gen(function*() {
      const { fake, runtime } = yield* setup()
      yield* runtime.dispatch(request)
      const [project, thread, turn] = commands(fake)
      expect(project).toMatchObject({
        type: "project.create",
        commandId: Ids.derive(runId, "project"),
        projectId: Ids.projectId(repo),
        workspaceRoot: "/data/acme__widgets",
        createWorkspaceRootIfMissing: true
      })
      expect(thread).toEqual({
        type: "thread.create",
        commandId: Ids.derive(runId, "create"),
        threadId,
        projectId: Ids.projectId(repo),
        title: request.title,
        modelSelection: { instanceId: "claudeAgent", provider: "claudeAgent", model: "claude-sonnet-5" },
        runtimeMode: "full-access",
        interactionMode: "default",
        branch: null,
        worktreePath: null,
        createdAt: expect.any(String)
      })
      expect(turn).toEqual({
        type: "thread.turn.start",
        commandId: Ids.derive(runId, "turn-1"),
        threadId,
        message: { messageId: Ids.derive(runId, "turn-1:message"), role: "user", text: "Do it.", attachments: [] },
        runtimeMode: "full-access",
        interactionMode: "default",
        createdAt: expect.any(String)
      })
      expect(yield* runtime.status(threadId)).toMatchObject({ state: "succeeded", lastAssistantText: "Done." })
    }))

  it.scoped("a repeated dispatch (crash + re-run) adopts the existing thread: one thread, one turn", () =>
    Effect.gen(function*() {
      const { fake, runtime } = yield* setup()
      yield* runtime.dispatch(request)
      yield* runtime.dispatch(request)
      expect(fake.threads()).toHaveLength(1)
      expect(userMessages(fake)).toHaveLength(1)
      expect(commands(fake)).toHaveLength(3)
    }))

  it.scoped("P2: a fresh claim's dispatch reads no thread, and one snapshot serves every repo", () =>
    Effect.gen(function*() {
      const { fake, runtime } = yield* setup()
      const other = new IssueRef({ repo: parseRepo("acme/gadgets"), number: 3 })
      const second = new IssueRef({ repo, number: 8 })
      for (const ref of [issue, other, second]) {
        const id = Ids.runId(ref, 1)
        yield* runtime.dispatch({ ...request, issue: ref, runId: id, threadId: Ids.threadId(id), fresh: true })
      }
      const reads = fake.requests().filter((r) => r.method === "GET").map((r) => r.path.split("/")[3])
      expect(reads).toEqual(["snapshot"])
      expect(commands(fake, "project.create")).toHaveLength(2)
      expect(fake.threads()).toHaveLength(3)
    }))

  it.scoped("prepare readies the project ahead of the claim; the dispatch then creates only the thread and turn", () =>
    Effect.gen(function*() {
      const { fake, runtime } = yield* setup()
      yield* runtime.prepare!({ runId, issue })
      expect(commands(fake).map((c) => c.type)).toEqual(["project.create"])
      yield* runtime.dispatch({ ...request, fresh: true })
      expect(commands(fake).map((c) => c.type)).toEqual(["project.create", "thread.create", "thread.turn.start"])
      expect(fake.requests().filter((r) => r.method === "GET")).toHaveLength(1)
    }))

  it.scoped("a dispatch marked fresh whose thread exists after all adopts it: one thread, one turn", () =>
    Effect.gen(function*() {
      const { fake, runtime } = yield* setup()
      yield* runtime.dispatch(request)
      yield* runtime.dispatch({ ...request, fresh: true })
      expect(fake.threads()).toHaveLength(1)
      expect(userMessages(fake)).toHaveLength(1)
    }))

  it.scoped("a repeated dispatch after follow-ups still finds the first turn and sends nothing", () =>
    Effect.gen(function*() {
      const { fake, runtime } = yield* setup()
      yield* runtime.dispatch(request)
      yield* runtime.followUp({ runId, threadId, step: "fix-forward-1", text: "again" })
      const before = commands(fake).length
      yield* runtime.dispatch(request)
      expect(commands(fake)).toHaveLength(before)
      expect(userMessages(fake)).toHaveLength(2)
    }))

  it.scoped("a crash after thread.create is finished by the re-run, which adopts the thread", () =>
    Effect.gen(function*() {
      const { fake, runtime } = yield* setup(undefined, { retry: { ...fast, times: 0 } })
      fake.dropResponseOnce("thread.create")
      const error = yield* failure(runtime.dispatch(request))
      expect(error.transient).toBe(true)
      yield* runtime.dispatch(request)
      expect(fake.threads()).toHaveLength(1)
      expect(commands(fake, "thread.create")).toHaveLength(1)
      expect(userMessages(fake)).toHaveLength(1)
    }))

  it.scoped("§8.1 a dropped connection during thread.turn.start, then the retry, yields one thread with one turn", () =>
    Effect.gen(function*() {
      const { fake, runtime } = yield* setup()
      fake.dropResponseOnce("thread.turn.start")
      yield* runtime.dispatch(request)
      const sent = commands(fake, "thread.turn.start")
      expect(sent).toHaveLength(2)
      expect(sent[1]?.commandId).toBe(sent[0]?.commandId)
      expect(fake.threads()).toHaveLength(1)
      expect(userMessages(fake)).toHaveLength(1)
    }))

  it.scoped("uses the active project already registered for the normalised workspace root", () =>
    Effect.gen(function*() {
      const { fake, runtime } = yield* setup()
      const status = yield* Effect.promise(() =>
        fetch(`${fake.url}/api/orchestration/dispatch`, {
          method: "POST",
          headers: { authorization: `Bearer ${fake.token()}`, "content-type": "application/json" },
          body: JSON.stringify({ ...theirProject, workspaceRoot: "/data/./acme__widgets/" })
        }).then((r) => r.status)
      )
      expect(status).toBe(200)
      yield* runtime.dispatch(request)
      expect(commands(fake, "project.create")).toHaveLength(1)
      expect(fake.threads()[0]?.projectId).toBe("their-project")
    }))

  it.scoped("a 500 on project.create re-reads the snapshot and adopts a project another client registered", () =>
    Effect.gen(function*() {
      const { fake, runtime } = yield* setup()
      fake.raceNext("project.create", theirProject)
      yield* runtime.dispatch(request)
      expect(commands(fake, "project.create")).toHaveLength(1)
      expect(fake.threads()[0]?.projectId).toBe("their-project")
      expect(userMessages(fake)).toHaveLength(1)
    }))

  it.scoped("a 500 on project.create that left nothing behind is retried once with a new command id", () =>
    Effect.gen(function*() {
      const { fake, runtime } = yield* setup()
      fake.failNext(1, 500, "project.create")
      yield* runtime.dispatch(request)
      const ids = commands(fake, "project.create").map((c) => c.commandId)
      expect(ids).toEqual([Ids.derive(runId, "project"), Ids.derive(runId, "project#retry")])
      expect(fake.projects()).toHaveLength(1)
    }))

  it.scoped("a 500 on thread.create re-reads the thread and adopts it", () =>
    Effect.gen(function*() {
      const { fake, runtime } = yield* setup()
      const rival = {
        type: "thread.create",
        commandId: "another-tick",
        threadId,
        projectId: Ids.projectId(repo),
        title: "same run, other process",
        modelSelection: { instanceId: "claudeAgent", model: "claude-sonnet-5" },
        runtimeMode: "full-access",
        branch: null,
        worktreePath: null,
        createdAt: new Date(0).toISOString()
      }
      fake.raceNext("thread.create", rival)
      yield* runtime.dispatch(request)
      expect(commands(fake, "thread.create")).toHaveLength(1)
      expect(fake.threads()).toHaveLength(1)
      expect(userMessages(fake)).toHaveLength(1)
    }))

  it.scoped("two ambiguous 500s in a row are a transient error naming what is missing", () =>
    Effect.gen(function*() {
      const { fake, runtime } = yield* setup()
      fake.failNext(2, 500, "thread.create")
      const error = yield* failure(runtime.dispatch(request))
      expect(error).toMatchObject({ transient: true, status: 500 })
      expect(error.message).toContain(`thread ${threadId}`)
      expect(fake.threads()).toHaveLength(0)
    }))

  it.scoped("a prompt over 120,000 characters is truncated with a visible note, never sent whole", () =>
    Effect.gen(function*() {
      const { fake, runtime } = yield* setup()
      yield* runtime.dispatch({ ...request, prompt: `${"x".repeat(130_000)}TAIL` })
      const [turn] = commands(fake, "thread.turn.start")
      const text = (turn?.message as { text: string } | undefined)?.text
      expect(text).toHaveLength(120_000)
      expect(text).toMatch(/truncated from 130004 to 120000 characters/)
      expect(text).not.toContain("TAIL")
      expect((yield* runtime.status(threadId)).state).toBe("succeeded")
    }))

  it.scoped("a 400 is an error carrying the command that was sent (never the token), not retried", () =>
    Effect.gen(function*() {
      const { fake, runtime } = yield* setup(undefined, { model: "" })
      const error = yield* failure(runtime.dispatch(request))
      expect(error).toMatchObject({ status: 400, transient: false })
      expect(error.message).toContain("\"type\":\"thread.create\"")
      expect(error.message).toContain("\"model\":\"\"")
      expect(error.message).toContain("empty body")
      expect(error.message).not.toContain(fake.token())
      expect(commands(fake, "thread.create")).toHaveLength(1)
    }))

  it.scoped("a refused connection on dispatch is a transient error", () =>
    Effect.gen(function*() {
      const { fake, runtime } = yield* setup()
      fake.setUnreachable(true)
      const error = yield* failure(runtime.dispatch(request))
      expect(error.transient).toBe(true)
      expect(error.message).toMatch(/could not be reached/)
      expect(fake.projects()).toHaveLength(0)
    }))
})

describe("T3 auth errors", () => {
  const secret = "s3cret-token-value"

  it.scoped("401: says whether the token is missing or invalid, and is never retried", () =>
    Effect.gen(function*() {
      const { fake, runtime } = yield* setup(undefined, { token: Effect.succeed(Redacted.make(secret)) })
      const invalid = yield* failure(runtime.dispatch(request))
      expect(invalid).toMatchObject({ status: 401, transient: false })
      expect(invalid.message).toMatch(/rejected the bearer token as invalid or expired/)
      expect(invalid.message).toMatch(/t3 auth session issue --token-only/)
      expect(fake.requests()).toHaveLength(1)
      const missing = yield* failure(
        (yield* setup(undefined, { token: Effect.succeed(Redacted.make("")) })).runtime.status(threadId)
      )
      expect(missing.message).toMatch(/received no bearer token/)
    }))

  it.scoped("403: names the missing scope", () =>
    Effect.gen(function*() {
      const tokens = [{ token: secret, scopes: ["orchestration:read"] }]
      const { fake, runtime } = yield* setup({ tokens })
      expect((yield* runtime.status(threadId)).state).toBe("vanished")
      const error = yield* failure(runtime.followUp({ runId, threadId, step: "fix-forward-1", text: "again" }))
      expect(error).toMatchObject({ status: 403, transient: false })
      expect(error.message).toMatch(/lacks the scope orchestration:operate/)
      expect(commands(fake)).toHaveLength(1)
    }))

  it.scoped("no token value appears in any error message, JSON or cause", () =>
    Effect.gen(function*() {
      const forbidden = yield* setup({ tokens: [{ token: secret, scopes: [] }] })
      const broken = yield* setup({ tokens: [{ token: secret, scopes: T3Fake.operatorScopes }] }, { model: "" })
      const down = yield* setup({ tokens: [{ token: secret, scopes: T3Fake.operatorScopes }] })
      down.fake.setUnreachable(true)
      const wrong = yield* setup(undefined, { token: Effect.succeed(Redacted.make(secret)) })
      const errors = [
        yield* failure(forbidden.runtime.dispatch(request)),
        yield* failure(broken.runtime.dispatch(request)),
        yield* failure(down.runtime.dispatch(request)),
        yield* failure(wrong.runtime.dispatch(request))
      ]
      for (const error of errors) {
        expect(error.message).not.toContain(secret)
        expect(JSON.stringify(error)).not.toContain(secret)
        expect(Cause.pretty(Cause.fail(error))).not.toContain(secret)
      }
    }))

  it.scoped("a token rotated between two calls is used on the second", () =>
    Effect.gen(function*() {
      let current = "first-token"
      const tokens = [{ token: current, scopes: T3Fake.operatorScopes }]
      const { fake, runtime } = yield* setup({ tokens }, { token: Effect.sync(() => Redacted.make(current)) })
      yield* runtime.dispatch(request)
      fake.rotateToken("second-token")
      const stale = yield* failure(runtime.status(threadId))
      expect(stale.status).toBe(401)
      current = "second-token"
      yield* runtime.followUp({ runId, threadId, step: "fix-forward-1", text: "Fix CI." })
      expect(userMessages(fake)).toHaveLength(2)
    }))
})

describe("T3.followUp and T3.interrupt", () => {
  it.scoped(
    "followUp sends one thread.turn.start with the command id of (runId, step); repeating it is idempotent",
    () =>
      Effect.gen(function*() {
        const behaviour: T3Fake.Behaviour = (turn) => (turn.turnIndex === 1 ? T3Fake.complete("first") : T3Fake.queue)
        const { fake, runtime } = yield* setup({ behaviour })
        yield* runtime.dispatch(request)
        expect((yield* runtime.status(threadId)).lastAssistantText).toBe("first")
        const followUp = { runId, threadId, step: "fix-forward-1", text: "CI is red: fix it." }
        yield* runtime.followUp(followUp)
        yield* runtime.followUp(followUp)
        const sent = commands(fake, "thread.turn.start").slice(1)
        expect(sent.map((c) => c.commandId)).toEqual([
          Ids.derive(runId, "fix-forward-1"),
          Ids.derive(runId, "fix-forward-1")
        ])
        expect(userMessages(fake).map((m) => m.text)).toEqual(["Do it.", "CI is red: fix it."])
        const queued = yield* runtime.status(threadId)
        expect(queued).toMatchObject({ state: "running", detail: expect.stringMatching(/queued/) })
        expect(queued.lastAssistantText).toBeUndefined()
      })
  )

  it.scoped("interrupt sends thread.turn.interrupt with the session's activeTurnId, then nothing once it stopped", () =>
    Effect.gen(function*() {
      const { fake, runtime } = yield* setup({ behaviour: () => T3Fake.hang })
      yield* runtime.dispatch(request)
      const running = yield* runtime.status(threadId)
      expect(running.state).toBe("running")
      expect(running.activeTurnId).toBeDefined()
      yield* runtime.interrupt(runId, threadId)
      expect(commands(fake, "thread.turn.interrupt")).toEqual([
        {
          type: "thread.turn.interrupt",
          commandId: Ids.derive(runId, `interrupt-${running.activeTurnId}`),
          threadId,
          turnId: running.activeTurnId,
          createdAt: expect.any(String)
        }
      ])
      expect((yield* runtime.status(threadId)).state).toBe("interrupted")
      yield* runtime.interrupt(runId, threadId)
      yield* runtime.interrupt(runId, "never-created")
      expect(commands(fake, "thread.turn.interrupt")).toHaveLength(1)
    }))
})

describe("T3 helpers", () => {
  it("workspaceRootFor substitutes owner and repo and normalises like path.resolve", () => {
    expect(T3.workspaceRootFor("/data/{owner}__{repo}/", repo)).toBe("/data/acme__widgets")
    expect(T3.workspaceRootFor("/srv//x/../{repo}", repo)).toBe("/srv/widgets")
  })

  it("truncatePrompt keeps short prompts and never splits a surrogate pair", () => {
    expect(T3.truncatePrompt("short")).toBe("short")
    const cut = T3.truncatePrompt("y".repeat(252), 200).indexOf("\n\n[AFK")
    const text = `${"a".repeat(cut - 1)}😀${"b".repeat(252 - cut - 1)}`
    const truncated = T3.truncatePrompt(text, 200)
    expect(truncated.length).toBeLessThanOrEqual(200)
    expect(truncated.startsWith(`${"a".repeat(cut - 1)}\n\n[AFK`)).toBe(true)
  })

  it.scoped("threadUrl links to the web app's route for the thread", () =>
    Effect.gen(function*() {
      const { fake, runtime } = yield* setup(undefined, { webUrl: "https://t3.example.com/" })
      expect(yield* runtime.threadUrl("abc")).toBe(`https://t3.example.com/${fake.environmentId}/abc`)
    }))
})
