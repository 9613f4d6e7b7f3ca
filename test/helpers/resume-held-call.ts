/**
 * Child process of test/no-silent-exit.test.ts: resumes an approved call that another process holds
 * in `executing` (its lease is theirs), with nothing else keeping Node alive, and prints the outcome.
 * Node exits with code 13 if a top-level await is left with nothing to keep the process alive.
 *
 * Usage: tsx resume-held-call.ts <store.json> <approvalId>
 */
import { fileApprovalStore } from '../../packages/core/src/tools/file-approval-store.js';
import { createTestAgent } from '../../packages/core/src/tools/testing/test-agent.js';
import { payout, payoutTool } from '../../packages/core/src/tools/testing/payout-tool.js';

const [path, approvalId] = process.argv.slice(2);
const shared = fileApprovalStore(path!);
let reads = 0;
// Leases live in the other process: here, every attempt to take the lease finds it held.
const store = {
  ...shared,
  acquireLease: async () => undefined,
  get: (id: string) => {
    reads += 1;
    return shared.get(id);
  },
};
const { agent } = createTestAgent({ store });
const { tool, executions } = payoutTool(agent);
process.stderr.write('resuming\n');
const outcome = await tool.resume(approvalId!, payout);
process.stdout.write(`${JSON.stringify({ outcome, reads, executions: executions.length })}\n`);
