// Runs the example exactly as a developer would, unattended: scripted model, in-process devkit
// stack on free ports, the payout approved with --approve-as.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repositoryRoot = fileURLToPath(new URL('../../../..', import.meta.url));

function runExample(...flags: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'packages/langchain/src/scratch/example-run.ts', '--port', '0', '--scripted', ...flags], {
      cwd: repositoryRoot,
      env: { ...process.env, OPENAI_API_KEY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

describe('examples/langchain-payout', () => {
  it('pauses the payout, resumes after --approve-as alice, and pays once', async () => {
    const { code, output } = await runExample('--approve-as', 'alice');
    expect(output).toContain('paused   create_payout waits for alice: "Pay 250 EUR to ACME Supplies Ltd"');
    expect(output).toContain('approved as alice (--approve-as)');
    expect(output).toMatch(/settled {2}create_payout \(call_[\w-]+\): done/);
    expect(output).toMatch(/agent {4}Done: payout \S+ sent 250 EUR to ACME Supplies Ltd\./);
    expect(output).toContain('treasury acc_operating 250000 -> 249750; payouts executed: 1');
    expect(code).toBe(0);
  }, 120_000);

  it('explains a denial and pays nothing with --deny', async () => {
    const { code, output } = await runExample('--deny');
    expect(output).toContain('agent    The payout did not go through: create_payout did not run: it was denied');
    expect(output).toContain('treasury no balance changed; payouts executed: 0');
    expect(code).toBe(0);
  }, 120_000);
});
