/**
 * `@countersign/core/testing`: for adapter authors and store authors. Tests run the REAL guard
 * against a real authorization server (the devkit's, or any that registers agents in process), not
 * doubles; and a store runs the one contract every approval store keeps.
 *
 * ```ts
 * import { startDevStack } from '@countersign/devkit';
 * import { guardTool } from '@countersign/core';
 * import { createRegisteredAgent, approveAtDesk } from '@countersign/core/testing';
 *
 * const stack = await startDevStack({ port: 0, toolApiPort: 0 });
 * const agent = await createRegisteredAgent(stack, { scopes: ['payouts:write'] });
 * const payout = guardTool(agent, { ...,  risk: 'irreversible' });
 * const pending = await payout.invoke(args, { callId: 'call-1' }); // approval_pending
 * await approveAtDesk(stack.approvals, pending);                   // the human, through the AS
 * ```
 *
 * Nothing here depends on the devkit: it takes anything shaped like its stack.
 *
 * @packageDocumentation
 */
export { createRegisteredAgent } from './registered-agent.js';
export type { AgentRegistry, RegisteredAgentOptions } from './registered-agent.js';
export { approveAtDesk, denyAtDesk, deskRequestFor } from './approval-desk.js';
export type { ApprovalDesk, ApprovalDeskRequest, PendingCallRef } from './approval-desk.js';
export { createFaultInjector } from './fault-injector.js';
export type { Fault, FaultInjector, FaultTarget, SeenRequest } from './fault-injector.js';
export { approvalStoreContract, sampleToolCall } from './approval-store-contract.js';
export type { ApprovalStoreContractOptions, ContractTestRunner } from './approval-store-contract.js';
export { agentWithLedger } from './agent-with-ledger.js';
export { sampleTools, samplePayoutSchema } from './sample-tools.js';
export type { SampleTools, SampleToolsOptions, SamplePayout } from './sample-tools.js';
export { createGuardTestBench, useGuardTestBench } from './guard-test-bench.js';
export type { BenchTools, GuardTestBench, GuardTestStack, SuiteHooks } from './guard-test-bench.js';
