/**
 * Known values for every secret AFK handles, each carrying the marker `R5SECRET`, and the search for them
 * (raw, URL-encoded, base64, or any fragment holding the marker) in whatever a run printed or raised.
 */

export const marker = "R5SECRET"

export const values = {
  github: "ghp_R5SECRETgithub0123456789abcdef",
  githubWrong: "ghp_R5SECRETwrong0123456789abcdef",
  forgejo: "fj_R5SECRETforgejo0123456789",
  t3: "t3_R5SECRETt3token0123456789",
  t3Wrong: "t3_R5SECRETwrongt3token0123",
  slackBot: "xoxb-R5SECRET-slack-bot-0123456789",
  slackBotWrong: "xoxb-R5SECRET-wrong-bot-0123456789",
  webhookPath: "/services/T0AFKR5/B0AFKR5/R5SECRETwebhook0123456789"
} as const

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
  for (const encoded of encodings) if (text.includes(encoded)) found.push(`an encoded secret (${encoded.slice(0, 8)}…)`)
  return found
}
