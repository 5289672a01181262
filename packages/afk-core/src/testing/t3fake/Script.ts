/**
 * What a scripted turn of the T3 fake does as it is polled: each poll of the thread (or `advance`) moves
 * it one step, and step `afterPolls` shows the outcome.
 */
import * as Data from "effect/Data"

export type Script = Data.TaggedEnum<{
  /** Ends with a final assistant message; `legacy` leaves `latestTurn` null (§6 row 6, older servers). */
  Complete: { readonly text: string; readonly afterPolls: number; readonly legacy: boolean }
  /** `start`: the provider never starts (session error + `provider.turn.start.failed`); `runtime`: it dies mid-turn. */
  Fail: { readonly detail: string; readonly afterPolls: number; readonly at: "start" | "runtime" }
  /** The session interrupts the running turn. */
  Interrupt: { readonly afterPolls: number }
  /** Waits on a tool approval or a question to the user, forever. */
  Block: { readonly on: "approval" | "user-input"; readonly afterPolls: number }
  /** The thread is deleted: the server answers 404 from then on. */
  Vanish: { readonly afterPolls: number }
  /** The session stops before the turn starts (§6 row 7). */
  Stop: {}
  /** Runs forever. */
  Hang: {}
  /** The server never picks the turn up: no session, no turn (§6 row 8). */
  Queue: {}
}>

export const Script = Data.taggedEnum<Script>()

/** The turn a behaviour is asked about. */
export interface TurnInfo {
  readonly threadId: string
  readonly title: string
  /** 1 for the first turn of the thread, 2 for the first follow-up, … */
  readonly turnIndex: number
  readonly text: string
}

export type Behaviour = (turn: TurnInfo) => Script

export const complete = (text: string, options?: { readonly afterPolls?: number; readonly legacy?: boolean }) =>
  Script.Complete({ text, afterPolls: options?.afterPolls ?? 1, legacy: options?.legacy ?? false })

export const fail = (
  detail: string,
  options?: { readonly afterPolls?: number; readonly at?: "start" | "runtime" }
): Script => Script.Fail({ detail, afterPolls: options?.afterPolls ?? 1, at: options?.at ?? "runtime" })

export const interrupt = (afterPolls = 1): Script => Script.Interrupt({ afterPolls })

export const block = (on: "approval" | "user-input", afterPolls = 1): Script => Script.Block({ on, afterPolls })

export const vanish = (afterPolls = 1): Script => Script.Vanish({ afterPolls })

export const stop: Script = Script.Stop()

export const hang: Script = Script.Hang()

export const queue: Script = Script.Queue()
