/**
 * The `examples/mcp-payout` script runs unattended and offline: the payout pauses for approval,
 * runs exactly once after --approve-as, and never after --deny.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

async function example(...flags: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/mcp-payout/main.ts', ...flags], { cwd: root, timeout: 110_000 });
  return stdout;
}

describe('examples/mcp-payout', () => {
  it('pauses the payout, runs it once after --approve-as alice, and a second resume pays nothing', { timeout: 120_000 }, async () => {
    const output = await example('--approve-as', 'alice');
    expect(output).toMatch(/list_accounts -> done/);
    expect(output).toContain('approved as alice (--approve-as): 1 of 1 approval (alice)');
    expect(output).toMatch(/create_payout\(.*\) -> approval_pending \(alice: "Pay 250 EUR to ACME Supplies Ltd"/);
    expect(output).toMatch(/create_payout -> done .*po_1.*249750/);
    expect(output).toContain('the same call resumed again -> done; payouts executed by the MCP server: 1');
  });

  it('pays nothing with --deny', { timeout: 120_000 }, async () => {
    const output = await example('--deny');
    expect(output).toContain('create_payout -> denied');
    expect(output).toContain('payouts executed by the MCP server: 0');
  });

  it('answers a wrong flag with one line and a hint', async () => {
    const failure = (await example('--bogus').catch((error: { stderr: string; code: number }) => error)) as { stderr: string; code: number };
    expect(failure.code).toBe(1);
    expect(failure.stderr).toMatch(/^mcp-payout: unknown or incomplete option --bogus\nhint: /);
    expect(failure.stderr).not.toMatch(/\n\s+at /);
  });
});
