/**
 * One API, two instances (separate OS processes) sharing the Redis replay store: a DPoP proof
 * accepted by one instance is refused when replayed to the other. Runs @countersign/server against
 * the devkit's real authorization server; the agent is a real Countersign agent.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Agent as UndiciAgent, buildConnector, request as undiciRequest, type Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TREASURY_SCOPES, startDevStack, type DevStack } from '@countersign/devkit';
import { redisReplayStore, RedisUnavailableError } from '@countersign/redis';
import { createDevAgent, type DevAgent } from './helpers/dev-agent.js';
import { startRedisServer, type TestRedis } from './helpers/redis-server.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const worker = fileURLToPath(new URL('../packages/redis/src/testing/api-instance-worker.ts', import.meta.url));

let redis: TestRedis;
let stack: DevStack;
let dev: Omit<DevAgent, 'stack'>;
const instances: { child: ChildProcessWithoutNullStreams; port: number }[] = [];
/** Which API instance the agent's connections to the tool API origin go to (the "load balancer"). */
let target = 0;
/** Headers of the last request the agent sent to the tool API. */
let lastSent: Record<string, string> = {};

async function startInstance(): Promise<{ child: ChildProcessWithoutNullStreams; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', worker], {
    cwd: root,
    env: {
      ...process.env,
      COUNTERSIGN_API_INSTANCE: JSON.stringify({ issuer: stack.issuer, resource: stack.toolApiUrl, redisUrl: redis.url, keyPrefix: 'replay-test:' }),
    },
  });
  let stderr = '';
  child.stderr.on('data', (data) => void (stderr += String(data)));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', () => reject(new Error(`API instance exited: ${stderr.slice(-2_000)}`)));
  });
  const instance = { child, port: (JSON.parse(line) as { port: number }).port };
  instances.push(instance);
  return instance;
}

beforeAll(async () => {
  redis = await startRedisServer();
  stack = await startDevStack({ port: 0, toolApiPort: 0 });
  const toolApi = new URL(stack.toolApiUrl);
  const connector = buildConnector({});
  // Connections to the tool API's origin reach the chosen instance; the AS is reached as is.
  const routed = new UndiciAgent({
    connect: (options, callback) => connector({ ...options, port: options.port === toolApi.port ? String(instances[target]!.port) : options.port }, callback),
  }).compose((dispatch: Dispatcher['dispatch']) => (options, handler) => {
    if (options.origin !== undefined && new URL(String(options.origin)).port === toolApi.port) {
      const headers = options.headers as Record<string, string> | string[] | undefined;
      lastSent = Array.isArray(headers)
        ? Object.fromEntries(headers.flatMap((value, index) => (index % 2 === 0 ? [[value.toLowerCase(), headers[index + 1]!]] : [])))
        : Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]));
    }
    return dispatch(options, handler);
  });
  dev = await createDevAgent(stack, [...TREASURY_SCOPES], { dispatcher: routed });
  await startInstance();
  await startInstance();
}, 60_000);

afterAll(async () => {
  for (const { child } of instances) {
    child.stdin.end();
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
  await dev?.close();
  await stack?.close();
  await redis?.stop();
});

/** Sends exactly `headers` to instance `index`, as a client replaying a captured request would. */
async function replayTo(index: number, headers: Record<string, string>) {
  const response = await undiciRequest(`http://127.0.0.1:${instances[index]!.port}/accounts`, {
    headers: { authorization: headers.authorization!, dpop: headers.dpop! },
  });
  return { status: response.statusCode, challenge: String(response.headers['www-authenticate'] ?? ''), body: await response.body.text() };
}

describe('two API instances sharing the Redis replay store', () => {
  it('a proof accepted by one instance is refused when replayed to the other, and to itself', async () => {
    target = 0;
    const first = await dev.agent.fetch(`${stack.toolApiUrl}/accounts`, { resource: stack.toolApiUrl, scope: 'accounts:read' });
    expect(first.status).toBe(200);
    const captured = { ...lastSent };
    expect(captured.dpop).toEqual(expect.any(String));

    const atSecond = await replayTo(1, captured);
    expect(atSecond.status).toBe(401);
    expect(atSecond.challenge).toMatch(/invalid_dpop_proof/);
    expect(atSecond.challenge).toMatch(/already used/);
    expect(atSecond.body).not.toContain(captured.dpop);
    expect((await replayTo(0, captured)).status).toBe(401);

    // The second instance itself is healthy: a fresh proof from the same agent is accepted there.
    target = 1;
    const fresh = await dev.agent.fetch(`${stack.toolApiUrl}/accounts`, { resource: stack.toolApiUrl, scope: 'accounts:read' });
    expect(fresh.status).toBe(200);
    expect(lastSent.dpop).not.toBe(captured.dpop);
  });

  it('the store contract directly: the first consume wins, across connections; the key lapses after its ttl', async () => {
    const [one, two] = [redisReplayStore({ url: redis.url, keyPrefix: 'contract:' }), redisReplayStore({ url: redis.url, keyPrefix: 'contract:' })];
    try {
      const answers = await Promise.all(Array.from({ length: 20 }, (_, index) => (index % 2 === 0 ? one : two).consume('jti-1', 300)));
      expect(answers.filter(Boolean)).toHaveLength(1);
      expect(await two.consume('jti-2', 300)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 350));
      expect(await one.consume('jti-1', 300)).toBe(true);
      await expect(one.consume('', 300)).rejects.toThrow(/non-empty/);
      await expect(one.consume('jti-3', 0)).rejects.toThrow(/ttlMs/);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it('Redis slow: consume rejects with RedisUnavailableError within its bound, so the server refuses rather than accept a replay', async () => {
    const store = redisReplayStore({ url: redis.url, keyPrefix: 'slow:', commandTimeoutMs: 200 });
    try {
      expect(await store.consume('warm', 1_000)).toBe(true);
      redis.pause();
      const started = Date.now();
      const error = await store.consume('jti-slow', 1_000).catch((caught: unknown) => caught).finally(() => redis.resume());
      expect(error).toBeInstanceOf(RedisUnavailableError);
      expect(Date.now() - started).toBeLessThan(1_500);
      target = 0;
      redis.pause();
      const refused = await dev.agent.fetch(`${stack.toolApiUrl}/accounts`, { resource: stack.toolApiUrl, scope: 'accounts:read' }).finally(() => redis.resume());
      expect(refused.status).toBe(503);
    } finally {
      redis.resume();
      await store.close();
    }
  });
});
