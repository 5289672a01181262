/**
 * The bot you already run: a small `node:http` server with a few JSON routes. Nothing here knows about
 * Effect or AFK; `main.ts` adds AFK's routes next to the bot's own.
 */
import * as Http from "node:http"
import type { AddressInfo } from "node:net"

export type Route = () => Promise<{ readonly status: number; readonly body: unknown }>

export interface Bot {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  readonly close: () => Promise<void>
}

/** Serves `routes` (keyed `"GET /path"`) plus the bot's own `GET /healthz`. */
export const start = (options: {
  readonly host: string
  readonly port: number
  readonly routes: Readonly<Record<string, Route>>
}): Promise<Bot> => {
  const routes: Record<string, Route> = {
    "GET /healthz": async () => ({ status: 200, body: { ok: true } }),
    ...options.routes
  }
  const server = Http.createServer((request, response) => {
    const route = routes[`${request.method} ${request.url}`]
    const answer = route === undefined ? Promise.resolve({ status: 404, body: { error: "not found" } }) : route()
    answer
      .catch((error: unknown) => ({ status: 500, body: { error: String(error) } }))
      .then(({ body, status }) => {
        response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body))
      })
  })
  return new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port, options.host, () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://${options.host}:${port}`,
        close: () =>
          new Promise((done) => {
            server.close(() => done())
            server.closeAllConnections()
          })
      })
    })
  })
}
