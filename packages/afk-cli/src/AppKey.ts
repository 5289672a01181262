/**
 * The GitHub App's private key as afk-cli reads it: the secret `AFK_GITHUB_APP_PRIVATE_KEY`, or the file
 * `AFK_GITHUB_APP_PRIVATE_KEY_FILE` names, checked to be an RSA private key in PEM form. A key that cannot
 * be read or used is a configuration error naming the setting; no error quotes the key.
 */
import * as Config from "afk-core/Config"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { createPrivateKey } from "node:crypto"
import { readFileSync } from "node:fs"

type Tracker = Config.AfkConfig["tracker"]

const refused = (key: string, detail: string, value?: string) =>
  new Config.ConfigError({ key, ...(value === undefined ? {} : { value }), source: "GitHub App key", detail })

const fix = "use the .pem file GitHub downloads when you generate a private key on the App's settings page"

const checked = (pem: string, key: string, value?: string): Either.Either<Redacted.Redacted, Config.ConfigError> =>
  Either.try({ try: () => createPrivateKey(pem), catch: () => undefined }).pipe(
    Either.mapLeft(() => refused(key, `is not a usable PEM private key (it could not be parsed); ${fix}`, value)),
    Either.flatMap((parsed) =>
      parsed.asymmetricKeyType === "rsa"
        ? Either.right(Redacted.make(pem))
        : Either.left(
          refused(key, `is not an RSA private key (it is ${parsed.asymmetricKeyType ?? "another kind"}); ${fix}`, value)
        )
    )
  )

/** The configured private key, read and checked; `None` when neither setting is set. */
export const read = (tracker: Tracker): Either.Either<Option.Option<Redacted.Redacted>, Config.ConfigError> => {
  if (Option.isSome(tracker.githubAppPrivateKey)) {
    return Either.map(
      checked(Redacted.value(tracker.githubAppPrivateKey.value), "AFK_GITHUB_APP_PRIVATE_KEY"),
      Option.some
    )
  }
  if (Option.isNone(tracker.githubAppPrivateKeyFile)) return Either.right(Option.none())
  const path = tracker.githubAppPrivateKeyFile.value
  return Either.try({
    try: () => readFileSync(path, "utf8").trim(),
    catch: (error) =>
      refused(
        "AFK_GITHUB_APP_PRIVATE_KEY_FILE",
        `cannot be read (${(error as NodeJS.ErrnoException).code ?? "unreadable"}); point it at the App's .pem file`,
        path
      )
  }).pipe(
    Either.flatMap((pem) => checked(pem, "AFK_GITHUB_APP_PRIVATE_KEY_FILE", path)),
    Either.map(Option.some)
  )
}
