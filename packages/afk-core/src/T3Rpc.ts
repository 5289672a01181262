/**
 * The Effect RPC envelope T3 Code speaks on `/ws` (`t3-protocol-v2.md` §3), written out by hand: `Request`,
 * `Ack`, `Interrupt`, `Ping` from the client; `Exit`, `Chunk`, `Pong`, `Defect` from the server, JSON, one
 * message or an array of them per text frame. The server runs Effect 4, whose failure causes are a flat
 * array of reasons (§9.3) that Effect 3's `@effect/rpc` cannot decode. `call` makes one short connection for
 * one unary request (§3.8) over `@effect/platform`'s `Socket`, so the platform chooses the WebSocket.
 */
import * as Socket from "@effect/platform/Socket"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"

/** A client message (§3.2); `headers` and `payload` are always present (a missing one dies upstream). */
export type FromClient =
  | {
    readonly _tag: "Request"
    readonly id: string
    readonly tag: string
    readonly payload: unknown
    readonly headers: ReadonlyArray<never>
  }
  | { readonly _tag: "Ack"; readonly requestId: string }
  | { readonly _tag: "Interrupt"; readonly requestId: string }
  | { readonly _tag: "Ping" }
  | { readonly _tag: "Eof" }

/** `Request` for `tag` with `payload` (`{}` for methods without input). */
export const request = (id: string, tag: string, payload: unknown): FromClient => ({
  _tag: "Request",
  id,
  tag,
  payload,
  headers: []
})

/** One client message as the text of one frame. */
export const encode = (message: FromClient): string => JSON.stringify(message)

const RequestId = Schema.Union(
  Schema.String,
  Schema.transform(Schema.Number, Schema.String, {
    strict: true,
    decode: (n) => String(n),
    encode: (s) => Number(s)
  })
)

/** One reason of an Effect 4 cause: a typed failure, a defect or an interruption. */
export const Reason = Schema.Union(
  Schema.Struct({ _tag: Schema.Literal("Fail"), error: Schema.Unknown }),
  Schema.Struct({ _tag: Schema.Literal("Die"), defect: Schema.Unknown }),
  Schema.Struct({ _tag: Schema.Literal("Interrupt"), fiberId: Schema.optional(Schema.Unknown) })
)
export type Reason = typeof Reason.Type

/** `ExitEncoded` (EFF4-MSG): a success value, or a failure whose cause is a flat array of reasons. */
export const Exit = Schema.Union(
  Schema.Struct({ _tag: Schema.Literal("Success"), value: Schema.Unknown }),
  Schema.Struct({ _tag: Schema.Literal("Failure"), cause: Schema.Array(Reason) })
)
export type Exit = typeof Exit.Type

/** A server message (§3.3). */
export const FromServer = Schema.Union(
  Schema.Struct({ _tag: Schema.Literal("Exit"), requestId: RequestId, exit: Exit }),
  Schema.Struct({ _tag: Schema.Literal("Chunk"), requestId: RequestId, values: Schema.NonEmptyArray(Schema.Unknown) }),
  Schema.Struct({ _tag: Schema.Literal("Pong") }),
  Schema.Struct({ _tag: Schema.Literal("Defect"), defect: Schema.Unknown })
)
export type FromServer = typeof FromServer.Type

const decodeMessages = Schema.decodeUnknownEither(Schema.parseJson(Schema.Union(FromServer, Schema.Array(FromServer))))

/** The messages of one server frame (a message or an array of them); `Left` names what did not decode. */
export const decode = (text: string): Either.Either<ReadonlyArray<FromServer>, string> =>
  Either.match(decodeMessages(text), {
    onLeft: (error) => Either.left(`an RPC frame that does not decode: ${error.message.slice(0, 300)}`),
    onRight: (decoded) => Either.right(Array.isArray(decoded) ? decoded : [decoded as FromServer])
  })

/** Why a call has no answer: it may or may not have reached the server (§4.6: read back, then resend). */
export class CallLost extends Schema.TaggedError<CallLost>()("CallLost", {
  reason: Schema.Literal("open", "closed", "timeout", "defect", "undecodable"),
  detail: Schema.String
}) {}

export interface CallOptions {
  /** How long the WebSocket may take to open. */
  readonly openTimeout: Duration.DurationInput
  /** How long the answer may take once the request is written (§3.8: 30 s). */
  readonly timeout: Duration.DurationInput
}

const defectText = (defect: unknown): string => typeof defect === "string" ? defect : JSON.stringify(defect)

/**
 * Opens `url`, sends one `Request` (id `"1"`), and returns its `Exit`; the socket is closed afterwards. A
 * refused or dropped connection, a connection-level `Defect`, an undecodable frame or no answer within
 * `timeout` (after which an `Interrupt` is sent) is `CallLost`: the command is ambiguous.
 */
export const call = (
  url: string,
  tag: string,
  payload: unknown,
  options: CallOptions
): Effect.Effect<Exit, CallLost, Socket.WebSocketConstructor> =>
  Effect.scoped(
    Effect.gen(function*() {
      const socket = yield* Socket.makeWebSocket(url, { openTimeout: Duration.toMillis(options.openTimeout) })
      const write = yield* socket.writer
      const answer = yield* Deferred.make<Exit, CallLost>()
      const id = "1"
      const lost = (reason: CallLost["reason"], detail: string) =>
        Deferred.fail(answer, new CallLost({ reason, detail }))
      const handle = (data: string | Uint8Array): Effect.Effect<void> => {
        const frames = decode(typeof data === "string" ? data : new TextDecoder().decode(data))
        if (Either.isLeft(frames)) return Effect.asVoid(lost("undecodable", frames.left))
        return Effect.forEach(frames.right, (frame): Effect.Effect<unknown> => {
          switch (frame._tag) {
            case "Exit":
              return frame.requestId === id ? Deferred.succeed(answer, frame.exit) : Effect.void
            case "Defect":
              return lost("defect", `the server reported a connection defect: ${defectText(frame.defect)}`)
            case "Chunk":
              return Effect.ignore(write(encode({ _tag: "Ack", requestId: frame.requestId })))
            case "Pong":
              return Effect.void
          }
        }, { discard: true })
      }
      const running = yield* Effect.forkScoped(
        socket.runRaw(handle, { onOpen: Effect.ignore(write(encode(request(id, tag, payload)))) })
      )
      const ended = Fiber.join(running).pipe(
        Effect.matchEffect({
          onFailure: (error) =>
            lost(
              error.reason === "Open" || error.reason === "OpenTimeout" ? "open" : "closed",
              `the WebSocket ${
                error.reason === "Open" || error.reason === "OpenTimeout" ? "did not open" : "closed"
              }: ${error.message}`
            ),
          onSuccess: () => lost("closed", "the server closed the WebSocket before answering")
        })
      )
      yield* Effect.forkScoped(ended)
      const exit = yield* Deferred.await(answer).pipe(Effect.timeout(options.timeout), Effect.either)
      if (Either.isRight(exit)) return exit.right
      if (exit.left._tag === "CallLost") return yield* exit.left
      yield* Effect.ignore(write(encode({ _tag: "Interrupt", requestId: id })))
      return yield* new CallLost({
        reason: "timeout",
        detail: `no answer to ${tag} within ${Duration.format(Duration.decode(options.timeout))}`
      })
    })
  )

/** The typed errors of a failure (`Fail` reasons); empty for a success. */
export const failures = (exit: Exit): ReadonlyArray<unknown> =>
  exit._tag === "Success" ? [] : exit.cause.flatMap((reason) => reason._tag === "Fail" ? [reason.error] : [])

/** The first defect of a failure (`Die`), as text. */
export const defect = (exit: Exit): Option.Option<string> =>
  exit._tag === "Success"
    ? Option.none()
    : Option.fromNullable(exit.cause.find((reason) => reason._tag === "Die")).pipe(
      Option.map((reason) => defectText(reason._tag === "Die" ? reason.defect : undefined))
    )
