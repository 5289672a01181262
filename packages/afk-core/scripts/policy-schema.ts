/**
 * Writes `afk-policy.schema.json`, the published JSON Schema of `.afk.json`, from `RepoPolicy.jsonSchema`.
 * Run with `npm run policy-schema -w afk-core` after changing the policy's schema; a test checks it is current.
 */
import { writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import * as RepoPolicy from "../src/RepoPolicy.js"

writeFileSync(
  fileURLToPath(new URL("../afk-policy.schema.json", import.meta.url)),
  `${JSON.stringify(RepoPolicy.jsonSchema, null, 2)}\n`
)
