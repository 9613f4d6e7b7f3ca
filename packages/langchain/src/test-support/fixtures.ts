// Test-only fixtures shared by this package's unit tests: the real guard on the devkit's stack.
import { afterAll, beforeAll } from 'vitest';
import { useGuardTestBench, type BenchTools, type GuardTestBench, type SampleToolsOptions } from '@countersign/core/testing';
import { startDevStack } from '@countersign/devkit';

export const payoutArgs = { accountId: 'acc-1', recipient: 'ACME Supplies Ltd', amount: 250, currency: 'EUR' };

/** One devkit stack and one registered agent for the calling test file; the bench, once started. */
export function useGuardBench(): () => GuardTestBench {
  return useGuardTestBench({ beforeAll, afterAll }, () => startDevStack({ port: 0, toolApiPort: 0 }));
}

/** The real guarded payout with a ledger of its own; `paid()` lists the arguments of every payout made. */
export async function payoutTool(bench: GuardTestBench, options: Omit<SampleToolsOptions, 'resource'> = {}) {
  const tools: BenchTools = await bench.tools(options);
  return { tool: tools.createPayout, paid: () => tools.executions.createPayout.map((execution) => execution.args), tools };
}
