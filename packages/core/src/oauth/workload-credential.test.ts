import { describe, expect, it } from 'vitest';
import { NetworkError, OAuthError } from '../errors.js';
import { JWT_BEARER_GRANT_TYPE, JwtBearerGrantError } from './jwt-bearer-grant.js';
import type { TokenResponse } from './types.js';
import { createWorkloadCredential } from './workload-credential.js';

// Payloads: { "iss": "https://k8s.example", "sub": "system:serviceaccount:ns:a" } and sub "b\n".
const jwtA = `eyJhbGciOiJFUzI1NiJ9.${Buffer.from(JSON.stringify({ iss: 'https://k8s.example', sub: 'system:serviceaccount:ns:a' })).toString('base64url')}.c2ln`;
const jwtB = `eyJhbGciOiJFUzI1NiJ9.${Buffer.from(JSON.stringify({ iss: 'https://k8s.example', sub: 'b\n' })).toString('base64url')}.c2ln`;
const issued: TokenResponse = { access_token: 'at', token_type: 'DPoP', expires_in: 60 };

/** An authorization server port that answers from a script and notes what it was sent. */
function scriptedClient(answers: Array<TokenResponse | Error>) {
  const sent: Array<{ grantType: string; parameters: Record<string, string> }> = [];
  return {
    sent,
    async tokenRequest(grantType: string, parameters: Record<string, string>) {
      sent.push({ grantType, parameters });
      const answer = answers.shift();
      if (answer === undefined) throw new Error('no more answers');
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

describe('createWorkloadCredential', () => {
  it('sends the JWT bearer grant with the current JWT, scope and resource', async () => {
    let current = jwtA;
    const credential = createWorkloadCredential(() => current);
    const client = scriptedClient([issued, issued]);
    await credential.requestToken(client, { scope: 'accounts:read', resource: 'https://api.example' });
    current = jwtB;
    await credential.requestToken(client, {});
    expect(client.sent).toEqual([
      { grantType: JWT_BEARER_GRANT_TYPE, parameters: { assertion: jwtA, scope: 'accounts:read', resource: 'https://api.example' } },
      { grantType: JWT_BEARER_GRANT_TYPE, parameters: { assertion: jwtB } },
    ]);
  });

  it('states the identity of the last JWT read, visible ASCII only', async () => {
    let current = jwtA;
    const credential = createWorkloadCredential(() => current);
    await credential.check();
    expect(credential.identity()).toEqual({ issuer: 'https://k8s.example', subject: 'system:serviceaccount:ns:a' });
    current = jwtB;
    await credential.check();
    expect(credential.identity()).toEqual({ issuer: 'https://k8s.example', subject: undefined });
  });

  it('does not send a refused JWT again, and sends a rotated one', async () => {
    let current = jwtA;
    const credential = createWorkloadCredential(() => current);
    const client = scriptedClient([new OAuthError('invalid_grant', 'expired', 400), issued]);
    const first = await credential.requestToken(client, { scope: 'a' }).catch((error: unknown) => error);
    expect(first).toBeInstanceOf(JwtBearerGrantError);
    expect(first).toMatchObject({ error: 'invalid_grant', errorDescription: 'expired', status: 400 });
    await expect(credential.requestToken(client, { scope: 'other' })).rejects.toBeInstanceOf(JwtBearerGrantError);
    expect(client.sent).toHaveLength(1);
    current = jwtB;
    await expect(credential.requestToken(client, { scope: 'a' })).resolves.toBe(issued);
    expect(client.sent).toHaveLength(2);
  });

  it('remembers invalid_scope for that scope and resource only', async () => {
    const credential = createWorkloadCredential(jwtA);
    const client = scriptedClient([new OAuthError('invalid_scope', undefined, 400), issued, issued]);
    await expect(credential.requestToken(client, { scope: 'payouts:write' })).rejects.toMatchObject({ error: 'invalid_scope' });
    await expect(credential.requestToken(client, { scope: 'payouts:write' })).rejects.toMatchObject({ error: 'invalid_scope' });
    await credential.requestToken(client, { scope: 'accounts:read' });
    await credential.requestToken(client, { scope: 'payouts:write', resource: 'https://other.example' });
    expect(client.sent).toHaveLength(3);
  });

  it('passes other failures through unchanged and remembers none of them', async () => {
    const credential = createWorkloadCredential(jwtA);
    const network = new NetworkError('connection refused');
    const client = scriptedClient([network, new OAuthError('temporarily_unavailable', undefined, 503), issued]);
    await expect(credential.requestToken(client, {})).rejects.toBe(network);
    await expect(credential.requestToken(client, {})).rejects.toMatchObject({ code: 'ERR_OAUTH', error: 'temporarily_unavailable' });
    await expect(credential.requestToken(client, {})).resolves.toBe(issued);
  });
});
