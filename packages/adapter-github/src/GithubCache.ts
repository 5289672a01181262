/**
 * The conditional-request cache behind the GitHub client: the last `ETag`, body and `Link` of every GET
 * URL, so the next read of the same URL sends `If-None-Match` and a `304 Not Modified` (which costs no
 * rate-limit point) is served from here. In memory per client; optionally also on disk, in the `github`
 * folder of a cache directory, so short-lived CLI ticks share it.
 *
 * The disk copy saves requests and decides nothing: the client keeps the answers that decide trust or
 * identity in a cache of this kind without a directory (its memos have a store of their own). The directory
 * is created private (0700, files 0600) and, before its first use, refused — one warning, then memory only —
 * unless it, its `github` folder and everything in them belong to the running user and are neither group-
 * nor world-writable, so no other user can plant an answer in it. A file that cannot be read is a miss; one
 * that cannot be written is logged once, and the cache goes on in memory.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { createHash } from "node:crypto"
import { randomUUID } from "node:crypto"
import type { Stats } from "node:fs"
import { lstat, mkdir, readdir, readFile, rename, stat, writeFile } from "node:fs/promises"
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
  /** Whether this cache holds `url` in memory: this client read or wrote it (the disk is not asked). */
  readonly held: (url: string) => Effect.Effect<boolean>
}

export interface Options {
  /** A cache directory (created if missing), which may hold other caches; files go in its `github` folder. */
  readonly directory?: string | undefined
  /** The most URLs kept in memory; the oldest are forgotten first. */
  readonly maxEntries?: number | undefined
  /**
   * The user the directory and its files must belong to: the running user (`process.getuid()`) by default.
   * Where the platform has no user ids (Windows), ownership and mode are not checked.
   */
  readonly uid?: number | undefined
}

const fileFor = (directory: string, url: string): string =>
  join(directory, `${createHash("sha256").update(url).digest("hex").slice(0, 40)}.json`)

const decodeEntry = Schema.decodeUnknownOption(Schema.parseJson(Entry))

const readDisk = (directory: string, url: string): Effect.Effect<Option.Option<Entry>> =>
  Effect.tryPromise(() => readFile(fileFor(directory, url), "utf8")).pipe(
    Effect.map((text) => Option.filter(decodeEntry(text), (entry) => entry.url === url)),
    Effect.orElseSucceed(() => Option.none<Entry>())
  )

const writeDisk = (directory: string, entry: Entry) =>
  Effect.tryPromise(async () => {
    const file = fileFor(directory, entry.url)
    // Unique per write: two concurrent writes of one URL (one process, or two) must not share a temporary file.
    const temporary = `${file}.${process.pid}.${randomUUID()}.tmp`
    await writeFile(temporary, JSON.stringify(entry), { encoding: "utf8", mode: 0o600 })
    await rename(temporary, file)
  })

/** What makes `path` unsafe to trust, if anything: another owner, or write access for group or world. */
const unsafe = (path: string, info: Stats, uid: number): string | undefined => {
  if (info.uid !== uid) {
    return `${path} is owned by uid ${info.uid}, not by this user (uid ${uid}); chown it to this user`
  }
  const writable = [info.mode & 0o020 ? "group" : "", info.mode & 0o002 ? "world" : ""].filter((who) => who !== "")
  if (writable.length === 0) return undefined
  const mode = (info.mode & 0o777).toString(8)
  return `${path} is ${writable.join("- and ")}-writable (mode ${mode}); run chmod go-w on it`
}

/**
 * Creates `root/github` (0700) and says what, if anything, makes the directory unsafe: `root`, its `github`
 * folder, or any entry in them (not followed if a link) owned by someone else or writable by group or world.
 */
const inspect = async (root: string, folder: string, uid: number | undefined): Promise<string | undefined> => {
  await mkdir(folder, { recursive: true, mode: 0o700 })
  if (uid === undefined) return undefined
  for (const directory of [root, folder]) {
    const problem = unsafe(directory, await stat(directory), uid)
    if (problem !== undefined) return problem
  }
  for (const directory of [root, folder]) {
    for (const name of await readdir(directory)) {
      if (directory === root && name === "github") continue
      const problem = unsafe(join(directory, name), await lstat(join(directory, name)), uid)
      if (problem !== undefined) return problem
    }
  }
  return undefined
}

const reasonOf = (error: unknown): string =>
  error instanceof Error && "code" in error ? String(error.code) : error instanceof Error ? error.message : "unknown"

/** Whether the directory may be used; if not, the one warning that says why and what to do. */
const usable = (root: string, folder: string, uid: number | undefined): Effect.Effect<boolean> =>
  Effect.tryPromise(() => inspect(root, folder, uid)).pipe(
    Effect.matchEffect({
      onFailure: (error) =>
        Effect.as(
          Effect.logWarning(
            `GitHub response cache: could not write to the cache directory ${folder} (${
              reasonOf(error.error)
            }); keeping the cache in memory only for this client`
          ),
          false
        ),
      onSuccess: (problem) =>
        problem === undefined ? Effect.succeed(true) : Effect.as(
          Effect.logWarning(
            `GitHub response cache: refusing the cache directory ${root}: ${problem}, or delete the directory ` +
              "(it only holds a cache and is recreated private). Until then another user could plant answers in " +
              "it, so the cache stays in memory only for this client"
          ),
          false
        )
    })
  )

/** A cache for one client instance. */
export const make = (options: Options = {}): Effect.Effect<Cache> =>
  Effect.gen(function*() {
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
    const root = options.directory
    const folder = root === undefined ? undefined : join(root, "github")
    const checked = root === undefined || folder === undefined
      ? Effect.succeed(false)
      : yield* Effect.cached(usable(root, folder, options.uid ?? process.getuid?.()))
    // The first failed write is logged once and turns the disk copy off for this client (a read-only or
    // full filesystem would fail every write of the tick); the cache goes on in memory.
    let writable = true
    const persist = (dir: string, entry: Entry) =>
      writeDisk(dir, entry).pipe(
        Effect.catchAll((error) => {
          if (!writable) return Effect.void
          writable = false
          return Effect.logWarning(
            `GitHub response cache: could not write to the cache directory ${dir} (${
              reasonOf(error.error)
            }); keeping the cache in memory only for this client`
          )
        })
      )
    return {
      get: (url) =>
        Effect.suspend(() => {
          const hit = memory.get(url)
          if (hit !== undefined || folder === undefined) return Effect.succeed(Option.fromNullable(hit))
          return Effect.flatMap(checked, (ok) =>
            ok
              ? readDisk(folder, url).pipe(Effect.tap(Option.match({ onNone: () => {}, onSome: remember })))
              : Effect.succeedNone)
        }),
      set: (entry) =>
        Effect.suspend(() => {
          remember(entry)
          if (folder === undefined || !writable) return Effect.void
          return Effect.flatMap(checked, (ok) => (ok ? persist(folder, entry) : Effect.void))
        }),
      held: (url) => Effect.sync(() => memory.has(url))
    }
  })
