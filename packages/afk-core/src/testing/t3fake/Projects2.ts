/**
 * Projects of the protocol-2 T3 fake (`t3-protocol-v2.md` §4.1): `project.create` with its root normalised
 * (`~` expanded, resolved), a missing root refused unless `createWorkspaceRootIfMissing`, another active
 * project on the same root a conflict, and the same `commandId` replaying the project.
 */
import type * as Commands from "./Commands2.js"
import type { Project } from "./Model.js"
import type { Receipt } from "./World2.js"

/** The answer to one project mutation: HTTP maps `Invalid` to 400 `invalid_command` and `Failed` to 500. */
export type ProjectOutcome =
  | { readonly _tag: "Ok"; readonly project: Project }
  | { readonly _tag: "Invalid" | "Failed"; readonly message: string }

/** The `project.create` handler (`POST /api/projects/mutate`, `projects.mutate`) over the world's projects, roots and receipts. */
export const make = ({ projects, roots, receipts, normalise, stamp, commit }: {
  readonly projects: Map<string, Project>
  readonly roots: Set<string>
  readonly receipts: Map<string, Receipt>
  readonly normalise: (root: string) => string
  readonly stamp: () => string
  /** Counts the event and returns its sequence. */
  readonly commit: () => number
}) => {
  return (mutation: Commands.ProjectMutation): ProjectOutcome => {
    const aggregate = `project:${mutation.projectId}`
    const receipt = receipts.get(mutation.commandId)
    const existing = projects.get(mutation.projectId)
    if (receipt !== undefined) {
      if (receipt.aggregate === aggregate && receipt.rejected === undefined && existing !== undefined) {
        return { _tag: "Ok", project: existing }
      }
      return { _tag: "Failed", message: `Command ${mutation.commandId} was previously used or rejected.` }
    }
    const root = normalise(mutation.workspaceRoot)
    if (!roots.has(root) && mutation.createWorkspaceRootIfMissing !== true) {
      return { _tag: "Failed", message: `Workspace root ${root} does not exist.` }
    }
    const rival = [...projects.values()].find((p) =>
      p.deletedAt === null && p.workspaceRoot === root && p.id !== mutation.projectId
    )
    if (rival !== undefined) {
      return { _tag: "Invalid", message: `Project ${rival.id} already uses the workspace root ${root}.` }
    }
    if (existing !== undefined) {
      receipts.set(mutation.commandId, { aggregate, rejected: "project exists" })
      return { _tag: "Failed", message: `Project ${mutation.projectId} already exists.` }
    }
    roots.add(root)
    const at = stamp()
    const project: Project = {
      id: mutation.projectId,
      title: mutation.title,
      workspaceRoot: root,
      defaultModelSelection: mutation.defaultModelSelection ?? null,
      scripts: mutation.scripts ?? [],
      createdAt: at,
      updatedAt: at,
      deletedAt: null
    }
    projects.set(project.id, project)
    receipts.set(mutation.commandId, { aggregate, sequence: commit() })
    return { _tag: "Ok", project }
  }
}
