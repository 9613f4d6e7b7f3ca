import { BoundedMap } from '../lib/bounded-map.js';
import {
  decodeJsonObject,
  hasPrivateMembers,
  importPublicJwk,
  keyFitsAlgorithm,
  keyNameFor,
  splitCompactJws,
  verifySignature,
  type VerifiableAlgorithm,
  type VerificationKey,
} from '../lib/jws-signature.js';
import { refuse } from '../refusal.js';
import type { DpopNonces } from './stateless-nonces.js';

/** One request to check a proof against. */
export interface ProofCheck {
  /** The single `DPoP` header value. */
  proof: string;
  /** The request's method. */
  method: string;
  /** The request's target URI without query or fragment: `scheme://host[:port]/path`. */
  target: string;
  /** base64url SHA-256 of the presented access token, for `ath`. */
  ath: string;
}

/** What a valid proof establishes; its `jti` is not yet recorded (see {@link ProofVerifier}). */
export interface CheckedProof {
  /** RFC 7638 thumbprint of the proof's key. */
  jkt: string;
  jti: string;
  /** Seconds since the epoch. */
  iat: number;
}

/** Options of {@link createProofVerifier}. */
export interface ProofVerifierOptions {
  algorithms: readonly VerifiableAlgorithm[];
  /** Oldest acceptable `iat`, seconds. */
  maxAge: number;
  /** Tolerated clock skew into the future, seconds. */
  clockTolerance: number;
  nonces: DpopNonces | undefined;
  /** Milliseconds since the epoch. */
  now: () => number;
}

/** Checks DPoP proofs (everything but the `jti` replay check, which needs the replay store). */
export interface ProofVerifier {
  check(request: ProofCheck): CheckedProof;
}

const maxProofLength = 8192;

/**
 * Creates a DPoP proof checker running RFC 9449 §4.3 steps 1-11 but the replay one: one compact JWS;
 * `typ` `dpop+jwt`; an allowed asymmetric `alg`; a public `jwk` fitting `alg`; a valid signature;
 * `jti`, `htm`, `htu` (scheme, host, port and path, normalized; an `htu` with a query or fragment is
 * refused), `iat` in the window, `ath`, and the server nonce when nonces are on. Hand-written on
 * node:crypto; a header seen before (same key) skips parsing and key import, bounded.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4.3
 */
export function createProofVerifier(options: ProofVerifierOptions): ProofVerifier {
  const allowed = new Set<string>(options.algorithms);
  // Protected header segment -> key, filled only after a signature verified, so forged headers cannot churn it.
  const headers = new BoundedMap<string, VerificationKey>(1000);

  function keyOf(headerSegment: string): { key: VerificationKey; known: boolean } {
    const known = headers.get(headerSegment);
    if (known !== undefined) return { key: known, known: true };
    if (headerSegment.length > 2048) refuse('malformed_proof', 'DPoP proof header is too large');
    const header = decodeJsonObject(headerSegment);
    if (header === undefined) refuse('malformed_proof', 'DPoP proof header is not a JSON object');
    if (typeof header.typ !== 'string' || header.typ.toLowerCase().replace(/^application\//, '') !== 'dpop+jwt') {
      refuse('proof_typ', 'DPoP proof typ must be dpop+jwt');
    }
    const alg = header.alg;
    if (typeof alg !== 'string' || !allowed.has(alg)) refuse('proof_alg', `DPoP proof alg must be one of ${options.algorithms.join(', ')}`);
    const jwk = header.jwk;
    if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) refuse('proof_jwk', 'DPoP proof jwk header is missing');
    if (hasPrivateMembers(jwk as Record<string, unknown>)) refuse('proof_jwk', 'DPoP proof jwk must not contain private key material');
    if (!keyFitsAlgorithm(jwk as Record<string, unknown>, alg as VerifiableAlgorithm)) refuse('proof_jwk', `DPoP proof jwk must be a ${keyNameFor(alg as VerifiableAlgorithm)} key for ${alg}`);
    try {
      return { key: importPublicJwk(jwk as Record<string, unknown>, alg as VerifiableAlgorithm), known: false };
    } catch {
      refuse('proof_jwk', 'DPoP proof jwk is not a valid public key');
    }
  }

  return {
    check(request) {
      if (request.proof.length > maxProofLength) refuse('malformed_proof', 'DPoP proof is too large');
      const parts = splitCompactJws(request.proof);
      if (parts === undefined) refuse('malformed_proof', 'DPoP proof is not a compact JWS');
      const [headerSegment, payloadSegment, signatureSegment] = parts;
      const { key, known } = keyOf(headerSegment);
      const signingInput = Buffer.from(request.proof.slice(0, headerSegment.length + 1 + payloadSegment.length), 'latin1');
      if (!verifySignature(key, signingInput, Buffer.from(signatureSegment, 'base64url'))) {
        refuse('proof_signature', 'DPoP proof signature is invalid');
      }
      if (!known) headers.set(headerSegment, key);

      const payload = decodeJsonObject(payloadSegment);
      if (payload === undefined) refuse('malformed_proof', 'DPoP proof payload is not a JSON object');
      const { jti, htm, htu, iat, ath, nonce } = payload;
      if (typeof jti !== 'string' || jti.length < 8 || jti.length > 256) refuse('malformed_proof', 'DPoP proof jti is missing or invalid');
      if (htm !== request.method) refuse('proof_htm', 'DPoP proof htm does not match the request method');
      if (typeof htu !== 'string' || !sameTarget(htu, request.target)) refuse('proof_htu', 'DPoP proof htu does not match the request URI');
      const now = options.now() / 1000;
      if (typeof iat !== 'number' || !Number.isFinite(iat)) refuse('proof_iat', 'DPoP proof iat is missing');
      if (iat < now - options.maxAge || iat > now + options.clockTolerance) refuse('proof_iat', 'DPoP proof iat is outside the acceptable window');
      if (ath !== request.ath) refuse('proof_ath', 'DPoP proof ath does not match the access token');
      if (options.nonces !== undefined && (typeof nonce !== 'string' || !options.nonces.accepts(nonce))) {
        refuse('nonce_required', 'Resource server requires nonce in DPoP proof');
      }
      return { jkt: key.thumbprint, jti, iat };
    },
  };
}

/** `scheme://host[:port]/path` of a URL: the part of a request URI `htu` is compared with. */
export function targetOf(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

function sameTarget(htu: string, target: string): boolean {
  if (htu === target) return true;
  if (htu.length > 4096 || htu.includes('?') || htu.includes('#')) return false;
  try {
    // RFC 9449 §4.3 step 9 / RFC 3986 §6: the URL parser normalizes case, default port and dot segments.
    return targetOf(new URL(htu)) === target;
  } catch {
    return false;
  }
}
