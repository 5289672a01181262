/**
 * afk-core's adapter conformance suite against `MarkdownTracker`: each check gets a fresh temporary folder
 * holding exactly the suite's seed, written in the tracker's own file format.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as FileSystem from "@effect/platform/FileSystem"
import * as TrackerConformance from "afk-core/conformance"
import { TrackerSeed } from "afk-core/testing"
import * as Effect from "effect/Effect"
import * as MarkdownTracker from "../src/MarkdownTracker.js"

const fromSeed = (seed: TrackerConformance.Seed) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const root = yield* fs.makeTempDirectoryScoped({ prefix: "afk-markdown-" })
    yield* MarkdownTracker.writeRepo(root, seed.repo, { trusted: seed.trusted, labels: seed.labels })
    yield* Effect.forEach(seed.issues, (issue) =>
      MarkdownTracker.writeIssue(root, seed.repo, {
        number: issue.number,
        ...TrackerSeed.edited(issue),
        state: issue.state,
        author: issue.author,
        labels: issue.labels,
        pullRequest: issue.isPullRequest ?? false,
        log: [
          ...issue.events.map((event) => ({ _tag: "event" as const, event })),
          ...(issue.edits ?? []).map(({ at, editor }) => ({ _tag: "edit" as const, edit: { editor, at } })),
          ...issue.comments.map((comment, i) => ({
            _tag: "comment" as const,
            comment: { id: `${issue.number}-${i + 1}`, ...comment }
          }))
        ]
      }))
    return yield* MarkdownTracker.make({ root, bot: seed.bot })
  }).pipe(Effect.orDie, Effect.provide(NodeFileSystem.layer))

TrackerConformance.run("markdown", fromSeed)
