/**
 * A real redis-server for tests: spawned on a free loopback port with persistence off, stopped
 * afterwards. `pause()`/`resume()` freeze it (SIGSTOP/SIGCONT) to play a slow Redis; `stop()` and
 * `start()` again on the same port play an outage and a restart.
 */
import { type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freeLoopbackPort, spawnRedisServer, stopRedisServer } from '../../packages/redis/src/testing/redis-server-process.js';

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
  const port = await freeLoopbackPort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = await spawnRedisServer(REDIS_SERVER, port, extraArgs);
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
      if (running !== undefined) await stopRedisServer(running);
    },
    start,
  };
}
