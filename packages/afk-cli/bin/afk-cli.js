#!/usr/bin/env node
// The installed `afk-cli` command. It only loads the bundle `dist/bin.js` (built by `npm run build -w
// afk-cli`, which the repository's `prepare` script runs on `npm ci`). It is a committed file so that
// npm links the command at install time, before the bundle exists.
const bundle = new URL("../dist/bin.js", import.meta.url)
import(bundle.href).catch((error) => {
  if (error?.code === "ERR_MODULE_NOT_FOUND" && String(error.message).includes("dist/bin.js")) {
    console.error("afk-cli is not built yet: run `npm run build -w afk-cli` (or `npm ci` at the repository root).")
    process.exit(1)
  }
  throw error
})
