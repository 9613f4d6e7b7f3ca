import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { base64url, base64urlDecode, decodePortable, encodePortable } from './base64url.js';

describe('base64url', { timeout: 20_000 }, () => {
  it('encodes the RFC 4648 section 10 vectors without padding', () => {
    // https://www.rfc-editor.org/rfc/rfc4648#section-10
    const vectors: [string, string][] = [
      ['', ''],
      ['f', 'Zg'],
      ['fo', 'Zm8'],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg'],
      ['fooba', 'Zm9vYmE'],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [text, encoded] of vectors) {
      expect(base64url(text)).toBe(encoded);
      expect(encodePortable(new TextEncoder().encode(text))).toBe(encoded);
      expect(new TextDecoder().decode(base64urlDecode(encoded))).toBe(text);
    }
  });

  it('uses the URL-safe alphabet', () => {
    expect(base64url(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe('-_-_');
    expect(base64urlDecode('-_-_')).toEqual(new Uint8Array([0xfb, 0xff, 0xbf]));
  });

  it('encodes a view into a larger buffer by its own bytes only', () => {
    const backing = new Uint8Array([1, 2, 3, 4, 5, 6]);
    expect(base64url(backing.subarray(2, 5))).toBe(base64url(new Uint8Array([3, 4, 5])));
  });

  it('round-trips any bytes, and the portable coder agrees with Buffer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const encoded = base64url(bytes);
        expect(encoded).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(encodePortable(bytes)).toBe(encoded);
        expect(encoded).toBe(Buffer.from(bytes).toString('base64url'));
        expect(base64urlDecode(encoded)).toEqual(bytes);
        expect(decodePortable(encoded)).toEqual(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('encodes strings as UTF-8', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 50 }), (text) => {
        expect(new TextDecoder().decode(base64urlDecode(base64url(text)))).toBe(text);
      }),
    );
  });

  it('tolerates padding and refuses anything outside the alphabet', () => {
    expect(base64urlDecode('Zg==')).toEqual(new Uint8Array([0x66]));
    for (const bad of ['Zm9v+', 'Zm9v/', 'Zm 9v', 'Z', 'Zm9vY', 'Zg===', '=Zg']) {
      expect(() => base64urlDecode(bad), bad).toThrow(ConfigurationError);
    }
  });
});
