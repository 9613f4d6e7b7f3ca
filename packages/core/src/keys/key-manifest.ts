import { KeyError } from '../errors.js';
import type { PublicJwk, SigningAlgorithm } from './signer.js';
import { jwkThumbprint } from './thumbprint.js';

/** A key whose private key file is in the store. */
export interface ManifestKey {
  kid: string;
  alg: SigningAlgorithm;
  /** ISO 8601 time the key was made. */
  created: string;
}

/** A retired key: its private key file is deleted, its public key kept to verify old signatures. */
export interface RetiredKey extends ManifestKey {
  /** ISO 8601 time the key was retired. */
  retired: string;
  /** The public JWK as it was published (`kid`, `alg`, `use` included). */
  jwk: PublicJwk;
}

/**
 * What the file key store's `keys.json` holds: no secret, only which key files exist, which one is
 * current, which one is staged (published, not yet signing), and the public keys of retired ones.
 * `staged` and `retired` are optional, so manifests written before two-phase rotation still read.
 */
export interface Manifest {
  version: 1;
  current: string;
  staged?: string | undefined;
  /** Every key with a private key file (current, staged, previous), newest first. */
  keys: ManifestKey[];
  /** Retired keys, most recently retired first. */
  retired?: RetiredKey[] | undefined;
}

/** An RFC 7638 thumbprint (SHA-256, base64url): the only kids the store makes, and safe as a file name. */
export const kidPattern = /^[A-Za-z0-9_-]{43}$/;

const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

/** A retired key's public JWK with its public members only, as `exportPublicJwk` shapes it. */
export function retiredPublicJwk(entry: RetiredKey): PublicJwk {
  const { kty, crv, x, y } = entry.jwk;
  return y === undefined ? { kty, crv, x, kid: entry.kid, alg: entry.alg, use: 'sig' } : { kty, crv, x, y, kid: entry.kid, alg: entry.alg, use: 'sig' };
}

/** The manifest as written to disk (stable member order, no `staged` when nothing is staged). */
export function serializeManifest(manifest: Manifest): string {
  const { version, current, staged, keys, retired } = manifest;
  const written = staged === undefined ? { version, current, keys, retired: retired ?? [] } : { version, current, staged, keys, retired: retired ?? [] };
  return `${JSON.stringify(written, null, 2)}\n`;
}

/**
 * Parses and checks `keys.json`: the current and staged kids name listed keys, kids are unique
 * thumbprints, and each retired public key is public only and hashes to its kid.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7638#section-3
 */
export function parseManifest(bytes: Buffer, path: string): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new KeyError(`key store manifest ${path} is not valid JSON`, { cause: error });
  }
  const manifest = value as Partial<Manifest> | null;
  const malformed = () => new KeyError(`key store manifest ${path} is malformed`);
  if (
    typeof manifest !== 'object' ||
    manifest === null ||
    manifest.version !== 1 ||
    typeof manifest.current !== 'string' ||
    !Array.isArray(manifest.keys) ||
    !manifest.keys.every(isManifestKey) ||
    !manifest.keys.some((entry) => entry.kid === manifest.current)
  ) {
    throw malformed();
  }
  const { staged, retired } = manifest;
  if (staged !== undefined && (typeof staged !== 'string' || staged === manifest.current || !manifest.keys.some((entry) => entry.kid === staged))) {
    throw malformed();
  }
  if (retired !== undefined && (!Array.isArray(retired) || !retired.every(isRetiredKey))) throw malformed();
  const kids = [...manifest.keys, ...(retired ?? [])].map((entry) => entry.kid);
  if (new Set(kids).size !== kids.length) throw malformed();
  return { version: 1, current: manifest.current, staged, keys: manifest.keys, retired: retired ?? [] };
}

function isManifestKey(entry: unknown): entry is ManifestKey {
  const key = entry as Partial<ManifestKey> | null;
  return (
    typeof key === 'object' &&
    key !== null &&
    typeof key.kid === 'string' &&
    kidPattern.test(key.kid) &&
    (key.alg === 'ES256' || key.alg === 'EdDSA') &&
    typeof key.created === 'string'
  );
}

function isRetiredKey(entry: unknown): entry is RetiredKey {
  if (!isManifestKey(entry)) return false;
  const { retired, jwk } = entry as Partial<RetiredKey>;
  if (typeof retired !== 'string' || typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return false;
  if (privateMembers.some((member) => member in jwk)) return false;
  if (jwk.kid !== entry.kid || jwk.alg !== entry.alg) return false;
  if (!(jwk.kty === 'EC' && jwk.crv === 'P-256') && !(jwk.kty === 'OKP' && jwk.crv === 'Ed25519')) return false;
  try {
    return jwkThumbprint(jwk) === entry.kid;
  } catch {
    return false;
  }
}
