/**
 * The Block Kit rules the Slack fake enforces, so a message that real Slack would refuse with
 * `invalid_blocks` is refused here too: at most 50 blocks, known block types, text objects of 1–3000
 * characters (headers 150, section fields 2000, at most 10 fields or context elements). The error strings
 * follow Slack's own form, `… [json-pointer:/blocks/0/text/text]`.
 */

const blockTypes = new Set(["section", "context", "divider", "header", "actions", "image", "rich_text", "markdown"])

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const textObject = (value: unknown, pointer: string, max: number, plainOnly = false): ReadonlyArray<string> => {
  if (!isRecord(value)) return [`must be a text object [json-pointer:${pointer}]`]
  const allowed = plainOnly ? ["plain_text"] : ["plain_text", "mrkdwn"]
  if (typeof value.type !== "string" || !allowed.includes(value.type)) {
    return [`must be one of ${allowed.join(", ")} [json-pointer:${pointer}/type]`]
  }
  if (typeof value.text !== "string" || value.text.length === 0) {
    return [`must be more than 0 characters [json-pointer:${pointer}/text]`]
  }
  if (value.text.length > max) return [`must be less than ${max + 1} characters [json-pointer:${pointer}/text]`]
  return []
}

const section = (block: Record<string, unknown>, pointer: string): ReadonlyArray<string> => {
  const errors: Array<string> = []
  if (block.text === undefined && block.fields === undefined) {
    errors.push(`must provide text or fields [json-pointer:${pointer}]`)
  }
  if (block.text !== undefined) errors.push(...textObject(block.text, `${pointer}/text`, 3000))
  if (block.fields !== undefined) {
    if (!Array.isArray(block.fields) || block.fields.length > 10) {
      errors.push(`must be an array of at most 10 items [json-pointer:${pointer}/fields]`)
    } else {
      block.fields.forEach((field, i) => {
        errors.push(...textObject(field, `${pointer}/fields/${i}`, 2000))
      })
    }
  }
  return errors
}

const context = (block: Record<string, unknown>, pointer: string): ReadonlyArray<string> => {
  const elements = block.elements
  if (!Array.isArray(elements) || elements.length === 0 || elements.length > 10) {
    return [`must be an array of 1 to 10 items [json-pointer:${pointer}/elements]`]
  }
  return elements.flatMap((element, i) =>
    isRecord(element) && element.type === "image" ? [] : textObject(element, `${pointer}/elements/${i}`, 3000)
  )
}

const block = (value: unknown, index: number): ReadonlyArray<string> => {
  const pointer = `/blocks/${index}`
  if (!isRecord(value) || typeof value.type !== "string") return [`must be a block object [json-pointer:${pointer}]`]
  if (!blockTypes.has(value.type)) return [`unsupported type: ${value.type} [json-pointer:${pointer}/type]`]
  switch (value.type) {
    case "section":
      return section(value, pointer)
    case "context":
      return context(value, pointer)
    case "header":
      return textObject(value.text, `${pointer}/text`, 150, true)
    default:
      return []
  }
}

/** Slack's complaints about `blocks`, empty when real Slack would accept them. */
export const validate = (blocks: unknown): ReadonlyArray<string> => {
  if (!Array.isArray(blocks)) return ["must be an array [json-pointer:/blocks]"]
  if (blocks.length > 50) return ["no more than 50 items allowed [json-pointer:/blocks]"]
  return blocks.flatMap(block)
}
