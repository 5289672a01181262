/**
 * Schemas and codecs the GitHub client derives from the schemas its callers pass: the array of an item, a
 * page holding items under a key, a GraphQL answer around its data, the encoder, and how a value is kept in a
 * cache file. Building a decoder compiles a parser, so each is built once per schema (and kept as long as the
 * schema is) instead of once per request.
 */
import type * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as SchemaAST from "effect/SchemaAST"
import { createHash } from "node:crypto"

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

/** Encodes a value of `schema` into its JSON-ready form. */
export const encoder = <A, I>(schema: Schema.Schema<A, I>): (value: A) => Effect.Effect<I, ParseResult.ParseError> =>
  derive(schema, "encoder", () => Schema.encode(schema))

/** An array of `item`: `Schema.Array(item)`, or the schema `withArray` gave it. */
export const arrayOf = <A, I>(item: Schema.Schema<A, I>): Schema.Schema<ReadonlyArray<A>, ReadonlyArray<I>> =>
  derive(item, "array", () => Schema.Array(item))

/**
 * Gives `item` the array schema every list, page and memo of it is then read and kept with (one that takes a
 * faster path than `Schema.Array(item)`, deciding as it does). Call it where `item` is defined, before use.
 */
export const withArray = <A, I>(
  item: Schema.Schema<A, I>,
  array: Schema.Schema<ReadonlyArray<A>, ReadonlyArray<I>>
): Schema.Schema<A, I> => {
  derive(item, "array", () => array)
  return item
}

/** Decodes an array of `item` from unknown input (an answer reshaped by hand), none if it is not one. */
export const decoderOf = <A, I>(item: Schema.Schema<A, I>): (input: unknown) => Option.Option<ReadonlyArray<A>> =>
  derive(item, "array decoder", () => Schema.decodeUnknownOption(arrayOf(item)))

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

/** One entry of a validation failure's `errors` (GitHub's 422): the resource and field, a code, GitHub's words. */
export const ValidationError = Schema.Struct({
  resource: Schema.optional(Schema.String),
  field: Schema.optional(Schema.String),
  code: Schema.optional(Schema.String),
  message: Schema.optional(Schema.String)
})
export type ValidationError = typeof ValidationError.Type

/** The body of a refusal (4xx): GitHub's `message`, and for a validation failure its `errors`. */
export const Refusal = Schema.Struct({
  message: Schema.optional(Schema.String),
  errors: Schema.optional(Schema.Array(ValidationError))
})

/** How values of one schema are kept in a cache file: a fingerprint of the schema and the JSON form both ways. */
export interface Stored<A> {
  /** Changes whenever the schema does, so a file written for another schema is never decoded with this one. */
  readonly shape: string
  /** The value's JSON form: the value itself when the schema transforms nothing; none if it cannot be encoded. */
  readonly toJson: (value: A) => Option.Option<unknown>
  /** A value of the schema from its JSON form, validated; none if it is not one. */
  readonly fromJson: (json: unknown) => Option.Option<A>
}

/** How values of `schema` are kept in a cache file. */
export const stored = <A, I>(schema: Schema.Schema<A, I>): Stored<A> =>
  derive(schema, "stored", () => {
    // Refinements check a value without changing it, so only a transformation makes the forms differ.
    const plain = SchemaAST.encodedBoundAST(schema.ast) === schema.ast
    const encode = Schema.encodeOption(schema)
    return {
      shape: createHash("sha256").update(JSON.stringify(schema.ast.toJSON())).digest("hex").slice(0, 32),
      toJson: plain ? Option.some : encode,
      fromJson: Schema.decodeUnknownOption(schema)
    }
  })
