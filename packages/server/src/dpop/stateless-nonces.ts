import { ResourceServerConfigurationError } from '../errors.js';
import { createHmac, timingSafeEqual } from 'node:crypto';

/** What {@link createStatelessNonces} hands out: 128 bits, base64url without padding. */
const nonceSyntax = /^[A-Za-z0-9_-]{22}$/;

/** The resource server's DPoP nonces. */
export interface DpopNonces {
  /** The nonce to hand out now (`DPoP-Nonce`); changes every `lifetime` seconds. */
  current(): string;
  /** Whether a proof's `nonce` is the current nonce or the one before it; false (never a throw) for any other string. */
  accepts(nonce: string): boolean;
}

/** Options of {@link createStatelessNonces}. */
export interface StatelessNonceOptions {
  /** The HMAC key, at least 32 bytes; every instance of the API that shares it accepts the others' nonces. */
  secret: string | Uint8Array;
  /** Seconds a nonce stays current (default 300). */
  lifetime?: number;
  /** Clock in milliseconds since the epoch (default `Date.now`). */
  now?: () => number;
}

/**
 * Creates stateless DPoP nonces: the nonce of time window `w` is base64url(HMAC-SHA-256(secret,
 * "dpop-nonce:" + w)) cut to 128 bits. Nothing is stored, so any number of instances sharing the
 * secret agree without shared state; the previous window's nonce is still accepted, so a client that
 * just learned one does not fail at the window's edge. A nonce therefore lives 1 to 2 lifetimes.
 *
 * @example
 * ```ts
 * const nonces = createStatelessNonces({ secret: process.env.DPOP_NONCE_SECRET! });
 * response.setHeader('DPoP-Nonce', nonces.current());
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-9
 */
export function createStatelessNonces(options: StatelessNonceOptions): DpopNonces {
  const secret = typeof options.secret === 'string' ? Buffer.from(options.secret, 'utf8') : Buffer.from(options.secret);
  if (secret.length < 32) throw new ResourceServerConfigurationError('the DPoP nonce secret must be at least 32 bytes');
  const lifetimeMs = (options.lifetime ?? 300) * 1000;
  if (!(lifetimeMs >= 1000)) throw new ResourceServerConfigurationError('the DPoP nonce lifetime must be at least 1 second');
  const now = options.now ?? Date.now;
  let cached: { window: number; current: string; previous: string } | undefined;

  function nonceOf(window: number): string {
    return createHmac('sha256', secret).update(`dpop-nonce:${window}`).digest().subarray(0, 16).toString('base64url');
  }

  function windows(): { current: string; previous: string } {
    const window = Math.floor(now() / lifetimeMs);
    if (cached?.window !== window) {
      cached = { window, current: nonceOf(window), previous: cached?.window === window - 1 ? cached.current : nonceOf(window - 1) };
    }
    return cached;
  }

  return {
    current: () => windows().current,
    accepts(nonce) {
      // Syntax first: a 22-character string of non-ASCII is more than 22 bytes, and timingSafeEqual throws on unequal lengths.
      if (typeof nonce !== 'string' || !nonceSyntax.test(nonce)) return false;
      const { current, previous } = windows();
      const given = Buffer.from(nonce, 'latin1');
      return timingSafeEqual(given, Buffer.from(current, 'latin1')) || timingSafeEqual(given, Buffer.from(previous, 'latin1'));
    },
  };
}
