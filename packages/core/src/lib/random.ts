import { ConfigurationError } from '../errors.js';
import { base64url } from './base64url.js';

/**
 * Random identifiers for `jti` claims. Bytes come from the platform CSPRNG
 * (`crypto.getRandomValues`, present in Node ≥ 19, Deno, Bun, workers and browsers) in 4 KiB
 * batches, and each byte is handed out once: one CSPRNG call serves 256 identifiers of 128 bits
 * instead of one call per proof. Identifiers are public values (they travel in the clear), so
 * keeping the unused part of a batch in memory exposes nothing; never use this for key material.
 */

const poolSize = 4096;
const nodeBuffer: typeof Buffer | undefined = typeof Buffer === 'function' ? Buffer : undefined;
const pool: Uint8Array = nodeBuffer !== undefined ? nodeBuffer.allocUnsafeSlow(poolSize) : new Uint8Array(poolSize);
let position = poolSize;

/**
 * A random identifier: `byteLength` CSPRNG bytes, base64url-encoded (22 characters for the default
 * 128 bits, the minimum a `jti` must carry to be unguessable and collision-free).
 *
 * @example
 * ```ts
 * const jti = randomId(); // e.g. 'Q2x6c3R0b2tlbi1leGFtcGw'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-11.1
 * @see https://www.rfc-editor.org/rfc/rfc7519#section-4.1.7
 */
export function randomId(byteLength = 16): string {
  if (byteLength < 16 || byteLength > 64 || !Number.isInteger(byteLength)) {
    throw new ConfigurationError('random identifiers carry between 16 and 64 bytes');
  }
  if (position + byteLength > poolSize) refill();
  const start = position;
  position += byteLength;
  if (nodeBuffer !== undefined) return (pool as Buffer).toString('base64url', start, start + byteLength);
  return base64url(pool.subarray(start, start + byteLength));
}

function refill(): void {
  globalThis.crypto.getRandomValues(pool);
  position = 0;
}
