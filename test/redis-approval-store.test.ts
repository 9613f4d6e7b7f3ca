/**
 * The Redis approval store against a real redis-server: the store contract shared by every
 * process, leases with fencing tokens, keys that expire with their approval, and failing closed
 * when Redis is slow or down (then resuming once it is back).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startDevStack, TREASURY_SCOPES, type DevStack } from '@countersign/devkit';
import { ApprovalStoreError, ConfigurationError, createAgent, guardTool, type Agent, type ToolApprovalPending } from '@countersign/core';
import { redisApprovalStore, RedisUnavailableError, type RedisApprovalStore } from '@countersign/redis';
import { approvalStoreContract, sampleToolCall as call } from '@countersign/core/testing';
import { checkAgentScopedCallLookups, checkCoalescingLookups } from '../packages/core/src/tools/testing/coalescing-contract.js';
import { createDevAgent, type DevAgent } from './helpers/dev-agent.js';
import { useRedisStores } from './helpers/redis-store-harness.js';

const harness = useRedisStores('test');
const { storeFor, newPrefix } = harness;

const prefixOf = new WeakMap<object, string>();
approvalStoreContract({ describe, it }, 'redisApprovalStore', {
  create: () => {
    const prefix = newPrefix();
    const store = storeFor(prefix);
    prefixOf.set(store, prefix);
    return store;
  },
  // A second connection on the same key prefix: what another process sees.
  reopen: (store) => storeFor(prefixOf.get(store)!),
});

describe('redisApprovalStore: key prefixes, damaged records, expiry', () => {
  it('another prefix is another store', async () => {
    const one = storeFor(newPrefix());
    await one.put(call('a'));
    expect(await storeFor(newPrefix()).list()).toEqual([]);
  });

  it('finds coalesced calls and the pending call of one agent, tool and arguments hash from another connection (the same contract as the memory and file stores)', async () => {
    const prefix = newPrefix();
    await checkCoalescingLookups(storeFor(prefix), storeFor(prefix), call);
  });

  it('keeps agents that share the store and a model call id apart, across connections (the same contract as the memory and file stores)', async () => {
    const prefix = newPrefix();
    await checkAgentScopedCallLookups(storeFor(prefix), storeFor(prefix), call);
    // One index key per agent and call id, the client id escaped.
    expect(await harness.raw.get(`${prefix}by-agent-call:create_payout:agent%3A2:call_0`)).toBe(`${prefix}call:y`);
  });

  it('reports a record someone else overwrote as ApprovalStoreError, without quoting it', async () => {
    const prefix = newPrefix();
    const store = storeFor(prefix);
    await harness.raw.set(`${prefix}call:a`, '{"authReqId":"secret-handle"');
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
      const ttl = await harness.raw.pttl(key);
      expect(ttl).toBeGreaterThan(14_000);
      expect(ttl).toBeLessThanOrEqual(15_000);
    }
  });
});

describe('redisApprovalStore: configuration', () => {
  it('refuses a plaintext URL off loopback and bad durations, naming no password', () => {
    const attempt = () => redisApprovalStore({ url: 'redis://user:hunter2@redis.internal:6379' });
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(/rediss:\/\//);
    expect(attempt).not.toThrow(/hunter2/);
    expect(() => redisApprovalStore({ url: 'not a url :hunter2' })).toThrow(ConfigurationError);
    expect(() => redisApprovalStore({ url: harness.redis.url, leaseMs: 0 })).toThrow(/leaseMs/);
  });
});

describe('redisApprovalStore: identical calls coalesced across replicas', () => {
  it('two replicas of one agent, each on its own connection, asked for the same payout under different call ids: one human request, one run, both answered', async () => {
    const stack = await startDevStack({ port: 0, toolApiPort: 0, pollInterval: 1 });
    const prefix = newPrefix();
    const one = await createDevAgent(stack, [...TREASURY_SCOPES], { approvals: { store: storeFor(prefix) } });
    // The same agent (client id and key) in a second process: nothing shared but Redis.
    const replica = await createAgent({ issuer: stack.issuer, clientId: one.clientId, key: one.identity, approvals: { store: storeFor(prefix) } });
    try {
      const executions: unknown[] = [];
      const payoutTool = (agent: Agent) =>
        guardTool(agent, {
          name: 'create_payout',
          description: 'Sends money from one of our accounts',
          schema: z.object({ accountId: z.string(), recipient: z.string(), amount: z.number(), currency: z.string() }),
          risk: 'irreversible',
          resource: stack.toolApiUrl,
          scope: 'payouts:write',
          approval: { approver: 'alice', describe: (args) => `Pay ${args.amount} ${args.currency} to ${args.recipient}` },
          async execute(args, context) {
            executions.push(args);
            const response = await context.fetch(`${stack.toolApiUrl}/payouts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(args) });
            if (!response.ok) throw new Error(`treasury answered ${response.status}`);
            return (await response.json()) as { payoutId: string };
          },
        });
      const [first, second] = [payoutTool(one.agent), payoutTool(replica)];
      const args = { accountId: 'acc_operating', recipient: 'Coalesced Supplier', amount: 12, currency: 'EUR' };
      const asked = await Promise.all([first.invoke(args, { callId: 'replica-call-1' }), second.invoke(args, { callId: 'replica-call-2' })]);
      for (const outcome of asked) expect(outcome.status).toBe('approval_pending');
      const [pendingOne, pendingTwo] = asked as ToolApprovalPending[];
      expect(pendingTwo!.approvalId).toBe(pendingOne!.approvalId);
      const views = stack.approvals.list().filter((view) => view.argsSha256 === pendingOne!.argsSha256);
      expect(views).toHaveLength(1);

      await stack.approvals.approve(views[0]!.id, 'alice');
      const done = await Promise.all([first.invoke(args, { callId: 'replica-call-1', wait: true }), second.invoke(args, { callId: 'replica-call-2', wait: true })]);
      expect(done[0]).toMatchObject({ status: 'done', approvalId: pendingOne!.approvalId });
      expect(done[1]).toEqual(done[0]);
      expect(executions).toEqual([args]);
      expect(stack.approvals.list().filter((view) => view.argsSha256 === pendingOne!.argsSha256)).toHaveLength(1);
    } finally {
      await replica.close();
      await one.close();
      await stack.close();
    }
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
    harness.redis.pause();
    let outcome;
    const started = Date.now();
    try {
      outcome = await tool.resume(pending.approvalId, args);
    } finally {
      harness.redis.resume();
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
    await harness.redis.stop();
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
      await harness.redis.start();
    }
    // The client reconnects on its own (backoff capped at 2 s); the next call that waits for it works.
    const { tool, executions, args, pending } = await approvedPayout();
    expect(await tool.resume(pending.approvalId, args, { wait: true })).toMatchObject({ status: 'done' });
    expect(executions).toHaveLength(1);
  });
});
