/**
 * The smallest honest DPoP client, as a baseline for `agent.fetch`: one ES256 proof per request,
 * signed with node:crypto (`crypto.sign` on a private `KeyObject`), with a new `jti`, `iat` and
 * `ath` every time and the server's latest nonce, sent with undici `request`. It recovers from one
 * `use_dpop_nonce` refusal and checks that the API accepted the request. Nothing else: no token
 * cache, no clock correction, no typed errors, no WHATWG `Response`.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type { Dispatcher } from 'undici';

/** undici's `request`, from whichever major is measured. */
export type RequestFunction = (url: string, options: { method?: string; headers?: Record<string, string>; body?: string; dispatcher?: unknown }) => Promise<{
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: { text(): Promise<string>; arrayBuffer(): Promise<ArrayBuffer>; dump(): Promise<void> };
}>;

/** One key, one token, one nonce at a time. */
export interface MinimalDpopClient {
  /** `GET url` with `Authorization: DPoP <token>` and a fresh proof; resolves to the body's bytes. */
  get(url: string): Promise<ArrayBuffer>;
  /** A proof for `GET url` (for callers that send it themselves, such as static headers). */
  proof(method: string, url: string): string;
  readonly accessToken: string;
}

const json = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Creates the client and fetches its token from `tokenEndpoint` (a DPoP-bound token, `cnf.jkt` of
 * this client's key).
 */
export async function createMinimalDpopClient(request: RequestFunction, dispatcher: Dispatcher | unknown, tokenEndpoint: string): Promise<MinimalDpopClient> {
  const { privateKey, publicKey }: { privateKey: KeyObject; publicKey: KeyObject } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
  const header = json({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } });
  const signingKey = { key: privateKey, dsaEncoding: 'ieee-p1363' as const };
  let nonce: string | undefined;
  let accessToken: string | undefined;

  function proof(method: string, url: string): string {
    const htu = url.split(/[?#]/, 1)[0];
    const claims: Record<string, unknown> = { jti: randomBytes(16).toString('base64url'), htm: method, htu, iat: Math.floor(Date.now() / 1000) };
    if (accessToken !== undefined) claims.ath = createHash('sha256').update(accessToken).digest('base64url');
    if (nonce !== undefined) claims.nonce = nonce;
    const input = `${header}.${json(claims)}`;
    return `${input}.${sign('sha256', Buffer.from(input), signingKey).toString('base64url')}`;
  }

  function remember(headers: Record<string, string | string[] | undefined>): boolean {
    const next = headers['dpop-nonce'];
    if (typeof next !== 'string' || next === nonce) return false;
    nonce = next;
    return true;
  }

  const tokenResponse = await request(tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: proof('POST', tokenEndpoint) },
    body: 'grant_type=client_credentials',
    dispatcher,
  });
  if (tokenResponse.statusCode !== 200) throw new Error(`token request refused: ${tokenResponse.statusCode}`);
  const token = (JSON.parse(await tokenResponse.body.text()) as { access_token: string }).access_token;
  accessToken = token;

  return {
    accessToken: token,
    proof,
    async get(url) {
      for (let attempt = 0; ; attempt++) {
        const response = await request(url, { headers: { authorization: `DPoP ${token}`, dpop: proof('GET', url) }, dispatcher });
        const renewed = remember(response.headers);
        if (response.statusCode === 200) return response.body.arrayBuffer();
        await response.body.dump();
        // One retry, for a use_dpop_nonce refusal that brought a new nonce.
        if (!(response.statusCode === 401 && renewed && attempt === 0)) throw new Error(`the API refused the request: ${response.statusCode}`);
      }
    },
  };
}
