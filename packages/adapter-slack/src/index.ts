export * as SlackClient from "./SlackClient.js"
export * as SlackErrors from "./SlackErrors.js"
export * as SlackMessage from "./SlackMessage.js"
export * as SlackNotifier from "./SlackNotifier.js"
