/**
 * The `examples/openai-payout` script runs unattended, offline: its own scripted model server and
 * an in-process dev stack, approved (or denied) with a flag. It exits 0 only when the treasury's
 * balances moved exactly as the decision says.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

async function example(...flags: string[]): Promise<string> {
  const env = { ...process.env };
  delete env.OPENAI_API_KEY; // offline, whatever the machine has
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/openai-payout/main.ts', '--offline', '--port', '0', ...flags], {
    cwd: root,
    env,
    timeout: 110_000,
  });
  return stdout;
}

describe('examples/openai-payout', () => {
  it('pays once after --approve-as alice, and a re-run of the same tool call pays nothing', { timeout: 120_000 }, async () => {
    const output = await example('--approve-as', 'alice');
    expect(output).toMatch(/create_payout\(.*\) -> approval_pending \(alice: "Pay 250 EUR to ACME Supplies Ltd"/);
    expect(output).toContain('approved as alice (--approve-as)');
    expect(output).toMatch(/create_payout -> done .*\(approved by alice\)/);
    expect(output).toMatch(/balances changed: acc_operating 250000 -> 249750 EUR/);
    expect(output).toContain('the same tool call handled again -> done; balances unchanged: true');
  });

  it('reports a denial and pays nothing with --deny', { timeout: 120_000 }, async () => {
    const output = await example('--deny');
    expect(output).toMatch(/create_payout -> denied/);
    expect(output).toContain('Nothing was paid.');
    expect(output).toContain('balances changed: none');
  });
});
