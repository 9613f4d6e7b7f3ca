import { calculateJwkThumbprint, compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import { ConfigurationError } from '../errors.js';
import type { PublicJwk } from '../keys/signer.js';
import { AUDIT_CHECKPOINT_TYPE } from './trail-record.js';

/** A public JSON Web Key Set: `{ keys: [...] }`, public members only. */
export interface AuditJwks {
  /** Public JWKs, for example from `agent.publicJwks()` (keep the keys of retired kids). */
  keys: ReadonlyArray<Readonly<PublicJwk> | Readonly<Record<string, unknown>>>;
}

/** What a checkpoint must sign: the record just before it. */
export interface ExpectedCheckpoint {
  sequence: number;
  hash: string;
}

/** Result of checking one checkpoint. */
export type CheckpointVerification =
  | { ok: true; kid: string }
  | { ok: false; reason: 'malformed' | 'checkpoint_mismatch' | 'unknown_kid' | 'signature_invalid'; message: string };

const signingAlgorithms = ['ES256', 'EdDSA'];
const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

/**
 * Builds the checker of checkpoint records against a public JWKS: the JWS header must name a `kid`
 * in the set (a key without `kid` is known by its RFC 7638 thumbprint), use ES256 or EdDSA, carry the
 * checkpoint `typ`, verify with that key (jose `compactVerify`), and sign exactly the expected
 * sequence and hash. A JWKS holding a private key is refused.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-5.2
 * @see https://www.rfc-editor.org/rfc/rfc7638
 */
export function createCheckpointVerifier(jwks: AuditJwks): (checkpoint: unknown, expected: ExpectedCheckpoint) => Promise<CheckpointVerification> {
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray(jwks.keys)) {
    throw new ConfigurationError('the JWKS must be an object with a "keys" array');
  }
  const keys = jwks.keys as ReadonlyArray<Readonly<Record<string, unknown>>>;
  for (const key of keys) {
    if (typeof key !== 'object' || key === null || typeof key.kty !== 'string') throw new ConfigurationError('every JWKS entry must be a JWK with "kty"');
    if (privateMembers.some((member) => member in key)) throw new ConfigurationError('the JWKS must hold public keys only (a key has private members)');
  }
  const keysByKid: Promise<Map<string, JWK>> = Promise.all(
    keys.map(async (key) => {
      const jwk = { ...key } as JWK;
      try {
        return [typeof jwk.kid === 'string' ? jwk.kid : await calculateJwkThumbprint(jwk, 'sha256'), jwk] as const;
      } catch (cause) {
        throw new ConfigurationError('a JWKS key is not a valid public JWK', { cause });
      }
    }),
  ).then((entries) => new Map(entries));
  keysByKid.catch(() => undefined);
  const imported = new Map<string, Promise<CryptoKey | Uint8Array>>();

  return async (value, expected) => {
    const checkpoint = value as Record<string, unknown>;
    if (
      !Number.isSafeInteger(checkpoint.sequence) ||
      typeof checkpoint.hash !== 'string' ||
      typeof checkpoint.time !== 'string' ||
      typeof checkpoint.kid !== 'string' ||
      typeof checkpoint.jws !== 'string'
    ) {
      return { ok: false, reason: 'malformed', message: 'the checkpoint lacks sequence, hash, time, kid or jws' };
    }
    if (checkpoint.sequence !== expected.sequence || checkpoint.hash !== expected.hash) {
      return { ok: false, reason: 'checkpoint_mismatch', message: 'the checkpoint does not cover the record before it' };
    }

    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(checkpoint.jws);
    } catch {
      return { ok: false, reason: 'signature_invalid', message: 'the checkpoint signature is not a compact JWS' };
    }
    if (header.kid !== checkpoint.kid) {
      return { ok: false, reason: 'checkpoint_mismatch', message: 'the checkpoint kid differs from its signature header kid' };
    }
    if (header.typ !== AUDIT_CHECKPOINT_TYPE || typeof header.alg !== 'string' || !signingAlgorithms.includes(header.alg)) {
      return { ok: false, reason: 'signature_invalid', message: `the checkpoint signature header is not a Countersign checkpoint (typ ${String(header.typ)}, alg ${String(header.alg)})` };
    }
    const alg = header.alg;
    const jwk = (await keysByKid).get(checkpoint.kid);
    if (!jwk) {
      return { ok: false, reason: 'unknown_kid', message: `the checkpoint was signed by kid ${checkpoint.kid}, which is not in the JWKS` };
    }
    if (jwk.alg !== undefined && jwk.alg !== alg) {
      return { ok: false, reason: 'signature_invalid', message: `kid ${checkpoint.kid} is for ${jwk.alg}, the checkpoint uses ${alg}` };
    }

    let payload: Uint8Array;
    try {
      const cacheKey = `${alg} ${checkpoint.kid}`;
      let key = imported.get(cacheKey);
      if (!key) {
        key = importJWK(jwk, alg);
        imported.set(cacheKey, key);
      }
      ({ payload } = await compactVerify(checkpoint.jws, await key, { algorithms: [alg] }));
    } catch {
      return { ok: false, reason: 'signature_invalid', message: `the checkpoint signature does not verify with kid ${checkpoint.kid}` };
    }

    let signed: Record<string, unknown>;
    try {
      signed = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
    } catch {
      return { ok: false, reason: 'checkpoint_mismatch', message: 'the checkpoint signs something that is not JSON' };
    }
    if (signed.sequence !== checkpoint.sequence || signed.hash !== checkpoint.hash || signed.time !== checkpoint.time) {
      return { ok: false, reason: 'checkpoint_mismatch', message: 'the checkpoint record differs from what its signature signs' };
    }
    return { ok: true, kid: checkpoint.kid };
  };
}
