export * as BlockKitRules from "./BlockKitRules.js"
export * as SlackFake from "./SlackFake.js"
