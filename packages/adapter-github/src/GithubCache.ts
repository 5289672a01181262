/**
 * The conditional-request cache behind the GitHub client: the last `ETag`, body and `Link` of every GET
 * URL, so the next read of the same URL sends `If-None-Match` and a `304 Not Modified` (which costs no
 * rate-limit point) is served from here. In memory per client; optionally also in a directory of small
 * JSON files so short-lived CLI ticks share it. The client keeps its memos here too (`GithubChanges`: a
 * label list under the change probe's `ETag`, label events under an issue's `updated_at`), under keys no
 * URL can take. The cache only saves requests: a file that cannot be read is a miss, one that cannot be
 * written is logged once, and the client keeps its cache in memory only from then on.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { createHash } from "node:crypto"
import { mkdir, readFile, rename, writeFile } from "node:fs/promises"
import { join } from "node:path"

export const Entry = Schema.Struct({
  url: Schema.String,
  etag: Schema.String,
  body: Schema.String,
  link: Schema.optional(Schema.String)
})
export type Entry = typeof Entry.Type

export interface Cache {
  readonly get: (url: string) => Effect.Effect<Option.Option<Entry>>
  readonly set: (entry: Entry) => Effect.Effect<void>
}

export interface Options {
  /** A directory for the on-disk copy (created if missing); memory only when absent. */
  readonly directory?: string | undefined
  /** The most URLs kept in memory; the oldest are forgotten first. */
  readonly maxEntries?: number | undefined
}

const fileFor = (directory: string, url: string): string =>
  join(directory, `${createHash("sha256").update(url).digest("hex").slice(0, 40)}.json`)

const decodeEntry = Schema.decodeUnknownOption(Schema.parseJson(Entry))

const readDisk = (directory: string, url: string): Effect.Effect<Option.Option<Entry>> =>
  Effect.tryPromise(() => readFile(fileFor(directory, url), "utf8")).pipe(
    Effect.map((text) => Option.filter(decodeEntry(text), (entry) => entry.url === url)),
    Effect.orElseSucceed(() => Option.none<Entry>())
  )

const writeDisk = (directory: string, entry: Entry, made: { done: boolean }) =>
  Effect.tryPromise(async () => {
    if (!made.done) {
      await mkdir(directory, { recursive: true })
      made.done = true
    }
    const file = fileFor(directory, entry.url)
    const temporary = `${file}.${process.pid}.tmp`
    await writeFile(temporary, JSON.stringify(entry), "utf8")
    await rename(temporary, file)
  })

/** A cache for one client instance. */
export const make = (options: Options = {}): Effect.Effect<Cache> =>
  Effect.sync(() => {
    const memory = new Map<string, Entry>()
    const maxEntries = options.maxEntries ?? 10_000
    const remember = (entry: Entry): void => {
      memory.delete(entry.url)
      memory.set(entry.url, entry)
      if (memory.size > maxEntries) {
        const oldest = memory.keys().next()
        if (oldest.done !== true) memory.delete(oldest.value)
      }
    }
    const directory = options.directory
    // The first failed write is logged once and turns the disk copy off for this client (a read-only or
    // full filesystem would fail every write of the tick); the cache goes on in memory.
    let writable = true
    const made = { done: false }
    const persist = (dir: string, entry: Entry) =>
      writeDisk(dir, entry, made).pipe(
        Effect.catchAll((error) => {
          if (!writable) return Effect.void
          writable = false
          return Effect.logWarning(
            "GitHub response cache: could not write to the cache directory; keeping the cache in memory only for this client",
            dir,
            error.cause
          )
        })
      )
    return {
      get: (url) => {
        const hit = memory.get(url)
        if (hit !== undefined || directory === undefined) return Effect.succeed(Option.fromNullable(hit))
        return readDisk(directory, url).pipe(Effect.tap(Option.match({ onNone: () => {}, onSome: remember })))
      },
      set: (entry) =>
        Effect.suspend(() => {
          remember(entry)
          return directory === undefined || !writable ? Effect.void : persist(directory, entry)
        })
    }
  })
