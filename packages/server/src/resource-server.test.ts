import { describe, expect, it } from 'vitest';
import { createResourceServer } from './resource-server.js';
import { memoryReplayStore, type ReplayStore } from './replay-store.js';
import { ReplayStoreError, ResourceServerConfigurationError } from './errors.js';
import { createStatelessNonces } from './dpop/stateless-nonces.js';
import type { ActionRequirement, Refused, ResourceServerOptions, Verdict } from './types.js';
import { buildProof, createDpopTestKey, createTestIssuer, parseChallenge, testArgumentsHash, type DpopTestKey } from './testing/hostile-kit.js';

const resource = 'https://api.example';
const secret = 'a-nonce-secret-of-at-least-32-bytes!!';
const payout = { accountId: 'acc_1', recipient: 'ACME', amount: 250, currency: 'EUR' };

async function setup(overrides: Partial<ResourceServerOptions> = {}) {
  const issuer = await createTestIssuer(resource);
  const rs = await createResourceServer({ issuer: issuer.issuer, resource, tokens: { kind: 'jwt', jwks: issuer.jwks }, ...overrides });
  const key = await createDpopTestKey();
  async function request(token: string, options: { method?: string; path?: string; proofKey?: DpopTestKey; proof?: Record<string, unknown>; scheme?: string } = {}) {
    const method = options.method ?? 'GET';
    const url = `${resource}${options.path ?? '/accounts'}`;
    const proof = await buildProof(options.proofKey ?? key, { htm: method, htu: url, accessToken: token, nonce: rs.nonce(), ...options.proof });
    return new Request(url, { method, headers: { authorization: `${options.scheme ?? 'DPoP'} ${token}`, dpop: proof } });
  }
  const actionClaims = (args: unknown = payout, extra: Record<string, unknown> = {}) => ({
    cnf: { jkt: key.jkt },
    scope: 'payouts:write',
    authorization_details: [{ type: 'agent_action', tool: 'create_payout', args_sha256: testArgumentsHash(args), locations: [resource] }],
    approvers: [{ sub: 'alice', approved_at: 1 }],
    ...extra,
  });
  return { issuer, rs, key, request, actionClaims };
}

function expectRefused(verdict: Verdict, status: number, error: string, reason: string): Refused {
  expect(verdict.ok).toBe(false);
  const refused = verdict as Refused;
  expect({ status: refused.status, error: refused.error, reason: refused.reason }).toEqual({ status, error, reason });
  const challenge = parseChallenge(refused.headers['www-authenticate']);
  if (status === 401 || status === 403) {
    expect(challenge.scheme).toBe('DPoP');
    expect(challenge.params.error).toBe(reason === 'missing_credentials' ? undefined : error);
    expect(challenge.params.algs).toBe('ES256 EdDSA');
  }
  expect(refused.body.error).toBe(error);
  return refused;
}

describe('createResourceServer().verify', () => {
  it('accepts a valid DPoP request and reports the agent, scopes and a nonce', async () => {
    const { issuer, rs, key, request } = await setup({ nonce: { secret } });
    const token = await issuer.token({ cnf: { jkt: key.jkt }, scope: 'accounts:read' });
    const verdict = await rs.verify(await request(token), { scope: 'accounts:read' });
    expect(verdict.ok).toBe(true);
    if (!verdict.ok) return;
    expect(verdict.agent).toEqual({ clientId: 'agent-a', jkt: key.jkt });
    expect(verdict.scopes).toEqual(['accounts:read']);
    expect(verdict.headers['dpop-nonce']).toBe(rs.nonce());
  });

  it('answers a request without credentials with a bare challenge, and refuses Bearer', async () => {
    const { issuer, rs, key, request } = await setup();
    const bare = expectRefused(await rs.verify(new Request(`${resource}/accounts`), { scope: 'accounts:read' }), 401, 'invalid_token', 'missing_credentials');
    const challenge = parseChallenge(bare.headers['www-authenticate']);
    expect(challenge.params.error).toBeUndefined();
    expect(challenge.params.scope).toBe('accounts:read');
    expect(challenge.params.resource_metadata).toBe(`${resource}/.well-known/oauth-protected-resource`);
    const token = await issuer.token({ cnf: { jkt: key.jkt } });
    expectRefused(await rs.verify(await request(token, { scheme: 'Bearer' })), 401, 'invalid_token', 'bearer_downgrade');
  });

  it('refuses a replayed proof, and a proof for another method or URL', async () => {
    const { issuer, rs, key, request } = await setup();
    const token = await issuer.token({ cnf: { jkt: key.jkt } });
    const first = await request(token);
    expect((await rs.verify(first.clone())).ok).toBe(true);
    expectRefused(await rs.verify(first), 401, 'invalid_dpop_proof', 'proof_replayed');
    expectRefused(await rs.verify(await request(token, { proof: { htm: 'POST' } })), 401, 'invalid_dpop_proof', 'proof_htm');
    expectRefused(await rs.verify(await request(token, { proof: { htu: `${resource}/payouts` } })), 401, 'invalid_dpop_proof', 'proof_htu');
    expectRefused(await rs.verify(await request(token, { proof: { htu: `${resource}/accounts?x=1` } })), 401, 'invalid_dpop_proof', 'proof_htu');
    // A normalized equivalent is accepted (RFC 9449 §4.3 step 9).
    expect((await rs.verify(await request(token, { proof: { htu: 'HTTPS://API.example:443/accounts' } }))).ok).toBe(true);
  });

  it('refuses a stale or future iat, a wrong ath, and a proof signed by another key than the token is bound to', async () => {
    const { issuer, rs, key, request } = await setup();
    const token = await issuer.token({ cnf: { jkt: key.jkt } });
    const now = Math.floor(Date.now() / 1000);
    expectRefused(await rs.verify(await request(token, { proof: { iat: now - 120 } })), 401, 'invalid_dpop_proof', 'proof_iat');
    expectRefused(await rs.verify(await request(token, { proof: { iat: now + 60 } })), 401, 'invalid_dpop_proof', 'proof_iat');
    expectRefused(await rs.verify(await request(token, { proof: { accessToken: 'another' } })), 401, 'invalid_dpop_proof', 'proof_ath');
    const agentB = await createDpopTestKey();
    expectRefused(await rs.verify(await request(token, { proofKey: agentB })), 401, 'invalid_token', 'key_mismatch');
  });

  it('refuses bad typ, alg none, private jwk, and a broken signature', async () => {
    const { issuer, rs, key, request } = await setup();
    const token = await issuer.token({ cnf: { jkt: key.jkt } });
    expectRefused(await rs.verify(await request(token, { proof: { header: { typ: 'jwt', jwk: key.publicJwk } } })), 401, 'invalid_dpop_proof', 'proof_typ');
    const privateJwk = { ...key.publicJwk, d: 'AAAA' };
    expectRefused(await rs.verify(await request(token, { proof: { header: { typ: 'dpop+jwt', jwk: privateJwk } } })), 401, 'invalid_dpop_proof', 'proof_jwk');
    const good = await request(token);
    const proof = good.headers.get('dpop')!;
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'dpop+jwt', jwk: key.publicJwk })).toString('base64url')}.${proof.split('.')[1]}.`;
    expectRefused(await rs.verify(new Request(good.url, { headers: { authorization: `DPoP ${token}`, dpop: none } })), 401, 'invalid_dpop_proof', 'malformed_proof');
    const forged = `${proof.slice(0, proof.lastIndexOf('.'))}.${Buffer.alloc(64, 1).toString('base64url')}`;
    expectRefused(await rs.verify(new Request(good.url, { headers: { authorization: `DPoP ${token}`, dpop: forged } })), 401, 'invalid_dpop_proof', 'proof_signature');
  });

  it('refuses expired, not-yet-valid, wrong-audience, wrong-issuer, unbound and foreign-signed tokens', async () => {
    const { issuer, rs, key, request } = await setup();
    const now = Math.floor(Date.now() / 1000);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ exp: now - 60 }, 'token_expired'],
      [{ nbf: now + 600 }, 'token_not_yet_valid'],
      [{ aud: 'https://other.example' }, 'token_audience'],
      [{ iss: 'https://evil.example' }, 'token_issuer'],
      [{ cnf: undefined }, 'token_not_bound'],
      [{ client_id: undefined }, 'token_claims'],
    ];
    for (const [claims, reason] of cases) {
      const token = await issuer.token({ cnf: { jkt: key.jkt }, ...claims });
      expectRefused(await rs.verify(await request(token)), 401, 'invalid_token', reason);
    }
    const other = await createTestIssuer(resource, issuer.issuer);
    expectRefused(await rs.verify(await request(await other.token({ cnf: { jkt: key.jkt } }))), 401, 'invalid_token', 'token_signature');
    expectRefused(await rs.verify(await request(await other.token({ cnf: { jkt: key.jkt } }, { kid: 'nope' }))), 401, 'invalid_token', 'token_unknown_key');
    expectRefused(await rs.verify(await request(await issuer.token({ cnf: { jkt: key.jkt } }, { typ: 'JWT' }))), 401, 'invalid_token', 'token_typ');
  });

  it('applies the revocation hook to cached tokens too', async () => {
    const revoked = new Set<string>();
    const { issuer, rs, key, request } = await setup({ isRevoked: (claims) => revoked.has(claims.jti!) });
    const token = await issuer.token({ cnf: { jkt: key.jkt }, jti: 'revoke-me' });
    expect((await rs.verify(await request(token))).ok).toBe(true);
    revoked.add('revoke-me');
    expectRefused(await rs.verify(await request(token)), 401, 'invalid_token', 'token_revoked');
  });

  it('answers insufficient_scope with the scope needed', async () => {
    const { issuer, rs, key, request } = await setup();
    const token = await issuer.token({ cnf: { jkt: key.jkt }, scope: 'accounts:read' });
    const refused = expectRefused(await rs.verify(await request(token), { scope: 'payouts:write' }), 403, 'insufficient_scope', 'insufficient_scope');
    expect(parseChallenge(refused.headers['www-authenticate']).params.scope).toBe('payouts:write');
  });

  it('requires the server nonce when configured, and accepts the nonce of another instance sharing the secret', async () => {
    const { issuer, rs, key, request } = await setup({ nonce: { secret } });
    const token = await issuer.token({ cnf: { jkt: key.jkt } });
    const missing = expectRefused(await rs.verify(await request(token, { proof: { nonce: undefined } })), 401, 'use_dpop_nonce', 'nonce_required');
    expect(missing.headers['dpop-nonce']).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expectRefused(await rs.verify(await request(token, { proof: { nonce: 'A'.repeat(22) } })), 401, 'use_dpop_nonce', 'nonce_required');
    const twin = await createResourceServer({ issuer: issuer.issuer, resource, tokens: { kind: 'jwt', jwks: issuer.jwks }, nonce: { secret } });
    expect((await twin.verify(await request(token, { proof: { nonce: missing.headers['dpop-nonce'] } }))).ok).toBe(true);
  });

  it('refuses a nonce of the right length in characters but not in bytes with use_dpop_nonce, not a 500', async () => {
    const { issuer, rs, key, request } = await setup({ nonce: { secret } });
    const token = await issuer.token({ cnf: { jkt: key.jkt } });
    // 22 UTF-16 units but 44 (or 88) UTF-8 bytes: must not reach a byte comparison of unequal lengths.
    for (const nonce of ['é'.repeat(22), '😀'.repeat(11), 'A'.repeat(21) + '+', 'A'.repeat(21) + '\u0000']) {
      const refused = expectRefused(await rs.verify(await request(token, { proof: { nonce } })), 401, 'use_dpop_nonce', 'nonce_required');
      expect(refused.headers['dpop-nonce']).toBe(rs.nonce());
    }
  });

  it('rotates nonces: the previous window is accepted, an older one is not', async () => {
    let now = 1_000_000_000_000;
    const { issuer, rs, key } = await setup({ nonce: { secret, lifetime: 60 }, now: () => now, proofMaxAge: 1e9 });
    const token = await issuer.token({ cnf: { jkt: key.jkt }, exp: 4_000_000_000 });
    const first = rs.nonce()!;
    const send = async (nonce: string) =>
      rs.verify(new Request(`${resource}/accounts`, {
        headers: { authorization: `DPoP ${token}`, dpop: await buildProof(key, { htm: 'GET', htu: `${resource}/accounts`, accessToken: token, nonce, iat: Math.floor(now / 1000) }) },
      }));
    now += 60_000;
    expect(rs.nonce()).not.toBe(first);
    expect((await send(first)).ok).toBe(true);
    now += 60_000;
    expectRefused(await send(first), 401, 'use_dpop_nonce', 'nonce_required');
  });

  it('binds an action token to the exact tool and arguments, with enough approvers, and spends it once', async () => {
    const { issuer, rs, request, actionClaims } = await setup();
    const action = { tool: 'create_payout', args: payout };
    const verify = async (claims: Record<string, unknown>, requirement: ActionRequirement = action) =>
      rs.verify(await request(await issuer.token(claims), { method: 'POST', path: '/payouts' }), { scope: 'payouts:write', action: requirement });

    // Other arguments, other tool, other resource: refused with the details to ask for.
    const mismatch = expectRefused(await verify(actionClaims({ ...payout, amount: 9999 })), 403, 'insufficient_scope', 'approval_mismatch');
    expect(mismatch.body.authorization_details).toEqual([
      { type: 'agent_action', tool: 'create_payout', args: payout, args_sha256: testArgumentsHash(payout), locations: [resource] },
    ]);
    expect(parseChallenge(mismatch.headers['www-authenticate']).params.scope).toBe('payouts:write');
    expectRefused(await verify(actionClaims(), { tool: 'rotate_signing_key', args: payout }), 403, 'insufficient_scope', 'approval_required');
    const elsewhere = actionClaims();
    (elsewhere.authorization_details[0] as Record<string, unknown>).locations = ['https://other.example'];
    expectRefused(await verify(elsewhere), 403, 'insufficient_scope', 'approval_location');
    // What the approver was shown must be what runs, and carried args must hash to args_sha256.
    const shown = actionClaims();
    (shown.authorization_details[0] as Record<string, unknown>).amount = 25;
    expectRefused(await verify(shown), 403, 'insufficient_scope', 'approval_mismatch');
    const carried = actionClaims();
    (carried.authorization_details[0] as Record<string, unknown>).args = { ...payout, recipient: 'Mallory' };
    expectRefused(await verify(carried), 403, 'insufficient_scope', 'approval_mismatch');
    // Dual control: two distinct approvers, not the same one twice.
    const twice = actionClaims(payout, { approvers: [{ sub: 'alice', approved_at: 1 }, { sub: 'alice', approved_at: 2 }] });
    expectRefused(await verify(twice, { ...action, approvers: 2 }), 403, 'insufficient_scope', 'approvers_insufficient');

    // The exact call, with its args carried: accepted once, then spent.
    const exact = actionClaims();
    (exact.authorization_details[0] as Record<string, unknown>).args = payout;
    const token = await issuer.token(exact);
    const accepted = await rs.verify(await request(token, { method: 'POST', path: '/payouts' }), { scope: 'payouts:write', action });
    expect(accepted.ok && accepted.approvers).toEqual([{ sub: 'alice', approved_at: 1 }]);
    expect(accepted.ok && accepted.action?.tool).toBe('create_payout');
    const again = await rs.verify(await request(token, { method: 'POST', path: '/payouts' }), { scope: 'payouts:write', action });
    expectRefused(again, 401, 'invalid_token', 'action_spent');
  });

  it('fails closed when the replay store fails: 503, nothing accepted', async () => {
    const broken: ReplayStore = { consume: async () => Promise.reject(new Error('redis down')) };
    const { issuer, rs, key, request } = await setup({ replay: broken });
    const refused = expectRefused(await rs.verify(await request(await issuer.token({ cnf: { jkt: key.jkt } }))), 503, 'temporarily_unavailable', 'replay_store_unavailable');
    expect(refused.headers['retry-after']).toBe('5');
  });

  it('refuses duplicate and oversized headers with bounded work', async () => {
    const { issuer, rs, key, request } = await setup();
    const token = await issuer.token({ cnf: { jkt: key.jkt } });
    const good = await request(token);
    const proof = good.headers.get('dpop')!;
    const twoProofs = new Headers({ authorization: `DPoP ${token}` });
    twoProofs.append('dpop', proof);
    twoProofs.append('dpop', proof);
    expectRefused(await rs.verify(new Request(good.url, { headers: twoProofs })), 401, 'invalid_dpop_proof', 'duplicate_proof');
    const twoTokens = new Headers({ dpop: proof });
    twoTokens.append('authorization', `DPoP ${token}`);
    twoTokens.append('authorization', `DPoP ${token}`);
    expectRefused(await rs.verify(new Request(good.url, { headers: twoTokens })), 400, 'invalid_request', 'duplicate_authorization');
    expectRefused(await rs.verify(new Request(good.url, { headers: { authorization: `DPoP ${'a'.repeat(20_000)}`, dpop: proof } })), 401, 'invalid_token', 'malformed_authorization');
    expectRefused(await rs.verify(new Request(good.url, { headers: { authorization: `DPoP ${token}`, dpop: 'x'.repeat(9000) } })), 401, 'invalid_dpop_proof', 'malformed_proof');
    expectRefused(await rs.verify(new Request(good.url, { headers: { authorization: `DPoP ${token}`, dpop: 'not.a.jws!' } })), 401, 'invalid_dpop_proof', 'malformed_proof');
  });

  it('bounds the memory replay store: a full store refuses rather than forgets', async () => {
    let now = 0;
    const store = memoryReplayStore({ maxEntries: 2, now: () => now });
    expect(await store.consume('a', 1000)).toBe(true);
    expect(await store.consume('a', 1000)).toBe(false);
    expect(await store.consume('b', 1000)).toBe(true);
    await expect(store.consume('c', 1000)).rejects.toSatisfy((error) => ReplayStoreError.isInstance(error) && /full/.test(error.message));
    now = 1000;
    expect(await store.consume('c', 1000)).toBe(true);
    expect(await store.consume('a', 1000)).toBe(true);
  });

  it('refuses unusable sizes and nonce secrets with ResourceServerConfigurationError', () => {
    for (const maxEntries of [0, 1.5]) expect(() => memoryReplayStore({ maxEntries })).toThrow(ResourceServerConfigurationError);
    expect(() => createStatelessNonces({ secret: 'short' })).toThrow(new ResourceServerConfigurationError('the DPoP nonce secret must be at least 32 bytes'));
    expect(() => createStatelessNonces({ secret: 'x'.repeat(32), lifetime: 0.5 })).toThrow(ResourceServerConfigurationError);
  });

  it('serves RFC 9728 metadata', async () => {
    const { rs, issuer } = await setup({ scopes: ['accounts:read'] });
    expect(rs.metadata()).toEqual({
      resource,
      authorization_servers: [issuer.issuer],
      bearer_methods_supported: ['header'],
      dpop_signing_alg_values_supported: ['ES256', 'EdDSA'],
      dpop_bound_access_tokens_required: true,
      scopes_supported: ['accounts:read'],
    });
  });
});
