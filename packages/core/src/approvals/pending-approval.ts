import { ApprovalDeniedError, ApprovalExpiredError, CountersignError, OAuthError } from '../errors.js';
import type { AuditEventInput } from '../audit/types.js';
import type { AccessToken } from '../tokens/types.js';
import { parsePendingProgress, processApprovedTokenResponse } from '../oauth/ciba-responses.js';
import { ApprovalTokenUnavailableError, ApprovalGrantRefusedError } from './errors.js';
import { redactedAccessToken } from '../lib/redacted-token.js';
import { CIBA_GRANT_TYPE } from '../oauth/grant-types.js';
import type { TokenResponse } from '../oauth/types.js';
import { sleep as realSleep } from '../lib/sleep.js';
import type { ApprovalContext, ApprovalProgress, ApprovalStatus, PendingApproval, SerializedApproval } from './types.js';

/**
 * The CIBA grant type used to poll the token endpoint.
 *
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.10.1
 */
export { CIBA_GRANT_TYPE };

/** Seconds between polls when the server gives no `interval` (CIBA §7.3). */
export const DEFAULT_POLL_INTERVAL = 5;

/** Seconds added to the interval on every `slow_down` (CIBA §11, as RFC 8628 §3.5). */
export const SLOW_DOWN_INCREMENT = 5;

/** An `invalid_grant` this close to the local expiry is read as expiry: servers drop expired requests. */
const EXPIRY_GRACE_MS = 5_000;

const handles = new WeakMap<PendingApproval, PendingApprovalHandle>();

/**
 * Wraps approval state in a {@link PendingApproval} handle bound to `context`. The state is
 * copied; the handle owns its copy.
 */
export function createPendingApproval(context: ApprovalContext, state: SerializedApproval): PendingApproval {
  const handle = new PendingApprovalHandle(context, structuredClone(state));
  handles.set(handle, handle);
  return handle;
}

/**
 * Waits until `approval` may poll again (or expires), on its own clock. For handles not made by
 * {@link createPendingApproval}, waits one second.
 */
export async function waitForNextPoll(approval: PendingApproval, signal?: AbortSignal): Promise<void> {
  const handle = handles.get(approval);
  if (handle === undefined) return realSleep(1_000, signal);
  return handle.waitForNextPoll(signal);
}

/**
 * Milliseconds until `approval` expires, on its own clock (the system clock for handles not made
 * by {@link createPendingApproval}).
 */
export function timeLeft(approval: PendingApproval): number {
  const handle = handles.get(approval);
  return approval.expiresAt - (handle === undefined ? Date.now() : handle.now());
}

class PendingApprovalHandle implements PendingApproval {
  readonly #context: ApprovalContext;
  readonly #state: SerializedApproval;
  #token: AccessToken | undefined;
  /** A terminal failure (for example a mismatched token): every later poll throws it again. */
  #failure: Error | undefined;
  #inFlight: Promise<ApprovalStatus> | undefined;
  /** Approvals already in the trail; seeded from saved state, since the guard restores a handle per poll. */
  #reportedReceived: number;

  constructor(context: ApprovalContext, state: SerializedApproval) {
    this.#context = context;
    this.#state = state;
    this.#reportedReceived = state.progress?.received.length ?? 0;
  }

  get id(): string {
    return this.#state.id;
  }
  /** Now, on this approval's clock. */
  now(): number {
    return this.#context.clock();
  }
  get status(): ApprovalStatus {
    return this.#state.status;
  }
  get expiresAt(): number {
    return this.#state.expiresAt;
  }
  get bindingMessage(): string {
    return this.#state.bindingMessage;
  }
  get loginHint(): string {
    return this.#state.loginHint;
  }
  get authorizationDetails() {
    return this.#state.authorizationDetails;
  }
  get progress(): ApprovalProgress | undefined {
    return this.#state.progress;
  }
  get token(): AccessToken | undefined {
    return this.#token;
  }

  poll(options?: { signal?: AbortSignal }): Promise<ApprovalStatus> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#state.status !== 'pending') return Promise.resolve(this.#state.status);
    // A poll already on its way decides first: its answer may be the approval.
    if (this.#inFlight !== undefined) return this.#inFlight;
    const now = this.#context.clock();
    if (now >= this.#state.expiresAt) {
      this.#settleExpired();
      return Promise.resolve(this.#state.status);
    }
    if (now < this.#state.nextPollAt) return Promise.resolve(this.#state.status);
    this.#inFlight = this.#pollOnce(options?.signal).finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async wait(options?: { signal?: AbortSignal }): Promise<AccessToken> {
    const signal = options?.signal;
    for (;;) {
      signal?.throwIfAborted();
      const status = await this.poll({ signal });
      if (status === 'approved') {
        if (this.#token === undefined) throw new ApprovalTokenUnavailableError(this.id);
        return this.#token;
      }
      if (status === 'denied') throw new ApprovalDeniedError(this.id, this.#state.reason);
      if (status === 'expired') throw new ApprovalExpiredError(this.id);
      await this.waitForNextPoll(signal);
    }
  }

  toJSON(): SerializedApproval {
    return structuredClone(this.#state);
  }

  async waitForNextPoll(signal?: AbortSignal): Promise<void> {
    const delay = Math.min(this.#state.nextPollAt, this.#state.expiresAt) - this.#context.clock();
    await (this.#context.sleep ?? realSleep)(Math.max(0, delay), signal);
  }

  async #pollOnce(signal: AbortSignal | undefined): Promise<ApprovalStatus> {
    const { client, clock } = this.#context;
    let response: TokenResponse;
    try {
      response = await client.tokenRequest(CIBA_GRANT_TYPE, { auth_req_id: this.#state.authReqId }, { signal });
    } catch (error) {
      return this.#onPollError(error);
    }
    try {
      const grant = processApprovedTokenResponse(response, this.#state.authorizationDetails);
      this.#token = redactedAccessToken({
        accessToken: grant.accessToken,
        tokenType: 'DPoP',
        expiresAt: clock() + grant.expiresIn * 1000,
        scope: grant.scope ?? this.#state.scope,
        resource: this.#state.resource,
        authorizationDetails: grant.authorizationDetails,
      });
      this.#state.status = 'approved';
      this.#state.progress = {
        required: Math.max(this.#state.progress?.required ?? 0, grant.approvers.length, 1),
        received: grant.approvers,
      };
      this.#record({ event: 'approval.approved', approvers: grant.approvers, outcome: 'ok' });
      return 'approved';
    } catch (error) {
      // The auth_req_id is spent either way: the token is refused, revoked, and never handed out.
      const accessToken = (response as { access_token?: unknown } | null)?.access_token;
      if (typeof accessToken === 'string') await client.revoke(accessToken).catch(() => undefined);
      const reason = 'the issued token did not match the request and was not used';
      return this.#settleFailed(error, reason);
    }
  }

  #onPollError(error: unknown): ApprovalStatus {
    const now = this.#context.clock();
    if (!(error instanceof OAuthError)) {
      this.#state.nextPollAt = now + this.#state.interval * 1000;
      throw error;
    }
    switch (error.error) {
      case 'authorization_pending': {
        this.#state.nextPollAt = now + this.#state.interval * 1000;
        const progress = parsePendingProgress(error.parameters);
        if (progress !== undefined) this.#state.progress = progress;
        // Evidence of progress, not of polling: one record per new approval under dual control.
        const received = progress?.received.length ?? 0;
        if (received !== this.#reportedReceived) {
          this.#reportedReceived = received;
          this.#record({ event: 'approval.pending', approvers: progress?.received, outcome: 'pending' });
        }
        return 'pending';
      }
      case 'slow_down':
        this.#state.interval += SLOW_DOWN_INCREMENT;
        this.#state.nextPollAt = now + this.#state.interval * 1000;
        return 'pending';
      case 'access_denied':
        this.#state.status = 'denied';
        if (error.errorDescription !== undefined) this.#state.reason = error.errorDescription;
        this.#record({ event: 'approval.denied', outcome: 'denied' });
        return 'denied';
      case 'expired_token':
        this.#settleExpired();
        return 'expired';
      case 'invalid_grant':
        if (now >= this.#state.expiresAt - EXPIRY_GRACE_MS) {
          this.#settleExpired();
          return 'expired';
        }
        // Consumed (redeemed by an earlier poll whose token was lost), revoked, or not ours: never again.
        return this.#settleFailed(
          new ApprovalGrantRefusedError(this.#state.id, { cause: error, error: error.error }),
          'the authorization server refused the grant (invalid_grant) before it expired: already redeemed, or revoked',
        );
      default:
        this.#state.nextPollAt = now + this.#state.interval * 1000;
        throw error;
    }
  }

  #settleExpired(): void {
    this.#state.status = 'expired';
    this.#record({ event: 'approval.expired', outcome: 'expired' });
  }

  #settleFailed(error: unknown, reason: string): never {
    const failure = error instanceof Error ? error : new CountersignError('approval failed', { cause: error });
    this.#failure = failure;
    this.#state.status = 'denied';
    this.#state.reason = reason;
    this.#record({ event: 'approval.denied', outcome: 'error', error: describeError(failure) });
    throw failure;
  }

  #record(input: AuditEventInput): void {
    this.#context.audit.record({ ...approvalAuditFields(this.#state), ...input });
  }
}

/** The audit members every approval event carries: never the auth_req_id, never a token. */
export function approvalAuditFields(
  state: Pick<SerializedApproval, 'id' | 'authorizationDetails' | 'scope' | 'resource'>,
): Omit<AuditEventInput, 'event'> {
  const action = state.authorizationDetails.find((detail) => detail.type === 'agent_action');
  return {
    approvalId: state.id,
    tool: typeof action?.tool === 'string' ? action.tool : undefined,
    argsSha256: typeof action?.args_sha256 === 'string' ? action.args_sha256 : undefined,
    scope: state.scope,
    resource: state.resource,
  };
}

/** `{ code, message }` of an error, for audit records (messages never hold secrets). */
export function describeError(error: unknown): { code: string; message: string } {
  if (CountersignError.isInstance(error)) return { code: error.code, message: error.message };
  if (error instanceof Error) return { code: error.name, message: error.message };
  return { code: 'ERR_UNKNOWN', message: 'non-error value thrown' };
}
