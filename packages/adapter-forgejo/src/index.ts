/**
 * AFK's Forgejo / Gitea adapter: `ForgejoTracker`, `ForgejoCi` and `ForgejoPullRequests` over one
 * `ForgejoClient` (API v1), together as `ForgejoForge.layer`.
 */
export * as ForgejoApi from "./ForgejoApi.js"
export * as ForgejoCi from "./ForgejoCi.js"
export * as ForgejoClient from "./ForgejoClient.js"
export * as ForgejoForge from "./ForgejoForge.js"
export * as ForgejoPullRequests from "./ForgejoPullRequests.js"
export * as ForgejoTracker from "./ForgejoTracker.js"
export * as ForgejoWire from "./ForgejoWire.js"
