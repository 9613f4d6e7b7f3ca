/**
 * `--redis <url|auto>`: the agent's approvals in Redis (`@countersign/redis`) instead of memory.
 * `auto` starts a throwaway redis-server from PATH on a free loopback port (persistence off) and
 * stops it when the example ends, Ctrl-C and errors included.
 */
import type { ApprovalStore } from '@countersign/core';
import { redisApprovalStore } from '@countersign/redis';
import {
  findRedisServerOnPath,
  freeLoopbackPort,
  spawnRedisServer,
  stopRedisServer,
} from '../../packages/redis/src/testing/redis-server-process.js';
import { UsageError, UserFacingError, type FlagTable } from './cli.js';

/** The `--redis` flag, for a command's flag table. */
export const redisFlag = {
  redis: {
    type: 'string',
    value: '<url|auto>',
    description: "keep the agent's approvals in Redis: a redis:// URL, or `auto` to start a redis-server on a free loopback port for this run",
  },
} satisfies FlagTable;

/** Where the approvals live, and how to let go of them. */
export interface RedisApprovals {
  store: ApprovalStore;
  /** One line for the terminal, e.g. `Redis at redis://127.0.0.1:40123 (started for this run)`. */
  where: string;
  /** Closes the connection and stops a server started for this run. */
  close(): Promise<void>;
}

/** Opens the store `--redis` asks for (undefined without the flag: the agent keeps approvals in memory). */
export async function openRedisApprovals(flag: string | undefined): Promise<RedisApprovals | undefined> {
  if (flag === undefined) return undefined;
  if (flag !== 'auto') {
    if (!/^rediss?:\/\//.test(flag)) throw new UsageError(`--redis must be a redis:// or rediss:// URL, or auto`, 'try --redis auto or --redis redis://127.0.0.1:6379');
    const store = redisApprovalStore({ url: flag });
    return { store, where: `Redis at ${redactPassword(flag)}`, close: () => store.close() };
  }
  const binary = findRedisServerOnPath();
  if (binary === undefined) throw new UserFacingError('--redis auto needs redis-server on PATH', 'apt-get install redis-server');
  const port = await freeLoopbackPort();
  const server = await spawnRedisServer(binary, port);
  // A second Ctrl-C exits at once: the server must not outlive the example.
  const killOnExit = () => void server.kill('SIGTERM');
  process.once('exit', killOnExit);
  const url = `redis://127.0.0.1:${port}`;
  const store = redisApprovalStore({ url });
  return {
    store,
    where: `Redis at ${url} (started for this run)`,
    async close() {
      try {
        await store.close();
      } finally {
        await stopRedisServer(server);
        process.off('exit', killOnExit);
      }
    },
  };
}

function redactPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    throw new UsageError(`--redis is not a valid URL`, 'try --redis redis://127.0.0.1:6379');
  }
}
