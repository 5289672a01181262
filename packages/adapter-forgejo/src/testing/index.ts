/**
 * Test support for the Forgejo adapter: an in-process Forgejo that speaks API v1's wire format.
 */
export * as ForgejoFake from "./ForgejoFake.js"
