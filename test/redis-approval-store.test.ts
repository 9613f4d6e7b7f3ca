/**
 * The Redis approval store against a real redis-server: the store contract shared by every
 * process, leases with fencing tokens, keys that expire with their approval, and failing closed
 * when Redis is slow or down (then resuming once it is back).
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startDevStack, TREASURY_SCOPES, type DevStack } from '@countersign/devkit';
import { ApprovalStoreError, ConfigurationError, guardTool, type Agent, type ToolApprovalPending } from '@countersign/core';
import type { StoredToolCall } from '@countersign/core/tools';
import { redisApprovalStore, RedisUnavailableError, type RedisApprovalStore } from '@countersign/redis';
import { createDevAgent, type DevAgent } from './helpers/dev-agent.js';
import { startRedisServer, type TestRedis } from './helpers/redis-server.js';

let redis: TestRedis;
let raw: Redis;
const stores: RedisApprovalStore[] = [];
let prefixes = 0;

beforeAll(async () => {
  redis = await startRedisServer();
  raw = new Redis(redis.url);
  raw.on('error', () => undefined);
});
afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  raw?.disconnect();
  await redis?.stop();
});

/** A store with its own key prefix (one per test), on a connection of its own. */
function storeFor(prefix: string, options: Partial<Parameters<typeof redisApprovalStore>[0]> = {}): RedisApprovalStore {
  const store = redisApprovalStore({ url: redis.url, keyPrefix: prefix, ...options });
  stores.push(store);
  return store;
}
const newPrefix = () => `test-${++prefixes}:`;

function call(id: string, overrides: Partial<StoredToolCall> = {}): StoredToolCall {
  return {
    id,
    tool: 'create_payout',
    callId: `call-${id}`,
    argsSha256: 'hash',
    state: 'pending',
    updatedAt: 1,
    approval: {
      version: 1,
      id,
      authReqId: 'handle',
      status: 'pending',
      expiresAt: Date.now() + 60_000,
      interval: 5,
      nextPollAt: 5,
      loginHint: 'alice',
      bindingMessage: 'Pay',
      authorizationDetails: [{ type: 'agent_action', tool: 'create_payout', args_sha256: 'hash' }],
    },
    ...overrides,
  };
}

describe('redisApprovalStore: the store contract, across connections', () => {
  it('puts, gets, finds by tool call, lists and deletes; a second process sees the same', async () => {
    const prefix = newPrefix();
    const [one, two] = [storeFor(prefix), storeFor(prefix)];
    expect(await one.get('a')).toBeUndefined();
    const a = call('a');
    await one.put(a);
    await one.put(call('b', { tool: 'rotate_signing_key', callId: 'call-a' }));
    expect(await two.get('a')).toEqual(a);
    expect((await two.findByCall('create_payout', 'call-a'))?.id).toBe('a');
    expect((await two.findByCall('rotate_signing_key', 'call-a'))?.id).toBe('b');
    expect(await two.findByCall('create_payout', 'call-x')).toBeUndefined();
    expect((await two.list()).map((record) => record.id).sort()).toEqual(['a', 'b']);
    await two.delete('a');
    expect(await one.get('a')).toBeUndefined();
    expect(await one.findByCall('create_payout', 'call-a')).toBeUndefined();
    expect(await one.list()).toHaveLength(1);
    // Another prefix is another store.
    expect(await storeFor(newPrefix()).list()).toEqual([]);
  });

  it('applies concurrent updates from two connections one after the other, none lost', async () => {
    const prefix = newPrefix();
    const [one, two] = [storeFor(prefix), storeFor(prefix)];
    await one.put(call('a', { outcome: 0 }));
    const increment = (store: RedisApprovalStore) => store.update('a', (current) => ({ ...current, outcome: (current.outcome as number) + 1 }));
    await Promise.all(Array.from({ length: 40 }, (_, index) => increment(index % 2 === 0 ? one : two)));
    expect((await one.get('a'))!.outcome).toBe(40);
  });

  it('refuses updates of unknown ids, id changes and records that are not tool calls', async () => {
    const store = storeFor(newPrefix());
    await expect(store.update('nope', (current) => current)).rejects.toBeInstanceOf(ApprovalStoreError);
    await store.put(call('a'));
    await expect(store.update('a', (current) => ({ ...current, id: 'b' }))).rejects.toThrow(/may not change its id/);
    await expect(store.put({ ...call('c'), approval: undefined } as never)).rejects.toBeInstanceOf(ApprovalStoreError);
  });

  it('reports a record someone else overwrote as ApprovalStoreError, without quoting it', async () => {
    const prefix = newPrefix();
    const store = storeFor(prefix);
    await raw.set(`${prefix}call:a`, '{"authReqId":"secret-handle"');
    const error = await store.get('a').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApprovalStoreError);
    expect(String((error as Error).message)).not.toContain('secret-handle');
  });

  it('keys expire with their approval, plus the retention period', async () => {
    const prefix = newPrefix();
    const store = storeFor(prefix, { retainMs: 10_000 });
    const record = call('a', { approval: { ...call('a').approval, expiresAt: Date.now() + 5_000 } });
    await store.put(record);
    for (const key of [`${prefix}call:a`, `${prefix}by-call:create_payout:call-a`]) {
      const ttl = await raw.pttl(key);
      expect(ttl).toBeGreaterThan(14_000);
      expect(ttl).toBeLessThanOrEqual(15_000);
    }
  });
});

describe('redisApprovalStore: leases with fencing tokens', () => {
  it('one holder at a time across connections; tokens grow; a lapsed holder can neither renew nor release', async () => {
    const prefix = newPrefix();
    const [one, two] = [storeFor(prefix), storeFor(prefix)];
    const first = await one.acquireLease('approval:a', 200);
    expect(first).toBeGreaterThan(0);
    expect(await two.acquireLease('approval:a', 200)).toBeUndefined();
    expect(await one.renewLease('approval:a', first!, 200)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 250));
    const second = await two.acquireLease('approval:a', 5_000);
    expect(second).toBeGreaterThan(first!);
    expect(await one.renewLease('approval:a', first!, 5_000)).toBe(false);
    await one.releaseLease('approval:a', first!);
    expect(await one.acquireLease('approval:a', 5_000)).toBeUndefined();
    await two.releaseLease('approval:a', second!);
    expect(await one.acquireLease('approval:a', 5_000)).toBeGreaterThan(second!);
  });

  it('refuses a plaintext URL off loopback and bad durations, naming no password', () => {
    const attempt = () => redisApprovalStore({ url: 'redis://user:hunter2@redis.internal:6379' });
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(/rediss:\/\//);
    expect(attempt).not.toThrow(/hunter2/);
    expect(() => redisApprovalStore({ url: 'not a url :hunter2' })).toThrow(ConfigurationError);
    expect(() => redisApprovalStore({ url: redis.url, leaseMs: 0 })).toThrow(/leaseMs/);
  });
});

describe('redisApprovalStore: Redis slow or down', () => {
  let stack: DevStack;
  let dev: Omit<DevAgent, 'stack'>;
  let store: RedisApprovalStore;
  let sequence = 0;

  beforeAll(async () => {
    stack = await startDevStack({ port: 0, toolApiPort: 0, pollInterval: 1 });
    store = storeFor(newPrefix(), { leaseMs: 1_000, commandTimeoutMs: 300, connectTimeoutMs: 3_000 });
    dev = await createDevAgent(stack, [...TREASURY_SCOPES], { approvals: { store } });
  });
  afterAll(async () => {
    await dev?.close();
    await stack?.close();
  });

  const payouts = (agent: Agent) => {
    const executions: string[] = [];
    const tool = guardTool(agent, {
      name: 'create_payout',
      description: 'Sends money from one of our accounts',
      schema: z.object({ accountId: z.string(), recipient: z.string(), amount: z.number(), currency: z.string() }),
      risk: 'irreversible',
      resource: stack.toolApiUrl,
      scope: 'payouts:write',
      approval: {
        approver: 'alice',
        describe: (args) => `Pay ${args.amount} ${args.currency} to ${args.recipient}`,
        details: (args) => ({ amount: args.amount, currency: args.currency, recipient: args.recipient }),
      },
      async execute(args, context) {
        executions.push(context.idempotencyKey!);
        const response = await context.fetch(`${stack.toolApiUrl}/payouts`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': context.idempotencyKey! },
          body: JSON.stringify(args),
        });
        if (!response.ok) throw new Error(`treasury answered ${response.status}`);
        return (await response.json()) as { payoutId: string };
      },
    });
    return { tool, executions };
  };

  async function approvedPayout() {
    const { tool, executions } = payouts(dev.agent);
    const args = { accountId: 'acc_operating', recipient: `Supplier ${++sequence}`, amount: 10, currency: 'EUR' };
    const pending = (await tool.invoke(args, { callId: `call-${sequence}` })) as ToolApprovalPending;
    expect(pending.status).toBe('approval_pending');
    const view = stack.approvals.list().find((candidate) => candidate.bindingMessage === pending.bindingMessage)!;
    await stack.approvals.approve(view.id, 'alice');
    return { tool, executions, args, pending };
  }

  it('slow Redis at claim time: the call fails closed with a typed error, runs nowhere, and runs once when Redis answers again', async () => {
    const { tool, executions, args, pending } = await approvedPayout();
    redis.pause();
    let outcome;
    const started = Date.now();
    try {
      outcome = await tool.resume(pending.approvalId, args);
    } finally {
      redis.resume();
    }
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(outcome).toMatchObject({ status: 'failed', approvalId: pending.approvalId, error: { code: 'ERR_REDIS_UNAVAILABLE' } });
    expect((outcome as { error: unknown }).error).toBeInstanceOf(RedisUnavailableError);
    expect(executions).toHaveLength(0);
    // A command that timed out at the client may still have run once Redis woke up (a lease it
    // took lapses after leaseMs); the call then runs once, with its approval id as idempotency key.
    const done = await tool.resume(pending.approvalId, args, { wait: true });
    expect(done).toMatchObject({ status: 'done', approvalId: pending.approvalId });
    expect(executions).toEqual([pending.approvalId]);
    expect(await tool.resume(pending.approvalId, args)).toEqual(done);
    expect(executions).toHaveLength(1);
  });

  it('Redis down: every store call fails within its bound with RedisUnavailableError; after a restart work resumes', async () => {
    await redis.stop();
    try {
      const started = Date.now();
      const errors = await Promise.all([
        store.acquireLease('approval:x', 1_000).catch((error: unknown) => error),
        store.get('x').catch((error: unknown) => error),
        store.put(call('x')).catch((error: unknown) => error),
      ]);
      for (const error of errors) expect(error).toBeInstanceOf(RedisUnavailableError);
      expect(Date.now() - started).toBeLessThan(4_000);
      const { tool, executions } = payouts(dev.agent);
      const outcome = await tool.invoke({ accountId: 'acc_operating', recipient: 'Nobody', amount: 1, currency: 'EUR' }, { callId: 'down' });
      expect(outcome).toMatchObject({ status: 'failed', error: { code: 'ERR_REDIS_UNAVAILABLE' } });
      expect(executions).toHaveLength(0);
    } finally {
      await redis.start();
    }
    // The client reconnects on its own (backoff capped at 2 s); the next call that waits for it works.
    const { tool, executions, args, pending } = await approvedPayout();
    expect(await tool.resume(pending.approvalId, args, { wait: true })).toMatchObject({ status: 'done' });
    expect(executions).toHaveLength(1);
  });
});
