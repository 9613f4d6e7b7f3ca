import { ConfigurationError } from '@countersign/core';
import { Redis, type RedisOptions } from 'ioredis';
import { RedisEvictionPolicyError, RedisUnavailableError } from './errors.js';

/** How a store reaches Redis. Every option states its unit and default. */
export interface RedisConnectionOptions {
  /**
   * `redis://` on a loopback host, or `rediss://` (TLS) anywhere, e.g. `redis://127.0.0.1:6379`.
   * Credentials and the database number go in the URL (`rediss://user:password@host:6380/2`).
   */
  url?: string | undefined;
  /**
   * An ioredis client you configured yourself (Sentinel, custom TLS, a private network you
   * trust): used as is, and closed by `close()`. Its retry and timeout settings are then yours;
   * keep `enableOfflineQueue: false` and a `commandTimeout` so calls fail closed.
   */
  client?: Redis | undefined;
  /** Prefix of every key the store writes. Default `countersign:`. */
  keyPrefix?: string | undefined;
  /** How long one command may take before it fails with {@link RedisUnavailableError}, in ms. Default 2 000. */
  commandTimeoutMs?: number | undefined;
  /** How long to wait for a (re)connection before a command fails, in ms. Default 2 000. */
  connectTimeoutMs?: number | undefined;
  /**
   * Work with a Redis whose `maxmemory-policy` may evict keys (anything but `noeviction`), or
   * whose policy cannot be read. Default `false`: such a server is refused with
   * {@link RedisEvictionPolicyError}, because an evicted spent-action or lease key lets an approved
   * call run twice. Set it only if memory can never fill up (and you monitor it).
   */
  allowEviction?: boolean | undefined;
}

/** A connected client and what the store needs around it. */
export interface RedisConnection {
  client: Redis;
  prefix: string;
  /** Runs `command` once the client is ready (waiting at most the connect timeout); failures become {@link RedisUnavailableError}. */
  run<T>(what: string, command: (client: Redis) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Opens a client that fails fast rather than queueing: no offline queue, no per-command retries,
 * a timeout on every command. The connection itself reconnects in the background (backoff capped
 * at 2 s), so work resumes once Redis is back.
 *
 * @throws {ConfigurationError} for a missing or malformed URL, or plain `redis://` off loopback.
 */
export function openRedisConnection(options: RedisConnectionOptions): RedisConnection {
  const commandTimeout = positive(options.commandTimeoutMs ?? 2_000, 'commandTimeoutMs');
  const connectTimeout = positive(options.connectTimeoutMs ?? 2_000, 'connectTimeoutMs');
  const prefix = options.keyPrefix ?? 'countersign:';
  if (typeof prefix !== 'string' || prefix === '') throw new ConfigurationError('keyPrefix must be a non-empty string');
  let client: Redis;
  let where: string;
  if (options.client !== undefined) {
    client = options.client;
    where = 'redis';
  } else {
    const url = checkedUrl(options.url);
    where = `redis at ${url.host}`;
    const settings: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout,
      connectTimeout,
      enableAutoPipelining: true,
      retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
    };
    client = new Redis(url.href, settings);
  }
  // ioredis reports connection trouble as events; without a listener it prints them. The next
  // command reports it instead, as a typed error.
  client.on('error', () => undefined);

  // The policy is read once per (re)connection, before the first command on it: a failover or a
  // restart may land on a server configured differently. A failed check is retried next time.
  let policyCheck: Promise<void> | undefined;
  client.on('ready', () => void (policyCheck = undefined));
  const checkPolicy = (): Promise<void> => {
    if (options.allowEviction === true) return Promise.resolve();
    policyCheck ??= refuseEviction(client, where).catch((error: unknown) => {
      policyCheck = undefined;
      throw error;
    });
    return policyCheck;
  };

  async function ready(): Promise<void> {
    if (client.status === 'ready') return;
    if (client.status === 'end') throw new RedisUnavailableError(`${where} connection was closed`);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.off('ready', onReady);
        reject(new RedisUnavailableError(`${where} is not reachable (no connection within ${connectTimeout} ms)`));
      }, connectTimeout);
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      client.once('ready', onReady);
    });
  }

  return {
    client,
    prefix,
    async run(what, command) {
      await ready();
      await checkPolicy();
      try {
        return await command(client);
      } catch (error) {
        // ioredis messages name the host and the command, never the password or the values.
        throw new RedisUnavailableError(`${where} failed to ${what}: ${(error as Error).message}`, { cause: error });
      }
    },
    async close() {
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}

/**
 * Fails unless the server's `maxmemory-policy` is `noeviction`. Reads it with
 * `CONFIG GET maxmemory-policy`, or from `INFO memory` where CONFIG is renamed, disabled or not
 * allowed (managed services often do that).
 */
async function refuseEviction(client: Redis, where: string): Promise<void> {
  let policy: string | undefined;
  try {
    const answer = (await client.config('GET', 'maxmemory-policy')) as unknown;
    if (Array.isArray(answer) && typeof answer[1] === 'string') policy = answer[1];
  } catch (error) {
    if (!isReplyError(error)) throw unavailable(where, error);
  }
  if (policy === undefined) {
    try {
      policy = /^maxmemory_policy:(\S+)/m.exec(await client.info('memory'))?.[1];
    } catch (error) {
      if (!isReplyError(error)) throw unavailable(where, error);
    }
  }
  if (policy === 'noeviction') return;
  const fix = 'set maxmemory-policy noeviction on the server (redis.conf, CONFIG SET, or your provider\'s parameter group), or pass allowEviction: true to accept the risk';
  if (policy === undefined) {
    throw new RedisEvictionPolicyError(`${where} did not tell its maxmemory-policy (CONFIG GET and INFO memory both refused); an evicting server could let an approved call run twice: ${fix}`);
  }
  throw new RedisEvictionPolicyError(
    `${where} uses maxmemory-policy ${policy}, which may evict spent action tokens, proof jtis and leases under memory pressure and let an approved call run twice: ${fix}`,
  );
}

/** An error Redis answered (unknown command, NOPERM), as opposed to a timeout or a lost connection. */
function isReplyError(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError';
}

function unavailable(where: string, error: unknown): RedisUnavailableError {
  return new RedisUnavailableError(`${where} failed to read its maxmemory-policy: ${(error as Error).message}`, { cause: error });
}

function checkedUrl(value: string | undefined): URL {
  if (typeof value !== 'string' || value === '') throw new ConfigurationError('a Redis url (redis://127.0.0.1:6379) or a client is required');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // No cause: the parser's message would quote the URL and its password.
    throw new ConfigurationError('the Redis url is not an absolute URL (for example redis://127.0.0.1:6379)');
  }
  const loopback = url.hostname === 'localhost' || url.hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(url.hostname);
  if (url.protocol === 'rediss:' || (url.protocol === 'redis:' && loopback)) return url;
  throw new ConfigurationError(
    `the Redis url must be rediss:// (TLS) unless Redis is on a loopback address, got ${url.protocol}//${url.host}; for a network you trust, pass your own ioredis client`,
  );
}

function positive(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new ConfigurationError(`${name} must be a positive whole number of milliseconds`);
  return value;
}
