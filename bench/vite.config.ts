/**
 * vite-node's configuration for the benchmarks: resolve the workspace packages to their sources (the
 * "source" export condition), as tsc and the vitest projects do, never to a possibly stale dist/.
 */
export default {
  ssr: { resolve: { conditions: ["source"] } }
}
