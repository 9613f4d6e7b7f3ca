import { chmod, chown, mkdtemp, readdir, readFile, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactVerify, importJWK } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyError, KeyPermissionError } from '../errors.js';
import { createCompactJwsSigner } from '../jws.js';
import { fileKeyStore } from './file-key-store.js';
import { withDirectoryLock } from './key-files.js';
import type { RotatingKeyStore } from './key-store.js';
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

describe('fileKeyStore: owners and links', () => {
  const runningAsRoot = process.getuid?.() === 0;

  it('refuses a key directory, key file or manifest another user owns, with the chown that fixes it', async () => {
    const signer = await fileKeyStore(directory).load();
    const keyPath = join(directory, `${signer.kid}.pem`);
    const manifest = join(directory, 'keys.json');
    const current = process.getuid!();
    // Without root a file cannot be given away; as root, hand each one to uid 12345 in turn.
    const foreign = runningAsRoot ? 12345 : current;
    for (const path of [directory, keyPath, manifest]) {
      await chown(path, foreign, foreign);
      const outcome = await fileKeyStore(directory).load().then(
        () => 'loaded',
        (error: Error) => error,
      );
      if (runningAsRoot) {
        expect(outcome).toBeInstanceOf(KeyPermissionError);
        expect((outcome as Error).message).toContain(`${path} belongs to uid 12345, not to the user running this process (uid 0)`);
        expect((outcome as Error).message).toContain(`chown 0 ${path}`);
      } else {
        expect(outcome).toBe('loaded');
      }
      await chown(path, current, current);
    }
    expect((await fileKeyStore(directory).load()).kid).toBe(signer.kid);
  });

  it('refuses a key file that is a symbolic link (even to a good key), naming the fix', async () => {
    const signer = await fileKeyStore(directory).load();
    const keyPath = join(directory, `${signer.kid}.pem`);
    const elsewhere = join(root, 'elsewhere.pem');
    await rename(keyPath, elsewhere);
    await symlink(elsewhere, keyPath);
    const error = await failure(fileKeyStore(directory).load());
    expect(error).toBeInstanceOf(KeyPermissionError);
    expect(error.message).toContain(`${keyPath} is a symbolic link, which is never followed`);
    expect(error.message).toContain(`chmod 600 ${keyPath}`);
    await rm(keyPath);
    await rename(elsewhere, keyPath);
    expect((await fileKeyStore(directory).load()).kid).toBe(signer.kid);
  });

  it('refuses a manifest that is a symbolic link', async () => {
    await fileKeyStore(directory).load();
    const manifest = join(directory, 'keys.json');
    const elsewhere = join(root, 'keys.json');
    await rename(manifest, elsewhere);
    await symlink(elsewhere, manifest);
    const error = await failure(fileKeyStore(directory).load());
    expect(error).toBeInstanceOf(KeyPermissionError);
    expect(error.message).toMatch(/keys\.json is a symbolic link/);
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

describe('fileKeyStore: two-phase rotation', () => {
  const manifestOf = async () => JSON.parse(await readFile(join(directory, 'keys.json'), 'utf8')) as Record<string, unknown>;
  const kidsOf = async (store: RotatingKeyStore, options?: { includeRetired: boolean }) => (await store.jwks(options)).keys.map((key) => key.kid);

  it('stages a new key: published at once, signing only once activated, the old one published until retired', async () => {
    const store = fileKeyStore(directory);
    const old = await store.load();
    const next = await store.rotate();
    expect(next.kid).not.toBe(old.kid);
    expect((await store.load()).kid).toBe(old.kid);
    const overlap = (await store.jwks()).keys;
    expect(overlap.map((key) => key.kid)).toEqual([old.kid, next.kid]);
    expect(await verifiesWith(old, overlap[0]!)).toBe(true);
    expect(await verifiesWith(next, overlap[1]!)).toBe(true);
    expect(await manifestOf()).toMatchObject({ current: old.kid, staged: next.kid });

    expect((await store.activate(next.kid)).kid).toBe(next.kid);
    expect((await store.load()).kid).toBe(next.kid);
    expect(await kidsOf(store)).toEqual([next.kid, old.kid]);
    expect(await manifestOf()).not.toHaveProperty('staged');

    await store.retire(old.kid);
    expect(await kidsOf(store)).toEqual([next.kid]);
    expect((await readdir(directory)).includes(`${old.kid}.pem`)).toBe(false);
  });

  it('keeps the staged key across a restart, and a new process can activate it for the live one', async () => {
    const live = fileKeyStore(directory);
    const old = await live.load();
    const next = await fileKeyStore(directory).rotate(); // e.g. `countersign keys rotate` in another process
    const restarted = fileKeyStore(directory);
    expect((await restarted.load()).kid).toBe(old.kid);
    expect(await kidsOf(restarted)).toEqual([old.kid, next.kid]);
    expect((await live.load()).kid).toBe(old.kid);

    expect((await fileKeyStore(directory).activate()).kid).toBe(next.kid); // no kid: the staged one
    expect((await live.load()).kid).toBe(next.kid);
    expect((await fileKeyStore(directory).load()).kid).toBe(next.kid);
    await expect(fileKeyStore(directory).activate()).rejects.toThrow(/no key is staged/);
  });

  it('rotate({ activate: true }) makes the new key current at once, the old one still published', async () => {
    const store = fileKeyStore(directory);
    const old = await store.load();
    const next = await store.rotate({ activate: true });
    expect((await store.load()).kid).toBe(next.kid);
    expect((await fileKeyStore(directory).load()).kid).toBe(next.kid);
    expect(await kidsOf(store)).toEqual([next.kid, old.kid]);
    expect(await manifestOf()).not.toHaveProperty('staged');
  });

  it('on an empty store, rotate() first makes the current key, then stages the new one', async () => {
    const store = fileKeyStore(directory);
    const next = await store.rotate();
    const current = await store.load();
    expect(current.kid).not.toBe(next.kid);
    expect(await kidsOf(store)).toEqual([current.kid, next.kid]);
  });

  it('refuses a second rotation while a key is staged, from any process; retiring the staged key abandons it', async () => {
    const store = fileKeyStore(directory);
    const old = await store.load();
    const results = await Promise.allSettled([store.rotate(), fileKeyStore(directory).rotate(), fileKeyStore(directory).rotate({ activate: true })]);
    const staged = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    expect(staged).toHaveLength(1);
    for (const result of results) {
      if (result.status === 'rejected') {
        expect(result.reason).toBeInstanceOf(KeyError);
        expect((result.reason as Error).message).toContain(`key ${staged[0]!.kid} is staged already`);
      }
    }
    expect((await readdir(directory)).filter((name) => name.endsWith('.pem'))).toHaveLength(2);

    await store.retire(staged[0]!.kid);
    expect(await kidsOf(store)).toEqual([old.kid]);
    expect((await store.load()).kid).toBe(old.kid);
    await expect(store.activate(staged[0]!.kid)).rejects.toThrow(/is retired/);
    const again = await store.rotate();
    expect(await kidsOf(store)).toEqual([old.kid, again.kid]);
  });

  it('activate refuses unknown, retired and malformed kids with a KeyError, changing nothing', async () => {
    const store = fileKeyStore(directory);
    const old = await store.load();
    const next = await store.rotate();
    await store.activate(next.kid);
    await store.retire(old.kid);
    const unknown = await failure(store.activate('A'.repeat(43)));
    expect(unknown).toBeInstanceOf(KeyError);
    expect(unknown.message).toContain(`no key with kid ${'A'.repeat(43)}`);
    const retired = await failure(store.activate(old.kid));
    expect(retired).toBeInstanceOf(KeyError);
    expect(retired.message).toMatch(/is retired: its private key is destroyed/);
    await expect(store.activate('../../etc/passwd')).rejects.toThrow(/not a key id/);
    await expect(store.activate()).rejects.toThrow(/no key is staged/);
    expect((await store.load()).kid).toBe(next.kid);
    expect((await store.activate(next.kid)).kid).toBe(next.kid); // the current key: nothing changes
  });

  it('can roll back to a previous key that is still published', async () => {
    const store = fileKeyStore(directory);
    const old = await store.load();
    const next = await store.rotate({ activate: true });
    expect((await store.activate(old.kid)).kid).toBe(old.kid);
    expect((await store.load()).kid).toBe(old.kid);
    expect(await kidsOf(store)).toEqual([old.kid, next.kid]);
  });

  it('does not activate a staged key whose file is damaged: the current key keeps signing', async () => {
    const store = fileKeyStore(directory);
    const old = await store.load();
    const next = await store.rotate();
    await writeFile(join(directory, `${next.kid}.pem`), 'garbage', { mode: 0o600 });
    await expect(fileKeyStore(directory).activate(next.kid)).rejects.toThrow(/not a PKCS#8 PEM private key/);
    expect((await fileKeyStore(directory).load()).kid).toBe(old.kid);
    expect(await manifestOf()).toMatchObject({ current: old.kid, staged: next.kid });
  });

  it('keeps the public keys of retired keys for verification (after a restart too), never their private keys', async () => {
    const store = fileKeyStore(directory, { alg: 'EdDSA' });
    const first = await store.load();
    const second = await store.rotate({ activate: true });
    const third = await store.rotate();
    await store.activate();
    await store.retire(first.kid);
    await store.retire(second.kid);
    await store.retire(second.kid); // again: nothing changes

    expect(await kidsOf(store)).toEqual([third.kid]);
    const reopened = fileKeyStore(directory);
    const all = (await reopened.jwks({ includeRetired: true })).keys;
    expect(all.map((key) => key.kid)).toEqual([third.kid, second.kid, first.kid]);
    expect(all[2]).toEqual({ ...first.publicJwk, kid: first.kid, alg: 'EdDSA', use: 'sig' });
    expect(await verifiesWith(first, all[2]!)).toBe(true);
    expect(await verifiesWith(second, all[1]!)).toBe(true);
    expect((await readdir(directory)).filter((name) => name.endsWith('.pem'))).toEqual([`${third.kid}.pem`]);
    const manifest = await readFile(join(directory, 'keys.json'), 'utf8');
    expect(manifest).not.toMatch(/"d"\s*:/);
    await expect(reopened.retire(first.kid)).resolves.toBeUndefined();
  });

  it('keeps the algorithm of the current key when rotating', async () => {
    const first = await fileKeyStore(directory, { alg: 'EdDSA' }).load();
    const next = await fileKeyStore(directory).rotate();
    expect([first.alg, next.alg]).toEqual(['EdDSA', 'EdDSA']);
  });

  it('serves every load during a rotation and an activation with a complete key', async () => {
    const store = fileKeyStore(directory);
    const old = await store.load();
    const loads = Array.from({ length: 50 }, () => store.load());
    const rotation = store.rotate().then((signer) => store.activate(signer.kid));
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
    await store.rotate({ activate: true });
    const oldPem = await readFile(join(directory, `${old.kid}.pem`));
    await store.retire(old.kid);
    await writeFile(join(directory, `${old.kid}.pem`), oldPem, { mode: 0o600 }); // as if the unlink never happened
    await store.retire(old.kid);
    expect((await readdir(directory)).includes(`${old.kid}.pem`)).toBe(false);
  });

  it('reads a manifest written before two-phase rotation (no staged, no retired)', async () => {
    const signer = await fileKeyStore(directory).load();
    const { current, keys } = await manifestOf();
    await writeFile(join(directory, 'keys.json'), JSON.stringify({ version: 1, current, keys }), { mode: 0o600 });
    const store = fileKeyStore(directory);
    expect((await store.load()).kid).toBe(signer.kid);
    const next = await store.rotate();
    expect(await kidsOf(store, { includeRetired: true })).toEqual([signer.kid, next.kid]);
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

  it('refuses a manifest whose staged or retired entries do not add up', async () => {
    const store = fileKeyStore(directory);
    const old = await store.load();
    const next = await store.rotate({ activate: true });
    await store.retire(old.kid);
    const manifest = JSON.parse(await readFile(join(directory, 'keys.json'), 'utf8')) as {
      current: string;
      keys: unknown[];
      retired: { jwk: Record<string, unknown> }[];
    };
    const write = (value: unknown) => writeFile(join(directory, 'keys.json'), JSON.stringify(value), { mode: 0o600 });
    const variants: unknown[] = [
      { ...manifest, staged: 'A'.repeat(43) }, // names no key
      { ...manifest, staged: next.kid }, // staged and current at once
      { ...manifest, retired: [{ ...manifest.retired[0], jwk: { ...manifest.retired[0]!.jwk, x: next.publicJwk.x, y: next.publicJwk.y } }] }, // key is not its kid
      { ...manifest, retired: [{ ...manifest.retired[0], jwk: { ...manifest.retired[0]!.jwk, d: 'secret' } }] }, // private member
      { ...manifest, retired: [{ ...manifest.retired[0], kid: next.kid, jwk: { ...next.publicJwk, kid: next.kid, alg: 'ES256', use: 'sig' } }] }, // kid listed twice
      { ...manifest, retired: 'none' },
    ];
    for (const variant of variants) {
      await write(variant);
      await expect(fileKeyStore(directory).load()).rejects.toThrow(/malformed/);
    }
    await write(manifest);
    expect((await fileKeyStore(directory).load()).kid).toBe(next.kid);
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
