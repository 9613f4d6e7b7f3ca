/**
 * `@countersign/core/keys`: signers and key stores beyond the everyday ones the root entry holds
 * (`generateKey`, `createNodeSigner`, `fileKeyStore`, `memoryKeyStore`): a signer for runtimes
 * without node:crypto, the current-key handle used during rotation, and public JWK(S) export.
 *
 * @example
 * ```ts
 * import { fileKeyStore } from '@countersign/core';
 * import { publicJwks } from '@countersign/core/keys';
 *
 * const jwks = await publicJwks(fileKeyStore('.countersign/payout-agent'));
 * ```
 *
 * @see https://www.rfc-editor.org/rfc/rfc7517
 * @packageDocumentation
 */
export type { PublicJwk } from './signer.js';
export { createNobleSigner } from './noble-signer.js';
export { isKeyStore, exportPublicJwk, publicJwks } from './key-store.js';
export type { RotatingKeyStore, PublicJwks, JwksOptions, RotateOptions } from './key-store.js';
export type { MemoryKeyStoreOptions } from './memory-key-store.js';
export { createCurrentKey } from './current-key.js';
export type { CurrentKey, CurrentKeyOptions } from './current-key.js';
