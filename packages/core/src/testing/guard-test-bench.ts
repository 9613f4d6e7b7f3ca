import { memoryApprovalStore } from '../tools/memory-approval-store.js';
import type { ApprovalStore } from '../tools/tool-call-ledger.js';
import type { Agent } from '../types.js';
import { agentWithLedger } from './agent-with-ledger.js';
import { approveAtDesk, denyAtDesk, type ApprovalDesk, type PendingCallRef } from './approval-desk.js';
import { createFaultInjector, type Fault } from './fault-injector.js';
import { createRegisteredAgent, type AgentRegistry, type RegisteredAgentOptions } from './registered-agent.js';
import { sampleTools, type SampleTools, type SampleToolsOptions } from './sample-tools.js';

/** What {@link createGuardTestBench} needs of the stack: an in-process AS and the API the tools act on (the devkit's stack fits). */
export interface GuardTestStack extends AgentRegistry {
  /** The API the sample tools act on (RFC 8707 resource). */
  readonly toolApiUrl: string;
  /** The human side of CIBA. */
  readonly approvals: ApprovalDesk;
}

/** Sample tools of one test, with their own ledger. */
export interface BenchTools extends SampleTools {
  /** The tools' tool-call ledger (empty at first). */
  readonly ledger: ApprovalStore;
  /** CIBA requests the agent sent since these tools were made. */
  approvalRequests(): number;
}

/** One registered agent for a whole test file, and a fresh set of sample tools per test. */
export interface GuardTestBench {
  /** The real agent (retries off, so one injected fault is one failed request). */
  readonly agent: Agent;
  /** Sample tools on the agent with an empty tool-call ledger of their own. */
  tools(options?: Omit<SampleToolsOptions, 'resource'>): BenchTools;
  /** Approves, at the authorization server, the request `pending` waits for (as its addressee by default). */
  approve(pending: PendingCallRef, approver?: string): Promise<void>;
  /** Denies, at the authorization server, the request `pending` waits for. */
  deny(pending: PendingCallRef, reason?: string): Promise<void>;
  /** The next request to the token endpoint (a CIBA poll, RFC 6749 §5.2) fails with `fault`. */
  failNextTokenRequest(fault: Fault): void;
  close(): Promise<void>;
}

/**
 * A bench for adapter tests: one agent registered at `stack` (the devkit's), whose requests pass
 * through a fault injector, and sample tools guarded by the real guard. Start one per test file:
 *
 * ```ts
 * beforeAll(async () => {
 *   stack = await startDevStack({ port: 0, toolApiPort: 0 });
 *   bench = await createGuardTestBench(stack);
 * });
 * beforeEach(() => ({ listAccounts, createPayout, executions } = bench.tools()));
 * ```
 */
export async function createGuardTestBench(
  stack: GuardTestStack,
  options: Partial<RegisteredAgentOptions> = {},
): Promise<GuardTestBench> {
  const faults = createFaultInjector();
  const agent = await createRegisteredAgent(stack, { scopes: ['accounts:read', 'payouts:write'], retries: 0, dispatcher: faults.dispatcher, ...options });
  const issuer = new URL(stack.issuer);
  const tokenPath = issuer.pathname.replace(/\/$/, '') + '/token';
  return {
    agent,
    tools(toolOptions = {}) {
      const ledger = memoryApprovalStore();
      const asked = () => stack.approvals.list().filter((request) => request.clientId === agent.clientId).length;
      const before = asked();
      return { ...sampleTools(agentWithLedger(agent, ledger), { ...toolOptions, resource: stack.toolApiUrl }), ledger, approvalRequests: () => asked() - before };
    },
    approve: (pending, approver) => approveAtDesk(stack.approvals, pending, approver),
    deny: (pending, reason) => denyAtDesk(stack.approvals, pending, reason),
    failNextTokenRequest: (fault) => faults.failNext({ origin: issuer.origin, path: tokenPath }, fault),
    async close() {
      await agent.close().catch(() => undefined);
      await faults.close();
    },
  };
}
