import { describe, expect, it } from 'vitest';
import { dpopChallenge } from './challenge.js';

describe('dpopChallenge', () => {
  it('formats RFC 9449 §7.1 challenges', () => {
    expect(dpopChallenge({ algorithms: ['ES256', 'EdDSA'] })).toBe('DPoP algs="ES256 EdDSA"');
    expect(dpopChallenge({ error: 'insufficient_scope', description: 'needs payouts:write', scope: 'payouts:write', algorithms: ['ES256'] })).toBe(
      'DPoP error="insufficient_scope", error_description="needs payouts:write", scope="payouts:write", algs="ES256"',
    );
  });

  it('cannot be broken out of by a description', () => {
    const header = dpopChallenge({ error: 'invalid_token', description: 'a "quoted" \\ value\r\nSet-Cookie: x=1 é', algorithms: ['ES256'] });
    expect(header).toBe('DPoP error="invalid_token", error_description="a ?quoted? ? value??Set-Cookie: x=1 ?", algs="ES256"');
  });
});
