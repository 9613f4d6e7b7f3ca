import { describe, expect, it } from 'vitest';
import { issuerOfMetadataUrl } from './with-dpop.js';
import { processHeldToken } from './token-endpoint.js';
import { TokenTypeDowngradeError } from '@countersign/core/errors';

describe('issuerOfMetadataUrl', () => {
  it('derives the issuer an RFC 8414 or OpenID discovery URL was built from', () => {
    expect(issuerOfMetadataUrl(new URL('https://as.example/.well-known/oauth-authorization-server'))).toBe('https://as.example');
    expect(issuerOfMetadataUrl(new URL('https://as.example/.well-known/oauth-authorization-server/tenant/1'))).toBe('https://as.example/tenant/1');
    expect(issuerOfMetadataUrl(new URL('https://as.example/.well-known/openid-configuration/tenant'))).toBe('https://as.example/tenant');
    expect(issuerOfMetadataUrl(new URL('https://as.example/tenant/.well-known/openid-configuration'))).toBe('https://as.example/tenant');
  });

  it('ignores every other URL', () => {
    expect(issuerOfMetadataUrl(new URL('https://as.example/token'))).toBeUndefined();
    expect(issuerOfMetadataUrl(new URL('https://mcp.example/.well-known/oauth-protected-resource/mcp'))).toBeUndefined();
    expect(issuerOfMetadataUrl(new URL('https://as.example/.well-known/oauth-authorization-server?x=1'))).toBeUndefined();
  });
});

describe('processHeldToken', () => {
  const started = 1_000_000;
  it('keeps DPoP tokens and counts expiry from before the request', () => {
    expect(processHeldToken('{"access_token":"t","token_type":"dpop","expires_in":60}', 200, 'a', started, false)).toEqual({
      value: 't',
      type: 'DPoP',
      scope: 'a',
      expiresAt: started + 60_000,
    });
  });

  it('refuses Bearer unless allowed, and anything else always', () => {
    expect(() => processHeldToken('{"access_token":"t","token_type":"Bearer"}', 200, undefined, started, false)).toThrow(TokenTypeDowngradeError);
    expect(processHeldToken('{"access_token":"t","token_type":"Bearer"}', 200, undefined, started, true).type).toBe('Bearer');
    expect(() => processHeldToken('{"access_token":"t","token_type":"mac"}', 200, undefined, started, true)).toThrow(TokenTypeDowngradeError);
    expect(() => processHeldToken('not json', 200, undefined, started, true)).toThrow(/JSON/);
  });
});
