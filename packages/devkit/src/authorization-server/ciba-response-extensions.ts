import type { KoaContext, Middleware } from 'oidc-provider';
import type { ApprovalRegistry } from '../approvals/approval-registry.js';
import { CIBA_GRANT_TYPE } from './agent-clients.js';
import { ROUTES } from './provider-configuration.js';

/** Options of {@link cibaResponseExtensions}. */
export interface CibaResponseExtensionsOptions {
  approvals: ApprovalRegistry;
  /** Poll interval announced and enforced, seconds. */
  pollInterval: number;
  /** Milliseconds since the epoch (default `Date.now`). */
  clock?: () => number;
}

/** Polls arriving this much early still count as on time (network jitter between two polls). */
const POLL_TOLERANCE_MS = 250;
/** CIBA §11: on `slow_down` the interval grows by at least 5 seconds, for this and later polls. */
const SLOW_DOWN_STEP_SECONDS = 5;
/** RFC 6749 §5.2: error_description is limited to %x20-21 / %x23-5B / %x5D-7E. */
const UNSAFE_DESCRIPTION_CHARACTERS = /[^\x20\x21\x23-\x5B\x5D-\x7E]/g;

/**
 * Koa middleware that completes oidc-provider's CIBA poll mode for the devkit:
 *
 * - the backchannel authentication response carries `interval` (oidc-provider omits it);
 * - the server enforces it: a poll that comes early gets `slow_down`, and the interval grows by 5 s;
 * - `authorization_pending` carries `approvals_required`, `approvals_received` and
 *   `approvals_waiting_for` (who may give the next approval), so an agent can say "1 of 2 approvals
 *   (alice); waiting for one more of: bob";
 * - the approved token response carries `approvers: [{ sub, approved_at }]`;
 * - `access_denied` carries the approver's reason as `error_description` when one was given.
 *
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.3
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.11
 */
export function cibaResponseExtensions(options: CibaResponseExtensionsOptions): Middleware {
  const clock = options.clock ?? Date.now;
  const polls = new Map<string, { lastPollAt: number; interval: number; expiresAt: number }>();

  function forgetExpiredPolls(now: number): void {
    for (const [authReqId, state] of polls) if (state.expiresAt < now) polls.delete(authReqId);
  }

  function afterBackchannelRequest(ctx: KoaContext): void {
    if (ctx.status !== 200 || typeof ctx.body?.auth_req_id !== 'string') return;
    ctx.body = { ...ctx.body, interval: options.pollInterval };
  }

  function afterCibaPoll(ctx: KoaContext): void {
    const authReqId = ctx.oidc?.params.auth_req_id;
    if (typeof authReqId !== 'string') return;
    const progress = options.approvals.progressByAuthReqId(authReqId);
    if (progress === undefined) return;

    if (ctx.status === 200 && typeof ctx.body?.access_token === 'string') {
      polls.delete(authReqId);
      ctx.body = { ...ctx.body, approvers: progress.approvers };
      return;
    }

    const error = ctx.body?.error;
    if (error === 'authorization_pending') {
      const now = clock();
      const state = polls.get(authReqId);
      if (state !== undefined && now - state.lastPollAt < state.interval * 1000 - POLL_TOLERANCE_MS) {
        state.lastPollAt = now;
        state.interval += SLOW_DOWN_STEP_SECONDS;
        ctx.body = {
          error: 'slow_down',
          error_description: `polling too quickly: wait at least ${state.interval} seconds between polls`,
          interval: state.interval,
        };
        return;
      }
      if (state === undefined) {
        if (polls.size > 1000) forgetExpiredPolls(now);
        polls.set(authReqId, { lastPollAt: now, interval: options.pollInterval, expiresAt: now + 3_600_000 });
      } else {
        state.lastPollAt = now;
      }
      ctx.body = {
        ...ctx.body,
        approvals_required: progress.requiredApprovals,
        approvals_received: progress.approvers,
        approvals_waiting_for: progress.waitingFor,
      };
      return;
    }

    polls.delete(authReqId);
    if (error === 'access_denied' && progress.denialReason !== undefined) {
      const description = progress.denialReason.replace(UNSAFE_DESCRIPTION_CHARACTERS, '?');
      ctx.body = { ...ctx.body, error_description: `the approver denied the request: ${description}` };
    }
  }

  return async function cibaExtensions(ctx, next) {
    await next();
    if (ctx.method !== 'POST') return;
    if (ctx.path === ROUTES.backchannel_authentication) afterBackchannelRequest(ctx);
    else if (ctx.path === ROUTES.token && ctx.oidc?.params.grant_type === CIBA_GRANT_TYPE) afterCibaPoll(ctx);
  };
}
