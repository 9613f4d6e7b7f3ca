import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { MAX_BINDING_MESSAGE_LENGTH, validateBindingMessage } from './binding-message.js';

describe('validateBindingMessage', () => {
  it('accepts a short line of text, including non-ASCII letters', () => {
    expect(validateBindingMessage('Pay 1,250.00 EUR to Müller GmbH (acc_ops)')).toBe('Pay 1,250.00 EUR to Müller GmbH (acc_ops)');
    expect(validateBindingMessage('é'.repeat(MAX_BINDING_MESSAGE_LENGTH))).toHaveLength(MAX_BINDING_MESSAGE_LENGTH);
  });

  it.each([
    ['not a string', 42],
    ['blank', '   '],
    ['too long', 'x'.repeat(MAX_BINDING_MESSAGE_LENGTH + 1)],
    ['a line break', 'Pay\r\n100'],
    ['a tab', 'Pay\t100'],
    ['a right-to-left override', 'Pay 100 \u202EUSD'],
  ])('refuses %s without echoing it', (_name, message) => {
    let error: unknown;
    try {
      validateBindingMessage(message);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    if (typeof message === 'string' && message.trim()) expect((error as Error).message).not.toContain(message);
  });

  it.each([
    [0x2028, 'U+2028 LINE SEPARATOR'],
    [0x2029, 'U+2029 PARAGRAPH SEPARATOR'],
    [0x200b, 'U+200B ZERO WIDTH SPACE'],
    [0x200c, 'U+200C'],
    [0x200d, 'U+200D'],
    [0x200e, 'U+200E'],
    [0x200f, 'U+200F'],
    [0x2060, 'U+2060 WORD JOINER'],
    [0xfeff, 'U+FEFF'],
    [0x00ad, 'U+00AD SOFT HYPHEN'],
    [0x061c, 'U+061C ARABIC LETTER MARK'],
    [0x202a, 'U+202A'],
    [0x2066, 'U+2066'],
    [0x2069, 'U+2069'],
    [0xe0000, 'U+E0000'],
    [0xe0041, 'U+E0041 TAG CHARACTER'],
    [0xe007f, 'U+E007F'],
    [0x115f, 'U+115F HANGUL CHOSEONG FILLER'],
    [0x1160, 'U+1160'],
    [0x3164, 'U+3164 HANGUL FILLER'],
    [0xffa0, 'U+FFA0'],
    [0x034f, 'U+034F'],
    [0xfe0f, 'U+FE0F'],
    [0xe0100, 'U+E0100'],
    [0x17b4, 'U+17B4'],
    [0x0085, 'U+0085'],
    [0x0007, 'U+0007'],
  ])('refuses code point %s, naming it (%s) and where it is', (codePoint, label) => {
    const message = 'Pay 5 EUR to ACME' + String.fromCodePoint(codePoint) + ' Ltd';
    expect(() => validateBindingMessage(message)).toThrow(ConfigurationError);
    expect(() => validateBindingMessage(message)).toThrow(label);
    expect(() => validateBindingMessage(message)).toThrow('at character 18');
  });

  it('accepts visible punctuation, symbols and other scripts', () => {
    for (const message of ['Pay 5 € to Ünal & Söhne — ref #12', 'Überweisung an 株式会社 (3/4)', 'Rotate key k-1 → k-2']) {
      expect(validateBindingMessage(message)).toBe(message);
    }
  });
});
