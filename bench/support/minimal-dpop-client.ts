/**
 * The smallest honest DPoP client, as a baseline for `agent.fetch`: one ES256 proof per request,
 * signed with node:crypto (`crypto.sign` on a private `KeyObject`), with a new `jti`, `iat` and
 * `ath` every time and the server's latest nonce, sent with undici `request`. It recovers from one
 * `use_dpop_nonce` refusal and checks that the API accepted the request. Nothing else: no token
 * cache, no clock correction, no typed errors, no WHATWG `Response`.
 *
 * With `webCrypto: true` the key is a non-extractable WebCrypto `CryptoKey` and each proof is
 * signed with `crypto.subtle.sign` (asynchronous, on the libuv thread pool) instead.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, webcrypto, type KeyObject } from 'node:crypto';
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
  proof(method: string, url: string): string | Promise<string>;
  readonly accessToken: string;
}

const json = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Creates the client and fetches its token from `tokenEndpoint` (a DPoP-bound token, `cnf.jkt` of
 * this client's key).
 */
export async function createMinimalDpopClient(
  request: RequestFunction,
  dispatcher: Dispatcher | unknown,
  tokenEndpoint: string,
  options: { webCrypto?: boolean } = {},
): Promise<MinimalDpopClient> {
  const { signInput, jwk } = options.webCrypto ? await webCryptoKey() : nodeKey();
  const header = json({ typ: 'dpop+jwt', alg: 'ES256', jwk });
  let nonce: string | undefined;
  let accessToken: string | undefined;

  function proof(method: string, url: string): string | Promise<string> {
    const htu = url.split(/[?#]/, 1)[0];
    const claims: Record<string, unknown> = { jti: randomBytes(16).toString('base64url'), htm: method, htu, iat: Math.floor(Date.now() / 1000) };
    if (accessToken !== undefined) claims.ath = createHash('sha256').update(accessToken).digest('base64url');
    if (nonce !== undefined) claims.nonce = nonce;
    const input = `${header}.${json(claims)}`;
    const signature = signInput(Buffer.from(input));
    return typeof signature === 'string' ? `${input}.${signature}` : signature.then((value) => `${input}.${value}`);
  }

  function remember(headers: Record<string, string | string[] | undefined>): boolean {
    const next = headers['dpop-nonce'];
    if (typeof next !== 'string' || next === nonce) return false;
    nonce = next;
    return true;
  }

  const tokenResponse = await request(tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: await proof('POST', tokenEndpoint) },
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
        const signed = proof('GET', url);
        const dpop = typeof signed === 'string' ? signed : await signed;
        const response = await request(url, { headers: { authorization: `DPoP ${token}`, dpop }, dispatcher });
        const renewed = remember(response.headers);
        if (response.statusCode === 200) return response.body.arrayBuffer();
        await response.body.dump();
        // One retry, for a use_dpop_nonce refusal that brought a new nonce.
        if (!(response.statusCode === 401 && renewed && attempt === 0)) throw new Error(`the API refused the request: ${response.statusCode}`);
      }
    },
  };
}

interface MinimalKey {
  jwk: { kty?: string; crv?: string; x?: string; y?: string };
  /** The base64url ES256 signature (r || s) of `input`. */
  signInput(input: Buffer): string | Promise<string>;
}

function nodeKey(): MinimalKey {
  const { privateKey, publicKey }: { privateKey: KeyObject; publicKey: KeyObject } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
  const signingKey = { key: privateKey, dsaEncoding: 'ieee-p1363' as const };
  return { jwk: { kty, crv, x, y }, signInput: (input) => sign('sha256', input, signingKey).toString('base64url') };
}

async function webCryptoKey(): Promise<MinimalKey> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256' };
  // The private key cannot be exported: only the public half leaves WebCrypto.
  const pair = (await webcrypto.subtle.generateKey(algorithm, false, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const { kty, crv, x, y } = await webcrypto.subtle.exportKey('jwk', pair.publicKey);
  return {
    jwk: { kty, crv, x, y },
    signInput: async (input) => Buffer.from(await webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, input)).toString('base64url'),
  };
}
