/**
 * A `Notifier` that prints one readable line per notification (plus indented details) on the console:
 * what `afk-cli` uses when no Slack is configured, and what the demo shows. Text that comes from the
 * issue or CI (its title, the details, check names) is flattened to one line without invisible
 * characters and follows a label or a bullet, so it cannot forge an output line or stand as a line of its
 * own (a `Pushed-Commit:` declaration, should the output ever be pasted into a comment).
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { Notification } from "./Domain.js"
import * as Invisible from "./Invisible.js"
import { Notifier, type Service } from "./Notifier.js"

const controls = /[\p{Cc}\p{Zl}\p{Zp}]+/gu

const flat = (text: string, max = 300): string => {
  const line = Invisible.strip(text).replace(controls, " ").replace(/\s+/g, " ").trim()
  return line.length > max ? `${line.slice(0, max - 1)}…` : line
}

/** The lines printed for one notification: a headline line, then details (bulleted), checks and links indented. */
export const format = (notification: Notification): ReadonlyArray<string> => {
  const failing = notification.checks.filter((check) => check.state === "failure")
  return [
    `[notify ${notification.kind}] ${notification.issue} "${flat(notification.title, 120)}": ${
      flat(notification.headline)
    }`,
    ...notification.details.map((detail) => `    - ${flat(detail)}`),
    ...failing.map(
      (check) => `    failing: ${flat(check.name, 120)}${check.url === undefined ? "" : ` ${flat(check.url)}`}`
    ),
    ...(notification.commit === undefined ? [] : [`    commit: ${flat(notification.commit, 40)}`]),
    ...(notification.threadUrl === undefined ? [] : [`    thread: ${flat(notification.threadUrl)}`]),
    `    issue: ${flat(notification.issueUrl)}`
  ]
}

/** Prints each notification; never fails. The receipt carries no thread. */
export const make: Service = {
  notify: (notification) => Effect.as(Console.log(format(notification).join("\n")), {})
}

/** `Notifier` on the console. */
export const layer: Layer.Layer<Notifier> = Layer.succeed(Notifier, make)
