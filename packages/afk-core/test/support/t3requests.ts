/**
 * Raw requests to the T3 fake over loopback `fetch`, and the spec's command examples (§3.6, §3.7) to
 * vary: nothing of the client is trusted by the tests that use them.
 */
import * as Effect from "effect/Effect"
import { expect } from "vitest"
import * as T3Fake from "../../src/testing/T3Fake.js"

export const projectId = "0d9f6d3a-5b8c-4f1e-a2d7-9c8b7a6f5e4d"
export const threadId = "b7e4c2f0-1a2b-4c3d-8e9f-0a1b2c3d4e5f"
const createdAt = "2026-08-22T10:00:00.000Z"

export const projectCreate = (overrides: Record<string, unknown> = {}) => ({
  type: "project.create",
  commandId: "cmd-project",
  projectId,
  title: "acme/widgets",
  workspaceRoot: "/data/acme__widgets",
  createWorkspaceRootIfMissing: true,
  createdAt,
  ...overrides
})

/** §3.6, verbatim. */
export const threadCreate = (overrides: Record<string, unknown> = {}) => ({
  type: "thread.create",
  commandId: "6a0d1c3e-8f0e-4b59-9a55-2f7c0b6a1e01",
  threadId,
  projectId,
  title: "Issue #123: crash on empty config",
  modelSelection: { instanceId: "claudeAgent", provider: "claudeAgent", model: "claude-sonnet-5" },
  runtimeMode: "full-access",
  interactionMode: "default",
  branch: null,
  worktreePath: null,
  createdAt,
  ...overrides
})

/** §3.7, verbatim. */
export const turnStart = (overrides: Record<string, unknown> = {}, message: Record<string, unknown> = {}) => ({
  type: "thread.turn.start",
  commandId: "c1f2e3d4-5b6a-4978-8a9b-0c1d2e3f4a5b",
  threadId,
  message: {
    messageId: "9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b",
    role: "user",
    text: "<preamble>\n\n<issue text>",
    attachments: [],
    ...message
  },
  runtimeMode: "full-access",
  interactionMode: "default",
  createdAt: "2026-08-22T10:00:01.000Z",
  ...overrides
})

export interface Answer {
  readonly status: number
  readonly text: string
  readonly json: unknown
}

export const request = (
  fake: T3Fake.T3Fake,
  method: string,
  path: string,
  options: { readonly body?: unknown; readonly token?: string | null; readonly contentType?: string } = {}
) =>
  Effect.promise(async (): Promise<Answer> => {
    const headers: Record<string, string> = { "content-type": options.contentType ?? "application/json" }
    const token = options.token === undefined ? fake.token() : options.token
    if (token !== null) headers.authorization = `Bearer ${token}`
    const response = await fetch(`${fake.url}${path}`, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) })
    })
    const text = await response.text()
    return { status: response.status, text, json: text === "" ? undefined : JSON.parse(text) }
  })

export const dispatch = (fake: T3Fake.T3Fake, body: unknown, token?: string | null) =>
  request(fake, "POST", "/api/orchestration/dispatch", { body, ...(token === undefined ? {} : { token }) })

export const getThread = (fake: T3Fake.T3Fake, id = threadId, query = "") =>
  request(fake, "GET", `/api/orchestration/threads/${id}${query}`)

export const seeded = (options?: T3Fake.FakeOptions) =>
  Effect.gen(function*() {
    const fake = yield* T3Fake.start(options)
    expect((yield* dispatch(fake, projectCreate())).status).toBe(200)
    expect((yield* dispatch(fake, threadCreate())).status).toBe(200)
    return fake
  })
