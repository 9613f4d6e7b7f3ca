import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseWwwAuthenticate } from './www-authenticate.js';

describe('parseWwwAuthenticate', () => {
  it('reads a DPoP nonce challenge (RFC 9449 §9 example)', () => {
    expect(parseWwwAuthenticate('DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"')).toEqual([
      { scheme: 'dpop', parameters: { error: 'use_dpop_nonce', error_description: 'Resource server requires nonce in DPoP proof' } },
    ]);
  });

  it('separates several challenges and keeps commas inside quoted strings', () => {
    const parsed = parseWwwAuthenticate('Bearer realm="api, v2", error="invalid_token", DPoP algs="ES256 EdDSA", error="insufficient_scope", scope="a b"');
    expect(parsed).toEqual([
      { scheme: 'bearer', parameters: { realm: 'api, v2', error: 'invalid_token' } },
      { scheme: 'dpop', parameters: { algs: 'ES256 EdDSA', error: 'insufficient_scope', scope: 'a b' } },
    ]);
  });

  it('is case-insensitive for schemes and parameter names, and unescapes quoted pairs', () => {
    expect(parseWwwAuthenticate('dPoP ERROR="a\\"b\\\\c"')).toEqual([{ scheme: 'dpop', parameters: { error: 'a"b\\c' } }]);
  });

  it('reads token68 and bare schemes', () => {
    expect(parseWwwAuthenticate('Negotiate abc+/==, Basic, DPoP error=invalid_token')).toEqual([
      { scheme: 'negotiate', parameters: {}, token68: 'abc+/==' },
      { scheme: 'basic', parameters: {} },
      { scheme: 'dpop', parameters: { error: 'invalid_token' } },
    ]);
  });

  it('joins several header values', () => {
    expect(parseWwwAuthenticate(['Bearer realm="x"', 'DPoP error="use_dpop_nonce"']).map((challenge) => challenge.scheme)).toEqual(['bearer', 'dpop']);
  });

  it('keeps the first of duplicate parameters and never touches the prototype', () => {
    const [challenge] = parseWwwAuthenticate('DPoP error="first", error="second", __proto__="x", constructor="y"');
    expect(challenge!.parameters.error).toBe('first');
    expect(Object.getPrototypeOf(challenge!.parameters)).toBe(Object.prototype);
    expect(Object.hasOwn(challenge!.parameters, '__proto__')).toBe(true);
    expect(challenge!.parameters.constructor).toBe('y');
  });

  it('returns what parsed before a syntax error, and nothing for garbage', () => {
    expect(parseWwwAuthenticate('DPoP error="unterminated')).toEqual([{ scheme: 'dpop', parameters: {} }]);
    expect(parseWwwAuthenticate('')).toEqual([]);
    expect(parseWwwAuthenticate(null)).toEqual([]);
    expect(parseWwwAuthenticate('"quoted"')).toEqual([]);
  });

  it('round-trips any serialized list of challenges (property)', () => {
    const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,10}$/);
    const quotedValue = fc.string({ maxLength: 20 }).filter((value) => !/[\r\n]/.test(value));
    const challenge = fc.record({
      scheme: token,
      parameters: fc.uniqueArray(fc.tuple(token, quotedValue), { minLength: 1, maxLength: 4, selector: ([name]) => name.toLowerCase() }),
    });
    fc.assert(
      fc.property(fc.array(challenge, { minLength: 1, maxLength: 4 }), (challenges) => {
        const header = challenges
          .map(({ scheme, parameters }) => `${scheme} ${parameters.map(([name, value]) => `${name}="${value.replace(/(["\\])/g, '\\$1')}"`).join(', ')}`)
          .join(', ');
        const parsed = parseWwwAuthenticate(header);
        expect(parsed).toEqual(
          challenges.map(({ scheme, parameters }) => ({
            scheme: scheme.toLowerCase(),
            parameters: Object.fromEntries(parameters.map(([name, value]) => [name.toLowerCase(), value])),
          })),
        );
      }),
    );
  });

  it('never throws on arbitrary input (property)', () => {
    fc.assert(fc.property(fc.string(), (input) => Array.isArray(parseWwwAuthenticate(input))));
  });
});
