import { randomBytes } from 'node:crypto';

/** The resource server's own DPoP nonces. */
export interface DpopNonceIssuer {
  /** The nonce to hand out now (`DPoP-Nonce` response header); rotates once its lifetime is over. */
  current(): string;
  /** Whether a proof's `nonce` is the current nonce or the one it replaced. */
  accepts(nonce: string): boolean;
}

/** Options of {@link createDpopNonceIssuer}. */
export interface DpopNonceIssuerOptions {
  /** Seconds a nonce stays current before a new one replaces it (default 300). */
  lifetime?: number;
  /** Clock in seconds since the epoch (default `Date.now() / 1000`). */
  clock?: () => number;
}

/**
 * Creates a rotating nonce source for a resource server. Nonces are 128-bit random values; a new
 * one becomes current every `lifetime` seconds and the previous one is still accepted for one more
 * lifetime, so a client that just learned a nonce does not fail at the moment of rotation.
 *
 * @example
 * ```ts
 * const nonces = createDpopNonceIssuer({ lifetime: 300 });
 * response.setHeader('DPoP-Nonce', nonces.current());
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-9
 */
export function createDpopNonceIssuer(options: DpopNonceIssuerOptions = {}): DpopNonceIssuer {
  const lifetime = options.lifetime ?? 300;
  if (!(lifetime > 0)) throw new RangeError('nonce lifetime must be a positive number of seconds');
  const clock = options.clock ?? (() => Date.now() / 1000);
  let current = fresh();
  let previous: string | undefined;
  let issuedAt = clock();

  function rotate(): void {
    const now = clock();
    const elapsed = now - issuedAt;
    if (elapsed < lifetime) return;
    // After two lifetimes without traffic, the old current nonce is too old to keep accepting.
    previous = elapsed < 2 * lifetime ? current : undefined;
    current = fresh();
    issuedAt = now;
  }

  return {
    current() {
      rotate();
      return current;
    },
    accepts(nonce) {
      rotate();
      return nonce === current || (previous !== undefined && nonce === previous);
    },
  };
}

function fresh(): string {
  return randomBytes(16).toString('base64url');
}
