/**
 * Test support for the GitHub adapter: a GitHub-shaped HTTP fake speaking the real wire format.
 */
export * as GithubFake from "./GithubFake.js"
export * as GithubFakeApp from "./GithubFakeApp.js"
export * as GithubFakeContents from "./GithubFakeContents.js"
export * as GithubFakePulls from "./GithubFakePulls.js"
export * as GithubFakeWorld from "./GithubFakeWorld.js"
