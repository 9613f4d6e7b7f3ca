import { createPrivateKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { KeyError } from '../errors.js';
import { kidPattern, parseManifest, retiredPublicJwk, serializeManifest, type Manifest, type ManifestKey, type RetiredKey } from './key-manifest.js';
import { exportPublicJwk, type JwksOptions, type PublicJwks, type RotateOptions, type RotatingKeyStore } from './key-store.js';
import {
  ensurePrivateDirectory,
  readPrivateFile,
  readProtectedFile,
  removeFile,
  withDirectoryLock,
  writePrivateFileAtomically,
} from './key-files.js';
import { createNodeSigner } from './node-signer.js';
import type { Signer, SigningAlgorithm } from './signer.js';

/** Options of {@link fileKeyStore}. */
export interface FileKeyStoreOptions {
  /**
   * Algorithm of the keys this store creates: `ES256` (default) or `EdDSA`. Keys already in the
   * store are used with the algorithm they have.
   */
  alg?: SigningAlgorithm | undefined;
  /**
   * Encrypts the key files with this passphrase (PKCS#8 `EncryptedPrivateKeyInfo`: PBES2 with
   * PBKDF2-HMAC-SHA256 and AES-256-CBC, as node:crypto writes it). The iteration count is
   * OpenSSL's default (2048), so this protects copies and backups of the directory against
   * casual disclosure; against an offline guessing attack only a long random passphrase helps.
   * A store created with a passphrase refuses to load without it, and a store given a passphrase
   * refuses unencrypted key files.
   */
  passphrase?: string | Uint8Array | undefined;
}

const manifestName = 'keys.json';
const encryptedPem = '-----BEGIN ENCRYPTED PRIVATE KEY-----';

/**
 * A key store in a directory: one PKCS#8 PEM file per key, named `<kid>.pem` (mode 0600), and a
 * `keys.json` manifest (no secret) naming the current key, the staged key and the public keys of
 * retired ones, in a directory created with mode 0700.
 *
 * - {@link KeyStore.load} creates the first key on first use and afterwards returns the current key
 *   from memory; it notices an activation made by another process (one `stat` per call).
 * - Rotation is two-phase (see {@link KeyStore}): `rotate()` stages a new key, which `jwks()`
 *   publishes at once and `load()` ignores until `activate()`; the staged state lives in the
 *   manifest, so another process (or a restart) sees it. `retire(kid)` deletes the private key
 *   file and keeps the public key for `jwks({ includeRetired: true })`.
 * - A key file that group or others can access is refused with a {@link KeyPermissionError} that
 *   names the file and the `chmod` that fixes it; so is a directory they can write to.
 * - Files are written atomically (temporary file, `fsync`, `rename`), and every change takes a
 *   lock, so two processes cannot rotate, activate or retire at once.
 * - Each key file is checked to hold the key its name says (its RFC 7638 thumbprint).
 *
 * @example
 * ```ts
 * const store = fileKeyStore('.countersign/payout-agent', { passphrase: process.env.KEY_PASSPHRASE });
 * const agent = await createAgent({ issuer, clientId: 'payout-agent', key: store });
 * const next = await store.rotate();                 // staged: published, not yet signing
 * await registerJwks(await store.jwks());            // the authorization server learns the new kid
 * await store.activate(next.kid);                    // the agent's next assertion uses it
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc5958#section-3 (EncryptedPrivateKeyInfo)
 * @see https://www.rfc-editor.org/rfc/rfc7638#section-3
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5 (JWK Set)
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-3 (assertions signed by the client's key)
 */
export function fileKeyStore(directory: string, options: FileKeyStoreOptions = {}): RotatingKeyStore {
  const root = resolve(directory);
  const manifestPath = join(root, manifestName);
  const passphrase = options.passphrase === undefined ? undefined : Buffer.from(options.passphrase);
  if (passphrase?.length === 0) throw new KeyError('the key store passphrase must not be empty');
  const signers = new Map<string, Promise<Signer>>();
  let cached: { stamp: string; manifest: Manifest } | undefined;
  let directoryChecked = false;

  async function prepareDirectory(): Promise<void> {
    if (directoryChecked) return;
    await ensurePrivateDirectory(root);
    directoryChecked = true;
  }

  async function readManifest(): Promise<Manifest | undefined> {
    await prepareDirectory();
    const stamp = await stampOf(manifestPath);
    if (stamp === undefined) return undefined;
    if (cached?.stamp === stamp) return cached.manifest;
    const bytes = await readProtectedFile(manifestPath);
    if (bytes === undefined) return undefined;
    const manifest = parseManifest(bytes, manifestPath);
    cached = { stamp, manifest };
    return manifest;
  }

  const writeManifest = (manifest: Manifest): Promise<void> => writePrivateFileAtomically(manifestPath, serializeManifest(manifest));

  function signerFor(kid: string): Promise<Signer> {
    let signer = signers.get(kid);
    if (signer === undefined) {
      signer = readKey(join(root, `${kid}.pem`), kid, passphrase);
      signers.set(kid, signer);
      signer.catch(() => signers.delete(kid));
    }
    return signer;
  }

  /** Writes a new key file; the caller names it in the manifest (a key file no manifest names is never used). */
  async function writeNewKey(alg: SigningAlgorithm): Promise<{ signer: Signer; entry: ManifestKey }> {
    const privateKey = await newPrivateKey(alg);
    const signer = createNodeSigner(privateKey);
    const pem = privateKey.export(
      passphrase === undefined
        ? { type: 'pkcs8', format: 'pem' }
        : { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase },
    );
    await writePrivateFileAtomically(join(root, `${signer.kid}.pem`), pem);
    signers.set(signer.kid, Promise.resolve(signer));
    return { signer, entry: { kid: signer.kid, alg, created: new Date().toISOString() } };
  }

  /** The manifest, making the first key when the store is empty. Call under the lock. */
  async function manifestOrFirstKey(): Promise<Manifest> {
    const existing = await readManifest();
    if (existing !== undefined) return existing;
    const { signer, entry } = await writeNewKey(options.alg ?? 'ES256');
    const manifest: Manifest = { version: 1, current: signer.kid, keys: [entry], retired: [] };
    await writeManifest(manifest);
    return manifest;
  }

  async function load(): Promise<Signer> {
    const manifest = await readManifest();
    if (manifest !== undefined) return signerFor(manifest.current);
    return withDirectoryLock(root, async () => signerFor((await manifestOrFirstKey()).current));
  }

  return {
    load,

    async jwks(jwksOptions?: JwksOptions): Promise<PublicJwks> {
      await load();
      const manifest = (await readManifest())!;
      const ordered = [manifest.current, ...(manifest.staged === undefined ? [] : [manifest.staged])];
      ordered.push(...manifest.keys.map((entry) => entry.kid).filter((kid) => !ordered.includes(kid)));
      const keys = await Promise.all(ordered.map(async (kid) => exportPublicJwk(await signerFor(kid))));
      if (jwksOptions?.includeRetired === true) keys.push(...(manifest.retired ?? []).map(retiredPublicJwk));
      return { keys };
    },

    async rotate(rotateOptions?: RotateOptions): Promise<Signer> {
      await prepareDirectory();
      return withDirectoryLock(root, async () => {
        const manifest = await manifestOrFirstKey();
        if (manifest.staged !== undefined) {
          throw new KeyError(`key ${manifest.staged} is staged already: activate it, or retire it to abandon that rotation, before rotating again`);
        }
        const current = manifest.keys.find((entry) => entry.kid === manifest.current);
        const { signer, entry } = await writeNewKey(options.alg ?? current?.alg ?? 'ES256');
        const keys = [entry, ...manifest.keys];
        await writeManifest(
          rotateOptions?.activate === true ? { ...manifest, current: signer.kid, staged: undefined, keys } : { ...manifest, staged: signer.kid, keys },
        );
        return signer;
      });
    },

    async activate(kid?: string): Promise<Signer> {
      if (kid !== undefined) assertKid(kid);
      await prepareDirectory();
      return withDirectoryLock(root, async () => {
        const manifest = await readManifest();
        const target = kid ?? manifest?.staged;
        if (target === undefined) throw new KeyError(`no key is staged in key store ${root}: rotate() first, publish jwks(), then activate()`);
        if (manifest?.retired?.some((entry) => entry.kid === target)) {
          throw new KeyError(`key ${target} is retired: its private key is destroyed and it can no longer sign`);
        }
        if (manifest === undefined || !manifest.keys.some((entry) => entry.kid === target)) {
          throw new KeyError(`no key with kid ${target} in key store ${root}`);
        }
        // Read (and decrypt) it before it becomes current, so a damaged file never breaks load().
        const signer = await signerFor(target);
        if (manifest.current !== target) {
          await writeManifest({ ...manifest, current: target, staged: manifest.staged === target ? undefined : manifest.staged });
        }
        return signer;
      });
    },

    async retire(kid: string): Promise<void> {
      assertKid(kid);
      await prepareDirectory();
      await withDirectoryLock(root, async () => {
        const manifest = await readManifest();
        const keyPath = join(root, `${kid}.pem`);
        if (manifest?.current === kid) throw new KeyError(`key ${kid} is the current key: activate another key before retiring it`);
        const entry = manifest?.keys.find((candidate) => candidate.kid === kid);
        if (manifest !== undefined && entry !== undefined) {
          const jwk = exportPublicJwk(await signerFor(kid));
          const retired: RetiredKey = { ...entry, retired: new Date().toISOString(), jwk };
          await writeManifest({
            ...manifest,
            staged: manifest.staged === kid ? undefined : manifest.staged,
            keys: manifest.keys.filter((candidate) => candidate.kid !== kid),
            retired: [retired, ...(manifest.retired ?? [])],
          });
        } else if (!manifest?.retired?.some((candidate) => candidate.kid === kid) && (await stampOf(keyPath)) === undefined) {
          throw new KeyError(`no key with kid ${kid} in key store ${root}`);
        }
        // Deleted after the manifest stops naming it; a retire cut short here is finished by the next one.
        await removeFile(keyPath);
        signers.delete(kid);
      });
    },
  };
}

function assertKid(kid: unknown): asserts kid is string {
  if (typeof kid !== 'string' || !kidPattern.test(kid)) throw new KeyError('not a key id: expected an RFC 7638 thumbprint');
}

async function readKey(path: string, kid: string, passphrase: Buffer | undefined): Promise<Signer> {
  const pem = await readPrivateFile(path);
  if (pem === undefined) throw new KeyError(`key file ${path} is missing`);
  try {
    const encrypted = pem.subarray(0, encryptedPem.length).toString('latin1') === encryptedPem;
    if (encrypted && passphrase === undefined) {
      throw new KeyError(`key file ${path} is encrypted: pass the passphrase it was written with`);
    }
    if (!encrypted && passphrase !== undefined) {
      throw new KeyError(`key file ${path} is not encrypted although a passphrase was given: refusing to use it`);
    }
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey(passphrase === undefined ? { key: pem, format: 'pem' } : { key: pem, format: 'pem', passphrase });
    } catch (error) {
      throw new KeyError(
        encrypted ? `cannot decrypt key file ${path}: wrong passphrase or damaged file` : `key file ${path} is not a PKCS#8 PEM private key`,
        { cause: error },
      );
    }
    const signer = createNodeSigner(privateKey);
    if (signer.kid !== kid) throw new KeyError(`key file ${path} does not hold the key its name says (kid ${kid})`);
    return signer;
  } finally {
    pem.fill(0);
  }
}

function newPrivateKey(alg: SigningAlgorithm): Promise<KeyObject> {
  return new Promise((resolvePromise, reject) => {
    const done = (error: Error | null, _publicKey: KeyObject, privateKey: KeyObject): void =>
      error ? reject(new KeyError('cannot generate a key', { cause: error })) : resolvePromise(privateKey);
    if (alg === 'ES256') generateKeyPair('ec', { namedCurve: 'P-256' }, done);
    else if (alg === 'EdDSA') generateKeyPair('ed25519', {}, done);
    else reject(new KeyError(`unsupported algorithm ${String(alg)}: use ES256 or EdDSA`));
  });
}

/** Identity of a file's current version (a rename over it changes the inode), or undefined. */
async function stampOf(path: string): Promise<string | undefined> {
  try {
    const stats = await stat(path, { bigint: true });
    return `${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KeyError(`cannot read ${path}`, { cause: error });
  }
}
