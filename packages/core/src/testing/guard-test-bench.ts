import { memoryApprovalStore } from '../tools/memory-approval-store.js';
import type { ApprovalStore } from '../tools/tool-call-ledger.js';
import type { Agent } from '../types.js';
import { agentWithLedger } from './agent-with-ledger.js';
import { approveAtDesk, denyAtDesk, type ApprovalDesk, type PendingCallRef } from './approval-desk.js';
import { createFaultInjector, type Fault, type SeenRequest } from './fault-injector.js';
import { createRegisteredAgent, type AgentRegistry, type RegisteredAgentOptions } from './registered-agent.js';
import { sampleTools, type SampleTools, type SampleToolsOptions } from './sample-tools.js';

const CIBA_GRANT_TYPE = 'urn:openid:params:grant-type:ciba';

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
  /** Ids of the approvals these tools asked for, oldest first (from the ledger). */
  requested(): Promise<string[]>;
  /**
   * Approves approval `approvalId` at the authorization server (as its addressee by default), then
   * waits until the guard's next poll of it is due: the next `resume` (with or without `wait`)
   * learns the decision.
   */
  approve(approvalId: string, approver?: string): Promise<void>;
  /** Denies approval `approvalId` at the authorization server, then waits until its next poll is due. */
  deny(approvalId: string, reason?: string): Promise<void>;
}

/** One registered agent for a whole test file, and a fresh set of sample tools per test. */
export interface GuardTestBench {
  /** The real agent (retries off, so one injected fault is one failed request). */
  readonly agent: Agent;
  /**
   * Sample tools on the agent with an empty tool-call ledger of their own. First denies the agent's
   * requests still open from earlier tests (the devkit limits open requests per agent).
   */
  tools(options?: Omit<SampleToolsOptions, 'resource'>): Promise<BenchTools>;
  /** Approves, at the authorization server, the request `pending` waits for (as its addressee by default). */
  approve(pending: PendingCallRef, approver?: string): Promise<void>;
  /** Denies, at the authorization server, the request `pending` waits for. */
  deny(pending: PendingCallRef, reason?: string): Promise<void>;
  /** The next request to the token endpoint (a CIBA poll, RFC 6749 §5.2) fails with `fault`. */
  failNextTokenRequest(fault: Fault): void;
  /** Every request the agent sent, in order. */
  readonly seen: readonly SeenRequest[];
  /** Times (ms) of the CIBA polls the agent sent (token requests with the CIBA grant, CIBA §10.1). */
  cibaPolls(): number[];
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
    async tools(toolOptions = {}) {
      // Each test starts with no open request: the authorization server limits how many one agent may have.
      for (const request of stack.approvals.list()) {
        if (request.clientId === agent.clientId && request.status === 'pending' && request.loginHint !== undefined) {
          await stack.approvals.deny(request.id, request.loginHint, 'closed between tests');
        }
      }
      const ledger = memoryApprovalStore();
      const asked = () => stack.approvals.list().filter((request) => request.clientId === agent.clientId).length;
      const before = asked();
      const decide = async (approvalId: string, decision: (pending: PendingCallRef) => Promise<void>) => {
        const record = await ledger.get(approvalId);
        if (record === undefined) throw new Error(`these tools never asked for approval ${approvalId}`);
        await decision({ argsSha256: record.argsSha256, bindingMessage: record.approval.bindingMessage, approver: record.approval.loginHint });
        await untilPollDue(ledger, approvalId);
      };
      return {
        ...sampleTools(agentWithLedger(agent, ledger), { ...toolOptions, resource: stack.toolApiUrl }),
        ledger,
        approvalRequests: () => asked() - before,
        requested: async () => (await ledger.list()).map((record) => record.id),
        approve: (approvalId, approver) => decide(approvalId, (pending) => approveAtDesk(stack.approvals, pending, approver)),
        deny: (approvalId, reason) => decide(approvalId, (pending) => denyAtDesk(stack.approvals, pending, reason)),
      };
    },
    approve: (pending, approver) => approveAtDesk(stack.approvals, pending, approver),
    deny: (pending, reason) => denyAtDesk(stack.approvals, pending, reason),
    seen: faults.seen,
    cibaPolls: () => faults.seen.filter((request) => request.grantType === CIBA_GRANT_TYPE).map((request) => request.at),
    failNextTokenRequest: (fault) => faults.failNext({ origin: issuer.origin, path: tokenPath }, fault),
    async close() {
      await agent.close().catch(() => undefined);
      await faults.close();
    },
  };
}

/** Resolves once the guard's next poll of `approvalId` is due (CIBA §7.3 `interval`), as the ledger records it. */
async function untilPollDue(ledger: ApprovalStore, approvalId: string): Promise<void> {
  const nextPollAt = (await ledger.get(approvalId))?.approval.nextPollAt ?? 0;
  const wait = nextPollAt - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait + 5));
}

/** The `beforeAll` and `afterAll` of the caller's test runner (vitest, jest and node:test all fit). */
export interface SuiteHooks {
  beforeAll(setup: () => Promise<void>): unknown;
  afterAll(teardown: () => Promise<void>): unknown;
}

/**
 * One stack and one {@link GuardTestBench} for the calling test file: `start` starts the stack
 * before the file's tests (the devkit's `startDevStack`), and both are closed after them. Returns
 * the bench, once started.
 *
 * ```ts
 * const bench = useGuardTestBench({ beforeAll, afterAll }, () => startDevStack({ port: 0, toolApiPort: 0 }));
 * it('…', async () => { const { createPayout } = await bench().tools(); … });
 * ```
 */
export function useGuardTestBench(
  hooks: SuiteHooks,
  start: () => Promise<GuardTestStack & { close(): Promise<void> }>,
  options: Partial<RegisteredAgentOptions> = {},
): () => GuardTestBench {
  let stack: (GuardTestStack & { close(): Promise<void> }) | undefined;
  let bench: GuardTestBench | undefined;
  hooks.beforeAll(async () => {
    stack = await start();
    bench = await createGuardTestBench(stack, options);
  });
  hooks.afterAll(async () => {
    await bench?.close();
    await stack?.close();
  });
  return () => {
    if (bench === undefined) throw new Error('the guard test bench starts in beforeAll: use it inside tests');
    return bench;
  };
}
