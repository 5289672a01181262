/**
 * The afk-core modules the CLI uses, in one place.
 */
export {
  AgentRuntime,
  Budget,
  Checklist,
  Ci,
  Config,
  ConsoleNotifier,
  Domain,
  DryRun,
  Notifier,
  Pass,
  Poll,
  RunMachine,
  RunRecord,
  Status,
  T3,
  Tick,
  Tracker,
  Watch
} from "afk-core"
export { MemoryCi, MemoryTracker, T3Fake } from "afk-core/testing"
