import { errors, type KoaContext } from 'oidc-provider';
import { DEV_APPROVERS, findApprover } from '../approvals/approver-directory.js';
import { refusalToAddress } from '../approvals/decision-rights.js';
import { hiddenCharacterIn } from '../approvals/displayed-text.js';
import type { ApprovalRegistry, RequestedDetail } from '../approvals/approval-registry.js';
import { actionPolicy } from '../approvals/dual-control-policy.js';
import type { AgentClients } from './agent-clients.js';
import { AgentActionDetailError, findAgentAction, type AgentActionDetail } from './agent-action-details.js';
import type { MemoryStorage } from './memory-adapter.js';

/** Longest binding message accepted, in characters (the same limit as the agent SDK). */
export const MAX_BINDING_MESSAGE_LENGTH = 128;

/** Open (undecided) requests one agent may have at once, by default. */
export const DEFAULT_MAX_OPEN_REQUESTS_PER_AGENT = 5;
/** Open requests addressed to one approver at once, by default. */
export const DEFAULT_MAX_OPEN_REQUESTS_PER_APPROVER = 20;

/** Options of {@link createCibaHooks}. */
export interface CibaHooksOptions {
  approvals: ApprovalRegistry;
  storage: MemoryStorage;
  agents: AgentClients;
  dualControlThreshold: number;
  /** Open requests per agent before `slow_down` (default {@link DEFAULT_MAX_OPEN_REQUESTS_PER_AGENT}). */
  maxOpenRequestsPerAgent?: number | undefined;
  /** Open requests per approver before `slow_down` (default {@link DEFAULT_MAX_OPEN_REQUESTS_PER_APPROVER}). */
  maxOpenRequestsPerApprover?: number | undefined;
}

/**
 * The `features.ciba` functions of oidc-provider (its defaults throw "not implemented"): login
 * hints resolve against the dev approver directory and must name someone who may approve (not the
 * agent's owner, and with a second eligible person under dual control), the binding message is
 * required and plain, an agent or approver with too many open requests gets `slow_down` (no
 * approval flooding), and each request becomes an entry of the approval registry instead of a push
 * to a phone.
 *
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.1
 */
export function createCibaHooks(options: CibaHooksOptions) {
  const policyOf = (action: AgentActionDetail | undefined) => actionPolicy(action, { dualControlThreshold: options.dualControlThreshold });
  const perAgent = options.maxOpenRequestsPerAgent ?? DEFAULT_MAX_OPEN_REQUESTS_PER_AGENT;
  const perApprover = options.maxOpenRequestsPerApprover ?? DEFAULT_MAX_OPEN_REQUESTS_PER_APPROVER;

  /** Nothing stops a looping agent from asking until someone clicks yes, except this. */
  function refuseFlooding(clientId: string, approverId: string): void {
    const byAgent = options.approvals.openRequests({ clientId });
    if (byAgent >= perAgent) {
      throw new errors.SlowDown(`agent ${clientId} already has ${byAgent} approval requests waiting (at most ${perAgent}); wait for a decision or an expiry before asking again`);
    }
    const byApprover = options.approvals.openRequests({ loginHint: approverId });
    if (byApprover >= perApprover) {
      throw new errors.SlowDown(`${approverId} already has ${byApprover} approval requests waiting (at most ${perApprover}); wait for a decision or an expiry before asking again`);
    }
  }

  return {
    deliveryModes: ['poll'],

    async processLoginHint(ctx: KoaContext, loginHint: string): Promise<string | undefined> {
      const approver = findApprover(loginHint);
      if (approver === undefined) return undefined; // oidc-provider answers unknown_user_id
      const clientId = String(ctx.oidc.client?.clientId);
      const refusal = refusalToAddress(
        { policy: policyOf(requestedAction(ctx)), addressedTo: approver.id, agentOwner: options.agents.ownerOf(clientId) },
        DEV_APPROVERS,
      );
      if (refusal !== undefined) throw new errors.InvalidRequest(`login_hint: ${refusal}`);
      refuseFlooding(clientId, approver.id);
      return approver.id;
    },

    async processLoginHintToken(): Promise<string | undefined> {
      throw new errors.InvalidRequest('login_hint_token is not supported; use login_hint');
    },

    async verifyUserCode(_ctx: KoaContext, _account: unknown, userCode: unknown): Promise<void> {
      if (userCode !== undefined) throw new errors.InvalidRequest('user_code is not supported');
    },

    async validateBindingMessage(_ctx: KoaContext, bindingMessage: unknown): Promise<void> {
      if (typeof bindingMessage !== 'string' || bindingMessage.trim() === '') {
        throw new errors.InvalidBindingMessage('binding_message is required: the approver must see what they approve');
      }
      if ([...bindingMessage].length > MAX_BINDING_MESSAGE_LENGTH) {
        throw new errors.InvalidBindingMessage(`binding_message must be at most ${MAX_BINDING_MESSAGE_LENGTH} characters`);
      }
      const hidden = hiddenCharacterIn(bindingMessage);
      if (hidden !== undefined) {
        throw new errors.InvalidBindingMessage(`binding_message contains an invisible or format character (${hidden}); it must read exactly as sent`);
      }
    },

    async validateRequestContext(): Promise<void> {
      // request_context is optional and carries nothing the devkit uses.
    },

    async triggerAuthenticationDevice(
      ctx: KoaContext,
      request: { jti: string; scope?: string; resource?: string | string[]; params: Record<string, unknown> },
      account: { accountId: string },
      client: { clientId: string },
    ): Promise<void> {
      const details = requestedDetails(ctx);
      const action = findAgentAction(details);
      const stored = options.storage.get('BackchannelAuthenticationRequest', request.jti);
      const exp = typeof stored?.exp === 'number' ? stored.exp : Math.floor(Date.now() / 1000) + Number(ctx.body?.expires_in ?? 0);
      options.approvals.add({
        authReqId: request.jti,
        clientId: client.clientId,
        loginHint: account.accountId,
        bindingMessage: String(request.params.binding_message),
        scope: request.scope ?? '',
        resource: Array.isArray(request.resource) ? request.resource[0] : request.resource,
        authorizationDetails: details ?? [],
        action,
        policy: policyOf(action),
        agentOwner: options.agents.ownerOf(client.clientId),
        expiresAt: exp * 1000,
      });
    },
  };
}

/** The `authorization_details` of the current request, already checked by oidc-provider's RAR step. */
export function requestedDetails(ctx: KoaContext): RequestedDetail[] | undefined {
  const raw = ctx.oidc.params.authorization_details;
  if (typeof raw !== 'string') return undefined;
  const parsed: unknown = JSON.parse(raw);
  return Array.isArray(parsed) && parsed.length > 0 ? (parsed as RequestedDetail[]) : undefined;
}

/** The validated `agent_action` of the current request, as an OAuth error when it is not valid. */
export function requestedAction(ctx: KoaContext): AgentActionDetail | undefined {
  try {
    return findAgentAction(requestedDetails(ctx));
  } catch (error) {
    if (error instanceof AgentActionDetailError) throw new errors.InvalidAuthorizationDetails(error.message);
    throw error;
  }
}
