/** base64url without padding (RFC 4648 §5), as JOSE requires. */
export function base64url(input: Uint8Array | string): string {
  return (typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input.buffer, input.byteOffset, input.byteLength)).toString('base64url');
}

/** Decodes base64url (padding tolerated) to bytes. */
export function base64urlDecode(input: string): Uint8Array {
  return new Uint8Array(Buffer.from(input, 'base64url'));
}
