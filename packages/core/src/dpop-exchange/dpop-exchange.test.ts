import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DpopNonceCache } from '../dpop/nonce-cache.js';
import { createPresignedProofs } from '../dpop/presigned-proofs.js';
import { createDpopProver } from '../dpop/proof.js';
import { InsufficientScopeError, OAuthError, ResourceChallengeError } from '../errors.js';
import { createNodeSigner } from '../keys/node-signer.js';
import { createSkewClock, maxAuthorizationServerCorrectionMs, maxClockCorrectionMs } from '../lib/clock-skew.js';
import { DpopExchange, type DpopExchangeRequest, type HeaderReader } from './dpop-exchange.js';

const origin = 'https://api.example';
const token = 'secret-access-token-0123456789';
const now = Date.UTC(2026, 11, 6, 5, 0, 0);

function headers(values: Record<string, string>): HeaderReader {
  return { get: (name) => values[name] };
}

function payload(proof: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(proof.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
}

function setUp(request: Partial<DpopExchangeRequest> = {}, options: { presign?: boolean; maxCorrectionMs?: number } = {}) {
  const dpop = createDpopProver(createNodeSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey));
  const nonces = new DpopNonceCache();
  const clock = createSkewClock(() => now, { maxCorrectionMs: options.maxCorrectionMs });
  const presigned = options.presign ? createPresignedProofs(dpop, { clock: () => now / 1000 }) : undefined;
  const exchange = new DpopExchange(
    { dpop, nonces, presigned },
    { method: 'GET', htu: `${origin}/accounts`, origin, clock, tokenRetryAllowed: true, ...request },
  );
  return { exchange, nonces, clock, presigned };
}

/** An HTTP date `ms` milliseconds from `now`. */
const dateAt = (ms: number) => new Date(now + ms).toUTCString();

describe('DpopExchange at a resource server (RFC 9449 §9)', () => {
  it('hands an answer that states no challenge on, remembering its nonce', async () => {
    const { exchange, nonces } = setUp();
    await exchange.proof(token);
    expect(exchange.readResourceResponse(200, headers({ 'dpop-nonce': 'n-1' }), token)).toBeUndefined();
    expect(exchange.readResourceResponse(401, headers({ 'www-authenticate': 'Bearer realm="api"' }), token)).toBeUndefined();
    expect(nonces.get(origin)).toBe('n-1');
  });

  it('answers use_dpop_nonce once with the new nonce, then lets the second one stand', async () => {
    const { exchange } = setUp();
    await exchange.proof(token);
    const challenge = headers({ 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': 'n-1' });
    expect(exchange.readResourceResponse(401, challenge, token)?.recovery).toBe('nonce');
    expect(exchange.firstAttempt).toBe(false);
    const retry = (await exchange.proof(token)) as string;
    expect(payload(retry).nonce).toBe('n-1');
    const second = exchange.readResourceResponse(401, headers({ 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': 'n-2' }), token);
    expect(second?.recovery).toBeUndefined();
    expect(second?.error).toBeInstanceOf(ResourceChallengeError);
    expect(second?.error.error).toBe('use_dpop_nonce');
  });

  it('does not retry use_dpop_nonce without a DPoP-Nonce header', async () => {
    const { exchange } = setUp();
    await exchange.proof(token);
    expect(exchange.readResourceResponse(401, headers({ 'www-authenticate': 'DPoP error="use_dpop_nonce"' }), token)?.recovery).toBeUndefined();
  });

  it('corrects the clock once for a proof refused for its time, within the cap', async () => {
    const { exchange, clock } = setUp();
    await exchange.proof(token);
    const refusal = headers({ 'www-authenticate': 'DPoP error="invalid_dpop_proof", error_description="iat too old"', date: dateAt(120_000) });
    expect(exchange.readResourceResponse(401, refusal, token)?.recovery).toBe('clock');
    expect(clock.offsetMs).toBe(120_500);
    const retry = (await exchange.proof(token)) as string;
    expect(payload(retry).iat).toBe(Math.floor((now + 120_500) / 1000));
    // The same refusal again: the clock was corrected once already.
    const again = headers({ 'www-authenticate': 'DPoP error="invalid_dpop_proof", error_description="iat too old"', date: dateAt(240_000) });
    expect(exchange.readResourceResponse(401, again, token)?.recovery).toBeUndefined();
    expect(clock.offsetMs).toBe(120_500);
  });

  it('refuses a correction beyond the cap, and one the skew does not explain', async () => {
    const far = setUp();
    await far.exchange.proof(token);
    const beyond = headers({ 'www-authenticate': 'DPoP error="invalid_dpop_proof", error_description="iat in the future"', date: dateAt(maxClockCorrectionMs + 60_000) });
    expect(far.exchange.readResourceResponse(401, beyond, token)?.recovery).toBeUndefined();
    expect(far.clock.offsetMs).toBe(0);
    const near = setUp();
    await near.exchange.proof(token);
    const unexplained = headers({ 'www-authenticate': 'DPoP error="invalid_dpop_proof", error_description="bad signature"', date: dateAt(0) });
    expect(near.exchange.readResourceResponse(401, unexplained, token)?.recovery).toBeUndefined();
  });

  it('asks for a new token once after invalid_token, and never for a caller’s own token', async () => {
    const { exchange } = setUp();
    await exchange.proof(token);
    const refused = headers({ 'www-authenticate': 'DPoP error="invalid_token"' });
    expect(exchange.readResourceResponse(401, refused, token)?.recovery).toBe('token');
    await exchange.proof('another-token');
    expect(exchange.readResourceResponse(401, refused, 'another-token')?.recovery).toBeUndefined();
    const own = setUp({ tokenRetryAllowed: false });
    await own.exchange.proof(token);
    expect(own.exchange.readResourceResponse(401, refused, token)?.recovery).toBeUndefined();
  });

  it('recovers each way once, so a request is sent at most four times whatever the server says', async () => {
    const { exchange } = setUp();
    const answers = [
      headers({ 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': 'n-1' }),
      headers({ 'www-authenticate': 'DPoP error="invalid_dpop_proof", error_description="iat"', date: dateAt(60_000) }),
      headers({ 'www-authenticate': 'DPoP error="invalid_token"' }),
    ];
    let sent = 0;
    for (;;) {
      await exchange.proof(token);
      sent++;
      const refusal = exchange.readResourceResponse(401, answers[(sent - 1) % answers.length]!, token);
      if (refusal?.recovery === undefined) break;
      if (sent > 10) throw new Error('the exchange loops');
    }
    expect(sent).toBe(4);
  });

  it('allows no recovery for a body that cannot be sent again', async () => {
    const { exchange } = setUp({ replayable: false });
    await exchange.proof(token);
    const refusal = exchange.readResourceResponse(401, headers({ 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': 'n-1' }), token);
    expect(refusal?.recovery).toBeUndefined();
    expect(refusal?.error.error).toBe('use_dpop_nonce');
  });

  it('maps insufficient_scope to its class and prefers the DPoP challenge to Bearer', async () => {
    const { exchange } = setUp();
    await exchange.proof(token);
    const refusal = exchange.readResourceResponse(
      403,
      headers({ 'www-authenticate': 'Bearer error="invalid_token", DPoP error="insufficient_scope", scope="accounts:write"' }),
      token,
    );
    expect(refusal?.error).toBeInstanceOf(InsufficientScopeError);
    expect(refusal?.error.scope).toBe('accounts:write');
    expect(refusal?.recovery).toBeUndefined();
  });

  it('puts neither the token nor the proof in the error, whatever the server echoes', async () => {
    const { exchange } = setUp();
    const proof = (await exchange.proof(token)) as string;
    const refusal = exchange.readResourceResponse(
      401,
      headers({ 'www-authenticate': `DPoP error="invalid_request", error_description="bad token ${token} and proof ${proof}"` }),
      token,
    );
    const error = refusal!.error;
    const shown = `${error.message} ${JSON.stringify(error.parameters)} ${String(error.errorDescription)} ${String(error.cause)}`;
    expect(shown).not.toContain(token);
    expect(shown).not.toContain(proof);
    expect(shown).not.toContain(proof.split('.')[2]!);
  });

  it('drops the proofs signed ahead on a refusal and signs the next one only on a first attempt', async () => {
    const { exchange, presigned } = setUp({}, { presign: true });
    // Two requests close together teach the presigner that this URL repeats.
    await exchange.proof(token);
    await exchange.proof(token);
    exchange.presignNext(token);
    await new Promise((resolve) => setImmediate(resolve));
    expect(presigned!.size).toBe(1);
    exchange.readResourceResponse(401, headers({ 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': 'n-1' }), token);
    expect(presigned!.size).toBe(0);
    exchange.presignNext(token);
    await new Promise((resolve) => setImmediate(resolve));
    expect(presigned!.size).toBe(0);
  });
});

describe('DpopExchange at an authorization server (RFC 9449 §8)', () => {
  const asRequest = (clockOffsetMs = 0) => {
    const set = setUp(
      { method: 'POST', htu: `${origin}/token`, tokenRetryAllowed: false },
      { maxCorrectionMs: maxAuthorizationServerCorrectionMs },
    );
    if (clockOffsetMs) set.clock.correct(dateAt(clockOffsetMs));
    return set;
  };

  it('answers use_dpop_nonce once, and only for a request that carried a proof', async () => {
    const { exchange } = asRequest();
    await exchange.proof();
    const error = new OAuthError('use_dpop_nonce', 'nonce required', 400);
    expect(exchange.readAuthorizationServerError(error, 'n-1', undefined)).toBe('nonce');
    expect(exchange.readAuthorizationServerError(error, 'n-2', undefined)).toBeUndefined();
    const assertionOnly = asRequest();
    assertionOnly.exchange.begin();
    expect(assertionOnly.exchange.readAuthorizationServerError(error, 'n-1', undefined)).toBeUndefined();
  });

  it('corrects the clock with the nonce when the nonce refusal also blames the time', async () => {
    const { exchange, clock } = asRequest();
    await exchange.proof();
    const error = new OAuthError('use_dpop_nonce', 'DPoP proof iat is not recent enough', 400);
    expect(exchange.readAuthorizationServerError(error, 'n-1', dateAt(30_000))).toBe('nonce');
    expect(clock.offsetMs).toBe(30_500);
    // The clock was corrected once already: a later time refusal stands.
    expect(exchange.readAuthorizationServerError(new OAuthError('invalid_dpop_proof', 'iat too old', 400), undefined, dateAt(90_000))).toBeUndefined();
  });

  it('corrects the clock once for invalid_client with a large skew, never asks for a token', async () => {
    const { exchange, clock } = asRequest();
    const begun = exchange.begin();
    expect(begun).toBe(now / 1000);
    const error = new OAuthError('invalid_client', 'client authentication failed', 401);
    expect(exchange.readAuthorizationServerError(error, undefined, dateAt(-600_000))).toBe('clock');
    expect(clock.offsetMs).toBe(-599_500);
    expect(exchange.begin()).toBe((now - 599_500) / 1000);
    expect(exchange.readAuthorizationServerError(error, undefined, dateAt(-1_200_000))).toBeUndefined();
    expect(exchange.readAuthorizationServerError(new OAuthError('invalid_token', undefined, 401), undefined, undefined)).toBeUndefined();
  });

  it('judges the skew against the offset the refused request was signed with', async () => {
    const { exchange, clock } = asRequest(10_000);
    expect(clock.offsetMs).toBe(10_500);
    await exchange.proof();
    // The server's Date matches the corrected clock: the refusal is not about time.
    expect(exchange.readAuthorizationServerError(new OAuthError('invalid_dpop_proof', 'iat', 400), undefined, dateAt(10_000))).toBeUndefined();
    // Measured against the uncorrected clock the same Date would have earned a correction.
    const uncorrected = asRequest();
    await uncorrected.exchange.proof();
    expect(uncorrected.exchange.readAuthorizationServerError(new OAuthError('invalid_dpop_proof', 'iat', 400), undefined, dateAt(10_000))).toBe('clock');
  });
});
