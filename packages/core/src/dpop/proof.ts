import { sha256 } from '@noble/hashes/sha2.js';
import { canonicalMethod } from '../lib/http-method.js';
import { createCompactJwsSigner } from '../jws.js';
import { DpopProofError } from './dpop-proof-error.js';
import { base64url } from '../lib/base64url.js';
import { randomId } from '../lib/random.js';
import type { PublicJwk, Signer } from '../keys/signer.js';
import { jwkThumbprint } from '../keys/thumbprint.js';

/** Inputs of one DPoP proof. */
export interface DpopProofInput {
  /**
   * HTTP method of the request (`htm`), as it goes on the wire. The six methods fetch normalizes
   * (`delete`, `get`, `head`, `options`, `post`, `put`) and `patch` are upper-cased; any other
   * method is used as given, since HTTP methods are case-sensitive.
   */
  method: string;
  /** Target URL of the request (`http:` or `https:`); query and fragment are dropped for `htu`. */
  url: string | URL;
  /** Server-provided nonce for the target origin, when one is known. */
  nonce?: string | undefined;
  /** The access token sent with the request; its hash becomes `ath`. */
  accessToken?: string | undefined;
  /** The time of the proof in seconds since the epoch (default: the prover's clock). */
  now?: number | undefined;
  /**
   * Seconds to add to that time to match the server's clock (the server's time minus ours), for a
   * server whose clock is known to differ. Default 0.
   */
  clockOffset?: number | undefined;
}

/** Creates DPoP proofs with one key. */
export interface DpopProver {
  /** The RFC 7638 thumbprint of the DPoP public key (`jkt`, the token's `cnf.jkt`). */
  readonly thumbprint: string;
  /** The DPoP signing key's algorithm. */
  readonly alg: Signer['alg'];
  /** The public key every proof carries in its `jwk` header (public members only). */
  readonly publicJwk: Readonly<PublicJwk>;
  /** Builds a fresh proof with a new `jti`; synchronous when the signer is. */
  proof(input: DpopProofInput): string | Promise<string>;
}

/** Options of {@link createDpopProver}. */
export interface DpopProverOptions {
  /** Clock in seconds since the epoch (default: `Date.now() / 1000`). */
  clock?: (() => number) | undefined;
}

const methodToken = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** `nonce = 1*NQCHAR`, NQCHAR = %x21 / %x23-5B / %x5D-7E (RFC 9449 section 8.1). */
const nonceSyntax = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const htuCacheSize = 256;
const athCacheSize = 8;

/**
 * Creates a DPoP prover around a signer. Every proof has `typ: dpop+jwt`, the signer's `alg`, the
 * public `jwk` only, a 128-bit random `jti`, `htm`, `htu` without query or fragment, `iat`, and
 * `ath` and `nonce` when given.
 *
 * Built for the request hot path: the header is encoded once, the `htu` of recently used URLs and
 * the `ath` of recently used tokens are remembered, and `jti` bytes come from a pooled CSPRNG, so
 * a proof costs little more than the signature itself.
 *
 * @example
 * ```ts
 * const dpop = createDpopProver(await generateKey({ alg: 'ES256' }));
 * const proof = dpop.proof({ method: 'GET', url: 'https://api.example/accounts', accessToken, nonce });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4.2
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4.3 (what the server checks)
 */
export function createDpopProver(signer: Signer, options: DpopProverOptions = {}): DpopProver {
  const { kty, crv, x, y } = signer.publicJwk;
  // Only the public members: a custom signer's publicJwk might carry more (even a private `d`).
  const publicJwk: PublicJwk = Object.freeze(y === undefined ? { kty, crv, x } : { kty, crv, x, y });
  const jws = createCompactJwsSigner(signer, { typ: 'dpop+jwt', jwk: publicJwk });
  const clock = options.clock ?? (() => Date.now() / 1000);
  // Recently used URLs and tokens: htu (already as JSON text) by URL, ath by token.
  const targetUris = new Map<string, string>();
  const tokenHashes = new Map<string, string>();

  function htuJsonOf(url: string | URL): string {
    if (typeof url !== 'string') return JSON.stringify(targetUri(url));
    let htuJson = targetUris.get(url);
    if (htuJson === undefined) {
      htuJson = JSON.stringify(targetUri(url));
      if (targetUris.size >= htuCacheSize) targetUris.delete(targetUris.keys().next().value!);
      targetUris.set(url, htuJson);
    }
    return htuJson;
  }

  function athOf(accessToken: string): string {
    let ath = tokenHashes.get(accessToken);
    if (ath === undefined) {
      if (typeof accessToken !== 'string' || accessToken.length === 0) throw new DpopProofError('accessToken must be a non-empty string');
      ath = accessTokenHash(accessToken);
      if (tokenHashes.size >= athCacheSize) tokenHashes.delete(tokenHashes.keys().next().value!);
      tokenHashes.set(accessToken, ath);
    }
    return ath;
  }

  return Object.freeze({
    thumbprint: jwkThumbprint(publicJwk),
    alg: signer.alg,
    publicJwk,
    proof({ method, url, nonce, accessToken, now, clockOffset }: DpopProofInput) {
      const iat = Math.floor((now ?? clock()) + (clockOffset ?? 0));
      if (!Number.isSafeInteger(iat)) throw new DpopProofError('the proof time must be a finite number of seconds');
      // Built as text: every value is either base64url, an HTTP token, an integer, or JSON-escaped.
      let json = `{"jti":"${randomId()}","htm":"${httpMethod(method)}","htu":${htuJsonOf(url)},"iat":${iat}`;
      if (accessToken !== undefined) json += `,"ath":"${athOf(accessToken)}"`;
      if (nonce !== undefined) json += `,"nonce":${nonceJson(nonce)}`;
      return jws.signJson(`${json}}`);
    },
  });
}

/**
 * The `htu` of a request: its URL without query and fragment (scheme and host lower-cased and a
 * default port dropped, as URL parsing does). Only `http:` and `https:` URLs are accepted.
 *
 * @example
 * ```ts
 * targetUri('https://API.example:443/v1/accounts?page=2#top'); // 'https://api.example/v1/accounts'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4.2
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-7.1
 */
export function targetUri(url: string | URL): string {
  if (typeof url === 'string' && !URL.canParse(url)) throw new DpopProofError('a DPoP target URI must be an absolute URL');
  const parsed = typeof url === 'string' ? new URL(url) : url;
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new DpopProofError('a DPoP target URI must be http: or https:');
  return `${parsed.origin}${parsed.pathname}`;
}

/**
 * The `ath` claim for an access token: base64url(SHA-256(ASCII token)).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4.2
 */
export function accessTokenHash(accessToken: string): string {
  return base64url(sha256(new TextEncoder().encode(accessToken)));
}

/** A nonce as JSON text: as is when it has the RFC 9449 nonce syntax (no quote or backslash). */
function nonceJson(nonce: string): string {
  if (typeof nonce !== 'string') throw new DpopProofError('nonce must be a string');
  return nonceSyntax.test(nonce) ? `"${nonce}"` : JSON.stringify(nonce);
}

function httpMethod(method: string): string {
  if (typeof method !== 'string' || !methodToken.test(method)) throw new DpopProofError('method must be an HTTP method token');
  return canonicalMethod(method);
}
