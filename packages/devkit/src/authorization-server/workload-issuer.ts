import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JSONWebKeySet } from 'jose';
import { DevkitError } from '../errors.js';

/** Options of {@link DevWorkloadIssuer.issueToken}. */
export interface WorkloadTokenOptions {
  /** `sub`: the workload, e.g. `system:serviceaccount:payments:payout-agent` or a SPIFFE ID. */
  subject: string;
  /** `aud` (default: the stack's issuer, as the JWT bearer grant expects). */
  audience?: string | string[] | undefined;
  /** Lifetime in seconds (default 600); negative gives an expired token, for tests. */
  expiresInSeconds?: number | undefined;
}

/**
 * The devkit's stand-in for a platform that issues workload-identity JWTs (a Kubernetes
 * service-account token issuer, a SPIFFE JWT-SVID issuer): an ES256 key made for this run, whose
 * tokens the devkit's authorization server trusts in the JWT bearer grant. Write a token to a
 * file and point `createAgent({ workloadToken: { file } })` at it; write a new one to rotate.
 */
export interface DevWorkloadIssuer {
  /** `iss` of its tokens. */
  readonly issuer: string;
  /** Its public keys, as the authorization server trusts them. */
  readonly publicJwks: JSONWebKeySet;
  /** Signs a workload-identity JWT. */
  issueToken(options: WorkloadTokenOptions): Promise<string>;
}

/**
 * Creates a workload-identity issuer with a fresh key (nothing kept on disk).
 *
 * @example
 * ```ts
 * const workloads = await createWorkloadIssuer(stack.issuer);
 * const jwt = await workloads.issueToken({ subject: 'system:serviceaccount:payments:payout-agent' });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-3 (what the JWT must hold)
 */
export async function createWorkloadIssuer(authorizationServerIssuer: string): Promise<DevWorkloadIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const issuer = `${authorizationServerIssuer}/workload-issuer`;
  return Object.freeze({
    issuer,
    publicJwks: { keys: [{ ...publicJwk, kid, alg: 'ES256', use: 'sig' }] },
    async issueToken(options: WorkloadTokenOptions) {
      const { subject } = options ?? ({} as WorkloadTokenOptions);
      if (typeof subject !== 'string' || !/^[\x21-\x7E]{1,200}$/.test(subject)) {
        throw new DevkitError('invalid_request', 'a workload subject is 1 to 200 visible ASCII characters');
      }
      const lifetime = options.expiresInSeconds ?? 600;
      if (!Number.isFinite(lifetime)) throw new DevkitError('invalid_request', 'expiresInSeconds must be a number');
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid })
        .setIssuer(issuer)
        .setSubject(subject)
        .setAudience(options.audience ?? authorizationServerIssuer)
        .setIssuedAt(Math.min(now, now + lifetime))
        .setExpirationTime(now + lifetime)
        .setJti(randomUUID())
        .sign(privateKey);
    },
  });
}
