/**
 * The conditional-request cache behind the GitHub client: the last `ETag`, value and `Link` of every GET
 * URL, so the next read of the same URL sends `If-None-Match` and a `304 Not Modified` (which costs no
 * rate-limit point) is answered from here. A value is kept as its schema decoded it (the fields the schema
 * names, never the raw body; immutable, so shared with the caller) and served only to a read with a schema of
 * the same shape, without being validated again; it becomes compact JSON only when the file is written. What
 * the file brings is validated at its first use. Beside the answers it keeps durable memos: values a caller
 * remembers under a key while a tag holds, which can grant no trust and name no identity (a repository's
 * remembered lists; a refusal, which only refuses).
 *
 * In memory per client; optionally also in one file, `cache.json` in the `github` folder of a cache
 * directory, so short-lived CLI ticks share it. The file is read once, at first use, and written once, when
 * the client's scope closes (a temporary file renamed over it, so a reader or a second process never sees a
 * torn file: the last writer wins). What was not used for `maxIdle` is left out of it, and at most `maxEntries`
 * answers and as many memos are kept, the most recently used.
 *
 * The disk copy saves requests and decides nothing: the client keeps the answers that decide trust or
 * identity in a cache of this kind without a directory, and its other memos in a store of their own. The
 * directory is created private (0700, files 0600) and, before its first use, refused — one warning, then
 * memory only — unless it, its `github` folder and everything in them belong to the running user and are
 * neither group- nor world-writable, so no other user can plant an answer in it. A file that cannot be read,
 * is not JSON, or was written by another format is a miss; an entry that its schema no longer decodes is a
 * miss; a file that cannot be written is logged once.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { randomUUID } from "node:crypto"
import type { Stats } from "node:fs"
import { lstat, mkdir, open, readdir, readFile, rename, stat, unlink } from "node:fs/promises"
import { join } from "node:path"
import * as GithubCodec from "./GithubCodec.js"

/** What the cache answers for a URL: GitHub's `ETag`, the decoded value and the `Link` header, if any. */
export interface Answer<A> {
  readonly etag: string
  readonly value: A
  readonly link?: string | undefined
}

export interface Cache {
  /** The answer kept for `url`, if it was decoded with `schema` (or a schema of the same shape). */
  readonly get: <A, I>(url: string, schema: Schema.Schema<A, I>) => Effect.Effect<Option.Option<Answer<A>>>
  readonly set: <A, I>(url: string, schema: Schema.Schema<A, I>, answer: Answer<A>) => Effect.Effect<void>
  /** Whether this cache holds an answer for `url`: this client read it, or the cache file had it. */
  readonly held: (url: string) => Effect.Effect<boolean>
  /** The durable memo under `key` while `tag` still holds and `schema` decodes it; none otherwise. */
  readonly recall: <A, I>(key: string, tag: string, schema: Schema.Schema<A, I>) => Effect.Effect<Option.Option<A>>
  /** Remembers `value` under `key` for `tag`, in the cache file too: only what grants no trust, names no identity. */
  readonly remember: <A, I>(key: string, tag: string, schema: Schema.Schema<A, I>, value: A) => Effect.Effect<void>
}

export interface Options {
  /** A cache directory (created if missing), which may hold other caches; the file goes in its `github` folder. */
  readonly directory?: string | undefined
  /** The most answers (and the most memos) kept, in memory and in the file; the least recently used go first. */
  readonly maxEntries?: number | undefined
  /** What was not used for this long is left out of the file; 7 days by default. */
  readonly maxIdle?: Duration.DurationInput | undefined
  /**
   * The user the directory and its files must belong to: the running user (`process.getuid()`) by default.
   * Where the platform has no user ids (Windows), ownership and mode are not checked.
   */
  readonly uid?: number | undefined
}

/** The cache file's format; a file of any other is a miss. */
export const format = "afk-github-cache/1"

/** The cache file in a cache directory's `github` folder. */
export const fileName = "cache.json"

const StoredEntry = Schema.Struct({
  tag: Schema.String,
  shape: Schema.String,
  usedAt: Schema.Number,
  link: Schema.optional(Schema.String),
  json: Schema.Unknown
})
type StoredEntry = typeof StoredEntry.Type

/** The cache file: answers by URL and durable memos by key, each least recently used first. */
export const File = Schema.Struct({
  format: Schema.Literal(format),
  answers: Schema.Record({ key: Schema.String, value: StoredEntry }),
  memos: Schema.Record({ key: Schema.String, value: StoredEntry })
})
export type File = typeof File.Type

const decodeFile = Schema.decodeUnknownOption(Schema.parseJson(File))

/**
 * An entry held in memory: the value this process decoded with a schema of the entry's shape (turned into JSON
 * only when the file is written, with `stored`), or, read from the file and not yet asked for, its JSON as the
 * file had it.
 */
interface Slot {
  readonly tag: string
  readonly shape: string
  readonly link: string | undefined
  usedAt: number
  used: boolean
  form: { readonly value: unknown; readonly stored: GithubCodec.Stored<unknown> } | { readonly json: unknown }
}

/** An entry of the file without its JSON, and the JSON as text. */
type Saved = readonly [key: string, entry: Omit<StoredEntry, "json">, json: string]

const textOf = (form: Slot["form"]): Option.Option<string> =>
  "json" in form
    ? Option.some(JSON.stringify(form.json))
    : Option.map(form.stored.toJson(form.value), (json) => JSON.stringify(json))

/** Entries under keys, least recently used first, at most `max`. */
const table = (max: number) => {
  const slots = new Map<string, Slot>()
  const put = (key: string, slot: Slot): void => {
    slots.delete(key)
    slots.set(key, slot)
    if (slots.size > max) {
      const oldest = slots.keys().next()
      if (oldest.done !== true) slots.delete(oldest.value)
    }
  }
  return {
    slots,
    take: <A>(
      key: string,
      tag: string | undefined,
      stored: GithubCodec.Stored<A>
    ): Option.Option<{ readonly tag: string; readonly link: string | undefined; readonly value: A }> => {
      const slot = slots.get(key)
      if (slot === undefined || slot.shape !== stored.shape || (tag !== undefined && slot.tag !== tag)) {
        return Option.none()
      }
      const value = "value" in slot.form ? Option.some(slot.form.value as A) : stored.fromJson(slot.form.json)
      if (Option.isNone(value)) {
        slots.delete(key)
        return Option.none()
      }
      if ("json" in slot.form) slot.form = { value: value.value, stored: stored as GithubCodec.Stored<unknown> }
      slot.used = true
      put(key, slot)
      return Option.some({ tag: slot.tag, link: slot.link, value: value.value })
    },
    keep: <A>(key: string, tag: string, stored: GithubCodec.Stored<A>, value: A, link?: string): void => {
      const form = { value, stored: stored as GithubCodec.Stored<unknown> }
      put(key, { tag, shape: stored.shape, link, usedAt: 0, used: true, form })
    },
    load: (entries: Readonly<Record<string, StoredEntry>>) => {
      for (const [key, entry] of Object.entries(entries)) {
        if (slots.has(key)) continue
        const { json, ...meta } = entry
        slots.set(key, { ...meta, link: entry.link, used: false, form: { json } })
      }
    },
    *save(now: number, since: number): Generator<Saved> {
      for (const [key, slot] of slots) {
        const usedAt = slot.used ? now : slot.usedAt
        if (usedAt < since) continue
        const json = textOf(slot.form)
        if (Option.isNone(json)) continue
        const link = slot.link === undefined ? {} : { link: slot.link }
        yield [key, { tag: slot.tag, shape: slot.shape, usedAt, ...link }, json.value]
      }
    }
  }
}

const readDisk = (file: string): Effect.Effect<Option.Option<File>> =>
  Effect.tryPromise(() => readFile(file, "utf8")).pipe(
    Effect.map(decodeFile),
    Effect.orElseSucceed(() => Option.none<File>())
  )

/** Per-URL files an earlier version of this cache kept beside the single file. */
const formerFile = /^[0-9a-f]{40}\.json$/

/**
 * The file's JSON text in pieces of about 64 KB, so the whole text is never held at once. Small enough to
 * stay out of V8's large-object space, which only a full collection frees: megabyte pieces stayed in memory
 * until the process exited (16 MB of a 1,000-repository tick's peak).
 */
const pieceLength = 64 * 1024

function* fileText(answers: Iterable<Saved>, memos: Iterable<Saved>): Generator<string> {
  let text = `{"format":${JSON.stringify(format)}`
  for (const [name, entries] of [["answers", answers], ["memos", memos]] as const) {
    text += `,${JSON.stringify(name)}:{`
    let first = true
    for (const [key, entry, json] of entries) {
      text += `${first ? "" : ","}${JSON.stringify(key)}:${JSON.stringify(entry).slice(0, -1)},"json":${json}}`
      first = false
      if (text.length < pieceLength) continue
      yield text
      text = ""
    }
    text += "}"
  }
  yield `${text}}`
}

const writeDisk = (folder: string, text: Iterable<string>) =>
  Effect.tryPromise(async () => {
    const file = join(folder, fileName)
    // Unique per write: two processes closing at once must not share a temporary file.
    const temporary = `${file}.${process.pid}.${randomUUID()}.tmp`
    try {
      const handle = await open(temporary, "w", 0o600)
      try {
        for (const piece of text) await handle.write(piece)
      } finally {
        await handle.close()
      }
      await rename(temporary, file)
    } catch (error) {
      await unlink(temporary).catch(() => undefined)
      throw error
    }
    const former = (await readdir(folder)).filter((name) => formerFile.test(name))
    await Promise.all(former.map((name) => unlink(join(folder, name)).catch(() => undefined)))
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

const memoryOnly = (folder: string, error: unknown) =>
  Effect.logWarning(
    `GitHub response cache: could not write to the cache directory ${folder} (${
      reasonOf(error)
    }); keeping the cache in memory only for this client`
  )

/** Whether the directory may be used; if not, the one warning that says why and what to do. */
const usable = (root: string, folder: string, uid: number | undefined): Effect.Effect<boolean> =>
  Effect.tryPromise(() => inspect(root, folder, uid)).pipe(
    Effect.matchEffect({
      onFailure: (error) => Effect.as(memoryOnly(folder, error.error), false),
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

/** A cache for one client instance; with a directory, its file is written when `scope` closes. */
export const make = (options: Options = {}): Effect.Effect<Cache, never, Scope.Scope> =>
  Effect.gen(function*() {
    const maxEntries = options.maxEntries ?? 50_000
    const maxIdle = Duration.toMillis(Duration.decode(options.maxIdle ?? "7 days"))
    const answers = table(maxEntries)
    const memos = table(maxEntries)
    const root = options.directory
    const folder = root === undefined ? undefined : join(root, "github")
    const checked = root === undefined || folder === undefined
      ? Effect.succeed(false)
      : yield* Effect.cached(usable(root, folder, options.uid ?? process.getuid?.()))
    // Whether the file was read (or there is none to read): every use before waits for the one read, every
    // use after is a plain step, not a run of the cached read (a few dozen operations, each get and set).
    let loaded = folder === undefined
    const ready = folder === undefined ? Effect.void : yield* Effect.cached(
      Effect.flatMap(checked, (ok) =>
        ok
          ? Effect.map(readDisk(join(folder, fileName)), (file) => {
            if (Option.isNone(file)) return
            answers.load(file.value.answers)
            memos.load(file.value.memos)
          })
          : Effect.void).pipe(Effect.tap(() => Effect.sync(() => (loaded = true))))
    )
    let touched = false
    const whenReady = <A>(f: () => A): Effect.Effect<A> =>
      loaded ? Effect.sync(f) : Effect.zipRight(ready, Effect.sync(f))

    if (folder !== undefined) {
      yield* Effect.addFinalizer(() =>
        Effect.gen(function*() {
          if (!touched || !(yield* checked)) return
          const now = yield* Clock.currentTimeMillis
          const text = fileText(answers.save(now, now - maxIdle), memos.save(now, now - maxIdle))
          yield* writeDisk(folder, text).pipe(
            Effect.catchAll((error) => memoryOnly(folder, error.error))
          )
        })
      )
    }

    return {
      get: (url, schema) =>
        whenReady(() => {
          touched = true
          return Option.map(
            answers.take(url, undefined, GithubCodec.stored(schema)),
            (slot) => (slot.link === undefined ? { etag: slot.tag, value: slot.value } : {
              etag: slot.tag,
              value: slot.value,
              link: slot.link
            })
          )
        }),
      set: (url, schema, answer) =>
        whenReady(() => {
          touched = true
          answers.keep(url, answer.etag, GithubCodec.stored(schema), answer.value, answer.link)
        }),
      held: (url) => whenReady(() => answers.slots.has(url)),
      recall: (key, tag, schema) =>
        whenReady(() => {
          touched = true
          return Option.map(memos.take(key, tag, GithubCodec.stored(schema)), (slot) => slot.value)
        }),
      remember: (key, tag, schema, value) =>
        whenReady(() => {
          touched = true
          memos.keep(key, tag, GithubCodec.stored(schema), value)
        })
    }
  })
