export * as MemoryAgent from "./MemoryAgent.js"
export * as MemoryCi from "./MemoryCi.js"
export * as MemoryNotifier from "./MemoryNotifier.js"
export * as MemoryTracker from "./MemoryTracker.js"
