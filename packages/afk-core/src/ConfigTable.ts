/**
 * The one table of AFK's settings: for each, its key in `afk.config.json` (its path in the table), its env
 * name, its kind of value, its default, whether it is a secret, and its description. `ConfigSchema` derives
 * the strict parsing from it, and `Config` the docs, `describe` and the JSON Schema, so none can drift from
 * another. Internal to `Config`; the kinds of value are in `ConfigKinds`.
 */
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import {
  boolean,
  directoryOrOff,
  githubId,
  hostPath,
  int,
  intIn,
  type Kind,
  list,
  oneOf,
  optional,
  pemPrivateKey,
  repos,
  secret,
  secretUrl,
  text,
  tokenIn,
  url
} from "./ConfigKinds.js"

/** One row of the settings table. */
export interface Setting<A> extends Kind<A> {
  readonly _tag: "Setting"
  readonly env: string
  readonly default: A
  readonly secret: boolean
  readonly description: string
}

const setting = <A>(env: string, kind: Kind<A>, defaultValue: A, description: string): Setting<A> => ({
  ...kind,
  _tag: "Setting",
  env,
  default: defaultValue,
  secret: false,
  description
})

const secretSetting = (env: string, description: string, kind: Kind<string> = text) => ({
  ...setting(env, secret(kind), Option.none(), description),
  secret: true
})

const seconds = int(1)

const port: Kind<number> = {
  ...int(0),
  accepts: "a port number from 0 to 65535",
  decode: (text) => Either.filterOrLeft(int(0).decode(text), (value) => value <= 65535, () => "is out of range"),
  json: { type: "integer", minimum: 0, maximum: 65535 }
}

const distinct = " Must differ from the other three labels (trimmed, any case)."

/** The settings table, nested exactly like `AfkConfig` and `afk.config.json`. */
export const table = {
  killSwitch: setting("AFK_KILL_SWITCH", boolean, true, "While true AFK dispatches nothing. Arming gate 1 of 2."),
  allowlist: setting(
    "AFK_ALLOWLIST",
    repos,
    [],
    "Repositories (owner/name, any case, each once) AFK may work on; empty means none. Arming gate 2 of 2."
  ),
  readyLabel: setting(
    "AFK_READY_LABEL",
    text,
    "ready-for-agent",
    "Label a trusted maintainer applies to hand over." + distinct
  ),
  lockLabel: setting("AFK_LOCK_LABEL", text, "agent-in-progress", "Label held while a run owns the issue." + distinct),
  humanLabel: setting("AFK_HUMAN_LABEL", text, "ready-for-human", "Label AFK applies when it escalates." + distinct),
  pausedLabel: setting("AFK_PAUSED_LABEL", text, "paused", "Label that stops AFK touching an issue." + distinct),
  maxConcurrentRuns: setting("AFK_MAX_CONCURRENT_RUNS", int(1), 3, "Most runs in flight at once, all repos."),
  fixForwardMaxAttempts: setting(
    "AFK_FIX_FORWARD_MAX_ATTEMPTS",
    int(0),
    5,
    "Corrective turns a run may spend on red CI before it freezes."
  ),
  closeDeferMaxSeconds: setting(
    "AFK_CLOSE_DEFER_MAX_SECONDS",
    seconds,
    3600,
    "Seconds a pushed run's verdict waits for a live turn; past it green closes and red freezes."
  ),
  noVerdictMaxSeconds: setting(
    "AFK_NO_VERDICT_MAX_SECONDS",
    seconds,
    21600,
    "Seconds a declared commit may go without a CI verdict before escalation."
  ),
  turnMaxSeconds: setting(
    "AFK_TURN_MAX_SECONDS",
    seconds,
    14400,
    "Seconds a turn may run or stay blocked before it is interrupted and escalated."
  ),
  claimGraceSeconds: setting(
    "AFK_CLAIM_GRACE_SECONDS",
    seconds,
    900,
    "Seconds a claim without an agent thread is kept before its lock may be released."
  ),
  maxRedispatches: setting(
    "AFK_MAX_REDISPATCHES",
    int(0),
    1,
    "Automatic redispatches of a run whose turn vanished before it pushed."
  ),
  runMaxTokens: setting(
    "AFK_RUN_MAX_TOKENS",
    optional(int(1)),
    Option.none(),
    "Tokens a run may use over all its turns; past it the run gets no further turn and is escalated."
  ),
  dailyMaxTokens: setting(
    "AFK_DAILY_MAX_TOKENS",
    optional(int(1)),
    Option.none(),
    "Tokens all runs may use per UTC day (from the run records); once spent, poll starts nothing."
  ),
  defaultPriority: setting(
    "AFK_DEFAULT_PRIORITY",
    int(Number.MIN_SAFE_INTEGER),
    0,
    "Priority of an issue without a priority:<n> label; lower runs first."
  ),
  requiredChecks: setting(
    "AFK_REQUIRED_CHECKS",
    list,
    [],
    "Check name patterns (* wildcard) that must pass for green; empty means every reported check."
  ),
  deployChecks: setting(
    "AFK_DEPLOY_CHECKS",
    list,
    [],
    "Check name patterns whose success makes the deployed phase true, e.g. deploy/production."
  ),
  delivery: setting(
    "AFK_DELIVERY",
    oneOf("push", "pull-request"),
    "push",
    "How a run delivers: push to the default branch, or pull-request (a branch per run, merged by AFK on green)."
  ),
  mergeMethod: setting(
    "AFK_MERGE_METHOD",
    oneOf("squash", "merge", "rebase"),
    "squash",
    "Pull-request delivery: how AFK merges the pull request."
  ),
  requiredApprovals: setting(
    "AFK_REQUIRED_APPROVALS",
    intIn(0, 10),
    0,
    "Pull-request delivery: approvals by trusted reviewers needed before AFK merges (branch protection may ask more)."
  ),
  reviewMaxRounds: setting(
    "AFK_REVIEW_MAX_ROUNDS",
    intIn(1, 20),
    3,
    "Pull-request delivery: review rounds (follow-up turns on trusted reviewers' feedback) before escalation."
  ),
  deleteBranch: setting(
    "AFK_DELETE_BRANCH",
    boolean,
    true,
    "Pull-request delivery: delete the run's branch once its pull request is merged."
  ),
  preamble: setting(
    "AFK_PREAMBLE",
    optional(text),
    Option.none(),
    "Standing rules for the first turn, replacing the built-in ones."
  ),
  notifyDispatched: setting("AFK_NOTIFY_DISPATCHED", boolean, false, "Also notify when a run is dispatched."),
  cacheDir: setting(
    "AFK_CACHE_DIR",
    directoryOrOff,
    Option.some(".afk-cache"),
    "Directory where afk-cli keeps GitHub's answers between runs, so unchanged reads are free 304s; relative to the working directory; off: in memory only. Created private (0700); refused, with a warning, if another user could write to it."
  ),
  t3: {
    url: setting(
      "AFK_T3_URL",
      url(tokenIn("AFK_T3_TOKEN")),
      "http://127.0.0.1:3773",
      "Base URL of the T3 Code server."
    ),
    token: secretSetting("AFK_T3_TOKEN", "Bearer token for the T3 server (secret)."),
    model: setting("AFK_T3_MODEL", text, "claude-sonnet-5", "Model for new agent threads."),
    workspaceRoot: setting(
      "AFK_T3_WORKSPACE_ROOT",
      hostPath,
      "/data/{owner}__{repo}",
      "Checkout path template on the T3 Code host (absolute); {owner} and {repo} are substituted."
    ),
    runtimeMode: setting(
      "AFK_T3_RUNTIME_MODE",
      oneOf("full-access", "auto"),
      "full-access",
      "How the agent's tools run in T3 Code: full-access (no approval prompts) or auto (T3 Code's automatic approvals)."
    ),
    archiveOnDone: setting(
      "AFK_T3_ARCHIVE_ON_DONE",
      boolean,
      true,
      "Archive the agent's thread in T3 Code when its run closed with proof (its session is stopped either way)."
    ),
    webUrl: setting(
      "AFK_T3_WEB_URL",
      optional(url("remove it: people open this URL in a browser, where no credential belongs")),
      Option.none(),
      "Base URL where people open threads; unset means the server URL."
    )
  },
  tracker: {
    kind: setting("AFK_TRACKER", oneOf("github", "forgejo"), "github", "Which forge hosts the issues."),
    githubApi: setting(
      "AFK_GITHUB_API",
      url(tokenIn("GITHUB_TOKEN")),
      "https://api.github.com",
      "GitHub REST API base URL."
    ),
    githubToken: secretSetting("GITHUB_TOKEN", "GitHub token (secret); or a GitHub App (AFK_GITHUB_APP_*), not both."),
    githubChangeProbe: setting(
      "AFK_GITHUB_CHANGE_PROBE",
      oneOf("rest", "graphql"),
      "rest",
      "How an idle tick proves each repository unchanged: rest (one conditional request per repository, a 304 free of rate-limit points) or graphql (one query per 100 repositories of one owner, a GraphQL point each)."
    ),
    githubLists: setting(
      "AFK_GITHUB_LISTS",
      oneOf("rest", "graphql"),
      "graphql",
      "How issue lists by label that nothing is known of are read: graphql (the lists of a pass in queries of one owner each, up to GitHub's 500,000 nodes a query, about a GraphQL point per ready list and a tenth of one per lock-label list; a list the query cannot answer whole is read the REST way) or rest (one request per list)."
    ),
    githubAppId: setting(
      "AFK_GITHUB_APP_ID",
      optional(githubId(true)),
      Option.none(),
      "GitHub App id (or client id), to act as the App instead of GITHUB_TOKEN."
    ),
    githubAppPrivateKey: secretSetting(
      "AFK_GITHUB_APP_PRIVATE_KEY",
      "The GitHub App's private key, PEM (secret); or AFK_GITHUB_APP_PRIVATE_KEY_FILE.",
      pemPrivateKey
    ),
    githubAppPrivateKeyFile: setting(
      "AFK_GITHUB_APP_PRIVATE_KEY_FILE",
      optional(text),
      Option.none(),
      "Path of the GitHub App's private key (.pem), instead of AFK_GITHUB_APP_PRIVATE_KEY."
    ),
    githubAppInstallationId: setting(
      "AFK_GITHUB_APP_INSTALLATION_ID",
      optional(githubId(false)),
      Option.none(),
      "The GitHub App installation to act as; unset: each allowlisted repository's own."
    ),
    forgejoApi: setting(
      "AFK_FORGEJO_API",
      optional(url(tokenIn("FORGEJO_TOKEN"))),
      Option.none(),
      "Forgejo / Gitea API base URL, e.g. https://host/api/v1."
    ),
    forgejoToken: secretSetting("FORGEJO_TOKEN", "Forgejo / Gitea token (secret).")
  },
  slack: {
    webhookUrl: secretSetting("SLACK_WEBHOOK_URL", "Slack incoming webhook URL (secret).", secretUrl),
    botToken: secretSetting("SLACK_BOT_TOKEN", "Slack bot token for chat.postMessage (secret)."),
    channel: setting("AFK_SLACK_CHANNEL", optional(text), Option.none(), "Channel for chat.postMessage."),
    mention: setting(
      "AFK_SLACK_MENTION",
      optional(text),
      Option.none(),
      "Mention used on escalations, e.g. <!subteam^S123> or <@U123>."
    )
  },
  serve: {
    host: setting(
      "AFK_SERVE_HOST",
      text,
      "127.0.0.1",
      "Address `afk-cli serve` listens on (0.0.0.0: every interface)."
    ),
    port: setting("AFK_SERVE_PORT", port, 8787, "Port `afk-cli serve` listens on (0: any free port, logged at start)."),
    webhookSecret: secretSetting(
      "AFK_WEBHOOK_SECRET",
      "Secret the forge signs webhook deliveries with (secret); unset, the webhook routes answer 503."
    ),
    reconcileSeconds: setting(
      "AFK_RECONCILE_SECONDS",
      seconds,
      120,
      "Seconds between the full ticks `afk-cli serve` runs whatever the webhooks say (the net for lost deliveries)."
    )
  }
}
