import { KeyError } from './errors.js';
import { base64url } from './lib/base64url.js';
import type { Signer } from './keys/signer.js';

/** A compact JWS signer whose protected header was encoded once, up front. */
export interface CompactJwsSigner {
  /** The base64url-encoded protected header every signature carries. */
  readonly encodedHeader: string;
  /**
   * Signs a JSON payload and returns the compact serialization `header.payload.signature`;
   * synchronous when the underlying {@link Signer} is, a promise otherwise.
   */
  sign(payload: Record<string, unknown>): string | Promise<string>;
  /**
   * Signs a payload that is already serialized JSON text (for callers that build it faster than
   * `JSON.stringify`; the text is signed as given, so it must be valid JSON).
   */
  signJson(payloadJson: string): string | Promise<string>;
}

const nodeBuffer: typeof Buffer | undefined = typeof Buffer === 'function' ? Buffer : undefined;
const encoder = new TextEncoder();

/**
 * Creates a compact-serialization JWS signer for a fixed protected header. The header (with `alg`
 * always taken from the signer, whatever `header` says) is serialized and base64url-encoded once,
 * so each signature costs one payload encoding and one signing operation.
 *
 * @example
 * ```ts
 * const jws = createCompactJwsSigner(signer, { typ: 'dpop+jwt', jwk: signer.publicJwk });
 * const token = jws.sign({ jti, htm: 'GET', htu, iat });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-7.1
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-5.1 (signing input)
 */
export function createCompactJwsSigner(signer: Signer, header: Record<string, unknown>): CompactJwsSigner {
  const protectedHeader: Record<string, unknown> = { alg: signer.alg, ...header };
  protectedHeader.alg = signer.alg;
  const encodedHeader = base64url(JSON.stringify(protectedHeader));
  const prefix = `${encodedHeader}.`;
  function signJson(payloadJson: string): string | Promise<string> {
    const signingInput = prefix + base64url(payloadJson);
    // The signing input is base64url text, so its ASCII bytes are its latin1 bytes.
    const signature = signer.sign(nodeBuffer !== undefined ? nodeBuffer.from(signingInput, 'latin1') : encoder.encode(signingInput));
    return signature instanceof Uint8Array
      ? `${signingInput}.${encodeSignature(signer, signature)}`
      : Promise.resolve(signature).then((bytes) => `${signingInput}.${encodeSignature(signer, bytes)}`);
  }
  return {
    encodedHeader,
    sign: (payload) => signJson(JSON.stringify(payload)),
    signJson,
  };
}

/**
 * ES256 and EdDSA signatures are exactly 64 bytes. A custom signer over a KMS that returns the
 * DER form of an ECDSA signature (70-72 bytes) would otherwise produce tokens no one can verify.
 */
function encodeSignature(signer: Signer, signature: Uint8Array): string {
  if (!(signature instanceof Uint8Array) || signature.length !== 64) {
    throw new KeyError(
      `signer ${signer.kid} returned ${signature instanceof Uint8Array ? signature.length : 'no'} signature bytes; ` +
        `${signer.alg} needs 64${signer.alg === 'ES256' ? ' (r || s, not DER; RFC 7518 section 3.4)' : ''}`,
    );
  }
  return base64url(signature);
}
