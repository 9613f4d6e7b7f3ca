import { describe, expect, it } from 'vitest';
import { scrubServerParameters, scrubServerText } from './scrub-server-text.js';

const assertion = 'eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJhZ2VudCIsImp0aSI6IjEyMyJ9.c2lnbmF0dXJlLW9mLXRoZS1hc3NlcnRpb24';
const opaque = 'tok_9f8e7d6c5b4a39281706f5e4d3c2b1a0';

describe('scrubServerText', () => {
  it('removes the secrets the request carried, whole or in pieces', () => {
    expect(scrubServerText(`bad assertion ${assertion}`, [assertion])).toBe('bad assertion [redacted]');
    const cut = scrubServerText(`cut: ${assertion.slice(5, 40)}`, [assertion]);
    expect(cut).toMatch(/^cut: [A-Za-z0-9_-]{0,7}\[redacted\]$/);
    expect(scrubServerText(`short ${opaque.slice(0, 12)}`, [opaque])).toBe(`short ${opaque.slice(0, 12)}`);
  });

  it('removes what looks like a token or key even when it is not known', () => {
    expect(scrubServerText(`token ${assertion} refused`)).toBe('token [redacted:jws] refused');
    expect(scrubServerText(`token ${opaque} refused`)).toBe('token [redacted] refused');
    expect(scrubServerText('-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----')).toBe('[redacted:pem]');
  });

  it('keeps ordinary descriptions, error codes and scopes, flattens control characters and caps the length', () => {
    expect(scrubServerText('client authentication failed (iat is in the future)')).toBe('client authentication failed (iat is in the future)');
    expect(scrubServerText('insufficient_user_authentication')).toBe('insufficient_user_authentication');
    expect(scrubServerText('accounts:read payouts:write')).toBe('accounts:read payouts:write');
    expect(scrubServerText('line one\r\nline two')).toBe('line one line two');
    expect(scrubServerText('x '.repeat(400))).toHaveLength(301);
  });

  it('scrubs parameters at any depth, keys included', () => {
    expect(scrubServerParameters({ echoed: opaque, nested: { list: [`a ${assertion}`], [opaque]: 1 }, count: 2 }, [opaque])).toEqual({
      echoed: '[redacted]',
      nested: { list: ['a [redacted:jws]'], '[redacted]': 1 },
      count: 2,
    });
  });
});
