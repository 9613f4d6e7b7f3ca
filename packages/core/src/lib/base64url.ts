import { ConfigurationError } from '../errors.js';

/**
 * base64url without padding, as JOSE requires. Node's `Buffer` does the work where it exists (the
 * DPoP hot path); elsewhere a table-driven encoder gives the same bytes.
 *
 * @see https://www.rfc-editor.org/rfc/rfc4648#section-5
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-2 (Base64url Encoding)
 */

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const nodeBuffer: typeof Buffer | undefined = typeof Buffer === 'function' ? Buffer : undefined;
const wellFormed = /^[A-Za-z0-9_-]*$/;

/**
 * Encodes bytes, or a string as its UTF-8 bytes, as base64url without padding.
 *
 * @example
 * ```ts
 * base64url('{"alg":"ES256"}'); // 'eyJhbGciOiJFUzI1NiJ9'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc4648#section-5
 */
export function base64url(input: Uint8Array | string): string {
  if (nodeBuffer !== undefined) {
    if (typeof input === 'string') return nodeBuffer.from(input, 'utf8').toString('base64url');
    if (input instanceof nodeBuffer) return input.toString('base64url');
    return nodeBuffer.from(input.buffer, input.byteOffset, input.byteLength).toString('base64url');
  }
  return encodePortable(typeof input === 'string' ? new TextEncoder().encode(input) : input);
}

/**
 * Decodes base64url to bytes. Trailing `=` padding is tolerated; any other character outside the
 * base64url alphabet, or a length no encoder produces, is refused with a {@link ConfigurationError}.
 *
 * @see https://www.rfc-editor.org/rfc/rfc4648#section-5
 */
export function base64urlDecode(input: string): Uint8Array {
  const unpadded = input.replace(/={1,2}$/, '');
  if (!wellFormed.test(unpadded) || unpadded.length % 4 === 1) throw new ConfigurationError('invalid base64url input');
  if (nodeBuffer !== undefined) return new Uint8Array(nodeBuffer.from(unpadded, 'base64url'));
  return decodePortable(unpadded);
}

/** @internal The encoder used where `Buffer` does not exist; exported for tests. */
export function encodePortable(bytes: Uint8Array): string {
  let output = '';
  let index = 0;
  for (; index + 2 < bytes.length; index += 3) {
    const chunk = (bytes[index]! << 16) | (bytes[index + 1]! << 8) | bytes[index + 2]!;
    output += alphabet[chunk >> 18]! + alphabet[(chunk >> 12) & 63]! + alphabet[(chunk >> 6) & 63]! + alphabet[chunk & 63]!;
  }
  const rest = bytes.length - index;
  if (rest === 1) {
    const chunk = bytes[index]! << 16;
    output += alphabet[chunk >> 18]! + alphabet[(chunk >> 12) & 63]!;
  } else if (rest === 2) {
    const chunk = (bytes[index]! << 16) | (bytes[index + 1]! << 8);
    output += alphabet[chunk >> 18]! + alphabet[(chunk >> 12) & 63]! + alphabet[(chunk >> 6) & 63]!;
  }
  return output;
}

/** @internal The decoder used where `Buffer` does not exist; expects validated, unpadded input. */
export function decodePortable(input: string): Uint8Array {
  const output = new Uint8Array(Math.floor((input.length * 3) / 4));
  let bits = 0;
  let buffered = 0;
  let position = 0;
  for (let index = 0; index < input.length; index++) {
    buffered = ((buffered << 6) | alphabet.indexOf(input[index]!)) & 0xffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      output[position++] = (buffered >> bits) & 0xff;
    }
  }
  return output;
}
