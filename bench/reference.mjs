/**
 * The reference for P3 as `afk-cli` runs it: the same number of GETs, the same 8 in flight, through a bare
 * `fetch` to the same loopback tracker, with no AFK logic at all. Its span is what the harness itself
 * (loopback HTTP, the fake, the injected latency, a loaded machine) costs, measured in the same run.
 *
 * Usage: node bench/reference.mjs BASE_URL TOKEN REQUESTS CONCURRENCY REPOS ISSUES_PER_REPO
 */
/* global fetch */
const [base, token, total, concurrency, repos, issues] = process.argv.slice(2)
const requests = Number(total)
let next = 0

const worker = async () => {
  while (next < requests) {
    const n = next++
    const response = await fetch(
      `${base}/repos/org/repo-${(n % Number(repos)) + 1}/issues/${(n % Number(issues)) + 1}/events?per_page=100`,
      {
        headers: { authorization: `Bearer ${token}`, accept: "application/vnd.github+json" }
      }
    )
    await response.arrayBuffer()
  }
}

await Promise.all(Array.from({ length: Number(concurrency) }, worker))
