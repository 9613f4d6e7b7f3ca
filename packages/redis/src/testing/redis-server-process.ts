/**
 * A throwaway redis-server process on a free loopback port, persistence off: what the tests and the
 * demo's `--redis auto` start. Shared by test/helpers/redis-server.ts and examples/shared/redis-flag.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer, connect } from 'node:net';
import { delimiter, join } from 'node:path';

/** The full path of `redis-server` on PATH, or undefined when it is not installed. */
export function findRedisServerOnPath(pathList = process.env.PATH ?? ''): string | undefined {
  for (const directory of pathList.split(delimiter).filter(Boolean)) {
    const candidate = join(directory, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** A port on 127.0.0.1 that was free a moment ago (the OS picks it). */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Spawns `binary` on 127.0.0.1:`port` with persistence off (`--save ''`, `--appendonly no`) and
 * `extraArgs` (more settings), and resolves once it answers PING; rejects (and kills it) if it
 * exits or stays silent for 10 s.
 */
export async function spawnRedisServer(binary: string, port: number, extraArgs: readonly string[] = []): Promise<ChildProcess> {
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', ...extraArgs], {
    stdio: 'ignore',
  });
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
  try {
    await Promise.race([waitForPing(port, child), spawnError]);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return child;
}

/** Stops a redis-server started by {@link spawnRedisServer}: SIGTERM, then SIGKILL after 3 s. */
export async function stopRedisServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGCONT'); // a paused server cannot handle SIGTERM
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}

/** Sends PING until the server answers PONG (10 s at most). */
async function waitForPing(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode} (port ${port} taken?)`);
    const answered = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.setTimeout(500);
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (answered) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis-server on port ${port} did not answer PING within 10 s`);
}
