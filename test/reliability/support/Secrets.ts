/**
 * Known values for every secret AFK handles, each carrying the marker `R5SECRET` — except GitHub App private
 * keys, which cannot carry one and are found by any line of their body — and the search for them (raw,
 * URL-encoded, base64, or any fragment holding the marker) in whatever a run printed or raised, together
 * with any GitHub App JWT (found by its fixed header).
 */
import { generateKeyPairSync } from "node:crypto"

export const marker = "R5SECRET"

const keyPair = () => {
  const pair = generateKeyPairSync("rsa", { modulusLength: 2048 })
  return {
    privateKey: pair.privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    publicKey: pair.publicKey
  }
}

/** The GitHub App's keys, and a key of another App (one GitHub refuses). */
export const appKeys = keyPair()
export const otherAppKeys = keyPair()

/** The header of every app JWT AFK signs (`{"alg":"RS256","typ":"JWT"}`), so any leaked JWT is found. */
const jwtHeader = Buffer.from(JSON.stringify({ alg: "RS256", typ: "JWT" })).toString("base64url")

export const values = {
  github: "ghp_R5SECRETgithub0123456789abcdef",
  githubWrong: "ghp_R5SECRETwrong0123456789abcdef",
  forgejo: "fj_R5SECRETforgejo0123456789",
  t3: "t3_R5SECRETt3token0123456789",
  t3Wrong: "t3_R5SECRETwrongt3token0123",
  slackBot: "xoxb-R5SECRET-slack-bot-0123456789",
  slackBotWrong: "xoxb-R5SECRET-wrong-bot-0123456789",
  webhookPath: "/services/T0AFKR5/B0AFKR5/R5SECRETwebhook0123456789",
  /** The prefix of the installation tokens the GitHub fake mints for the App. */
  installation: "ghs_R5SECRETinstallation",
  appPrivateKey: appKeys.privateKey,
  otherAppPrivateKey: otherAppKeys.privateKey
} as const

const keyLines = [appKeys.privateKey, otherAppKeys.privateKey].flatMap((pem) =>
  pem.split("\n").filter((line) => line.length >= 16 && !line.startsWith("-----"))
)

/** The secret of the loopback Slack fake's own webhook URL, which is a credential too. */
export const fakeWebhookSecret = "afkFakeWebhookSecret"

const encodings = Object.values(values).flatMap((value) => [
  Buffer.from(value).toString("base64"),
  Buffer.from(value).toString("base64url"),
  Buffer.from(`x-access-token:${value}`).toString("base64")
])

/** Every secret (or fragment of one) found in `text`, as a short description; empty when clean. */
export const find = (text: string): ReadonlyArray<string> => {
  const found: Array<string> = []
  for (const at of [...text.matchAll(new RegExp(marker, "g"))].slice(0, 3)) {
    found.push(`…${text.slice(Math.max(0, at.index - 60), at.index + 40)}…`)
  }
  if (text.includes(fakeWebhookSecret)) found.push("the Slack fake's webhook secret")
  if (keyLines.some((line) => text.includes(line))) found.push("a line of a GitHub App private key")
  if (text.includes(jwtHeader)) found.push("a GitHub App JWT")
  for (const encoded of encodings) if (text.includes(encoded)) found.push(`an encoded secret (${encoded.slice(0, 8)}…)`)
  return found
}
