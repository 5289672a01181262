/**
 * `orchestration.launchThread` on the protocol-2 T3 fake (`t3-protocol-v2.md` §4.4): create and start in one
 * call, a `preparing` run released on the next poll, `resumed` on a repeat, and its typed failure.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as T3Fake from "../src/testing/T3Fake.js"
import { call, connect, dispatch, http, messageDispatch, projectCreate, seeded, threadId } from "./T3FakeV2Client.js"

const input = (fields: Record<string, unknown> = {}) => ({
  commandId: "c-launch",
  threadId: "t-launch",
  projectId: "p-1",
  title: "Issue #8: launch",
  modelSelection: { instanceId: "claudeAgent", model: "claude-sonnet-5" },
  runtimeMode: "full-access",
  interactionMode: "default",
  workspaceStrategy: { type: "root" },
  initialMessage: { messageId: "m-launch", text: "Go.", attachments: [] },
  creationSource: "web",
  ...fields
})

const withProject = Effect.gen(function*() {
  const fake = yield* T3Fake.start({ protocol: 2 })
  yield* http(fake, "POST", "/api/projects/mutate", { body: projectCreate() })
  return fake
})

describe("T3FakeV2: orchestration.launchThread (§4.4)", () => {
  it.scoped("§4.4 launchThread creates the thread and a preparing run for the initial message", () =>
    Effect.gen(function*() {
      const fake = yield* withProject
      const connection = yield* connect(fake)
      const exit = yield* call(connection, "orchestration.launchThread", input())
      expect(exit).toMatchObject({ _tag: "Success", value: { threadId: "t-launch", resumed: false } })
      expect(exit.value?.projection?.runs).toMatchObject([{ userMessageId: "m-launch", status: "preparing" }])
      fake.advance("t-launch")
      expect(fake.threads()[0]?.runs[0]?.status).toBe("starting")
    }))

  it.scoped("§4.4 the same commandId again is resumed: no second run", () =>
    Effect.gen(function*() {
      const fake = yield* withProject
      const connection = yield* connect(fake)
      yield* call(connection, "orchestration.launchThread", input())
      const again = yield* call(connection, "orchestration.launchThread", input())
      expect(again).toMatchObject({ _tag: "Success", value: { threadId: "t-launch", resumed: true } })
      expect(fake.threads()[0]?.runs).toHaveLength(1)
    }))

  it.scoped("§4.4/§6.2 a launch into an unknown project fails OrchestrationV2ThreadLaunchError", () =>
    Effect.gen(function*() {
      const fake = yield* withProject
      const connection = yield* connect(fake)
      const exit = yield* call(connection, "orchestration.launchThread", input({ projectId: "p-none" }))
      expect(exit.cause).toMatchObject([
        {
          _tag: "Fail",
          error: { _tag: "OrchestrationV2ThreadLaunchError", commandId: "c-launch", projectId: "p-none" }
        }
      ])
      expect(fake.threads()).toEqual([])
    }))

  it.scoped("§4.3 defer_start is refused on message.dispatch: nothing would release the run", () =>
    Effect.gen(function*() {
      const fake = yield* seeded()
      const exit = yield* dispatch(fake, messageDispatch(1, { dispatchMode: { type: "defer_start" } }))
      expect(String(exit.cause?.[0]?._tag)).toBe("Fail")
      expect(fake.threads().find((t) => t.id === threadId)?.runs).toEqual([])
    }))
})
