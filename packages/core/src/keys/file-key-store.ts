import { createPrivateKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { KeyError } from '../errors.js';
import { exportPublicJwk, type PublicJwks, type RotatingKeyStore } from './key-store.js';
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

/** What `keys.json` holds: no secret, only which key files exist and which one is current. */
interface Manifest {
  version: 1;
  current: string;
  keys: { kid: string; alg: SigningAlgorithm; created: string }[];
}

const manifestName = 'keys.json';
const kidPattern = /^[A-Za-z0-9_-]{43}$/;
const encryptedPem = '-----BEGIN ENCRYPTED PRIVATE KEY-----';

/**
 * A key store in a directory: one PKCS#8 PEM file per key, named `<kid>.pem` (mode 0600), and a
 * `keys.json` manifest naming the current key, in a directory created with mode 0700.
 *
 * - {@link KeyStore.load} creates the first key on first use and afterwards returns the current key
 *   from memory; it notices a rotation made by another process (one `stat` per call).
 * - A key file that group or others can access is refused with a {@link KeyPermissionError} that
 *   names the file and the `chmod` that fixes it; so is a directory they can write to.
 * - Files are written atomically (temporary file, `fsync`, `rename`), and changes take a lock so
 *   two processes cannot rotate at once.
 * - Each key file is checked to hold the key its name says (its RFC 7638 thumbprint).
 *
 * @example
 * ```ts
 * const store = fileKeyStore('.countersign/payout-agent', { passphrase: process.env.KEY_PASSPHRASE });
 * const agent = await createAgent({ issuer, clientId: 'payout-agent', key: await store.load() });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc5958#section-3 (EncryptedPrivateKeyInfo)
 * @see https://www.rfc-editor.org/rfc/rfc7638#section-3
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

  function signerFor(kid: string): Promise<Signer> {
    let signer = signers.get(kid);
    if (signer === undefined) {
      signer = readKey(join(root, `${kid}.pem`), kid, passphrase);
      signers.set(kid, signer);
      signer.catch(() => signers.delete(kid));
    }
    return signer;
  }

  async function addKey(alg: SigningAlgorithm, previous: Manifest | undefined): Promise<Signer> {
    const privateKey = await newPrivateKey(alg);
    const signer = createNodeSigner(privateKey);
    const pem = privateKey.export(
      passphrase === undefined
        ? { type: 'pkcs8', format: 'pem' }
        : { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase },
    );
    await writePrivateFileAtomically(join(root, `${signer.kid}.pem`), pem);
    const entry = { kid: signer.kid, alg, created: new Date().toISOString() };
    const manifest: Manifest = { version: 1, current: signer.kid, keys: [entry, ...(previous?.keys ?? [])] };
    await writePrivateFileAtomically(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    signers.set(signer.kid, Promise.resolve(signer));
    return signer;
  }

  async function load(): Promise<Signer> {
    const manifest = await readManifest();
    if (manifest !== undefined) return signerFor(manifest.current);
    return withDirectoryLock(root, async () => {
      const existing = await readManifest();
      if (existing !== undefined) return signerFor(existing.current);
      return addKey(options.alg ?? 'ES256', undefined);
    });
  }

  return {
    load,

    async jwks(): Promise<PublicJwks> {
      await load();
      const manifest = (await readManifest())!;
      const ordered = [manifest.current, ...manifest.keys.map((entry) => entry.kid).filter((kid) => kid !== manifest.current)];
      const keys = await Promise.all(ordered.map(async (kid) => exportPublicJwk(await signerFor(kid))));
      return { keys };
    },

    async rotate(): Promise<Signer> {
      await prepareDirectory();
      return withDirectoryLock(root, async () => {
        const manifest = await readManifest();
        const current = manifest === undefined ? undefined : manifest.keys.find((entry) => entry.kid === manifest.current);
        return addKey(options.alg ?? current?.alg ?? 'ES256', manifest);
      });
    },

    async retire(kid: string): Promise<void> {
      if (typeof kid !== 'string' || !kidPattern.test(kid)) throw new KeyError('not a key id: expected an RFC 7638 thumbprint');
      await prepareDirectory();
      await withDirectoryLock(root, async () => {
        const manifest = await readManifest();
        const keyPath = join(root, `${kid}.pem`);
        if (manifest?.current === kid) throw new KeyError(`key ${kid} is the current key: rotate before retiring it`);
        if (manifest?.keys.some((entry) => entry.kid === kid)) {
          const remaining: Manifest = { ...manifest, keys: manifest.keys.filter((entry) => entry.kid !== kid) };
          await writePrivateFileAtomically(manifestPath, `${JSON.stringify(remaining, null, 2)}\n`);
        } else if ((await stampOf(keyPath)) === undefined) {
          throw new KeyError(`no key with kid ${kid} in key store ${root}`);
        }
        // Deleted after the manifest stops naming it; a retire cut short here is finished by the next one.
        await removeFile(keyPath);
        signers.delete(kid);
      });
    },
  };
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

function parseManifest(bytes: Buffer, path: string): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new KeyError(`key store manifest ${path} is not valid JSON`, { cause: error });
  }
  const manifest = value as Partial<Manifest> | null;
  const wellFormed =
    typeof manifest === 'object' &&
    manifest !== null &&
    manifest.version === 1 &&
    typeof manifest.current === 'string' &&
    Array.isArray(manifest.keys) &&
    manifest.keys.every(
      (entry) =>
        typeof entry === 'object' &&
        entry !== null &&
        typeof entry.kid === 'string' &&
        kidPattern.test(entry.kid) &&
        (entry.alg === 'ES256' || entry.alg === 'EdDSA') &&
        typeof entry.created === 'string',
    ) &&
    manifest.keys.some((entry) => entry.kid === manifest.current) &&
    new Set(manifest.keys.map((entry) => entry.kid)).size === manifest.keys.length;
  if (!wellFormed) throw new KeyError(`key store manifest ${path} is malformed`);
  return manifest as Manifest;
}
