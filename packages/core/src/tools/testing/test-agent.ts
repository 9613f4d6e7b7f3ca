import { createAuditor } from '../../audit/auditor.js';
import { normalizeScope } from '../../tokens/token-cache.js';
import { memoryApprovalStore } from '../memory-approval-store.js';
import { requestApproval, resumeApproval } from '../../approvals/request-approval.js';
import { createApprovalHarness, type ApprovalHarness } from '../../approvals/testing/approval-harness.js';
import type { FakeAuthorizationServerOptions } from '../../approvals/testing/fake-authorization-server.js';
import type { ApprovalStore } from '../tool-call-ledger.js';
import type { Agent, AgentFetchInit } from '../../types.js';
import type { AccessToken } from '../../tokens/types.js';

/** One request the test agent's fetch sent. */
export interface SentRequest {
  url: string;
  method: string;
  body: string | undefined;
  /** The token it carried (routine or action). */
  accessToken: string;
}

/** An agent for guard unit tests: real approvals on a fake CIBA server, and a recording fetch. */
export interface TestAgent extends ApprovalHarness {
  agent: Agent;
  sent: SentRequest[];
  /** Routine tokens handed out. */
  routineTokens: AccessToken[];
}

/**
 * Builds a {@link TestAgent}. `respond` answers fetches (default `200 {"ok":true}`). Routine
 * tokens are `routine-<n>`; action tokens come from the fake server once approved.
 */
export function createTestAgent(
  options: {
    server?: Omit<FakeAuthorizationServerOptions, 'clock'>;
    /** Reuse a harness (same fake server and clock), for example to simulate a restart. */
    harness?: ApprovalHarness;
    store?: ApprovalStore;
    respond?: (request: SentRequest) => Response | Promise<Response>;
  } = {},
): TestAgent {
  const harness = options.harness ?? createApprovalHarness(options.server);
  const sent: SentRequest[] = [];
  const routineTokens: AccessToken[] = [];
  const audit = createAuditor({ agent: 'payout-agent', kid: 'kid-1', jkt: 'jkt-1' }, [{ write: (event) => void harness.events.push(event) }], harness.clock.now);
  const context = { ...harness.context, audit };
  const store = options.store ?? memoryApprovalStore();
  const routine = (resource?: string, scope?: string): AccessToken => {
    const token: AccessToken = { accessToken: `routine-${routineTokens.length + 1}`, tokenType: 'DPoP', expiresAt: harness.clock.now() + 300_000, scope, resource };
    routineTokens.push(token);
    return token;
  };
  const agent: Agent = {
    clientId: 'payout-agent',
    keyId: 'kid-1',
    dpopThumbprint: 'jkt-1',
    approvalStore: store,
    audit,
    publicJwks: async () => ({ keys: [] }),
    getToken: async (request) => {
      request?.signal?.throwIfAborted();
      return routine(request?.resource, normalizeScope(request?.scope));
    },
    async fetch(url: string | URL, init: AgentFetchInit = {}) {
      const token = init.token ?? routine(init.resource, normalizeScope(init.scope));
      const request: SentRequest = {
        url: String(url),
        method: init.method ?? 'GET',
        body: typeof init.body === 'string' ? init.body : undefined,
        accessToken: token.accessToken,
      };
      sent.push(request);
      return options.respond ? options.respond(request) : Response.json({ ok: true });
    },
    dispatcher: () => {
      throw new Error('not used by the guard');
    },
    requestApproval: (request) => requestApproval(context, request),
    resumeApproval: (saved) => resumeApproval(context, saved),
    close: async () => undefined,
  };
  return { ...harness, context, agent, sent, routineTokens };
}
