/**
 * The devkit's own copy of the rule for text an approver reads (the SDK has its own; the server
 * checks rather than trusts): no Unicode Cc, Cf, Zl or Zp character (line breaks, zero-width
 * characters, bidirectional controls, U+00AD, U+FEFF), nothing of the tag block U+E0000-U+E007F and
 * none of the fillers U+115F, U+1160, U+3164, U+FFA0, nor any other Default_Ignorable_Code_Point
 * (U+034F, the variation selectors, U+17B4, ...).
 *
 * @see https://www.unicode.org/reports/tr44/#General_Category_Values
 */
export const HIDDEN_CHARACTER = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\u{E0000}-\u{E007F}\u115F\u1160\u3164\uFFA0]/u;

/**
 * Why `text` may not be shown as is: `"U+200B at character 5"` for its first hidden character, or
 * `undefined` when it has none. Never echoes the text.
 */
export function hiddenCharacterIn(text: string): string | undefined {
  if (!HIDDEN_CHARACTER.test(text)) return undefined;
  let position = 0;
  for (const character of text) {
    position += 1;
    if (HIDDEN_CHARACTER.test(character)) {
      return `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} at character ${position}`;
    }
  }
  return undefined;
}
