/**
 * AFK's loop over the Markdown tracker: a folder with one repository and one issue a trusted maintainer
 * labelled `ready-for-agent`, then ticks until AFK has closed it. The agent, CI and notifier are afk-core's
 * in-memory fakes, so this runs offline; in production they would be `T3.layer`, a `Ci` adapter and a
 * notifier. Prints the issue file as AFK left it: its labels, run record and checklist comments.
 *
 * Usage: `node dist/src/main.js [folder]` (default: a new temporary folder).
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as FileSystem from "@effect/platform/FileSystem"
import { AgentRuntime, Ci, Config, Domain, Notifier, Tick } from "afk-core"
import { MemoryAgent, MemoryCi, MemoryNotifier } from "afk-core/testing"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as MarkdownTracker from "./MarkdownTracker.js"

const repo = Domain.repo("acme/notes")
const bot = "afk-bot"

/** Armed for this one repository, in this process only. */
const config: Config.AfkConfig = { ...Config.defaults, killSwitch: false, allowlist: [repo] }

const seed = (root: string) =>
  Effect.gen(function*() {
    yield* MarkdownTracker.writeRepo(root, repo, {
      trusted: ["maintainer"],
      labels: ["ready-for-agent", "agent-in-progress", "ready-for-human", "paused"]
    })
    yield* MarkdownTracker.writeIssue(root, repo, {
      number: 1,
      title: "Fix the typo in the install section",
      body: "`npm install afk-cor` should read `npm install afk-core`.",
      state: "open",
      author: "reporter",
      labels: ["ready-for-agent"],
      pullRequest: false,
      log: [
        {
          _tag: "event",
          event: { label: "ready-for-agent", action: "added", actor: "maintainer", at: new Date().toISOString() }
        }
      ]
    })
  })

const program = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const root = process.argv[2] ?? (yield* fs.makeTempDirectoryScoped({ prefix: "afk-markdown-" }))
  yield* seed(root)
  const agent = yield* MemoryAgent.make()
  const ci = yield* MemoryCi.make()
  const notifier = yield* MemoryNotifier.make
  const ports = Layer.mergeAll(
    MarkdownTracker.layer({ root, bot }),
    Layer.succeed(AgentRuntime.AgentRuntime, agent.service),
    Layer.succeed(Ci.Ci, ci.service),
    Layer.succeed(Notifier.Notifier, notifier.service)
  )
  const tracker = yield* MarkdownTracker.make({ root, bot })
  let ticks = 0
  while (ticks < 20 && (yield* tracker.getIssue(repo, 1)).state === "open") {
    ticks += 1
    const report = yield* Effect.provide(Tick.run(config), ports)
    if (report.failed) return yield* Effect.fail(new Error(`tick ${ticks} failed: ${JSON.stringify(report)}`))
  }
  const file = `${root}/${repo}/1.md`
  yield* Console.log(`${file} after ${ticks} ticks:\n\n${yield* fs.readFileString(file)}`)
  yield* Console.log(`Notified: ${notifier.sent.map((n) => `${n.kind} ${n.issue}`).join(", ")}`)
  if ((yield* tracker.getIssue(repo, 1)).state !== "closed") {
    return yield* Effect.fail(new Error(`the issue is still open after ${ticks} ticks`))
  }
})

program.pipe(Effect.scoped, Effect.provide(NodeFileSystem.layer), NodeRuntime.runMain)
