/**
 * Characters that change how text reads without being seen: Unicode general categories Cc
 * (controls, line breaks included), Cf (format: zero-width spaces and joiners, U+00AD soft hyphen,
 * U+061C and the other bidirectional marks, embeddings, overrides and isolates, U+FEFF, the tag
 * characters), Zl and Zp (U+2028, U+2029), the whole tag block U+E0000-U+E007F ("ASCII
 * smuggling", unassigned members included), the Hangul fillers U+115F, U+1160, U+3164 and
 * U+FFA0, which are letters that render as nothing, and every other Default_Ignorable_Code_Point
 * (U+034F, the variation selectors U+FE00-U+FE0F and U+E0100-U+E01EF, U+17B4, U+17B5, ...):
 * "ACME" and "ACME" + U+034F render alike but are different values.
 *
 * @see https://www.unicode.org/reports/tr44/#General_Category_Values
 * @see https://www.unicode.org/reports/tr44/#Default_Ignorable_Code_Point
 * @see https://www.unicode.org/reports/tr9/#Explicit_Directional_Formatting_Characters
 */
export const INVISIBLE_CHARACTER = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\u{E0000}-\u{E007F}\u115F\u1160\u3164\uFFA0]/u;

const NAMES: Readonly<Record<number, string>> = {
  0x09: 'CHARACTER TABULATION',
  0x0a: 'LINE FEED',
  0x0d: 'CARRIAGE RETURN',
  0xad: 'SOFT HYPHEN',
  0x061c: 'ARABIC LETTER MARK',
  0x115f: 'HANGUL CHOSEONG FILLER',
  0x1160: 'HANGUL JUNGSEONG FILLER',
  0x200b: 'ZERO WIDTH SPACE',
  0x200c: 'ZERO WIDTH NON-JOINER',
  0x200d: 'ZERO WIDTH JOINER',
  0x200e: 'LEFT-TO-RIGHT MARK',
  0x200f: 'RIGHT-TO-LEFT MARK',
  0x2028: 'LINE SEPARATOR',
  0x2029: 'PARAGRAPH SEPARATOR',
  0x202a: 'LEFT-TO-RIGHT EMBEDDING',
  0x202b: 'RIGHT-TO-LEFT EMBEDDING',
  0x202c: 'POP DIRECTIONAL FORMATTING',
  0x202d: 'LEFT-TO-RIGHT OVERRIDE',
  0x202e: 'RIGHT-TO-LEFT OVERRIDE',
  0x2060: 'WORD JOINER',
  0x2066: 'LEFT-TO-RIGHT ISOLATE',
  0x2067: 'RIGHT-TO-LEFT ISOLATE',
  0x2068: 'FIRST STRONG ISOLATE',
  0x2069: 'POP DIRECTIONAL ISOLATE',
  0x3164: 'HANGUL FILLER',
  0xfeff: 'ZERO WIDTH NO-BREAK SPACE',
  0xffa0: 'HALFWIDTH HANGUL FILLER',
};

/** Where an invisible character sits in a string. */
export interface InvisibleCharacter {
  /** The code point, e.g. `0x200b`. */
  codePoint: number;
  /** Its position, counted in characters (code points) from 1. */
  position: number;
  /** `U+200B ZERO WIDTH SPACE` (the name when known). */
  label: string;
}

/**
 * The first {@link INVISIBLE_CHARACTER} in `text`, or `undefined` when there is none.
 *
 * @example
 * ```ts
 * findInvisibleCharacter('ACME\u200B Ltd'); // { codePoint: 0x200b, position: 5, label: 'U+200B ZERO WIDTH SPACE' }
 * ```
 */
export function findInvisibleCharacter(text: string): InvisibleCharacter | undefined {
  if (!INVISIBLE_CHARACTER.test(text)) return undefined;
  let position = 0;
  for (const character of text) {
    position += 1;
    if (INVISIBLE_CHARACTER.test(character)) {
      const codePoint = character.codePointAt(0)!;
      return { codePoint, position, label: codePointLabel(codePoint) };
    }
  }
  return undefined;
}

/** `U+200B ZERO WIDTH SPACE`, or `U+E0041` when the name is not in the short table. */
export function codePointLabel(codePoint: number): string {
  const hex = `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
  const name = NAMES[codePoint] ?? (codePoint >= 0xe0000 && codePoint <= 0xe007f ? 'TAG CHARACTER' : undefined);
  return name === undefined ? hex : `${hex} ${name}`;
}
