import { describe, expect, it } from 'vitest';
import { InsufficientUserAuthenticationError, ResourceChallengeError } from '../errors.js';
import { classifyChallenge, errorChallenge, oauthErrorOf } from './challenge.js';

describe('errorChallenge', () => {
  it('picks the DPoP challenge that states an error, then Bearer, else none', () => {
    expect(errorChallenge('Bearer error="invalid_token", DPoP error="use_dpop_nonce"')).toEqual({
      scheme: 'dpop',
      parameters: { error: 'use_dpop_nonce' },
    });
    expect(errorChallenge('DPoP algs="ES256", Bearer error="insufficient_scope", scope="a b"')?.parameters).toEqual({
      error: 'insufficient_scope',
      scope: 'a b',
    });
    expect(errorChallenge('DPoP algs="ES256", Basic realm="x"')).toBeUndefined();
    expect(errorChallenge(undefined)).toBeUndefined();
    expect(errorChallenge('')).toBeUndefined();
  });
});

describe('classifyChallenge', () => {
  it('reads only 401 and 403 challenges, as typed errors', () => {
    expect(classifyChallenge(400, 'DPoP error="invalid_token"')).toBeUndefined();
    expect(classifyChallenge(401, null)).toBeUndefined();
    const error = classifyChallenge(401, 'DPoP error="invalid_dpop_proof", error_description="iat"');
    expect(error).toBeInstanceOf(ResourceChallengeError);
    expect(error?.error).toBe('invalid_dpop_proof');
    expect(error?.errorDescription).toBe('iat');
    expect(error?.status).toBe(401);
    expect(classifyChallenge(401, 'DPoP error="insufficient_user_authentication"')).toBeInstanceOf(InsufficientUserAuthenticationError);
  });
});

describe('oauthErrorOf', () => {
  it('reads an RFC 6749 error body and nothing else', () => {
    expect(oauthErrorOf({ error: 'use_dpop_nonce', error_description: 'nonce' })).toEqual({ error: 'use_dpop_nonce', errorDescription: 'nonce' });
    expect(oauthErrorOf({ error: 'invalid_client', error_description: 42 })).toEqual({ error: 'invalid_client', errorDescription: undefined });
    expect(oauthErrorOf({ error: 1 })).toBeUndefined();
    expect(oauthErrorOf(null)).toBeUndefined();
    expect(oauthErrorOf('use_dpop_nonce')).toBeUndefined();
  });
});
