/**
 * Prism on a subset of GitHub's official OpenAPI description (`@octokit/openapi`), for contract tests:
 * the paths the adapter calls are cut from `api.github.com.json` at test time into a temporary directory,
 * with every `components` entry they reference, and Prism is started on 127.0.0.1 at a free port.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..")

/** Every path the adapter calls. */
export const paths = [
  "/user",
  "/app",
  "/app/installations/{installation_id}/access_tokens",
  "/repos/{owner}/{repo}/installation",
  "/repos/{owner}/{repo}/issues",
  "/repos/{owner}/{repo}/issues/{issue_number}",
  "/repos/{owner}/{repo}/issues/{issue_number}/events",
  "/repos/{owner}/{repo}/issues/{issue_number}/comments",
  "/repos/{owner}/{repo}/issues/comments/{comment_id}",
  "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
  "/repos/{owner}/{repo}/issues/{issue_number}/labels",
  "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}",
  "/repos/{owner}/{repo}/labels",
  "/repos/{owner}/{repo}/collaborators/{username}/permission",
  "/repos/{owner}/{repo}/commits/{ref}/status",
  "/repos/{owner}/{repo}/commits/{ref}/check-runs",
  "/repos/{owner}/{repo}/commits/{ref}/check-suites",
  "/repos/{owner}/{repo}",
  "/repos/{owner}/{repo}/branches/{branch}/protection/required_status_checks",
  "/repos/{owner}/{repo}/rules/branches/{branch}",
  "/repos/{owner}/{repo}/deployments",
  "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
  "/repos/{owner}/{repo}/contents/{path}",
  "/repos/{owner}/{repo}/pulls",
  "/repos/{owner}/{repo}/pulls/{pull_number}",
  "/repos/{owner}/{repo}/pulls/{pull_number}/reviews",
  "/repos/{owner}/{repo}/pulls/{pull_number}/comments",
  "/repos/{owner}/{repo}/pulls/{pull_number}/merge",
  "/repos/{owner}/{repo}/git/refs/{ref}"
] as const

/**
 * Prism matches a path parameter within one segment, while GitHub's `{ref}` spans several (`x-multi-segment`:
 * `heads/afk/12-r1`). Such an operation is served a second time under a path whose leading segments are
 * literal, so a request to a run's branch reaches it and is checked against the same operation.
 */
const multiSegment: Readonly<Record<string, string>> = {
  "/repos/{owner}/{repo}/git/refs/heads/afk/{ref}": "/repos/{owner}/{repo}/git/refs/{ref}"
}

/**
 * GitHub answers the contents endpoint with an empty `{path}` with the root directory ("If you omit the `path`
 * parameter, you will receive the contents of the repository's root directory"), while its description marks
 * `path` required, so Prism refuses `…/contents/`. That operation is served a second time under the literal
 * path, without its `path` parameter, so the root listing is checked against the same operation otherwise.
 */
const emptyParameter: Readonly<Record<string, readonly [path: string, parameter: string]>> = {
  "/repos/{owner}/{repo}/contents/": ["/repos/{owner}/{repo}/contents/{path}", "path"]
}

type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }
type Spec = {
  readonly paths: Record<string, Json>
  readonly components: Record<string, Record<string, Json>>
} & Record<string, Json>

const refTarget = (spec: Spec, ref: string): Json => {
  const [, , kind = "", name = ""] = ref.split("/")
  const target = spec.components[kind]?.[name]
  if (target === undefined) throw new Error(`unresolved ${ref}`)
  return target
}

/**
 * GitHub's spec writes some examples as `{ value: { $ref: "#/components/examples/x" } }`, which OpenAPI
 * does not resolve, so Prism would answer `{"value": {...}}`. Such an example becomes the referenced one.
 */
const normalizeExamples = (spec: Spec, node: Json): Json => {
  if (Array.isArray(node)) return node.map((item) => normalizeExamples(spec, item))
  if (node === null || typeof node !== "object") return node
  const entries = Object.entries(node as Record<string, Json>).map(([key, value]): [string, Json] => {
    if (key !== "examples" || value === null || typeof value !== "object" || Array.isArray(value)) {
      return [key, normalizeExamples(spec, value)]
    }
    const examples = Object.fromEntries(
      Object.entries(value as Record<string, Json>).map(([name, example]) => {
        const inner = (example as Record<string, Json> | null)?.value as Record<string, Json> | undefined
        const ref = inner?.$ref
        return [
          name,
          typeof ref === "string" && ref.startsWith("#/components/examples/") ? refTarget(spec, ref) : example
        ]
      })
    )
    return [key, examples]
  })
  return Object.fromEntries(entries)
}

/** A path item whose operations no longer take the path parameter `name`. */
const withoutParameter = (item: Json, name: string): Json =>
  Object.fromEntries(
    Object.entries(item as Record<string, Json>).map(([method, operation]) => {
      if (operation === null || typeof operation !== "object" || Array.isArray(operation)) return [method, operation]
      const { parameters, ...rest } = operation as Record<string, Json>
      const kept = Array.isArray(parameters)
        ? parameters.filter((parameter) => {
          const p = parameter as Record<string, Json> | null
          return !(p?.in === "path" && p.name === name)
        })
        : parameters
      return [method, kept === undefined ? rest : { ...rest, parameters: kept }]
    })
  )

/** Writes the subset (with the components it references) and returns its file. */
export const cutSubset = (directory: string): string => {
  const spec = JSON.parse(
    readFileSync(join(root, "node_modules/@octokit/openapi/generated/api.github.com.json"), "utf8")
  ) as Spec
  const itemOf = (path: string): Json => {
    const item = spec.paths[path]
    if (item === undefined) throw new Error(`GitHub's spec has no ${path}`)
    return normalizeExamples(spec, item)
  }
  const kept = Object.fromEntries([
    ...[...paths, ...Object.keys(multiSegment)].map((path) => [path, itemOf(multiSegment[path] ?? path)]),
    ...Object.entries(emptyParameter).map(([path, [from, name]]) => [path, withoutParameter(itemOf(from), name)])
  ])
  const components: Record<string, Record<string, Json>> = {}
  const seen = new Set<string>()
  const visit = (node: Json): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item)
      return
    }
    if (node === null || typeof node !== "object") return
    for (const [key, value] of Object.entries(node as Record<string, Json>)) {
      if (key === "$ref" && typeof value === "string" && !seen.has(value)) {
        seen.add(value)
        const [, , kind = "", name = ""] = value.split("/")
        const target = refTarget(spec, value)
        components[kind] = { ...components[kind], [name]: target }
        visit(target)
      } else visit(value)
    }
  }
  visit(kept)
  const file = join(directory, "github-subset.json")
  writeFileSync(
    file,
    JSON.stringify({ openapi: spec.openapi, info: spec.info, servers: spec.servers, paths: kept, components })
  )
  return file
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() =>
        typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))
      )
    })
  })

export interface Prism {
  readonly baseUrl: string
  readonly stop: () => Promise<void>
}

/** Cuts the subset and starts Prism on it; resolves once Prism answers HTTP. */
export const start = async (): Promise<Prism> => {
  const directory = mkdtempSync(join(tmpdir(), "afk-prism-"))
  const spec = cutSubset(directory)
  const port = await freePort()
  const child: ChildProcess = spawn(
    process.execPath,
    [
      join(root, "node_modules/@stoplight/prism-cli/dist/index.js"),
      "mock",
      "-h",
      "127.0.0.1",
      "-p",
      String(port),
      "-v",
      "warn",
      spec
    ],
    { stdio: ["ignore", "pipe", "pipe"] }
  )
  let output = ""
  child.stdout?.on("data", (chunk) => (output += String(chunk)))
  child.stderr?.on("data", (chunk) => (output += String(chunk)))
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM")
    await exited
    rmSync(directory, { recursive: true, force: true })
  }
  const baseUrl = `http://127.0.0.1:${port}`
  for (let attempt = 0; attempt < 240; attempt++) {
    if (child.exitCode !== null) break
    const ready = await fetch(`${baseUrl}/__ping`).then(
      () => true,
      () => false
    )
    if (ready) return { baseUrl, stop }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  await stop()
  throw new Error(`Prism did not start:\n${output}`)
}
