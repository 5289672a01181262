/**
 * The RPC methods the protocol-2 T3 fake answers (`t3-protocol-v2.md` §3.6) with their scopes (§2.1):
 * `orchestration.dispatchCommand`, `orchestration.launchThread`, `projects.mutate`, `orchestration.getThreadProjection`,
 * `orchestration.subscribeThread` (a stream: one `Chunk` per `Ack`, §3.4) and `server.getConfig`. A payload
 * that does not decode is a `Die` with the schema issue; refusals are typed `Fail`s (§6.2). The faults of the
 * fake (`failNext` for a command type, `dropResponseOnce`, `raceNext`) act here.
 */
import * as Commands from "./Commands2.js"
import type { Faults } from "./Http.js"
import * as Launch from "./Launch2.js"
import * as Projection from "./Projection2.js"
import type { Event, World } from "./World2.js"

/** A live streaming call: `ack` lets the next `Chunk` go, `stop` ends it. */
export interface Stream {
  readonly ack: () => void
  readonly stop: () => void
}

/** Resuming a thread stream replays at most this many events, else a snapshot is sent (§5.5, EAC). */
const resumeLimit = 128

/** The methods and the scope each needs (§2.1). */
export const methods: Readonly<Record<string, { readonly scope: string } | undefined>> = {
  "orchestration.dispatchCommand": { scope: "orchestration:operate" },
  // UNCONFIRMED (§2.1): no upstream scope table for launchThread was read; the stricter reading is operate.
  "orchestration.launchThread": { scope: "orchestration:operate" },
  "projects.mutate": { scope: "orchestration:operate" },
  "orchestration.getThreadProjection": { scope: "orchestration:read" },
  "orchestration.subscribeThread": { scope: "orchestration:read" },
  "server.getConfig": { scope: "orchestration:read" }
}

const success = (requestId: string, value: unknown) => ({ _tag: "Exit", requestId, exit: { _tag: "Success", value } })

const fail = (requestId: string, error: object) => ({
  _tag: "Exit",
  requestId,
  exit: { _tag: "Failure", cause: [{ _tag: "Fail", error }] }
})

const die = (requestId: string, defect: string) => ({
  _tag: "Exit",
  requestId,
  exit: { _tag: "Failure", cause: [{ _tag: "Die", defect }] }
})

export interface Options {
  readonly world: World
  readonly faults: Faults
  readonly descriptor: object
  readonly send: (message: object) => void
  /** Closes the socket at once, with no answer (a dropped response). */
  readonly drop: () => void
}

/** One connection's method runner: answers `requestId`, and returns the stream of a streaming call. */
export const make = ({ world, faults, descriptor, send, drop }: Options) => {
  const dispatchCommand = (id: string, payload: unknown) => {
    const decoded = Commands.decode(Commands.Command, payload)
    if (decoded._tag === "Left") return send(die(id, decoded.left))
    const command = decoded.right
    const failAt = faults.failNext.findIndex((f) => f.commandType === command.type)
    if (failAt >= 0) {
      faults.failNext.splice(failAt, 1)
      return send(fail(id, {
        _tag: "OrchestrationV2DispatchCommandError",
        commandId: command.commandId,
        commandType: command.type,
        message: `Failed to dispatch ${command.type}.`
      }))
    }
    const rival = faults.race.get(command.type)
    if (faults.race.delete(command.type)) {
      const decodedRival = Commands.decode(Commands.Command, rival)
      if (decodedRival._tag === "Right") world.dispatch(decodedRival.right)
    }
    const outcome = world.dispatch(command)
    if (faults.dropOnce.delete(command.type)) return drop()
    return send(
      outcome._tag === "Accepted"
        ? success(id, { sequence: outcome.sequence })
        : fail(id, {
          _tag: "OrchestrationV2DispatchCommandError",
          commandId: command.commandId,
          commandType: command.type,
          message: outcome.message
        })
    )
  }

  const mutateProject = (id: string, payload: unknown) => {
    const decoded = Commands.decode(Commands.ProjectMutation, payload)
    if (decoded._tag === "Left") return send(die(id, decoded.left))
    const outcome = world.mutateProject(decoded.right)
    if (faults.dropOnce.delete(decoded.right.type)) return drop()
    return send(
      outcome._tag === "Ok"
        ? success(id, outcome.project)
        : fail(id, { _tag: "ProjectMutationError", commandId: decoded.right.commandId, message: outcome.message })
    )
  }

  const projectionError = (id: string, threadId: string) =>
    fail(id, {
      _tag: "OrchestrationV2GetThreadProjectionError",
      threadId,
      message: `Thread ${threadId} was not found.`
    })

  const subscribe = (id: string, ref: typeof Commands.ThreadRef.Type): Stream | undefined => {
    world.advance(ref.threadId)
    const state = world.state(ref.threadId)
    if (state === undefined) return void send(projectionError(id, ref.threadId))
    const queue: Array<unknown> = []
    let waiting = false
    let stopped = false
    const flush = () => {
      while (!waiting && !stopped && queue.length > 0) {
        waiting = true
        send({ _tag: "Chunk", requestId: id, values: [queue.shift()] })
      }
    }
    const missed = ref.afterSequence === undefined ? undefined : world.events(ref.afterSequence, ref.threadId)
    const asItem = (e: Event) => ({ kind: "event", sequence: e.sequence, event: e.event })
    if (missed !== undefined && missed.length <= resumeLimit) queue.push(...missed.map(asItem))
    else {
      const bounded = Projection.bounded(state, world.sequence())
      queue.push({ kind: "snapshot", snapshotSequence: bounded.snapshotSequence, projection: bounded.projection })
    }
    queue.push({ kind: "synchronized" })
    const unsubscribe = world.subscribe((event) => {
      if (event.threadId !== ref.threadId) return
      queue.push(asItem(event))
      flush()
    })
    flush()
    return {
      ack: () => {
        waiting = false
        flush()
      },
      stop: () => {
        stopped = true
        unsubscribe()
      }
    }
  }

  return (id: string, tag: string, payload: unknown): Stream | void => {
    switch (tag) {
      case "orchestration.dispatchCommand":
        return dispatchCommand(id, payload)
      case "projects.mutate":
        return mutateProject(id, payload)
      case "orchestration.launchThread": {
        const decoded = Commands.decode(Commands.LaunchInput, payload)
        if (decoded._tag === "Left") return send(die(id, decoded.left))
        const outcome = Launch.launch(world, decoded.right)
        return send(
          outcome._tag === "Launched"
            ? success(id, outcome.value)
            : fail(id, {
              _tag: "OrchestrationV2ThreadLaunchError",
              commandId: decoded.right.commandId,
              projectId: decoded.right.projectId,
              message: outcome.message
            })
        )
      }
      case "server.getConfig": {
        const decoded = Commands.decode(Commands.Empty, payload)
        if (decoded._tag === "Left") return send(die(id, decoded.left))
        return send(success(id, {
          providers: [{ instanceId: "claudeAgent", driver: "claude", installed: true, version: "2.0.0" }],
          settings: {},
          environment: descriptor
        }))
      }
      default: {
        const decoded = Commands.decode(Commands.ThreadRef, payload)
        if (decoded._tag === "Left") return send(die(id, decoded.left))
        if (tag === "orchestration.subscribeThread") return subscribe(id, decoded.right)
        world.advance(decoded.right.threadId)
        const state = world.state(decoded.right.threadId)
        if (state === undefined) return send(projectionError(id, decoded.right.threadId))
        return send(success(id, Projection.bounded(state, world.sequence()).projection))
      }
    }
  }
}
