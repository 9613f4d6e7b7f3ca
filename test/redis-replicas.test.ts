/**
 * Many agent replicas, one execution per approval: separate OS processes (tsx children), each an
 * agent on one shared redis-server, against the devkit's real authorization server and treasury.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createNodeSigner, guardTool } from '@countersign/core';
import { startDevStack, TREASURY_SCOPES, type DevStack } from '@countersign/devkit';
import { redisApprovalStore, type RedisApprovalStore } from '@countersign/redis';
import { createDevAgent, rememberKey, type DevAgent } from './helpers/dev-agent.js';
import { startRedisServer, type TestRedis } from './helpers/redis-server.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const worker = fileURLToPath(new URL('../packages/redis/src/testing/replica-worker.ts', import.meta.url));
/**
 * Leases: the eight-replica test holds its executor's lease far longer than any stall a loaded
 * machine causes, so a slow renewal cannot hand the payout to another replica; the SIGKILL test
 * needs the dead replica's lease to lapse soon, and no other replica is running while it is held.
 */
const LONG_LEASE_MS = 60_000;
const SHORT_LEASE_MS = 1_500;
/** Per hook and test: eight tsx processes start slowly on a 2-core CI machine running files in parallel. */
const SLOW_MS = 180_000;
const PREFIX = 'replicas:';

let redis: TestRedis;
let stack: DevStack;
let observer: Omit<DevAgent, 'stack'>;
let store: RedisApprovalStore;
let replicaConfig: Record<string, unknown>;
const running: Replica[] = [];
let sequence = 0;

interface Outcome {
  event: 'outcome';
  status: string;
  approvalId?: string;
  code?: string;
  retryable?: boolean;
  result?: { payoutId: string };
  executed: boolean;
}

/** One replica process and its line protocol. */
interface Replica {
  child: ChildProcessWithoutNullStreams;
  /** The next JSON line the process writes. */
  next(): Promise<Record<string, unknown>>;
  send(command: Record<string, unknown>): void;
  exited: Promise<unknown>;
}

function spawnReplica(leaseMs: number): Replica {
  // node itself with tsx's loader (not the tsx CLI, which runs the script in a grandchild that a
  // SIGKILL would not reach).
  const child = spawn(process.execPath, ['--import', 'tsx', worker], {
    cwd: root,
    env: { ...process.env, COUNTERSIGN_REPLICA: JSON.stringify({ ...replicaConfig, leaseMs }) },
  });
  const lines: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const waiter = waiters.shift();
    if (waiter) waiter(line);
    else lines.push(line);
  });
  let stderr = '';
  child.stderr.on('data', (data) => void (stderr += String(data)));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const replica: Replica = {
    child,
    exited,
    next: () =>
      new Promise((resolve, reject) => {
        const take = (line: string) => resolve(JSON.parse(line) as Record<string, unknown>);
        const buffered = lines.shift();
        if (buffered !== undefined) return take(buffered);
        waiters.push(take);
        void exited.then(() => reject(new Error(`replica exited: ${stderr.slice(-2_000)}`)));
      }),
    send: (command) => child.stdin.write(`${JSON.stringify(command)}\n`),
  };
  running.push(replica);
  return replica;
}

async function startReplicas(count: number, leaseMs: number): Promise<Replica[]> {
  const replicas = Array.from({ length: count }, () => spawnReplica(leaseMs));
  for (const replica of replicas) expect(await replica.next()).toMatchObject({ event: 'ready' });
  return replicas;
}

/** Sends `command` to every replica at once; resolves their answers in order. */
async function all(replicas: Replica[], command: Record<string, unknown>): Promise<Outcome[]> {
  for (const replica of replicas) replica.send(command);
  return (await Promise.all(replicas.map((replica) => replica.next()))) as unknown as Outcome[];
}

/** Status, and the error code of a failure, for readable assertion diffs. */
const summary = (outcome: Outcome) => (outcome.status === 'failed' ? `failed ${outcome.code}` : outcome.status);

const listAccounts = () =>
  guardTool(observer.agent, {
    name: 'list_accounts',
    description: 'Lists our accounts and balances',
    schema: z.object({}),
    risk: 'read',
    resource: stack.toolApiUrl,
    scope: 'accounts:read',
    execute: async (_args, { fetch }) => ((await (await fetch(`${stack.toolApiUrl}/accounts`)).json()) as { accounts: { id: string; balance: number }[] }).accounts,
  });

async function balance(): Promise<number> {
  const outcome = await listAccounts().invoke({});
  if (outcome.status !== 'done') throw new Error(`list_accounts ${outcome.status}`);
  return outcome.result.find((account) => account.id === 'acc_operating')!.balance;
}

function approve(bindingMessage: string) {
  const views = stack.approvals.list().filter((candidate) => candidate.bindingMessage === bindingMessage);
  expect(views).toHaveLength(1);
  return stack.approvals.approve(views[0]!.id, 'alice');
}

beforeAll(async () => {
  redis = await startRedisServer();
  stack = await startDevStack({ port: 0, toolApiPort: 0, pollInterval: 1 });
  observer = await createDevAgent(stack, [...TREASURY_SCOPES]);
  store = redisApprovalStore({ url: redis.url, keyPrefix: PREFIX });
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  rememberKey(privateKey);
  const key = createNodeSigner(privateKey);
  const clientId = `replica-agent-${process.pid}`;
  stack.registerAgent({ clientId, jwks: { keys: [{ ...key.publicJwk, kid: key.kid, alg: 'ES256', use: 'sig' }] }, scopes: [...TREASURY_SCOPES] });
  replicaConfig = {
    issuer: stack.issuer,
    toolApiUrl: stack.toolApiUrl,
    clientId,
    keyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    redisUrl: redis.url,
    keyPrefix: PREFIX,
  };
}, SLOW_MS);

/** Ends every replica still running (all at once): stdin closed, then SIGKILL after 5 s. */
async function stopReplicas(): Promise<void> {
  await Promise.all(
    running.splice(0).map(async (replica) => {
      if (replica.child.exitCode !== null || replica.child.signalCode !== null) return;
      replica.child.stdin.end();
      const timer = setTimeout(() => replica.child.kill('SIGKILL'), 5_000);
      await replica.exited;
      clearTimeout(timer);
    }),
  );
}

afterEach(stopReplicas, SLOW_MS);

afterAll(async () => {
  // Every step runs even if an earlier one fails, so no process outlives the file.
  const steps = [stopReplicas, () => store?.close(), () => observer?.close(), () => stack?.close(), () => redis?.stop()];
  const failures: unknown[] = [];
  for (const step of steps) await Promise.resolve().then(step).catch((error: unknown) => failures.push(error));
  if (failures.length > 0) throw new AggregateError(failures, 'cleanup of the replica test failed');
}, SLOW_MS);

describe('agent replicas sharing one Redis approval store', () => {
  it('eight processes: the same model call asks once; resumed at once, one payout at the treasury and seven stored outcomes', async () => {
    const replicas = await startReplicas(8, LONG_LEASE_MS);
    const args = { accountId: 'acc_operating', recipient: `Supplier ${++sequence}-${process.pid}`, amount: 70, currency: 'EUR' };
    const callId = `model-call-${sequence}`;

    const asked = await all(replicas, { op: 'invoke', args, callId });
    expect(asked.map(summary)).toEqual(Array(8).fill('approval_pending'));
    const approvalId = asked[0]!.approvalId!;
    expect(new Set(asked.map((outcome) => outcome.approvalId))).toEqual(new Set([approvalId]));
    const before = await balance();
    await approve(`Pay 70 EUR to ${args.recipient}`); // exactly one request reached the approver

    const resumed = await all(replicas, { op: 'invoke', args, callId, wait: true });
    expect(resumed.map(summary)).toEqual(Array(8).fill('done'));
    expect(resumed.filter((outcome) => outcome.executed)).toHaveLength(1);
    const payoutId = resumed.find((outcome) => outcome.executed)!.result!.payoutId;
    expect(resumed.map((outcome) => outcome.result?.payoutId)).toEqual(Array(8).fill(payoutId));
    expect(await balance()).toBe(before - 70);
    expect(await store.get(approvalId)).toMatchObject({ state: 'done', callId, fence: expect.any(Number) });
  }, 420_000);

  it('a replica killed with SIGKILL mid-execution: no second execution, an "outcome unknown" answer', async () => {
    const [doomed, survivor] = await startReplicas(2, SHORT_LEASE_MS);
    const args = { accountId: 'acc_operating', recipient: `Supplier ${++sequence}-${process.pid}`, amount: 30, currency: 'EUR' };
    const callId = `model-call-${sequence}`;
    doomed!.send({ op: 'invoke', args, callId });
    const pending = (await doomed!.next()) as unknown as Outcome;
    expect(pending.status).toBe('approval_pending');
    const before = await balance();
    await approve(`Pay 30 EUR to ${args.recipient}`);

    doomed!.send({ op: 'invoke', args, callId, wait: true, hangAfterPayout: true });
    expect(await doomed!.next()).toMatchObject({ event: 'paid' });
    doomed!.child.kill('SIGKILL');
    await doomed!.exited;
    expect(await balance()).toBe(before - 30);

    survivor!.send({ op: 'invoke', args, callId, wait: true });
    const answer = (await survivor!.next()) as unknown as Outcome;
    expect(answer).toMatchObject({ status: 'failed', approvalId: pending.approvalId, code: 'ERR_TOOL_OUTCOME_UNKNOWN', retryable: false, executed: false });
    expect(await balance()).toBe(before - 30);
    expect(await store.get(pending.approvalId!)).toMatchObject({ state: 'unknown' });
    // And it stays that way for everyone, later too.
    survivor!.send({ op: 'invoke', args, callId });
    expect(await survivor!.next()).toMatchObject({ status: 'failed', code: 'ERR_TOOL_OUTCOME_UNKNOWN', executed: false });
    expect(await balance()).toBe(before - 30);
  }, SLOW_MS);
});
