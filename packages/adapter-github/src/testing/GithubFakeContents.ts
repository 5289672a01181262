/**
 * The contents endpoint of the GitHub fake (`GET /repos/{owner}/{repo}/contents/{path}`, default branch only)
 * over a repository's `files`, as GitHub answers it: a file is base64 in lines of 60 characters, or, above
 * 1 MiB, an entry without its content (`encoding: "none"`); a path with files under it is a directory (an
 * array of its entries, at most 1,000, as GitHub truncates); a symlink to a file is answered with that file's
 * content, any other symlink and a submodule with an entry describing it. The root (an empty path) is listed
 * like any directory, and in a listing a submodule is typed `file`, as GitHub keeps it for compatibility.
 * The fake's `ETag` is a hash of the body, so a listing changes whenever an entry of it does.
 */
import { createHash } from "node:crypto"
import type { FileState, RepoState } from "./GithubFakeWorld.js"

/** The most entries GitHub lists for one directory. */
export const maxListed = 1000

/** The largest file GitHub inlines (base64) in the contents endpoint's answer. */
export const maxInlined = 1 << 20

const sha1 = (kind: string, bytes: Buffer) =>
  createHash("sha1").update(`${kind} ${bytes.length}\0`).update(bytes).digest("hex")

const blobSha = (text: string) => sha1("blob", Buffer.from(text, "utf8"))

type Node =
  | { readonly kind: "file"; readonly text: string }
  | { readonly kind: "symlink"; readonly target: string }
  | { readonly kind: "submodule"; readonly url: string; readonly sha: string }
  | { readonly kind: "dir" }

const nodeOf = (file: FileState): Node => typeof file === "string" ? { kind: "file", text: file } : file

/** The entry at `path`: a file, symlink or submodule put there, or a directory when files lie under it. */
const lookup = (repo: RepoState, path: string): Node | undefined => {
  const file = repo.files.get(path)
  if (file !== undefined) return nodeOf(file)
  const prefix = path === "" ? "" : `${path}/`
  for (const key of repo.files.keys()) if (key.startsWith(prefix)) return { kind: "dir" }
  return undefined
}

/** The names directly under the directory `path` (`""`: the root), in Git's order (by bytes). */
const children = (repo: RepoState, path: string): ReadonlyArray<string> => {
  const prefix = path === "" ? "" : `${path}/`
  const names = new Set<string>()
  for (const key of repo.files.keys()) {
    if (key.startsWith(prefix)) names.add(key.slice(prefix.length).split("/")[0]!)
  }
  return [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
}

/** A stand-in for a tree's id: a hash of its entries, so it changes when anything under it does. */
const treeSha = (repo: RepoState, path: string): string =>
  sha1(
    "tree",
    Buffer.from(
      children(repo, path).map((name) => {
        const child = path === "" ? name : `${path}/${name}`
        return `${name} ${shaOf(repo, child)}`
      }).join("\n")
    )
  )

const shaOf = (repo: RepoState, path: string): string => {
  const node = lookup(repo, path)
  if (node === undefined || node.kind === "dir") return treeSha(repo, path)
  if (node.kind === "file") return blobSha(node.text)
  if (node.kind === "symlink") return blobSha(node.target)
  return node.sha
}

const links = (repo: RepoState, path: string, sha: string, kind: "blob" | "tree") => {
  const api = `https://api.github.com/repos/${repo.slug}`
  const self = `${api}/contents/${path}?ref=${repo.defaultBranch}`
  const git = `${api}/git/${kind}s/${sha}`
  const html = `https://github.com/${repo.slug}/${kind === "tree" ? "tree" : "blob"}/${repo.defaultBranch}/${path}`
  return { url: self, git_url: git, html_url: html, _links: { self, git, html } }
}

/** One entry as a directory listing shows it (a submodule typed `file`, as GitHub does in a listing). */
const listed = (repo: RepoState, path: string) => {
  const node = lookup(repo, path)!
  const sha = shaOf(repo, path)
  const size = node.kind === "file"
    ? Buffer.byteLength(node.text, "utf8")
    : node.kind === "symlink"
    ? Buffer.byteLength(node.target, "utf8")
    : 0
  return {
    type: node.kind === "submodule" ? "file" : node.kind,
    size,
    name: path.split("/").pop(),
    path,
    sha,
    ...links(repo, path, sha, node.kind === "dir" ? "tree" : "blob"),
    download_url: node.kind === "file"
      ? `https://raw.githubusercontent.com/${repo.slug}/${repo.defaultBranch}/${path}`
      : null
  }
}

/** A file as the contents endpoint returns it: base64 in lines of 60 characters, as GitHub wraps it. */
const fileJson = (repo: RepoState, path: string, text: string) => {
  const bytes = Buffer.from(text, "utf8")
  const inlined = bytes.length <= maxInlined
  return {
    ...listed(repo, path),
    type: "file",
    encoding: inlined ? "base64" : "none",
    content: inlined ? `${bytes.toString("base64").replace(/.{60}/g, "$&\n")}\n` : ""
  }
}

/** The contents endpoint's answer for `path` (`""` for the root) at the head of the default branch; none if absent. */
export const contents = (repo: RepoState, path: string): unknown => {
  const node = lookup(repo, path)
  if (node === undefined) return path === "" ? [] : undefined
  switch (node.kind) {
    case "file":
      return fileJson(repo, path, node.text)
    case "dir":
      return children(repo, path).slice(0, maxListed).map((name) =>
        listed(repo, path === "" ? name : `${path}/${name}`)
      )
    case "symlink": {
      const target = repo.files.get(node.target)
      if (typeof target === "string") return fileJson(repo, node.target, target)
      return { ...listed(repo, path), type: "symlink", target: node.target }
    }
    case "submodule":
      return { ...listed(repo, path), type: "submodule", submodule_git_url: node.url }
  }
}
