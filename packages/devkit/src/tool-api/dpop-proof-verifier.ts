import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import type { DpopNonceIssuer } from './dpop-nonces.js';
import type { ExpiringSet } from './expiring-set.js';
import { invalidDpopProof, ToolApiError } from './tool-api-error.js';

/** DPoP proof algorithms the tool API accepts (asymmetric only; never `none` or HMAC). */
export type DpopAlgorithm = 'ES256' | 'EdDSA';

/** One request to check a proof against. */
export interface DpopProofRequest {
  /** The single `DPoP` header value. */
  proof: string;
  /** HTTP method of the request. */
  method: string;
  /** The request's target URI as this server is reached (query and fragment are ignored). */
  url: URL;
  /** The access token sent in `Authorization: DPoP`, for `ath`. */
  accessToken: string;
}

/** What a valid proof establishes. */
export interface VerifiedDpopProof {
  /** RFC 7638 thumbprint of the proof's public key, to compare with the token's `cnf.jkt`. */
  jkt: string;
  /** The proof's `jti`. */
  jti: string;
  /**
   * Records the `jti` as used, refusing a replay. Called once the access token is verified and bound
   * to this key, so unauthenticated requests cannot fill the replay cache.
   */
  spend(): void;
}

/** Options of {@link createDpopProofVerifier}. */
export interface DpopProofVerifierOptions {
  /** The server's nonces; a proof without an accepted nonce is answered `use_dpop_nonce`. */
  nonces: DpopNonceIssuer;
  /** Where proof `jti`s are remembered for as long as their `iat` is acceptable. */
  seenProofs: ExpiringSet;
  /** Accepted `alg` values (default ES256 and EdDSA). */
  algorithms?: readonly DpopAlgorithm[];
  /** Oldest acceptable proof, seconds before now (default 60). */
  maxAge?: number;
  /** Allowed clock skew into the future, seconds (default 5). */
  futureSkew?: number;
  /** Clock in seconds since the epoch (default `Date.now() / 1000`). */
  clock?: () => number;
}

/** Checks DPoP proofs. */
export interface DpopProofVerifier {
  /** The accepted algorithms, for the challenge's `algs`. */
  readonly algorithms: readonly DpopAlgorithm[];
  /** Verifies one proof; throws a 401 {@link ToolApiError} (`invalid_dpop_proof` or `use_dpop_nonce`). */
  verify(request: DpopProofRequest): Promise<VerifiedDpopProof>;
}

const compactJws = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const curveOf: Record<DpopAlgorithm, { kty: string; crv: string }> = {
  ES256: { kty: 'EC', crv: 'P-256' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
};

/**
 * Creates a verifier that runs every check of RFC 9449 §4.3 on a DPoP proof: a compact JWS;
 * `typ` `dpop+jwt`; an allowed asymmetric `alg`; a public `jwk` only (no private members) of the
 * curve that `alg` names; a valid signature; `htm` and `htu` of this request (scheme, host, port
 * and path; an `htu` with a query or fragment is refused); `iat` within the window; `ath` equal to
 * the access token's hash; a server nonce; and a `jti` never seen before.
 *
 * @example
 * ```ts
 * const verifier = createDpopProofVerifier({ nonces, seenProofs: createExpiringSet() });
 * const { jkt } = await verifier.verify({ proof, method: 'GET', url, accessToken });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4.3
 */
export function createDpopProofVerifier(options: DpopProofVerifierOptions): DpopProofVerifier {
  const algorithms = options.algorithms ?? (['ES256', 'EdDSA'] as const);
  const maxAge = options.maxAge ?? 60;
  const futureSkew = options.futureSkew ?? 5;
  const clock = options.clock ?? (() => Date.now() / 1000);

  async function verify(request: DpopProofRequest): Promise<VerifiedDpopProof> {
    const { proof } = request;
    if (proof.length > 8192 || !compactJws.test(proof)) throw invalidDpopProof('DPoP proof is not a compact JWS');

    let header: Record<string, unknown>;
    try {
      header = decodeProtectedHeader(proof) as Record<string, unknown>;
    } catch (error) {
      throw invalidDpopProof('DPoP proof header is not valid JSON', error);
    }
    if (typeof header.typ !== 'string' || normalizedType(header.typ) !== 'dpop+jwt') {
      throw invalidDpopProof('DPoP proof typ must be dpop+jwt');
    }
    const alg = header.alg;
    if (typeof alg !== 'string' || !(algorithms as readonly string[]).includes(alg)) {
      throw invalidDpopProof(`DPoP proof alg must be one of ${algorithms.join(', ')}`);
    }
    const jwk = publicJwkOf(header.jwk, alg as DpopAlgorithm);

    let payload: Record<string, unknown>;
    try {
      const key = await importJWK(jwk, alg);
      const verified = await compactVerify(proof, key, { algorithms: [alg] });
      payload = JSON.parse(Buffer.from(verified.payload).toString('utf8')) as Record<string, unknown>;
    } catch (error) {
      throw invalidDpopProof('DPoP proof signature is invalid', error);
    }
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
      throw invalidDpopProof('DPoP proof payload is not a JSON object');
    }

    const { jti, htm, htu, iat, ath, nonce } = payload;
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) throw invalidDpopProof('DPoP proof jti is missing or invalid');
    if (htm !== request.method) throw invalidDpopProof('DPoP proof htm does not match the request method');
    if (typeof htu !== 'string' || !sameTargetUri(htu, request.url)) throw invalidDpopProof('DPoP proof htu does not match the request URI');
    if (typeof ath !== 'string' || ath !== accessTokenHash(request.accessToken)) {
      throw invalidDpopProof('DPoP proof ath does not match the access token');
    }
    if (typeof nonce !== 'string' || !options.nonces.accepts(nonce)) {
      throw new ToolApiError(401, 'use_dpop_nonce', 'Resource server requires nonce in DPoP proof');
    }
    const now = clock();
    if (typeof iat !== 'number' || !Number.isFinite(iat)) throw invalidDpopProof('DPoP proof iat is missing');
    if (iat < now - maxAge || iat > now + futureSkew) throw invalidDpopProof('DPoP proof iat is outside the acceptable window');
    if (options.seenProofs.has(jti)) throw invalidDpopProof('DPoP proof jti was already used');

    return {
      jkt: await calculateJwkThumbprint(jwk, 'sha256'),
      jti,
      spend() {
        // Remembered for as long as the iat stays acceptable: after that the iat check refuses it anyway.
        if (!options.seenProofs.add(jti, iat + maxAge + futureSkew + 1)) throw invalidDpopProof('DPoP proof jti was already used');
      },
    };
  }

  return { algorithms, verify };
}

/**
 * The `ath` of an access token: base64url(SHA-256(ASCII token)).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4.2
 */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

function publicJwkOf(value: unknown, alg: DpopAlgorithm): JWK {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidDpopProof('DPoP proof jwk header is missing');
  const jwk = value as Record<string, unknown>;
  if (privateMembers.some((member) => member in jwk)) throw invalidDpopProof('DPoP proof jwk must not contain private key material');
  const expected = curveOf[alg];
  if (jwk.kty !== expected.kty || jwk.crv !== expected.crv) throw invalidDpopProof(`DPoP proof jwk must be a ${expected.crv} key for ${alg}`);
  if (typeof jwk.x !== 'string' || (alg === 'ES256' && typeof jwk.y !== 'string')) throw invalidDpopProof('DPoP proof jwk is incomplete');
  return alg === 'ES256'
    ? { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y as string }
    : { kty: 'OKP', crv: 'Ed25519', x: jwk.x };
}

function normalizedType(typ: string): string {
  // RFC 7515 §4.1.9: "application/" may be omitted, and media types compare case-insensitively.
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

function sameTargetUri(htu: string, target: URL): boolean {
  if (htu.includes('?') || htu.includes('#')) return false;
  let claimed: URL;
  try {
    claimed = new URL(htu);
  } catch {
    return false;
  }
  // The URL parser applies RFC 3986 §6 syntax- and scheme-based normalization (case, default port, dot segments).
  return claimed.protocol === target.protocol && claimed.host === target.host && claimed.pathname === target.pathname;
}
