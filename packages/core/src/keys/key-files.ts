import { constants } from 'node:fs';
import { lstat, mkdir, open, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeyError, KeyPermissionError } from '../errors.js';
import { writePrivateFileAtomically as writeFileAtomically } from '../lib/atomic-write.js';

/**
 * File-system helpers of the file key store: a private directory, private files written
 * atomically, reads that refuse loose permissions, and a cross-process lock for changes.
 * POSIX permission bits and owners mean nothing on Windows, so those checks are skipped there.
 *
 * A directory or file must belong to the user running the process (or to root, who can replace
 * anything anyway): another owner could swap the keys. Key files are opened with `O_NOFOLLOW`, so a
 * symlink is refused rather than followed.
 */

const checksModes = process.platform !== 'win32';
/** 0 when the platform has no O_NOFOLLOW (then a symlink is caught by an lstat before opening). */
const noFollow = constants.O_NOFOLLOW ?? 0;

/** The process's uid, or undefined where there is none (Windows). */
function currentUid(): number | undefined {
  return checksModes ? process.getuid?.() : undefined;
}

/** Refuses `path` when it belongs to neither the current user nor root. */
function assertOwned(path: string, what: string, uid: number): void {
  const current = currentUid();
  if (current === undefined || uid === current || uid === 0) return;
  throw new KeyPermissionError(
    `${what} ${path} belongs to uid ${uid}, not to the user running this process (uid ${current}); another user could replace its keys: ` +
      `take it over with: chown ${current} ${path} (or run the agent as uid ${uid}; in a container, match the volume's owner with --user)`,
  );
}

/** Makes `directory` (mode 0700) if needed; refuses one that group or others may write to, or another user owns. */
export async function ensurePrivateDirectory(directory: string): Promise<void> {
  try {
    await mkdir(directory, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new KeyError(`cannot create key directory ${directory}`, { cause: error });
  }
  const stats = await stat(directory);
  if (!stats.isDirectory()) throw new KeyError(`${directory} is not a directory`);
  assertOwned(directory, 'key directory', stats.uid);
  if (checksModes && (stats.mode & 0o022) !== 0) {
    throw new KeyPermissionError(
      `key directory ${directory} is writable by group or others (mode ${octal(stats.mode)}): restrict it with: chmod 700 ${directory}`,
    );
  }
}

/**
 * Reads a private key file, refusing it when group or others have any access to it, when another
 * user owns it, or when it is a symbolic link (opened with `O_NOFOLLOW`; mode and owner are read
 * from the opened file, so a swap between check and read changes nothing). Resolves to `undefined`
 * when the file does not exist.
 */
export async function readPrivateFile(path: string): Promise<Buffer | undefined> {
  return readChecked(path, 0o077, (mode) =>
    new KeyPermissionError(`key file ${path} is readable by group or others (mode ${octal(mode)}): restrict it with: chmod 600 ${path}`),
  );
}

/** Reads a file of the store that is not secret but must not be writable by group or others. */
export async function readProtectedFile(path: string): Promise<Buffer | undefined> {
  return readChecked(path, 0o022, (mode) =>
    new KeyPermissionError(`key store file ${path} is writable by group or others (mode ${octal(mode)}): restrict it with: chmod 600 ${path}`),
  );
}

async function readChecked(path: string, forbidden: number, refuse: (mode: number) => KeyPermissionError): Promise<Buffer | undefined> {
  const symlink = () =>
    new KeyPermissionError(`key store file ${path} is a symbolic link, which is never followed: put the file itself there (cp --remove-destination "$(readlink -f ${path})" ${path}; chmod 600 ${path})`);
  if (noFollow === 0) {
    const link = await lstat(path).catch(() => undefined);
    if (link?.isSymbolicLink()) throw symlink();
  }
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | noFollow);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    // O_NOFOLLOW on a symlink: ELOOP on Linux and macOS (EMLINK on FreeBSD).
    if (code === 'ELOOP' || code === 'EMLINK') throw symlink();
    throw new KeyError(`cannot open ${path}`, { cause: error });
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new KeyError(`${path} is not a regular file`);
    if (checksModes) assertOwned(path, 'key store file', stats.uid);
    if (checksModes && (stats.mode & forbidden) !== 0) throw refuse(stats.mode);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** {@link writeFileAtomically} for the key store: failures become a {@link KeyError}. */
export async function writePrivateFileAtomically(path: string, data: string | Uint8Array): Promise<void> {
  try {
    await writeFileAtomically(path, data);
  } catch (error) {
    throw new KeyError(`cannot write ${path}`, { cause: error });
  }
}

/** Deletes `path`; a file already gone is not an error. */
export async function removeFile(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new KeyError(`cannot delete ${path}`, { cause: error });
  }
}

/** Options of {@link withDirectoryLock}. */
export interface DirectoryLockOptions {
  /** Give up after this many milliseconds of waiting (default 10 000). */
  timeoutMs?: number;
  /** A lock file older than this many milliseconds was left by a crashed process (default 30 000). */
  staleMs?: number;
}

const inProcess = new Map<string, Promise<unknown>>();

/**
 * Runs `task` while holding the store's lock: one change at a time within this process (a promise
 * queue per directory) and across processes (a `.lock` file created exclusively). A lock file
 * older than `staleMs` is taken to be left over by a crashed process and removed.
 */
export async function withDirectoryLock<T>(directory: string, task: () => Promise<T>, options: DirectoryLockOptions = {}): Promise<T> {
  const previous = inProcess.get(directory) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(() => withLockFile(directory, task, options));
  const settled = run.catch(() => undefined);
  inProcess.set(directory, settled);
  void settled.then(() => {
    if (inProcess.get(directory) === settled) inProcess.delete(directory);
  });
  return run;
}

async function withLockFile<T>(directory: string, task: () => Promise<T>, options: DirectoryLockOptions): Promise<T> {
  const lockPath = join(directory, '.lock');
  const timeoutMs = options.timeoutMs ?? 10_000;
  const staleMs = options.staleMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new KeyError(`cannot lock key store ${directory}`, { cause: error });
      const stats = await stat(lockPath).catch(() => undefined);
      if (stats !== undefined && Date.now() - stats.mtimeMs > staleMs) {
        await unlink(lockPath).catch(() => undefined);
        continue;
      }
      if (Date.now() > deadline) {
        throw new KeyError(`key store ${directory} is locked by another process; if none is running, delete ${lockPath}`);
      }
      await sleep(15 + Math.floor(Math.random() * 20));
    }
  }
  try {
    return await task();
  } finally {
    await unlink(lockPath).catch(() => undefined);
  }
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}
