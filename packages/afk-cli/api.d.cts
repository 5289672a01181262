/**
 * `afk-cli/api`: AFK's passes and status for a program that hosts it (a bot, a server, a job runner), as
 * Promises. Each call reads the configuration from the same sources as `afk-cli` (the same settings, checked the
 * same way), builds the same adapters, and resolves with what the CLI computes, as plain JSON. It carries its
 * own Effect (one bundle, no dependencies), so it runs next to any Effect version, or none; these declarations,
 * written by hand, name no Effect type.
 */

/** Where the configuration comes from: defaults < `configFile` < `configDir` < `env` (later wins). */
export interface Options {
  /** The environment variables to read settings from (default: `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined
  /** An afk.config.json to read (default: ./afk.config.json in the working directory, when there is one). */
  readonly configFile?: string | undefined
  /** A ConfigMap-style directory, one file per setting (also a mounted Secret), as `afk-cli --config-dir`. */
  readonly configDir?: string | undefined
  /** AFK's log lines, written to stderr: `pretty` (the default, one line each), `json`, or `none`. */
  readonly logFormat?: "pretty" | "json" | "none" | undefined
}

export interface PassOptions extends Options {
  /** Perform every read, record every write it would make (`PassResult.writes`), make none. */
  readonly dryRun?: boolean | undefined
}

export interface Decision {
  /** `owner/repo#n`, or `owner/repo` for a decision about a repository. */
  readonly subject: string
  /** `dispatch`, `refuse`, `Close`, `Escalate`, … */
  readonly action: string
  readonly reason: string
}

/** Something a pass could not do for one issue or repository; the others went on. */
export interface Failure {
  readonly subject: string
  readonly message: string
}

/**
 * The ready issues a poll refused without reading them, because every free slot was decided before them:
 * summed up, not one decision each.
 */
export interface Unexamined {
  readonly count: number
  /** How many for each refusal reason (`at-capacity`, `repo-busy`). */
  readonly reasons: Readonly<Record<string, number>>
  /** Across how many repositories. */
  readonly repos: number
  /** The first few (`owner/repo#n`), in policy order. */
  readonly first: ReadonlyArray<string>
}

/** What one poll or watch decided, and what failed. */
export interface PassReport {
  readonly pass: "poll" | "watch"
  readonly disarmed?: ReadonlyArray<string> | undefined
  readonly decisions: ReadonlyArray<Decision>
  readonly failures: ReadonlyArray<Failure>
  /** Present when a poll left ready issues unexamined: they are refused, and not among `decisions`. */
  readonly unexamined?: Unexamined | undefined
}

/** A write a dry run would have made. */
export interface Write {
  readonly port: "tracker" | "agent" | "notifier" | "pull-requests"
  readonly op: string
  readonly target: string
  readonly detail: string
}

/** What `tick`, `poll` or `watch` did. */
export interface PassResult {
  readonly command: "tick" | "poll" | "watch"
  /** Present when AFK is disarmed: each closed gate, naming its setting. Nothing was read or written. */
  readonly disarmed?: ReadonlyArray<string> | undefined
  /** The passes run: `tick` watches then polls; `poll` and `watch` run one. */
  readonly reports: ReadonlyArray<PassReport>
  /** A pass failed somewhere (a tick only when both did): the CLI exits 1. */
  readonly failed: boolean
  /** With `dryRun`: the writes not made. */
  readonly writes?: ReadonlyArray<Write> | undefined
}

/** One run in flight. */
export interface StatusRow {
  /** `owner/repo#n`. */
  readonly issue: string
  readonly title: string
  readonly url: string
  readonly phase: "claiming" | "claimed" | "dispatched" | "pushed" | "ci" | "deployed" | "done" | "escalated"
  /** Seconds since the run started; absent while claiming. */
  readonly ageSeconds?: number | undefined
  readonly attempts: number
  readonly maxAttempts: number
  readonly commit?: string | undefined
  /** The CI verdict of the pushed commit; absent before a push. */
  readonly ci?: "pending" | "green" | "red" | "none" | "unreadable" | undefined
  readonly threadUrl?: string | undefined
  /** Tokens the run has used so far; absent before the agent runtime reported any. */
  readonly tokens?: number | undefined
  /** Labels that change what watch does with the run (paused, handed to a human). */
  readonly notes: ReadonlyArray<string>
}

/** Every run in flight across the allowlist (as `afk-cli status --json` prints it). */
export interface StatusReport {
  readonly rows: ReadonlyArray<StatusRow>
  /** Repositories or issues that could not be read (the CLI exits 1). */
  readonly failures: ReadonlyArray<Failure>
  /** The day's token spend against AFK_DAILY_MAX_TOKENS, in words; absent when no daily budget is set. */
  readonly dailyBudget?: string | undefined
}

/**
 * `config`: a setting is missing or refused (the CLI exits 2; the message names the setting and what to do);
 * `unexpected`: anything else (the CLI exits 1).
 */
export type ErrorCode = "config" | "unexpected"

/** Why a call rejected: the message the CLI prints after `error: `, never a secret's value. */
export declare class AfkError extends Error {
  readonly name: "AfkError"
  readonly code: ErrorCode
  constructor(code: ErrorCode, message: string)
}

/** One reconciliation pass: watch the runs in flight, then poll for new work (`afk-cli tick`). */
export declare function tick(options?: PassOptions): Promise<PassResult>

/** Claim and dispatch the issues the policy allows (`afk-cli poll`). */
export declare function poll(options?: PassOptions): Promise<PassResult>

/** Drive the runs in flight one step each (`afk-cli watch`). */
export declare function watch(options?: PassOptions): Promise<PassResult>

/** Every run in flight across the allowlist; reads only (`afk-cli status --json`). */
export declare function status(options?: Options): Promise<StatusReport>
