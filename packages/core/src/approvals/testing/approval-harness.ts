import { createAuditor } from '../../audit/auditor.js';
import type { AuditEvent } from '../../audit/types.js';
import type { ApprovalContext } from '../types.js';
import { FakeAuthorizationServer, type FakeAuthorizationServerOptions } from './fake-authorization-server.js';
import { createManualClock, type ManualClock } from './manual-clock.js';

/** A fake server, a manual clock, an audit trail in memory, and the context approvals run in. */
export interface ApprovalHarness {
  clock: ManualClock;
  server: FakeAuthorizationServer;
  events: AuditEvent[];
  context: ApprovalContext;
}

/** Builds an {@link ApprovalHarness}; `options` tune the fake server. */
export function createApprovalHarness(options: Omit<FakeAuthorizationServerOptions, 'clock'> = {}): ApprovalHarness {
  const clock = createManualClock();
  const server = new FakeAuthorizationServer({ ...options, clock: clock.now });
  const events: AuditEvent[] = [];
  const audit = createAuditor({ agent: 'payout-agent', kid: 'kid-1', jkt: 'jkt-1' }, [{ write: (event) => void events.push(event) }], clock.now);
  return { clock, server, events, context: { client: server, audit, clock: clock.now, clientId: 'payout-agent', sleep: clock.sleep } };
}
