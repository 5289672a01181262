/**
 * The GitHub App side of `GithubFake`, held to GitHub's contract: the app JWT (RS256, verified with the
 * app's public key) may read `GET /app`, find a repository's installation, describe an installation and
 * mint its installation tokens; an installation token reaches only its installation's repositories (404
 * elsewhere), only within its permissions (403 "Resource not accessible by integration", also for
 * `GET /user`), and acts as `<slug>[bot]`.
 */
import { type KeyObject, verify } from "node:crypto"
import { lower, type World } from "./GithubFakeWorld.js"

/** One installation of the app. */
export interface InstallationSeed {
  readonly id: string
  /** The account it is installed on; the owner of its first repository by default. */
  readonly account?: string
  /** The repositories (owner/name) it may reach; every repository (`all`) when absent. */
  readonly repos?: ReadonlyArray<string>
  /** Repository permissions; by default `loopPermissions`. */
  readonly permissions?: Readonly<Record<string, string>>
}

export interface AppOptions {
  /** The app's id, the JWT's `iss`. */
  readonly appId: string
  /** Verifies the app JWT's RS256 signature. */
  readonly publicKey: KeyObject | string
  readonly slug: string
  /** The app's display name; the slug by default. */
  readonly name?: string
  /** Shorthand for one installation over every repository. */
  readonly installationId?: string
  readonly installations?: ReadonlyArray<InstallationSeed>
  /** Lifetime of minted installation tokens; GitHub's hour by default. */
  readonly tokenLifetimeSeconds?: number
  /** Minted tokens are this prefix and a counter; `ghs_fake` by default. */
  readonly tokenPrefix?: string
}

/** The permissions AFK's loop needs, which installations have unless a seed says otherwise. */
export const loopPermissions: Readonly<Record<string, string>> = {
  issues: "write",
  metadata: "read",
  checks: "read",
  statuses: "read",
  deployments: "read",
  contents: "read"
}

export interface Answer {
  readonly status: number
  readonly body?: string
  readonly headers?: Record<string, string>
}

/** What a minted token may do, until when. */
export interface Grant {
  readonly installation: InstallationSeed
  readonly expiresSeconds: number
}

export interface FakeApp {
  /** The login an installation token acts as. */
  readonly actor: string
  readonly verifyJwt: (jwt: string, nowSeconds: number) => boolean
  /** The answer to a request made with the app JWT. */
  readonly route: (method: string, segments: ReadonlyArray<string>, nowSeconds: number) => Answer
  /** The grant behind a minted token, expired or not. */
  readonly grant: (token: string) => Grant | undefined
  /** GitHub's refusal of a request made with an installation token, if it refuses it. */
  readonly refuse: (grant: Grant, method: string, segments: ReadonlyArray<string>) => Answer | undefined
}

const json = (value: unknown): string => JSON.stringify(value)
const notFound: Answer = { status: 404, body: json({ message: "Not Found" }) }
const unreachable: Answer = {
  status: 403,
  body: json({
    message: "Resource not accessible by integration",
    documentation_url: "https://docs.github.com/rest"
  })
}
const levels = ["none", "read", "write", "admin"]

/** The permission GitHub asks of an installation token for a REST call, as `[name, level]`. */
const needed = (method: string, segments: ReadonlyArray<string>): readonly [string, string] => {
  const [, , , section, , sub] = segments
  const access = method === "GET" ? "read" : "write"
  if (section === "issues" || section === "labels") return ["issues", access]
  if (section === "commits" && sub === "check-runs") return ["checks", access]
  if (section === "commits" && sub === "status") return ["statuses", access]
  if (section === "deployments") return ["deployments", access]
  if (section === "contents") return ["contents", access]
  return ["metadata", "read"]
}

export const make = (app: AppOptions, world: World, baseUrl: string): FakeApp => {
  const installations: ReadonlyArray<InstallationSeed> = app.installations ??
    [{ id: app.installationId ?? "1" }]
  const minted = new Map<string, Grant>()

  const covers = (installation: InstallationSeed, repo: string): boolean =>
    installation.repos === undefined || installation.repos.some((slug) => lower(slug) === lower(repo))

  const accountOf = (installation: InstallationSeed): string =>
    installation.account ??
      (installation.repos?.[0] ?? [...world.repos.values()][0]?.slug ?? "octo").split("/")[0] ?? "octo"

  const permissionsOf = (installation: InstallationSeed) => installation.permissions ?? loopPermissions

  const installationJson = (installation: InstallationSeed) => {
    const account = accountOf(installation)
    return {
      id: Number(installation.id),
      account: { login: account, id: 1, type: "Organization" },
      repository_selection: installation.repos === undefined ? "all" : "selected",
      access_tokens_url: `${baseUrl}/app/installations/${installation.id}/access_tokens`,
      repositories_url: `${baseUrl}/installation/repositories`,
      html_url: `https://github.com/organizations/${account}/settings/installations/${installation.id}`,
      app_id: Number(app.appId),
      app_slug: app.slug,
      target_id: 1,
      target_type: "Organization",
      permissions: permissionsOf(installation),
      events: [],
      created_at: "2026-01-01T00:00:00Z",
      updated_at: "2026-01-01T00:00:00Z",
      single_file_name: null,
      suspended_at: null,
      suspended_by: null
    }
  }

  const verifyJwt = (jwt: string, nowSeconds: number): boolean => {
    const [head, payload, signature] = jwt.split(".")
    if (head === undefined || payload === undefined || signature === undefined) return false
    const valid = verify(
      "RSA-SHA256",
      Buffer.from(`${head}.${payload}`),
      app.publicKey,
      Buffer.from(signature, "base64url")
    )
    if (!valid) return false
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>
    return claims.iss === app.appId && typeof claims.exp === "number" && claims.exp > nowSeconds
  }

  const mint = (installation: InstallationSeed, nowSeconds: number): Answer => {
    const token = `${app.tokenPrefix ?? "ghs_fake"}${minted.size + 1}`
    const expiresSeconds = nowSeconds + (app.tokenLifetimeSeconds ?? 3600)
    minted.set(token, { installation, expiresSeconds })
    return {
      status: 201,
      body: json({
        token,
        expires_at: new Date(expiresSeconds * 1000).toISOString(),
        permissions: permissionsOf(installation),
        repository_selection: installation.repos === undefined ? "all" : "selected"
      })
    }
  }

  const route = (method: string, segments: ReadonlyArray<string>, nowSeconds: number): Answer => {
    const byId = (id: string | undefined) => installations.find((installation) => installation.id === id)
    if (segments[0] === "app" && segments.length === 1 && method === "GET") {
      return {
        status: 200,
        body: json({
          id: Number(app.appId),
          slug: app.slug,
          name: app.name ?? app.slug,
          owner: { login: accountOf(installations[0] ?? { id: "1" }), id: 1, type: "Organization" },
          html_url: `https://github.com/apps/${app.slug}`,
          permissions: loopPermissions,
          events: []
        })
      }
    }
    if (segments[0] === "app" && segments[1] === "installations" && segments.length === 3 && method === "GET") {
      const installation = byId(segments[2])
      return installation === undefined ? notFound : { status: 200, body: json(installationJson(installation)) }
    }
    if (segments[0] === "app" && segments[1] === "installations" && segments[3] === "access_tokens") {
      const installation = byId(segments[2])
      return installation === undefined || method !== "POST" ? notFound : mint(installation, nowSeconds)
    }
    if (segments[0] === "repos" && segments[3] === "installation" && segments.length === 4 && method === "GET") {
      const repo = `${segments[1]}/${segments[2]}`
      const installation = world.repos.has(lower(repo))
        ? installations.find((candidate) => covers(candidate, repo))
        : undefined
      return installation === undefined ? notFound : { status: 200, body: json(installationJson(installation)) }
    }
    return { status: 401, body: json({ message: "A JSON web token could not be decoded" }) }
  }

  const refuse = (grant: Grant, method: string, segments: ReadonlyArray<string>): Answer | undefined => {
    if (segments[0] === "user") return unreachable
    if (segments[0] !== "repos") return undefined
    if (segments[3] === "installation") {
      return { status: 401, body: json({ message: "A JSON web token could not be decoded" }) }
    }
    if (!covers(grant.installation, `${segments[1]}/${segments[2]}`)) return notFound
    const [name, level] = needed(method, segments)
    const granted = permissionsOf(grant.installation)[name] ?? "none"
    return levels.indexOf(granted) >= levels.indexOf(level) ? undefined : unreachable
  }

  return { actor: `${app.slug}[bot]`, verifyJwt, route, grant: (token) => minted.get(token), refuse }
}
