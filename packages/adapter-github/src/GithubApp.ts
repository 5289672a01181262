/**
 * A GitHub App behind `GithubClient`: the requests signed with the app JWT (`GET /app`, a repository's
 * installation, minting installation tokens), which installation each repository belongs to (the
 * configured one, or found with `GET /repos/{owner}/{repo}/installation` and remembered), one token per
 * installation kept fresh, and the permissions AFK's loop needs of an installation.
 */
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import * as GithubAuth from "./GithubAuth.js"
import * as GithubError from "./GithubError.js"

/** The app, as `GET /app` describes it. */
export interface Info {
  readonly id: number
  readonly slug: string
  readonly name: string
  /** The app's public page (`https://github.com/apps/<slug>`), where it is installed from. */
  readonly htmlUrl: string
}

/** An installation of the app, as `GET /repos/{owner}/{repo}/installation` describes it. */
export interface Installation {
  readonly id: string
  /** The user or organization it is installed on. */
  readonly account: string
  /** `all` repositories of the account, or `selected` ones. */
  readonly repositorySelection: string
  /** Repository permissions granted, e.g. `{ issues: "write", metadata: "read" }`. */
  readonly permissions: Readonly<Record<string, string>>
}

/** What the client offers about its App, for diagnostics. */
export interface Service {
  readonly info: Effect.Effect<Info, GithubError.GithubError>
  /** The installation `repo` (owner/name) belongs to. */
  readonly installation: (repo: string) => Effect.Effect<Installation, GithubError.GithubError>
}

/** The client's side: the installation token for a request, and dropping one GitHub refused. */
export interface Tokens {
  /** The installation token for a request to `url` (its repository's installation, or the configured one). */
  readonly token: (url: string) => Effect.Effect<Redacted.Redacted, GithubError.GithubError>
  /** Drops `token`, which GitHub refused for a request to `url`. */
  readonly invalidate: (url: string, token: Redacted.Redacted) => Effect.Effect<void, GithubError.GithubError>
}

/** The repository permissions AFK's loop needs from an installation (or a fine-grained token). */
export const required: Readonly<Record<string, "read" | "write">> = {
  issues: "write",
  metadata: "read",
  checks: "read",
  statuses: "read",
  contents: "read"
}

const levels = ["read", "write", "admin"]

/** What pull-request delivery needs besides `required`: opening and merging pull requests, deleting the branch. */
export const pullRequestDelivery: Readonly<Record<string, "read" | "write">> = {
  ...required,
  contents: "write",
  pull_requests: "write"
}

/** A permission as GitHub's App settings page titles it, e.g. `statuses` → `Commit statuses`. */
export const title = (name: string): string =>
  ({
    issues: "Issues",
    metadata: "Metadata",
    checks: "Checks",
    statuses: "Commit statuses",
    deployments: "Deployments",
    contents: "Contents",
    pull_requests: "Pull requests"
  })[
    name
  ] ?? name

/** What `granted` lacks of `needed`, as `name: level`, in the order of `needed`. */
export const missing = (
  granted: Readonly<Record<string, string>>,
  needed: Readonly<Record<string, string>> = required
): ReadonlyArray<string> =>
  Object.entries(needed).flatMap(([name, level]) =>
    levels.indexOf(granted[name] ?? "none") >= levels.indexOf(level) ? [] : [`${name}: ${level}`]
  )

/** How the client sends a request as it is and decodes the answer (its pipeline: retries, errors, redaction). */
export type Json = <A, I>(
  call: GithubError.Call,
  request: HttpClientRequest.HttpClientRequest,
  schema: Schema.Schema<A, I>
) => Effect.Effect<A, GithubError.GithubError>

const AppBody = Schema.Struct({ id: Schema.Number, slug: Schema.String, name: Schema.String, html_url: Schema.String })
const InstallationBody = Schema.Struct({
  id: Schema.Number,
  account: Schema.NullOr(
    Schema.Struct({ login: Schema.optional(Schema.String), slug: Schema.optional(Schema.String) })
  ),
  repository_selection: Schema.String,
  permissions: Schema.Record({ key: Schema.String, value: Schema.String })
})
const TokenBody = Schema.Struct({ token: Schema.String, expires_at: Schema.String })

const appCall = { operation: "authenticate", permission: "GitHub App installation access" }

/** The repository (`owner/name`, lower case) a request URL under `basePath` is about, if any. */
const repoOf = (url: string, basePath: string): string | undefined => {
  const path = new URL(url).pathname.slice(basePath.length).split("/").filter((part) => part !== "")
  return path[0] === "repos" && path[1] !== undefined && path[2] !== undefined
    ? `${decodeURIComponent(path[1])}/${decodeURIComponent(path[2])}`.toLowerCase()
    : undefined
}

/** The app's side of a client over `baseUrl`, sending through `json`. */
export const make = (
  app: GithubAuth.App,
  baseUrl: string,
  json: Json
): Effect.Effect<Service & Tokens> =>
  Effect.gen(function*() {
    const basePath = new URL(baseUrl).pathname.replace(/\/+$/, "")
    const signed = (request: HttpClientRequest.HttpClientRequest) =>
      Clock.currentTimeMillis.pipe(
        Effect.flatMap((now) => GithubAuth.appJwt(app.appId, app.privateKey, now)),
        Effect.mapError(
          (detail) =>
            new GithubError.GithubError({
              operation: "authenticate",
              detail,
              transient: false,
              hint: "check the configured GitHub App private key"
            })
        ),
        Effect.map((jwt) => HttpClientRequest.setHeader(request, "authorization", `Bearer ${jwt}`))
      )

    const info = Effect.flatMap(signed(HttpClientRequest.get(`${baseUrl}/app`)), (request) =>
      json({ operation: "whoami", permission: "Metadata: read" }, request, AppBody)).pipe(
        Effect.map((body): Info => ({ id: body.id, slug: body.slug, name: body.name, htmlUrl: body.html_url }))
      )

    const notInstalled = (repo: string, error: GithubError.GithubError) =>
      new GithubError.GithubError({
        operation: error.operation,
        status: 404,
        transient: false,
        detail: `the GitHub App is not installed on ${repo} (${error.detail})`,
        hint: `install the GitHub App on ${repo}, or add ${repo} to the repositories its installation may access`
      })

    const installation = (repo: string) =>
      Effect.gen(function*() {
        const path = repo.split("/").map(encodeURIComponent).join("/")
        const request = yield* signed(HttpClientRequest.get(`${baseUrl}/repos/${path}/installation`))
        const body = yield* json(appCall, request, InstallationBody).pipe(
          Effect.mapError((error) => (error.status === 404 ? notInstalled(repo, error) : error))
        )
        return {
          id: String(body.id),
          account: body.account?.login ?? body.account?.slug ?? "?",
          repositorySelection: body.repository_selection,
          permissions: body.permissions
        } satisfies Installation
      })

    const tokensOf = yield* Ref.make(
      new Map<string, GithubAuth.InstallationTokens<GithubError.GithubError, never>>()
    )
    const installationOf = yield* Ref.make(new Map<string, string>())
    const lock = yield* Effect.makeSemaphore(1)
    const discovery = yield* Effect.makeSemaphore(1)

    const mint = (id: string) =>
      signed(HttpClientRequest.post(`${baseUrl}/app/installations/${encodeURIComponent(id)}/access_tokens`)).pipe(
        Effect.flatMap((request) =>
          json(appCall, request, TokenBody)
        ),
        Effect.map((body) => ({ token: Redacted.make(body.token), expiresAtMillis: Date.parse(body.expires_at) }))
      )

    const tokensFor = (id: string) =>
      lock.withPermits(1)(Effect.gen(function*() {
        const known = (yield* Ref.get(tokensOf)).get(id)
        if (known !== undefined) return known
        const made = yield* GithubAuth.makeInstallationTokens(mint(id))
        yield* Ref.update(tokensOf, (map) => new Map(map).set(id, made))
        return made
      }))

    const installationIdFor = (url: string) =>
      Effect.gen(function*() {
        if (app.installationId !== undefined) return app.installationId
        const repo = repoOf(url, basePath)
        if (repo === undefined) {
          const path = new URL(url).pathname
          return yield* new GithubError.GithubError({
            operation: "authenticate",
            detail: `${path} is not a repository's; a GitHub App without an installation id cannot call it`,
            transient: false,
            hint: "configure the GitHub App's installation id"
          })
        }
        const known = (yield* Ref.get(installationOf)).get(repo)
        if (known !== undefined) return known
        return yield* discovery.withPermits(1)(Effect.gen(function*() {
          const found = (yield* Ref.get(installationOf)).get(repo) ?? (yield* installation(repo)).id
          yield* Ref.update(installationOf, (map) => new Map(map).set(repo, found))
          return found
        }))
      })

    return {
      info,
      installation,
      token: (url: string) =>
        Effect.flatMap(installationIdFor(url), (id) => Effect.flatMap(tokensFor(id), (tokens) => tokens.current)),
      invalidate: (url: string, token: Redacted.Redacted) =>
        Effect.flatMap(
          installationIdFor(url),
          (id) => Effect.flatMap(tokensFor(id), (tokens) => tokens.invalidate(token))
        )
    }
  })
