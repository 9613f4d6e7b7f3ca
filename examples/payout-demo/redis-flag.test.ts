// `pnpm demo --redis <url|auto>` run as a developer runs it (a child process through pnpm exec tsx),
// against a real redis-server: the one the demo starts itself, or one the test started.
import { mkdir, mkdtemp } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repositoryRoot, runCommand, runExample, stackFrames } from '../shared/run-command.js';
import { startRedisServer, type TestRedis } from '../../test/helpers/redis-server.js';

const demo = 'examples/payout-demo/main.ts';

async function stateDir(): Promise<string> {
  await mkdir(join(repositoryRoot, '.countersign'), { recursive: true, mode: 0o700 });
  return mkdtemp(join(repositoryRoot, '.countersign', 'test-redis-'));
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** DBSIZE over a raw socket: how many keys the Redis on `port` holds. */
function keyCount(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('DBSIZE\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(Number(/^:(\d+)/.exec(data.toString())?.[1] ?? Number.NaN));
    });
    socket.once('error', reject);
  });
}

/** The payout ran once: one "executed once" line, a second resume returned the same payout, the balance moved by 250 once. */
function expectPaidOnce(stdout: string): void {
  expect(stdout.match(/executed once/g)).toHaveLength(1);
  const payoutId = /executed once {2}payout (po_[\w-]+) \(executed\)/.exec(stdout)?.[1];
  expect(payoutId).toBeDefined();
  expect(stdout).toContain(`resumed again -> done (same payout ${payoutId}); acc_operating balance 250000 -> 249750`);
}

describe('pnpm demo --redis', () => {
  let external: TestRedis | undefined;
  afterAll(async () => {
    await external?.stop();
  });

  it('--redis auto starts a redis-server for the run, keeps approvals there, pays once and stops it, exit 0', async () => {
    const run = await runExample(demo, ['--port', '0', '--approve-as', 'alice', '--redis', 'auto', '--state-dir', await stateDir()]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const port = Number(/^ {2}approvals: Redis at redis:\/\/127\.0\.0\.1:(\d+) \(started for this run\)$/m.exec(run.stdout)?.[1]);
    expect(port).toBeGreaterThan(0);
    expectPaidOnce(run.stdout);
    expect(await portAnswers(port)).toBe(false);
  });

  it('--redis <url> keeps the approvals in that Redis and leaves it running', async () => {
    external = await startRedisServer();
    expect(await keyCount(external.port)).toBe(0);
    const run = await runExample(demo, ['--port', '0', '--approve-as', 'alice', '--redis', external.url, '--state-dir', await stateDir()]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`  approvals: Redis at ${external.url}\n`);
    expectPaidOnce(run.stdout);
    expect(await keyCount(external.port)).toBeGreaterThan(0); // the ledger and the stored outcome are there
  });

  it('--redis auto without redis-server on PATH: one line and the apt-get hint, exit 1', async () => {
    const bin = join(repositoryRoot, 'node_modules', '.bin');
    const run = await runCommand(join(bin, 'tsx'), [demo, '--port', '0', '--redis', 'auto', '--state-dir', await stateDir()], { env: { PATH: bin } });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('pnpm demo: --redis auto needs redis-server on PATH\n  apt-get install redis-server\n');
    expect(stackFrames(run.output)).toEqual([]);
  });

  it('refuses a --redis value that is neither a redis URL nor auto, exit 2', async () => {
    const run = await runExample(demo, ['--redis', 'http://127.0.0.1:6379']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('pnpm demo: --redis must be a redis:// or rediss:// URL, or auto\n  try --redis auto or --redis redis://127.0.0.1:6379\n');
  });
});
