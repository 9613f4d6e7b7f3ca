import { describe, expect, it } from 'vitest';
import { createDpopSender, type FetchLike } from './dpop-sender.js';

function payload(proof: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(proof.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
}

/** A fetch answering from `answers` in turn (the last one repeats), keeping what was sent. */
function scripted(answers: (() => Response)[]) {
  const sent: { url: string; headers: Headers }[] = [];
  const fetch: FetchLike = async (input, init) => {
    sent.push({ url: String(input), headers: new Headers(init?.headers) });
    return answers[Math.min(sent.length - 1, answers.length - 1)]!();
  };
  return { fetch, sent };
}

const url = new URL('https://mcp.example/mcp?session=1');
const token = 'mcp-access-token-0123456789';

describe('createDpopSender (core DpopExchange over a fetch)', () => {
  it('answers a resource server nonce challenge once, with a fresh proof carrying the nonce and ath', async () => {
    const { fetch, sent } = scripted([
      () => new Response(null, { status: 401, headers: { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': 'rs-1' } }),
      () => new Response('ok'),
    ]);
    const response = await createDpopSender({ fetch }).send(url, () => ({ method: 'POST', body: '{}' }), token);
    expect(response.status).toBe(200);
    expect(sent).toHaveLength(2);
    const [first, second] = sent.map((request) => payload(request.headers.get('dpop')!));
    expect(first!.nonce).toBeUndefined();
    expect(second!.nonce).toBe('rs-1');
    expect(second!.jti).not.toBe(first!.jti);
    expect(second!.htu).toBe('https://mcp.example/mcp');
    expect(typeof second!.ath).toBe('string');
    expect(sent[1]!.headers.get('authorization')).toBe(`DPoP ${token}`);
  });

  it('answers an authorization server 400 use_dpop_nonce once, building the request again', async () => {
    const { fetch, sent } = scripted([
      () => Response.json({ error: 'use_dpop_nonce' }, { status: 400, headers: { 'dpop-nonce': 'as-1' } }),
      () => Response.json({ error: 'use_dpop_nonce' }, { status: 400, headers: { 'dpop-nonce': 'as-2' } }),
    ]);
    let built = 0;
    const response = await createDpopSender({ fetch }).send(new URL('https://as.example/token'), () => {
      built++;
      return { method: 'POST', body: 'grant_type=client_credentials' };
    });
    // The second refusal stands: no loop.
    expect(response.status).toBe(400);
    expect(sent).toHaveLength(2);
    expect(built).toBe(2);
    expect(payload(sent[1]!.headers.get('dpop')!).nonce).toBe('as-1');
    expect(sent[1]!.headers.get('authorization')).toBeNull();
  });

  it('sends a proof refused for its time once more with the clock corrected from Date', async () => {
    const serverTime = Date.now() + 120_000;
    const { fetch, sent } = scripted([
      () =>
        new Response(null, {
          status: 401,
          headers: { 'www-authenticate': 'DPoP error="invalid_dpop_proof", error_description="iat too far in the past"', date: new Date(serverTime).toUTCString() },
        }),
      () => new Response('ok'),
    ]);
    const response = await createDpopSender({ fetch }).send(url, () => ({ method: 'GET' }), token);
    expect(response.status).toBe(200);
    const iat = payload(sent[1]!.headers.get('dpop')!).iat as number;
    expect(Math.abs(iat - serverTime / 1000)).toBeLessThan(5);
  });

  it('hands any other refusal on as it is, sent once', async () => {
    const { fetch, sent } = scripted([() => new Response(null, { status: 401, headers: { 'www-authenticate': 'DPoP error="invalid_token"' } })]);
    const response = await createDpopSender({ fetch }).send(url, () => ({ method: 'GET' }), token);
    expect(response.status).toBe(401);
    expect(sent).toHaveLength(1);
  });
});
