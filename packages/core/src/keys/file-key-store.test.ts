import { chmod, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactVerify, importJWK } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyError, KeyPermissionError } from '../errors.js';
import { createCompactJwsSigner } from '../jws.js';
import { fileKeyStore } from './file-key-store.js';
import { withDirectoryLock } from './key-files.js';
import type { PublicJwk, Signer } from './signer.js';

let root: string;
let directory: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'countersign-keys-'));
  directory = join(root, 'agent');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const mode = async (path: string) => (await stat(path)).mode & 0o777;

async function verifiesWith(signer: Signer, jwk: PublicJwk): Promise<boolean> {
  const token = (await createCompactJwsSigner(signer, { kid: signer.kid }).sign({ ok: true })) as string;
  await compactVerify(token, await importJWK({ ...jwk }, signer.alg));
  return true;
}

/** The error a promise rejects with. */
async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('fileKeyStore: creation and loading', () => {
  it('creates the key on first use: directory 0700, key file and manifest 0600', async () => {
    const signer = await fileKeyStore(directory).load();
    expect(signer.alg).toBe('ES256');
    const files = (await readdir(directory)).sort();
    expect(files).toEqual([`${signer.kid}.pem`, 'keys.json'].sort());
    expect(await mode(directory)).toBe(0o700);
    expect(await mode(join(directory, `${signer.kid}.pem`))).toBe(0o600);
    expect(await mode(join(directory, 'keys.json'))).toBe(0o600);
    const pem = await readFile(join(directory, `${signer.kid}.pem`), 'utf8');
    expect(pem.startsWith('-----BEGIN PRIVATE KEY-----')).toBe(true);
  });

  it('writes 0700 and 0600 whatever the umask', async () => {
    const previous = process.umask(0o000);
    try {
      const signer = await fileKeyStore(directory).load();
      expect(await mode(directory)).toBe(0o700);
      expect(await mode(join(directory, `${signer.kid}.pem`))).toBe(0o600);
      expect(await mode(join(directory, 'keys.json'))).toBe(0o600);
    } finally {
      process.umask(previous);
    }
  });

  it('returns the same key afterwards, from this store and from a new one (a restart)', async () => {
    const store = fileKeyStore(directory, { alg: 'EdDSA' });
    const first = await store.load();
    expect(first.alg).toBe('EdDSA');
    expect(await store.load()).toBe(first);
    const restarted = await fileKeyStore(directory).load();
    expect(restarted.kid).toBe(first.kid);
    const [jwk] = (await fileKeyStore(directory).jwks()).keys;
    expect(jwk).toEqual({ ...first.publicJwk, kid: first.kid, alg: 'EdDSA', use: 'sig' });
    expect(await verifiesWith(restarted, jwk!)).toBe(true);
  });

  it('makes exactly one key when many callers and stores load at once', async () => {
    const stores = [fileKeyStore(directory), fileKeyStore(directory), fileKeyStore(directory)];
    const signers = await Promise.all(stores.flatMap((store) => Array.from({ length: 10 }, () => store.load())));
    expect(new Set(signers.map((signer) => signer.kid)).size).toBe(1);
    expect((await readdir(directory)).filter((name) => name.endsWith('.pem'))).toHaveLength(1);
  });

  it('leaves no temporary or lock files behind', async () => {
    const store = fileKeyStore(directory);
    await store.load();
    await store.rotate();
    expect((await readdir(directory)).filter((name) => name.startsWith('.'))).toEqual([]);
  });
});

describe('fileKeyStore: permissions (POSIX modes)', () => {
  it('refuses a key file readable by group or others, naming the file and the fix, never the key', async () => {
    const signer = await fileKeyStore(directory).load();
    const keyPath = join(directory, `${signer.kid}.pem`);
    const pem = await readFile(keyPath, 'utf8');
    for (const loose of [0o644, 0o640, 0o604, 0o620]) {
      await chmod(keyPath, loose);
      const error = await failure(fileKeyStore(directory).load());
      expect(error).toBeInstanceOf(KeyPermissionError);
      expect((error as KeyPermissionError).code).toBe('ERR_KEY_PERMISSIONS');
      expect(error.message).toContain(keyPath);
      expect(error.message).toContain(`chmod 600 ${keyPath}`);
      expect(error.message).toContain(`0${loose.toString(8)}`);
      const body = pem.split('\n').slice(1, -2).join('');
      expect(error.message).not.toContain(body.slice(0, 20));
    }
    await chmod(keyPath, 0o600);
    expect((await fileKeyStore(directory).load()).kid).toBe(signer.kid);
    await chmod(keyPath, 0o400);
    expect((await fileKeyStore(directory).load()).kid).toBe(signer.kid);
  });

  it('refuses a key directory that group or others can write to', async () => {
    await fileKeyStore(directory).load();
    await chmod(directory, 0o777);
    const error = await failure(fileKeyStore(directory).load());
    expect(error).toBeInstanceOf(KeyPermissionError);
    expect(error.message).toContain(`chmod 700 ${directory}`);
    await chmod(directory, 0o755);
    await expect(fileKeyStore(directory).load()).resolves.toBeDefined();
  });

  it('refuses a manifest that others can write to', async () => {
    await fileKeyStore(directory).load();
    await chmod(join(directory, 'keys.json'), 0o666);
    await expect(fileKeyStore(directory).load()).rejects.toBeInstanceOf(KeyPermissionError);
  });
});

describe('fileKeyStore: passphrase', () => {
  it('writes encrypted PKCS#8 and loads it back with the passphrase', async () => {
    const signer = await fileKeyStore(directory, { passphrase: 'correct horse battery staple' }).load();
    const pem = await readFile(join(directory, `${signer.kid}.pem`), 'utf8');
    expect(pem.startsWith('-----BEGIN ENCRYPTED PRIVATE KEY-----')).toBe(true);
    const again = await fileKeyStore(directory, { passphrase: Buffer.from('correct horse battery staple') }).load();
    expect(again.kid).toBe(signer.kid);
    const [jwk] = (await fileKeyStore(directory, { passphrase: 'correct horse battery staple' }).jwks()).keys;
    expect(await verifiesWith(again, jwk!)).toBe(true);
  });

  it('says so clearly for a wrong or missing passphrase, without echoing it', async () => {
    await fileKeyStore(directory, { passphrase: 'correct horse battery staple' }).load();
    const wrong = await failure(fileKeyStore(directory, { passphrase: 'Tr0ub4dor&3' }).load());
    expect(wrong).toBeInstanceOf(KeyError);
    expect(wrong.message).toMatch(/cannot decrypt key file .*wrong passphrase/);
    expect(wrong.message).not.toContain('Tr0ub4dor');
    const missing = await failure(fileKeyStore(directory).load());
    expect(missing).toBeInstanceOf(KeyError);
    expect(missing.message).toMatch(/is encrypted/);
  });

  it('refuses an unencrypted key file when a passphrase is configured', async () => {
    await fileKeyStore(directory).load();
    await expect(fileKeyStore(directory, { passphrase: 'secret' }).load()).rejects.toThrow(/not encrypted/);
  });

  it('refuses an empty passphrase', () => {
    expect(() => fileKeyStore(directory, { passphrase: '' })).toThrow(KeyError);
  });

  it('encrypts rotated keys too', async () => {
    const store = fileKeyStore(directory, { passphrase: 'p' });
    await store.load();
    const next = await store.rotate();
    expect((await readFile(join(directory, `${next.kid}.pem`), 'utf8')).startsWith('-----BEGIN ENCRYPTED PRIVATE KEY-----')).toBe(true);
  });
});

describe('fileKeyStore: rotation', () => {
  it('rotates to a new current key and publishes both until the old one is retired', async () => {
    const store = fileKeyStore(directory);
    const old = await store.load();
    const next = await store.rotate();
    expect(next.kid).not.toBe(old.kid);
    expect((await store.load()).kid).toBe(next.kid);

    const overlap = (await store.jwks()).keys;
    expect(overlap.map((key) => key.kid)).toEqual([next.kid, old.kid]);
    expect(await verifiesWith(old, overlap[1]!)).toBe(true);
    expect(await verifiesWith(next, overlap[0]!)).toBe(true);

    await store.retire(old.kid);
    expect((await store.jwks()).keys.map((key) => key.kid)).toEqual([next.kid]);
    expect((await readdir(directory)).includes(`${old.kid}.pem`)).toBe(false);
  });

  it('lets a live process see a rotation made by another one on its next load()', async () => {
    const live = fileKeyStore(directory);
    const before = await live.load();
    const next = await fileKeyStore(directory).rotate(); // e.g. `countersign keys rotate` in another process
    const after = await live.load();
    expect(after.kid).toBe(next.kid);
    expect(after.kid).not.toBe(before.kid);
  });

  it('keeps the algorithm of the current key when rotating', async () => {
    const first = await fileKeyStore(directory, { alg: 'EdDSA' }).load();
    const next = await fileKeyStore(directory).rotate();
    expect([first.alg, next.alg]).toEqual(['EdDSA', 'EdDSA']);
  });

  it('serves every load during a rotation with a complete key', async () => {
    const store = fileKeyStore(directory);
    const old = await store.load();
    const loads = Array.from({ length: 50 }, () => store.load());
    const rotation = store.rotate();
    const more = Array.from({ length: 50 }, () => fileKeyStore(directory).load());
    const next = await rotation;
    for (const signer of await Promise.all([...loads, ...more])) expect([old.kid, next.kid]).toContain(signer.kid);
    expect((await store.load()).kid).toBe(next.kid);
  });

  it('refuses to retire the current key, unknown keys and things that are not key ids', async () => {
    const store = fileKeyStore(directory);
    const current = await store.load();
    await expect(store.retire(current.kid)).rejects.toThrow(/current key/);
    await expect(store.retire('A'.repeat(43))).rejects.toThrow(/no key with kid/);
    await expect(store.retire('../../etc/passwd')).rejects.toThrow(/not a key id/);
    expect((await store.load()).kid).toBe(current.kid);
  });

  it('finishes a retire that was cut short after the manifest was written', async () => {
    const store = fileKeyStore(directory);
    const old = await store.load();
    await store.rotate();
    const oldPem = await readFile(join(directory, `${old.kid}.pem`));
    await store.retire(old.kid);
    await writeFile(join(directory, `${old.kid}.pem`), oldPem, { mode: 0o600 }); // as if the unlink never happened
    await store.retire(old.kid);
    expect((await readdir(directory)).includes(`${old.kid}.pem`)).toBe(false);
  });
});

describe('fileKeyStore: damaged stores', () => {
  it('refuses a key file that holds another key than its name says', async () => {
    const store = fileKeyStore(directory);
    const old = await store.load();
    const next = await store.rotate();
    const nextPem = await readFile(join(directory, `${next.kid}.pem`));
    await writeFile(join(directory, `${old.kid}.pem`), nextPem, { mode: 0o600 });
    await expect(fileKeyStore(directory).jwks()).rejects.toThrow(/does not hold the key its name says/);
  });

  it('refuses a malformed manifest and a missing key file', async () => {
    const signer = await fileKeyStore(directory).load();
    await rm(join(directory, `${signer.kid}.pem`));
    await expect(fileKeyStore(directory).load()).rejects.toThrow(/is missing/);
    await writeFile(join(directory, 'keys.json'), '{"version":1,"current":"x","keys":[]}', { mode: 0o600 });
    await expect(fileKeyStore(directory).load()).rejects.toThrow(/malformed/);
    await writeFile(join(directory, 'keys.json'), 'not json', { mode: 0o600 });
    await expect(fileKeyStore(directory).load()).rejects.toThrow(/not valid JSON/);
  });

  it('refuses a key file that is not a PEM private key', async () => {
    const signer = await fileKeyStore(directory).load();
    await writeFile(join(directory, `${signer.kid}.pem`), 'garbage', { mode: 0o600 });
    await expect(fileKeyStore(directory).load()).rejects.toThrow(/not a PKCS#8 PEM private key/);
  });
});

describe('directory lock', () => {
  it('waits for a lock held by another process and gives up with a clear error', async () => {
    await fileKeyStore(directory).load();
    await writeFile(join(directory, '.lock'), '99999\n', { mode: 0o600 });
    const error = await failure(withDirectoryLock(directory, async () => 'ran', { timeoutMs: 100 }));
    expect(error).toBeInstanceOf(KeyError);
    expect(error.message).toMatch(/locked by another process/);
  });

  it('takes over a lock left by a crashed process', async () => {
    await fileKeyStore(directory).load();
    const lockPath = join(directory, '.lock');
    await writeFile(lockPath, '99999\n', { mode: 0o600 });
    const old = new Date(Date.now() - 60_000);
    await utimes(lockPath, old, old);
    expect(await withDirectoryLock(directory, async () => 'ran')).toBe('ran');
    expect((await readdir(directory)).includes('.lock')).toBe(false);
  });

  it('runs changes one at a time within a process', async () => {
    await fileKeyStore(directory).load();
    let running = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 5 }, () =>
        withDirectoryLock(directory, async () => {
          running++;
          most = Math.max(most, running);
          await new Promise((resolve) => setTimeout(resolve, 5));
          running--;
        }),
      ),
    );
    expect(most).toBe(1);
  });
});
