import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { redactedAccessToken } from './redacted-token.js';

describe('redactedAccessToken', () => {
  const secret = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhZ2VudCJ9.c2lnbmF0dXJl';
  const make = () => redactedAccessToken({ accessToken: secret, tokenType: 'DPoP' as const, expiresAt: 1, scope: 'accounts:read' });

  it('never prints the credential through JSON or util.inspect, even nested', () => {
    const token = make();
    for (const printed of [JSON.stringify(token), JSON.stringify({ context: { token } }), inspect(token), inspect({ token }, { depth: 5 })]) {
      expect(printed).not.toContain(secret);
      expect(printed).toContain('[redacted]');
      expect(printed).toContain('accounts:read');
    }
  });

  it('still hands the token to code that uses it', () => {
    const token = make();
    expect(token.accessToken).toBe(secret);
    expect({ ...token }.accessToken).toBe(secret);
    expect(Object.keys(token)).toEqual(['accessToken', 'tokenType', 'expiresAt', 'scope']);
  });
});
