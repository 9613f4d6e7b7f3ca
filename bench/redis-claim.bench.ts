/**
 * Claim + complete of one approved tool call on the Redis approval store, against a plain
 * `SET key 1 NX PX` (the least a Redis lock can cost: one round trip) in the same run, on a
 * redis-server of our own on loopback. A claim+complete is what the guard does around one
 * execution: take the call's lease (Lua: SET NX PX + fencing token), move the record pending ->
 * executing under that token (compare-and-set), store the outcome (compare-and-set), release:
 * four round trips, each a Lua script (an update starts from the text the store last saw and
 * reads again only when the compare-and-set says another process wrote since).
 *
 * Reports throughput and p50/p99 latency, one request at a time and 32 in flight, each the median
 * of alternating rounds. Run with `pnpm bench redis` (or `node --import tsx bench/redis-claim.bench.ts`).
 * `BENCH_ROUNDS` (default 3) and `BENCH_OPS` (default 2 000 per round) tune it.
 */
import { Redis } from 'ioredis';
import type { StoredToolCall } from '../packages/core/src/tools/index.js';
import { redisApprovalStore } from '../packages/redis/src/index.js';
import { startRedisServer } from '../test/helpers/redis-server.js';
import { machine } from './support/side-by-side.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const operations = Number(process.env.BENCH_OPS ?? 2_000);

const redis = await startRedisServer();
// A failed run must not leave its redis-server behind.
process.once('uncaughtException', (error) => {
  console.error(error);
  void redis.stop().finally(() => process.exit(1));
});
process.once('unhandledRejection', (error) => {
  console.error(error);
  void redis.stop().finally(() => process.exit(1));
});
const store = redisApprovalStore({ url: redis.url, keyPrefix: 'bench:' });
const plain = new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 2_000, enableAutoPipelining: true });
await new Promise((resolve) => plain.once('ready', resolve));
let sequence = 0;

function pendingCall(id: string): StoredToolCall {
  return {
    id,
    tool: 'create_payout',
    callId: `call-${id}`,
    argsSha256: 'Zk1nVQ2pc2YyS0F3TjZ2bmJyY2VQZzR1d2ZkR3dYUWk',
    state: 'pending',
    updatedAt: Date.now(),
    approval: {
      version: 1,
      id,
      authReqId: `auth-req-${id}`,
      status: 'approved',
      expiresAt: Date.now() + 300_000,
      interval: 1,
      nextPollAt: Date.now(),
      loginHint: 'alice',
      bindingMessage: 'Pay 250 EUR to ACME GmbH',
      authorizationDetails: [{ type: 'agent_action', tool: 'create_payout', args_sha256: 'Zk1nVQ2pc2YyS0F3TjZ2bmJyY2VQZzR1d2ZkR3dYUWk', amount: 250, currency: 'EUR' }],
    },
  };
}

/** One contender: `prepare` builds what one operation needs (untimed), `run` is the timed part. */
interface Contender {
  name: string;
  prepare(index: number): Promise<string>;
  run(subject: string): Promise<unknown>;
}

const contenders: Contender[] = [
  {
    name: 'baseline: SET key 1 NX PX 30000',
    prepare: async () => `bench:plain:${++sequence}`,
    run: (key) => plain.set(key, '1', 'PX', 30_000, 'NX'),
  },
  {
    name: 'lease only: acquireLease + releaseLease',
    prepare: async () => `approval:lease-${++sequence}`,
    async run(name) {
      const fence = await store.acquireLease(name, 30_000);
      await store.releaseLease(name, fence!);
    },
  },
  claimAndComplete('claim+complete: lease, pending -> executing, -> done, release', false),
  claimAndComplete('the same with a read before each update (six round trips, as before)', true),
];

/** The guard's claim+complete; `readFirst` adds the read each update used to start with. */
function claimAndComplete(name: string, readFirst: boolean): Contender {
  return {
    name,
    async prepare() {
      const id = `call-${++sequence}`;
      await store.put(pendingCall(id));
      return id;
    },
    async run(id) {
      const lease = `approval:${id}`;
      const fence = await store.acquireLease(lease, 30_000);
      if (fence === undefined) throw new Error('lease taken');
      if (readFirst) await store.get(id);
      await store.update(id, (current) => (current.state === 'pending' ? { ...current, state: 'executing', fence, updatedAt: Date.now() } : current));
      if (readFirst) await store.get(id);
      await store.update(id, (current) =>
        current.state === 'executing' && current.fence === fence
          ? { ...current, state: 'done', outcome: { status: 'done', tool: 'create_payout', approvalId: id, result: { payoutId: `p-${id}` } }, updatedAt: Date.now() }
          : current,
      );
      await store.releaseLease(lease, fence);
    },
  };
}

/** Runs `count` operations with `inFlight` at a time; returns ops/s and per-operation latencies (µs). */
async function measure(contender: Contender, count: number, inFlight: number) {
  const subjects = await Promise.all(Array.from({ length: count }, (_, index) => contender.prepare(index)));
  const latencies: number[] = [];
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) {
        const subject = subjects[next++]!;
        const begin = process.hrtime.bigint();
        await contender.run(subject);
        latencies.push(Number(process.hrtime.bigint() - begin) / 1_000);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  const at = (quantile: number) => latencies[Math.min(latencies.length - 1, Math.floor(quantile * latencies.length))]!;
  return { opsPerSecond: count / seconds, p50: at(0.5), p99: at(0.99) };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

console.log(`${machine()}; redis-server ${(await plain.info('server')).match(/redis_version:(\S+)/)?.[1]} on loopback; ${rounds} rounds of ${operations} operations\n`);
for (const inFlight of [1, 32]) {
  const results = new Map(contenders.map((contender) => [contender.name, [] as Awaited<ReturnType<typeof measure>>[]]));
  for (const contender of contenders) await measure(contender, 200, inFlight); // warm-up
  for (let round = 0; round < rounds; round++) {
    for (const contender of contenders) results.get(contender.name)!.push(await measure(contender, operations, inFlight));
  }
  console.log(`### ${inFlight === 1 ? 'one request at a time' : `${inFlight} in flight`}\n`);
  console.log('| operation | ops/s | p50 latency (µs) | p99 latency (µs) | throughput vs baseline | p99 vs baseline |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  const summary = contenders.map((contender) => {
    const runs = results.get(contender.name)!;
    return { name: contender.name, ops: median(runs.map((run) => run.opsPerSecond)), p50: median(runs.map((run) => run.p50)), p99: median(runs.map((run) => run.p99)) };
  });
  const baseline = summary[0]!;
  for (const row of summary) {
    console.log(
      `| ${row.name} | ${row.ops.toFixed(0)} | ${row.p50.toFixed(0)} | ${row.p99.toFixed(0)} | ${(row.ops / baseline.ops).toFixed(2)}x | ${(row.p99 / baseline.p99).toFixed(1)}x |`,
    );
  }
  console.log('');
}

plain.disconnect();
await store.close();
await redis.stop();
