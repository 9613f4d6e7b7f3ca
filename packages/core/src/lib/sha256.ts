import { createHash } from 'node:crypto';

/** SHA-256 of a UTF-8 string or bytes, base64url-encoded without padding. */
export function sha256Base64url(input: string | Uint8Array): string {
  return createHash('sha256').update(input).digest('base64url');
}
