/**
 * The change probe of one repository, for the change tracking of `GithubChanges` (which says what a probe
 * proves and when one is sent): the REST probe
 * (`GET /repos/{o}/{r}/issues?state=all&sort=updated&direction=desc&per_page=1`, conditional, so an unchanged
 * answer is a free 304), or with `probe: "graphql"` a line of a `GithubSweep` query sent for every known
 * repository whose probe is due; and the state of each repository it reads and moves.
 */
import type * as Domain from "afk-core/Domain"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as GithubClient from "./GithubClient.js"
import * as GithubSweep from "./GithubSweep.js"

export interface Probed {
  readonly etag: string
  /** The newest change was at least `quiet` old when the probe was sent. */
  readonly quiet: boolean
  /** When the newest change was, on GitHub's clock (milliseconds; -Infinity for a repository without issues). */
  readonly newest: number
  /** The repository's generation when the probe was sent. */
  readonly generation: number
}

/** A repository whose probe a sweep answers, with its generation when marked and where its answer goes. */
interface Due {
  readonly state: RepoState
  readonly generation: number
  readonly answer: Deferred.Deferred<Option.Option<Probed>>
}

/** The first probes of a sweep, with the clocks they were asked at. */
interface Asked extends Due {
  readonly sentAt: number
  readonly serverNow: number
}

export interface RepoState {
  readonly repo: Domain.Repo
  /** How long a memo of an empty list of this repository is served (`emptyMaxAge`, spread by `share`). */
  readonly emptyMaxAge: number
  /** Its latest list read from GitHub succeeded: only such repositories join another's GraphQL probe. */
  listed: boolean
  /** Moves at the start and end of every write, and on every doubt. */
  generation: number
  writing: number
  /** GitHub's time before which the repository cannot be quiet: no probe is worth sending until then. */
  quietFrom: number
  probe: {
    readonly generation: number
    readonly sentAt: number
    readonly answer: Deferred.Deferred<Option.Option<Probed>>
  } | undefined
  /** List memos recorded by this tracker, by label, with the generation they were recorded at. */
  readonly recorded: Map<string, number>
  /**
   * The `updated_at` of each issue that was quiet (unchanged for `quiet`) when the latest list read without a
   * write in between showed it; an issue that was not is left out, as one never listed: nothing of it is
   * remembered under that time. The string is the listed issue's own, so an entry costs no object.
   */
  readonly seen: Map<number, string>
}

const Newest = Schema.Array(Schema.Struct({ updated_at: Schema.String }))
export const listCall: GithubClient.Call = { operation: "listOpenIssues", permission: "Issues: read" }

/**
 * The probe of a repository for one tracker over `client`, given its `quiet` and `reuse` (in milliseconds), its
 * probe kind and its repositories' states (`stateOf` creates one): shared while in flight and for `reuse`, none
 * while a write runs.
 */
export const prober = (
  client: GithubClient.Service,
  settings: { readonly quiet: number; readonly reuse: number; readonly probe: "rest" | "graphql" | undefined },
  repos: ReadonlyMap<string, RepoState>,
  stateOf: (repo: Domain.Repo) => RepoState
): (repo: Domain.Repo) => Effect.Effect<Option.Option<Probed>> => {
  const { quiet, reuse } = settings

  const probed = (state: RepoState, generation: number, sentAt: number, newest: string | undefined, tag: string) => {
    const changed = newest === undefined ? -Infinity : Date.parse(newest)
    const quietFrom = changed + quiet
    if (quietFrom > sentAt) state.quietFrom = Math.max(state.quietFrom, quietFrom)
    return { etag: tag, quiet: quietFrom <= sentAt, newest: changed, generation } satisfies Probed
  }

  const sendProbe = (repo: Domain.Repo, state: RepoState, generation: number) =>
    Effect.gen(function*() {
      const sentAt = yield* client.serverTime
      const { etag, value } = yield* client.getTagged(listCall, GithubClient.repoPath(repo, "issues"), Newest, {
        state: "all",
        sort: "updated",
        direction: "desc",
        per_page: 1
      })
      return Option.map(etag, (etag) => probed(state, generation, sentAt, value[0]?.updated_at, etag))
    }).pipe(Effect.orElseSucceed(() => Option.none<Probed>()))

  /** Probes `due` in GraphQL batches; a repository a batch cannot answer is probed the REST way. */
  const sweep = (due: ReadonlyArray<Due>) =>
    Effect.gen(function*() {
      const sentAt = yield* client.serverTime
      yield* Effect.forEach(
        GithubSweep.batches(due, (entry) => entry.state.repo),
        (batch) =>
          Effect.flatMap(GithubSweep.probe(client, batch.map((entry) => entry.state.repo)), (answers) =>
            Effect.forEach(batch, ({ answer, generation, state }, i) => {
              const newest = answers[i] ?? Option.none()
              const result = Option.isSome(newest)
                ? Effect.succeedSome(probed(state, generation, sentAt, newest.value.updatedAt, newest.value.tag))
                : sendProbe(state.repo, state, generation)
              return Effect.flatMap(result, (value) =>
                Deferred.succeed(answer, value))
            }, { concurrency: "unbounded", discard: true })),
        { concurrency: "unbounded", discard: true }
      )
    }).pipe(
      Effect.ensuring(Effect.forEach(due, ({ answer }) =>
        Deferred.succeed(answer, Option.none()), { discard: true }))
    )

  /**
   * Marks every known repository whose probe is due (its last list read, no fresh probe, no write running, able
   * to be quiet) as probed now.
   */
  const dueWith = (joined: ReadonlyArray<Due>, now: number, serverNow: number): ReadonlyArray<Due> => {
    const due = [...joined]
    const asked = new Set(joined.map((entry) => entry.state))
    for (const state of repos.values()) {
      const known = state.probe
      const fresh = known !== undefined && known.generation === state.generation && now - known.sentAt < reuse
      const idle = state.listed && state.writing === 0 && serverNow >= state.quietFrom
      if (asked.has(state) || fresh || !idle) continue
      const answer = Deferred.unsafeMake<Option.Option<Probed>>(FiberId.none)
      state.probe = { generation: state.generation, sentAt: now, answer }
      due.push({ state, generation: state.generation, answer })
    }
    return due
  }

  const known = GithubSweep.known(client)
  const gather = GithubSweep.gatherer<Asked>(
    (joined) =>
      Effect.flatMap(known.recall, (recalled) => {
        for (const repo of recalled) if (!repos.has(repo.toLowerCase())) stateOf(repo).listed = true
        const due = dueWith(joined, joined[0]!.sentAt, joined[0]!.serverNow)
        return sweep(due).pipe(
          Effect.zipRight(Effect.forEach(due, ({ answer, state }) =>
            Effect.map(Deferred.await(answer), (probed) => ({ repo: state.repo, answered: Option.isSome(probed) })))),
          Effect.flatMap(known.settle)
        )
      }),
    ({ answer }) => Deferred.succeed(answer, Option.none())
  )

  /** The repository's current probe: shared while in flight and for `reuse`, none while a write runs. */
  const probe = (repo: Domain.Repo): Effect.Effect<Option.Option<Probed>> =>
    Effect.flatMap(Effect.zip(Clock.currentTimeMillis, client.serverTime), ([now, serverNow]) =>
      Effect.suspend(() => {
        const state = stateOf(repo)
        const known = state.probe
        if (known !== undefined && known.generation === state.generation && now - known.sentAt < reuse) {
          return Deferred.await(known.answer)
        }
        if (state.writing > 0) return Effect.succeedNone
        const answer = Deferred.unsafeMake<Option.Option<Probed>>(FiberId.none)
        const first = { state, generation: state.generation, answer }
        state.probe = { generation: state.generation, sentAt: now, answer }
        if (settings.probe === "graphql") {
          return Effect.zipRight(gather({ ...first, sentAt: now, serverNow }), Deferred.await(answer))
        }
        return sendProbe(repo, state, state.generation).pipe(
          Effect.onExit((exit) => Deferred.succeed(answer, Exit.isSuccess(exit) ? exit.value : Option.none()))
        )
      }))

  return probe
}
