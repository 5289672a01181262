/**
 * Schemas and codecs the GitHub client derives from the schemas its callers pass: the array of an item, a
 * page holding items under a key, a GraphQL answer around its data, the JSON decoder and the encoder. Building a decoder compiles a parser,
 * so each is built once per schema (and kept as long as the schema is) instead of once per request.
 */
import type * as Effect from "effect/Effect"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

const derived = new WeakMap<object, Map<string, unknown>>()

/** What `build` makes of `schema` under `name`, built the first time it is asked for. */
export const derive = <T>(schema: object, name: string, build: () => T): T => {
  const known = derived.get(schema) ?? new Map<string, unknown>()
  derived.set(schema, known)
  if (known.has(name)) return known.get(name) as T
  const made = build()
  known.set(name, made)
  return made
}

/** Decodes JSON text with `schema`. */
export const jsonDecoder = <A, I>(
  schema: Schema.Schema<A, I>
): (text: string) => Effect.Effect<A, ParseResult.ParseError> =>
  derive(schema, "json decoder", () => Schema.decodeUnknown(Schema.parseJson(schema)))

/** Encodes a value of `schema` into its JSON-ready form. */
export const encoder = <A, I>(schema: Schema.Schema<A, I>): (value: A) => Effect.Effect<I, ParseResult.ParseError> =>
  derive(schema, "encoder", () => Schema.encode(schema))

/** An array of `item`. */
export const arrayOf = <A, I>(item: Schema.Schema<A, I>): Schema.Schema<ReadonlyArray<A>, ReadonlyArray<I>> =>
  derive(item, "array", () => Schema.Array(item))

/** A page holding an array of `item` under `key`. */
export const pageOf = <A, I>(
  key: string,
  item: Schema.Schema<A, I>
): Schema.Schema<{ readonly [key: string]: ReadonlyArray<A> }, { readonly [key: string]: ReadonlyArray<I> }> =>
  derive(item, `page under ${key}`, () => Schema.Struct({ [key]: arrayOf(item) }))

/** One entry of a GraphQL answer's `errors`: GitHub adds a `type` such as `NOT_FOUND` or `RATE_LIMITED`. */
export const GraphqlError = Schema.Struct({
  message: Schema.String,
  type: Schema.optional(Schema.String),
  path: Schema.optional(Schema.Array(Schema.Union(Schema.String, Schema.Number)))
})
export type GraphqlError = typeof GraphqlError.Type

/** A GraphQL answer: `data` of `schema` (null or absent when the query failed whole), and any `errors`. */
export const graphqlAnswer = <A, I>(schema: Schema.Schema<A, I>) =>
  derive(
    schema,
    "graphql answer",
    () =>
      Schema.Struct({
        data: Schema.optional(Schema.NullOr(schema)),
        errors: Schema.optional(Schema.Array(GraphqlError))
      })
  )
