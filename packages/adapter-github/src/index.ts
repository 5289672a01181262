/**
 * AFK's GitHub adapter: the `Tracker`, `Ci` and `PullRequests` ports over the GitHub REST API (github.com or GitHub
 * Enterprise Server), on one vendor client with auth, pagination, rate limits and conditional requests.
 */
export * as GithubApp from "./GithubApp.js"
export * as GithubAuth from "./GithubAuth.js"
export * as GithubCache from "./GithubCache.js"
export * as GithubChanges from "./GithubChanges.js"
export * as GithubCi from "./GithubCi.js"
export * as GithubClient from "./GithubClient.js"
export * as GithubEdits from "./GithubEdits.js"
export * as GithubError from "./GithubError.js"
export * as GithubForge from "./GithubForge.js"
export * as GithubPullRequests from "./GithubPullRequests.js"
export * as GithubRateLimit from "./GithubRateLimit.js"
export * as GithubRequirements from "./GithubRequirements.js"
export * as GithubTracker from "./GithubTracker.js"
export * as GithubTrust from "./GithubTrust.js"
