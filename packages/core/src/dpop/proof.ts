import { createHash, randomBytes } from 'node:crypto';
import { createCompactJwsSigner } from '../jws.js';
import { base64url } from '../lib/base64url.js';
import type { Signer } from '../keys/signer.js';

/** Inputs of one DPoP proof. */
export interface DpopProofInput {
  /** HTTP method of the request (`htm`). */
  method: string;
  /** Target URL of the request; query and fragment are dropped for `htu`. */
  url: string | URL;
  /** Server-provided nonce for the target origin, when one is known. */
  nonce?: string | undefined;
  /** The access token sent with the request; its hash becomes `ath`. */
  accessToken?: string | undefined;
  /** Current time in seconds since the epoch (default: the prover's clock). */
  now?: number | undefined;
}

/** Creates DPoP proofs with one key. */
export interface DpopProver {
  /** The RFC 7638 thumbprint of the DPoP public key (`jkt`, the token's `cnf.jkt`). */
  readonly thumbprint: string;
  /** The DPoP signing key's algorithm. */
  readonly alg: Signer['alg'];
  /** Builds a fresh proof with a new `jti`. */
  proof(input: DpopProofInput): string | Promise<string>;
}

/** Options of {@link createDpopProver}. */
export interface DpopProverOptions {
  /** Clock in seconds since the epoch, corrected for server skew by the caller (default: `Date.now() / 1000`). */
  clock?: () => number;
}

/**
 * Creates a DPoP prover around a signer. Every proof has `typ: dpop+jwt`, the signer's `alg`, the
 * public `jwk` only, a 128-bit random `jti`, `htm`, `htu` without query or fragment, `iat`, and
 * `ath` and `nonce` when given.
 *
 * @example
 * ```ts
 * const dpop = createDpopProver(await generateKey({ alg: 'ES256' }));
 * const proof = dpop.proof({ method: 'GET', url: 'https://api.example/accounts', accessToken });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4.2
 */
export function createDpopProver(signer: Signer, options: DpopProverOptions = {}): DpopProver {
  const jws = createCompactJwsSigner(signer, { typ: 'dpop+jwt', jwk: signer.publicJwk });
  const clock = options.clock ?? (() => Date.now() / 1000);
  let lastToken: string | undefined;
  let lastAth: string | undefined;
  return {
    thumbprint: signer.kid,
    alg: signer.alg,
    proof({ method, url, nonce, accessToken, now }) {
      const payload: Record<string, unknown> = {
        jti: randomBytes(16).toString('base64url'),
        htm: method.toUpperCase(),
        htu: targetUri(url),
        iat: Math.floor(now ?? clock()),
      };
      if (accessToken !== undefined) {
        // The same token is sent many times in a row: hash it once.
        if (accessToken !== lastToken) {
          lastAth = base64url(createHash('sha256').update(accessToken).digest());
          lastToken = accessToken;
        }
        payload.ath = lastAth;
      }
      if (nonce !== undefined) payload.nonce = nonce;
      return jws.sign(payload);
    },
  };
}

/**
 * The `htu` of a request: its URL without query and fragment.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4.2
 */
export function targetUri(url: string | URL): string {
  const parsed = typeof url === 'string' ? new URL(url) : url;
  return `${parsed.origin}${parsed.pathname}`;
}
