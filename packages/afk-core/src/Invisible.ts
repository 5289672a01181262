/**
 * Characters a reader never sees. What the agent sees is what a reviewer sees: text from an issue or CI
 * loses them before it reaches the agent or AFK's own output, so no instruction can ride along unseen by
 * the person who reviewed the issue.
 */

/**
 * Unicode's `Default_Ignorable_Code_Point` property is the standard's own list of code points a renderer
 * shows as nothing: zero-width spaces and joiners, word joiners and invisible operators (U+200B–U+200F,
 * U+2060–U+2064), the BOM, the Mongolian vowel separator, soft hyphens, Hangul fillers, variation
 * selectors and the tag characters U+E0000–U+E0FFF, which can spell out a whole hidden instruction. A
 * property rather than a list of ranges, so the runtime's Unicode tables keep it complete (Node 20 has
 * it). `Cf` adds the few format controls it leaves out, such as the interlinear annotation marks that hide
 * text; every bidi control is in both. The zero-width joiner goes too, even inside an emoji sequence: the
 * emoji then shows as its parts, and the joiner cannot carry anything.
 */
const pattern = /[\p{Default_Ignorable_Code_Point}\p{Cf}]/gu

/** `text` without the characters nobody sees. */
export const strip = (text: string): string => text.replace(pattern, "")
