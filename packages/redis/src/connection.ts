import { ConfigurationError } from '@countersign/core';
import { Redis, type RedisOptions } from 'ioredis';
import { RedisUnavailableError } from './errors.js';

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
