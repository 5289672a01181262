/**
 * The bare-`fetch` reference for CPU per request: sends the GETs listed in a file (one URL a line, as a tick
 * sent them), `CONCURRENCY` in flight, with the same credentials and `Accept`, and reads every body. No
 * cache, no decoding, no logic: what the same traffic costs a client that does nothing with it.
 *
 * Usage: node bench/replay.mjs URL_FILE TOKEN CONCURRENCY
 */
/* global fetch */
import { readFileSync } from "node:fs"

const [file, token, concurrency] = process.argv.slice(2)
const urls = readFileSync(file, "utf8").split("\n").filter((line) => line !== "")
let next = 0

const worker = async () => {
  while (next < urls.length) {
    const url = urls[next++]
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${token}`, accept: "application/vnd.github+json" }
    })
    await response.arrayBuffer()
  }
}

await Promise.all(Array.from({ length: Number(concurrency) }, worker))
