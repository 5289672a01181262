/**
 * afk-core's modules in one place, for the demo. The commands import each module by its own subpath
 * (`afk-core/Config`): a module reached through this file would initialise every module it lists.
 */
export * as AgentRuntime from "afk-core/AgentRuntime"
export * as Budget from "afk-core/Budget"
export * as Checklist from "afk-core/Checklist"
export * as Ci from "afk-core/Ci"
export * as Config from "afk-core/Config"
export * as ConsoleNotifier from "afk-core/ConsoleNotifier"
export * as Domain from "afk-core/Domain"
export * as DryRun from "afk-core/DryRun"
export * as Notifier from "afk-core/Notifier"
export * as Pass from "afk-core/Pass"
export * as Poll from "afk-core/Poll"
export * as PullRequests from "afk-core/PullRequests"
export * as RunMachine from "afk-core/RunMachine"
export * as RunRecord from "afk-core/RunRecord"
export * as Status from "afk-core/Status"
export * as T3 from "afk-core/T3"
export { MemoryCi, MemoryPullRequests, MemoryTracker, T3Fake } from "afk-core/testing"
export * as Tick from "afk-core/Tick"
export * as Tracker from "afk-core/Tracker"
export * as Watch from "afk-core/Watch"
