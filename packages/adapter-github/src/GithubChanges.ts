/**
 * What the GitHub tracker knows of each repository's changes, so that reading an unchanged repository
 * costs one request (quality.md P1) and an unchanged issue's history (label and title events, body edit)
 * none.
 *
 * The change probe asks for the repository's most recently updated issue or pull request
 * (`GET /repos/{o}/{r}/issues?state=all&sort=updated&direction=desc&per_page=1`, conditional, so an
 * unchanged answer is a free 304). Every change to an issue — a label added or removed, a comment, an
 * edit, a close, a reopen, a new issue — moves its `updated_at` to now and so to the top of that list: a
 * probe whose `ETag` is unchanged proves every label list of the repository unchanged. A list read after a
 * probe is remembered under the probe's `ETag` and served, without a request, while the probe answers the
 * same. What is read of one issue (its events, its last body edit) is remembered under the `updated_at` its
 * latest listing showed. A list memo decides nothing (who labelled an issue and whether they are trusted is
 * read per issue after it), so it is durable: kept with the client's cache, and so in its cache file, where
 * the next process (the next CLI tick) finds it. What is read of one issue decides trust and stays in the
 * client's memory only.
 *
 * Whatever is in doubt is read as before:
 * - a memo is recorded only of a state that has been quiet for `quiet` (the newest change at least that
 *   old on GitHub's clock), so GitHub's lists and events have caught up with it, and a change in the same
 *   second as the newest one cannot hide behind an equal `updated_at`;
 * - the probe is sent only for a list this client has read before or its cache file holds (only then can a
 *   memo answer), so a client without a cache file that never lists twice sends no probe at all; a list read
 *   through the GraphQL batch (`lists: "graphql"`) leaves a durable mark saying so, as a REST list leaves its
 *   answer: the batch reads what nothing is known of (a cold tick, a changed repository), and a memo of an
 *   unchanged repository that outlived its bound is read the REST way, so its later re-reads are free 304s
 *   instead of a query's points. A list the batch read before its repository had a probe (a cold tick) is
 *   kept as read, with GitHub's time of the read, and the repository's first probe vouches for it (it is
 *   then kept under the probe's `ETag`, its bound still counted from the read) when the newest change the
 *   probe shows was at least `quiet` old at the read: no change since, and none GitHub's lists could still
 *   have been missing. So the tick after a cold one costs one probe per repository, not every list again;
 * - one probe answers every list of the repository for `reuse` (both lists of a tick share it);
 * - a write to the repository through this tracker (a label, a comment, an edit, a close), and a 404 or
 *   410 on one of its issues, drops the probe, the `updated_at`s seen and every memo of the repository
 *   recorded before it, so the next list is read from GitHub (the claim's contention re-list always is);
 * - no probe is sent until the repository can be quiet again (`quiet` after this tracker's last write to it,
 *   or after the newest change a probe showed): until then a probe could only cost a request;
 * - a list memo is served for a bounded time, which bounds what does not move `updated_at` (a label renamed
 *   or deleted repository-wide, an issue deleted or transferred): `maxAge` (5 minutes) for a list naming
 *   issues, `emptyMaxAge` (6 hours) for an empty one.
 * Another client's writes (another process) are caught by the probe's `ETag` alone.
 *
 * Why a stale list is safe, and why an empty one may be older. A list names issues to look at; it decides
 * nothing. A stale ready list can only propose a candidate: the claim takes the lock (a write, which drops every
 * memo of the repository) and then reads the issue, its label events and its last edit from GitHub again,
 * refusing one no longer open and ready — a ready label deleted repository-wide dispatches nothing. A stale
 * locked list makes watch read the issue's comments (its run records) from GitHub; a deleted or transferred
 * issue answers 404 or 410 there, or to the claim's reads, and that drops the repository's memos. What watch
 * takes from the listing itself (the issue closed, handed to a human, paused) is why a list naming issues is
 * still re-read after `maxAge`. An empty list proposes nothing and counts no run (every lock AFK takes is a
 * write, which moves `updated_at`): a stale one can only delay noticing an issue that joined the list
 * without moving `updated_at` (a label renamed into the watched name, an issue transferred in). That delay is
 * bounded by `emptyMaxAge`, and so an idle repository re-reads its lists every few hours instead of every few
 * minutes (quality.md P1). Each repository's empty lists are re-read at its own fixed share (from its name,
 * the same in every process) between half and all of `emptyMaxAge`, so lists remembered in one tick are not
 * all read again in one later tick.
 *
 * With `probe: "graphql"` the probe of a repository is one line of a GraphQL query over up to 100
 * repositories of one owner (`GithubSweep`): the first repository to need a probe sends it for every
 * repository known to this tracker whose probe is due, so an idle tick over N repositories costs about N/100
 * requests and N/100 GraphQL points instead of N free 304s. Its tag is the newest issue's number and
 * `updatedAt`, which every change moves as it moves the REST probe's `ETag`; every rule above holds for it, and
 * a repository the query cannot answer is probed the REST way. The probes asked for within a few turns of the
 * scheduler join one sweep, and the repositories sweeps answered are named in the cache file, so a new
 * process (the next CLI tick), where no repository has been listed yet, probes them all in its first query.
 *
 * The probe itself, REST or GraphQL, and the state kept of each repository are in `GithubProbe`.
 */
import type * as Domain from "afk-core/Domain"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as GithubBatchLists from "./GithubBatchLists.js"
import * as GithubClient from "./GithubClient.js"
import * as GithubCodec from "./GithubCodec.js"
import type * as GithubError from "./GithubError.js"
import * as GithubProbe from "./GithubProbe.js"
import { listCall, type Probed, type RepoState } from "./GithubProbe.js"

export interface Options {
  /** How long the newest change must be past before a memo is recorded; 60 s by default. */
  readonly quiet?: Duration.DurationInput | undefined
  /** How long one probe answers further lists of its repository; 10 s by default. */
  readonly reuse?: Duration.DurationInput | undefined
  /** The longest a memo of a list naming issues is served before the list is read again; 5 minutes by default. */
  readonly maxAge?: Duration.DurationInput | undefined
  /**
   * The longest a memo of an empty list is served; 6 hours by default. Each repository reads its empty lists
   * again at its own point between half of it and all of it.
   */
  readonly emptyMaxAge?: Duration.DurationInput | undefined
  /**
   * How a repository is proven unchanged: `rest` (default), one conditional request per repository, a 304 free
   * of rate-limit points; or `graphql`, one query per 100 repositories of one owner, a GraphQL point each.
   */
  readonly probe?: "rest" | "graphql" | undefined
}

export interface Changes {
  /**
   * The repository's open (or closed, or all) issues carrying `label` (pull requests included), from a memo
   * or from GitHub.
   */
  readonly list: <A extends Listed, I>(
    repo: Domain.Repo,
    label: string,
    item: Schema.Schema<A, I>,
    state?: GithubBatchLists.State
  ) => Effect.Effect<ReadonlyArray<A>, GithubError.GithubError>
  /** What `read` reads of one issue (named `kind`), from a memo kept under the issue's `updated_at`, or read. */
  readonly perIssue: <A, I>(
    repo: Domain.Repo,
    number: number,
    kind: string,
    schema: Schema.Schema<A, I>,
    read: Effect.Effect<A, GithubError.GithubError>
  ) => Effect.Effect<A, GithubError.GithubError>
  /** What `perIssue` remembered of one issue (named `kind`) under its current `updated_at`, if anything: no request. */
  readonly remembered: <A, I>(
    repo: Domain.Repo,
    number: number,
    kind: string,
    schema: Schema.Schema<A, I>
  ) => Effect.Effect<Option.Option<A>>
  /** Drops every probe, `updated_at` and memo of the repository recorded so far (someone said it changed). */
  readonly forget: (repo: Domain.Repo) => Effect.Effect<void>
  /** Runs a write to the repository, dropping what the write may change. */
  readonly write: <A, E>(repo: Domain.Repo, effect: Effect.Effect<A, E>) => Effect.Effect<A, E>
  /** Runs a read of a listed issue's details; a 404 or 410 (deleted, transferred) drops what is known of the repository. */
  readonly read: <A>(
    repo: Domain.Repo,
    effect: Effect.Effect<A, GithubError.GithubError>
  ) => Effect.Effect<A, GithubError.GithubError>
}

/** What a listed item must show: its number and `updated_at`. */
export interface Listed {
  readonly number: number
  readonly updated_at?: string | undefined
}

const durable = { durable: true }
/** The tag of the durable mark that a list was read through the batch (`GithubBatchLists`). */
const batchedTag = "batch"
/** The tag of a list read through the batch, kept until a probe of its repository can vouch for it. */
const unprobedTag = "batch, before a probe"

/**
 * A fixed share in [0.5, 1) of a bound for `repo`, from its name (FNV-1a, then MurmurHash3's finaliser, so
 * names differing in their last letter land far apart), the same in every process.
 */
const share = (repo: Domain.Repo) => {
  let hash = 0x811c9dc5
  for (const char of repo.toLowerCase()) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193)
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b)
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35)
  return 0.5 + ((hash ^ (hash >>> 16)) >>> 0) / 2 ** 33
}

const memoOf = <A, I>(item: Schema.Schema<A, I>) =>
  GithubCodec.derive(
    item,
    "list memo",
    () => Schema.Struct({ savedAt: Schema.Number, items: GithubCodec.arrayOf(item) })
  )

/**
 * Change tracking for one tracker over `client`. With `batch`, a list read from GitHub (none remembered, or its
 * memo not current) is asked of `batch` first (`GithubBatchLists`), and read the REST way where it answers none.
 */
export const make = (
  client: GithubClient.Service,
  options: Options = {},
  batch?: GithubBatchLists.Lister
): Changes => {
  const quiet = Duration.toMillis(Duration.decode(options.quiet ?? "60 seconds"))
  const reuse = Duration.toMillis(Duration.decode(options.reuse ?? "10 seconds"))
  const maxAge = Duration.toMillis(Duration.decode(options.maxAge ?? "5 minutes"))
  const emptyMaxAge = Duration.toMillis(Duration.decode(options.emptyMaxAge ?? "6 hours"))
  const repos = new Map<string, RepoState>()
  const stateOf = (repo: Domain.Repo): RepoState => {
    const key = repo.toLowerCase()
    const known = repos.get(key)
    if (known !== undefined) return known
    const created: RepoState = {
      repo,
      emptyMaxAge: emptyMaxAge * share(repo),
      listed: false,
      generation: 0,
      writing: 0,
      quietFrom: -Infinity,
      probe: undefined,
      recorded: new Map(),
      seen: new Map()
    }
    repos.set(key, created)
    return created
  }
  const drop = (state: RepoState) => {
    state.generation++
    state.probe = undefined
    state.seen.clear()
  }
  // Reads of one issue's details in flight, by repository generation: concurrent asks (a candidate's label
  // history and last edit both read its events) share one request; a read after a write never joins one sent
  // before it (the write moved the generation).
  const inFlight = new Map<string, Effect.Effect<unknown, GithubError.GithubError>>()
  const once = <A>(repo: Domain.Repo, key: string, read: Effect.Effect<A, GithubError.GithubError>) =>
    Effect.suspend(() => {
      const full = `${stateOf(repo).generation} ${key}`
      const running = inFlight.get(full) as Effect.Effect<A, GithubError.GithubError> | undefined
      if (running !== undefined) return running
      return Effect.flatMap(Effect.cached(read), (shared) => {
        inFlight.set(full, shared)
        return Effect.ensuring(shared, Effect.sync(() => inFlight.delete(full)))
      })
    })
  const isQuiet = (updatedAt: string | undefined, now: number) =>
    updatedAt !== undefined && Date.parse(updatedAt) <= now - quiet

  const probe = GithubProbe.prober(client, { quiet, reuse, probe: options.probe }, repos, stateOf)

  const note = (state: RepoState, items: ReadonlyArray<Listed>, now: number) => {
    for (const item of items) {
      if (item.updated_at !== undefined && isQuiet(item.updated_at, now)) state.seen.set(item.number, item.updated_at)
      else state.seen.delete(item.number)
    }
  }

  return {
    list: (repo, label, item, issueState = "open") =>
      Effect.gen(function*() {
        const state = stateOf(repo)
        const key = `list ${repo.toLowerCase()} ${issueState === "open" ? "" : `${issueState} `}${label}`
        const recordKey = `${issueState} ${label}`
        const schema = memoOf(item)
        const path = GithubClient.repoPath(repo, "issues")
        const params = { labels: label, state: issueState }
        const generation = state.generation
        const now = yield* client.serverTime
        const held = yield* client.listed(path, params)
        const batched = batch !== undefined && !held &&
          Option.isSome(yield* client.recall(`batched ${key}`, batchedTag, Schema.Boolean, durable))
        const worthProbing = now >= state.quietFrom && (held || batched)
        const probed = worthProbing ? yield* probe(repo) : Option.none<Probed>()
        const current = Option.filter(
          probed,
          (answer) => answer.generation === state.generation && state.writing === 0
        )
        let outlived = false
        if (Option.isSome(current)) {
          const memo = yield* client.recall(key, current.value.etag, schema, durable)
          const mine = state.generation === 0 || state.recorded.get(recordKey) === state.generation
          const bound = Option.isSome(memo) && memo.value.items.length === 0 ? state.emptyMaxAge : maxAge
          if (Option.isSome(memo) && mine && now - memo.value.savedAt <= bound) {
            note(state, memo.value.items, now)
            return memo.value.items
          }
          outlived = Option.isSome(memo) && mine
          if (Option.isNone(memo) && batched && mine) {
            // Read through the batch before the repository had a probe (a cold tick): this first probe vouches
            // for it if the repository's newest change was already `quiet` old when the list was read.
            const read = yield* client.recall(key, unprobedTag, schema, durable)
            if (Option.isSome(read)) {
              const { items, savedAt } = read.value
              const within = now - savedAt <= (items.length === 0 ? state.emptyMaxAge : maxAge)
              if (within && current.value.newest <= savedAt - quiet) {
                note(state, items, now)
                yield* client.remember(key, current.value.etag, schema, read.value, durable)
                state.recorded.set(recordKey, state.generation)
                return items
              }
            }
          }
        }
        const rest = client.list(listCall, path, item, params)
        // The batch reads a list nothing is known of; a memo that only outlived its bound, of an unchanged
        // repository, is read again the REST way, so the list is then held and its later re-reads are free 304s.
        let fromBatch = false
        const read = batch === undefined || held || outlived ? rest : Effect.flatMap(
          batch({ repo, label, state: issueState }),
          (answered) =>
            Option.match(Option.flatMap(answered, GithubCodec.decoderOf(item)), {
              onNone: () => rest,
              onSome: (items) => {
                fromBatch = true
                return Effect.succeed(items)
              }
            })
        )
        const items = yield* Effect.matchEffect(read, {
          onFailure: (error) => {
            state.listed = false
            return Effect.fail(error)
          },
          onSuccess: (items) => {
            state.listed = true
            return Effect.succeed(items)
          }
        })
        // A list read through the batch is not held as a REST answer: say it was read, so the next pass probes
        // the repository and can serve a memo (idle ticks then cost free 304s, not a query's points).
        if (batch !== undefined && !held && !batched) {
          yield* client.remember(`batched ${key}`, batchedTag, Schema.Boolean, true, durable)
        }
        const undisturbed = state.generation === generation && state.writing === 0
        if (undisturbed) note(state, items, now)
        if (Option.isSome(current) && current.value.quiet && current.value.generation === generation && undisturbed) {
          yield* client.remember(key, current.value.etag, schema, { savedAt: now, items }, durable)
          state.recorded.set(recordKey, generation)
        } else if (fromBatch && Option.isNone(current) && undisturbed) {
          // No probe to keep it under yet: kept as read, with when, for the next pass's first probe to judge.
          yield* client.remember(key, unprobedTag, schema, { savedAt: now, items }, durable)
          state.recorded.set(recordKey, generation)
        }
        return items
      }),

    perIssue: (repo, number, kind, schema, read) =>
      Effect.gen(function*() {
        const state = stateOf(repo)
        const seen = state.seen.get(number)
        const key = `${kind} ${repo.toLowerCase()} ${number}`
        const shared = once(repo, key, read)
        if (seen === undefined) return yield* shared
        const memo = yield* client.recall(key, seen, schema)
        if (Option.isSome(memo)) return memo.value
        const generation = state.generation
        const value = yield* shared
        if (state.generation === generation && state.writing === 0) {
          yield* client.remember(key, seen, schema, value)
        }
        return value
      }),

    remembered: (repo, number, kind, schema) =>
      Effect.suspend(() => {
        const seen = stateOf(repo).seen.get(number)
        return seen === undefined
          ? Effect.succeedNone
          : client.recall(`${kind} ${repo.toLowerCase()} ${number}`, seen, schema)
      }),

    forget: (repo) => Effect.sync(() => drop(stateOf(repo))),

    write: (repo, effect) =>
      Effect.acquireUseRelease(
        Effect.sync(() => {
          const state = stateOf(repo)
          drop(state)
          state.writing++
          return state
        }),
        () => effect,
        (state) =>
          Effect.flatMap(client.serverTime, (now) =>
            Effect.sync(() => {
              state.writing--
              state.quietFrom = Math.max(state.quietFrom, now + quiet)
              drop(state)
            }))
      ),

    read: (repo, effect) =>
      Effect.tapError(
        effect,
        (error) => error.status === 404 || error.status === 410 ? Effect.sync(() => drop(stateOf(repo))) : Effect.void
      )
  }
}
