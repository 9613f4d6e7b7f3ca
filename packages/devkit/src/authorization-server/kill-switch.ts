import type { ApprovalRegistry } from '../approvals/approval-registry.js';
import type { AccessTokenLedger } from './access-token-ledger.js';
import type { MemoryStorage } from './memory-adapter.js';

/** What disabling an agent took away from it. */
export interface AgentRevocation {
  /** Approval requests (pending or approved, not yet redeemed) now denied for good. */
  approvals: number;
  /** CIBA requests (`auth_req_id`s) dropped: polling them answers `invalid_grant`. */
  cibaRequests: number;
  /** Live access tokens, action tokens included, now revoked until they expire. */
  accessTokens: number;
}

/** Options of {@link revokeAgentForGood}. */
export interface RevokeAgentOptions {
  approvals: ApprovalRegistry;
  storage: MemoryStorage;
  ledger: AccessTokenLedger;
}

const CIBA_MODEL = 'BackchannelAuthenticationRequest';
const REASON = 'the agent was disabled (kill switch)';

/**
 * The kill switch: everything an agent held when it was disabled stops working for good. Its
 * outstanding approvals are denied, its CIBA requests and the grants behind approved ones are
 * deleted (so no `auth_req_id` can ever be redeemed, even after the client is registered again, with
 * the same key or a new one), and its live access and action tokens are revoked until they expire.
 * A production authorization server needs the same three steps on disabling a client, keyed by
 * client_id and not by key, and kept across re-registration.
 *
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.11 (invalid_grant)
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2 (revoking tokens)
 */
export function revokeAgentForGood(clientId: string, options: RevokeAgentOptions): AgentRevocation {
  const before = options.approvals.list().filter((view) => view.clientId === clientId && (view.status === 'pending' || view.status === 'approved')).length;
  const authReqIds = options.approvals.revokeClient(clientId, REASON);
  let cibaRequests = 0;
  for (const authReqId of authReqIds) {
    const request = options.storage.get(CIBA_MODEL, authReqId);
    if (request === undefined || request.clientId !== clientId) continue;
    if (typeof request.grantId === 'string') {
      // Synchronous for this storage: every entry of the grant, then the grant itself.
      void options.storage.adapterFor('Grant').revokeByGrantId(request.grantId);
      options.storage.remove('Grant', request.grantId);
    }
    options.storage.remove(CIBA_MODEL, authReqId);
    cibaRequests += 1;
  }
  return { approvals: before, cibaRequests, accessTokens: options.ledger.revokeClient(clientId) };
}
