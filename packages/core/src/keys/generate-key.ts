import type { KeyObject } from 'node:crypto';
import { KeyError } from '../errors.js';
import { createNobleSigner } from './noble-signer.js';
import type { Signer, SigningAlgorithm } from './signer.js';

/** Options of {@link generateKey}. */
export interface GenerateKeyOptions {
  /** JWS algorithm of the new key: `ES256` (P-256, the default) or `EdDSA` (Ed25519). */
  alg?: SigningAlgorithm | undefined;
}

/** The part of node:crypto that key generation and node signers need. */
export type NodeCrypto = Pick<typeof import('node:crypto'), 'generateKeyPair' | 'createPublicKey' | 'sign'>;

/**
 * Generates a new signing key and returns its {@link Signer}; the `kid` is the key's RFC 7638
 * thumbprint.
 *
 * Where node:crypto works (Node, Bun, Deno), the key is an OpenSSL `KeyObject` reachable only from
 * the signer's closure. That is what "non-extractable where the platform allows" means here:
 * nothing on the returned object exposes the private key or a way to export it, but any code
 * running in the same process with a debugger or heap snapshot could still read it. For keys that
 * must never exist in process memory, implement {@link Signer} over a KMS or HSM. Where
 * node:crypto is missing, or cannot make this kind of key, the pure-JavaScript
 * {@link createNobleSigner} is used instead.
 *
 * @example
 * ```ts
 * const identity = await generateKey({ alg: 'ES256' });
 * identity.kid; // RFC 7638 thumbprint
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-3.4
 * @see https://www.rfc-editor.org/rfc/rfc8037#section-3.1
 * @see https://www.rfc-editor.org/rfc/rfc7638#section-3
 */
export async function generateKey(options: GenerateKeyOptions = {}): Promise<Signer> {
  return generateKeyWith(await loadNodeCrypto(), options.alg ?? 'ES256');
}

let nodeCryptoPromise: Promise<NodeCrypto | undefined> | undefined;

/** node:crypto when this runtime has a usable one, looked up once. */
function loadNodeCrypto(): Promise<NodeCrypto | undefined> {
  nodeCryptoPromise ??= detectNodeCrypto(() => import('node:crypto'));
  return nodeCryptoPromise;
}

/**
 * @internal Resolves to node:crypto when `load` yields a module with the functions Countersign
 * needs, and to `undefined` when the import fails (no such module) or the module lacks them.
 */
export async function detectNodeCrypto(load: () => Promise<unknown>): Promise<NodeCrypto | undefined> {
  let module: unknown;
  try {
    module = await load();
  } catch {
    return undefined;
  }
  const candidate = module as Partial<NodeCrypto> | undefined;
  return typeof candidate?.generateKeyPair === 'function' &&
    typeof candidate.createPublicKey === 'function' &&
    typeof candidate.sign === 'function'
    ? (candidate as NodeCrypto)
    : undefined;
}

/**
 * @internal Makes a key with node:crypto when given one that can, otherwise with noble. A node
 * key is tried with one signature before it is returned, so a runtime whose node:crypto lacks
 * this curve (a partial implementation) falls back to noble instead of failing later.
 */
export async function generateKeyWith(nodeCrypto: NodeCrypto | undefined, alg: SigningAlgorithm): Promise<Signer> {
  if (alg !== 'ES256' && alg !== 'EdDSA') throw new KeyError(`unsupported algorithm ${String(alg)}: use ES256 or EdDSA`);
  if (nodeCrypto !== undefined) {
    try {
      const privateKey = await generateNodeKey(nodeCrypto, alg);
      const { createNodeSigner } = await import('./node-signer.js');
      const signer = createNodeSigner(privateKey);
      await signer.sign(new Uint8Array(1));
      return signer;
    } catch {
      // node:crypto cannot make or use this key here: fall through to the portable signer.
    }
  }
  return createNobleSigner(alg);
}

function generateNodeKey(nodeCrypto: NodeCrypto, alg: SigningAlgorithm): Promise<KeyObject> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, _publicKey: KeyObject, privateKey: KeyObject): void =>
      error ? reject(error) : resolve(privateKey);
    if (alg === 'ES256') nodeCrypto.generateKeyPair('ec', { namedCurve: 'P-256' }, done);
    else nodeCrypto.generateKeyPair('ed25519', {}, done);
  });
}
