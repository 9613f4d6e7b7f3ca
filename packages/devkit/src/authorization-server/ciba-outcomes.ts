import { errors, type Provider } from 'oidc-provider';
import type { ApprovalOutcomes, ApproverClaim } from '../approvals/approval-registry.js';
import { DevkitError } from '../errors.js';

/**
 * Delivers the registry's decisions to oidc-provider. An approval becomes a Grant holding the
 * `openid` scope, the resource's scopes and, through `backchannelResult`, the authorization
 * details exactly as requested; a denial becomes `access_denied` at the agent's next poll.
 * An agent disabled since it asked can no longer be approved (`unknown_client`); denying its
 * request is still recorded.
 *
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.10.1
 */
export function cibaOutcomes(provider: Provider, grantApprovers: Map<string, ApproverClaim[]>): ApprovalOutcomes {
  const agentIsEnabled = async (clientId: string) => (await provider.Client.find(clientId)) !== undefined;

  return {
    async approved(record) {
      if (!(await agentIsEnabled(record.clientId))) {
        throw new DevkitError('unknown_client', 'the agent that asked was disabled; its request can no longer be approved');
      }
      const grant = new provider.Grant({ accountId: record.loginHint, clientId: record.clientId });
      grant.addOIDCScope('openid');
      const resourceScope = record.scope
        .split(' ')
        .filter((scope) => scope !== '' && scope !== 'openid' && scope !== 'offline_access')
        .join(' ');
      if (record.resource !== undefined) grant.addResourceScope(record.resource, resourceScope);
      const grantId = await grant.save();
      grantApprovers.set(
        grantId,
        record.approvals.map((decision) => ({ sub: decision.approver, approved_at: Math.floor(decision.at / 1000) })),
      );
      try {
        await provider.backchannelResult(record.authReqId, grant, {
          rar: record.authorizationDetails.length > 0 ? structuredClone(record.authorizationDetails) : undefined,
        });
      } catch (error) {
        grantApprovers.delete(grantId);
        throw error;
      }
    },
    async denied(record) {
      if (!(await agentIsEnabled(record.clientId))) return;
      await provider.backchannelResult(record.authReqId, new errors.AccessDenied(record.denial?.reason));
    },
  };
}
