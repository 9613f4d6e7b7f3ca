/**
 * A real redis-server for tests: spawned on a free loopback port with persistence off, stopped
 * afterwards. `pause()`/`resume()` freeze it (SIGSTOP/SIGCONT) to play a slow Redis; `stop()` and
 * `start()` again on the same port play an outage and a restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, connect } from 'node:net';

const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

export interface TestRedis {
  /** `redis://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** Freezes the server: connections stay open, commands get no answer. */
  pause(): void;
  /** Unfreezes a paused server. */
  resume(): void;
  /** Stops the server (its data is gone: persistence is off). */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
}

/** Whether redis-server is installed (scripts/setup.sh installs it). */
export const hasRedisServer = existsSync(REDIS_SERVER);

/**
 * Starts redis-server on a free loopback port and waits until it accepts commands. `extraArgs` are
 * more command-line settings, e.g. `['--maxmemory-policy', 'volatile-lru']`.
 */
export async function startRedisServer(extraArgs: readonly string[] = []): Promise<TestRedis> {
  if (!hasRedisServer) throw new Error(`${REDIS_SERVER} is missing: run scripts/setup.sh (it installs redis-server)`);
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', ...extraArgs], {
      stdio: 'ignore',
    });
    await waitForPing(port, child);
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    async stop() {
      const running = child;
      child = undefined;
      if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
      running.kill('SIGCONT');
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGTERM');
      const timer = setTimeout(() => running.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    },
    start,
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
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
