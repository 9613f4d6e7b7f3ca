import { randomBytes } from 'node:crypto';
import { OAuthError } from '../../errors.js';
import { processBackchannelAuthenticationResponse, processTokenResponse } from '../../oauth/process-responses.js';
import type {
  AuthorizationServerClient,
  AuthorizationServerMetadata,
  BackchannelAuthenticationResponse,
  TokenResponse,
} from '../../oauth/types.js';
import type { AuthorizationDetail } from '../../oauth/types.js';

/** One CIBA request as the fake server holds it. */
export interface FakeCibaRequest {
  authReqId: string;
  parameters: Record<string, string>;
  authorizationDetails: AuthorizationDetail[];
  createdAt: number;
  expiresAt: number;
  required: number;
  approvals: { sub: string; approvedAt: number }[];
  denial?: { sub: string; reason?: string | undefined } | undefined;
  consumed: boolean;
  lastPollAt?: number | undefined;
  polls: number;
  /** The access token issued for it, once. */
  issuedToken?: string | undefined;
}

/** Behaviour of the fake authorization server. */
export interface FakeAuthorizationServerOptions {
  clock: () => number;
  /** `expires_in` of backchannel requests, seconds (default 300). */
  expiresIn?: number;
  /** `interval` sent to clients, seconds; `null` omits it (default 5). */
  interval?: number | null;
  /** Answer `slow_down` when a client polls before `interval` elapsed (default true). */
  enforceInterval?: boolean;
  /** Distinct approvers each request needs (default 1). */
  requiredApprovals?: (request: FakeCibaRequest) => number;
  /** Lifetime of issued tokens, seconds (default 120). */
  tokenTtl?: number;
  /** Changes the granted details (to simulate a server that grants something else). */
  grantDetails?: (requested: AuthorizationDetail[]) => unknown;
  /** Replaces the backchannel response (to simulate malformed servers). */
  backchannelResponse?: (response: BackchannelAuthenticationResponse) => unknown;
  /** Forget requests once expired, answering `invalid_grant` like a store with TTLs (default false). */
  dropExpired?: boolean;
}

/**
 * An in-memory authorization server speaking CIBA poll mode through the
 * {@link AuthorizationServerClient} seam, for unit tests of approvals. It behaves like
 * oidc-provider with the devkit's dual control: OAuth errors are thrown as {@link OAuthError}
 * (`authorization_pending` with `approvals_required`/`approvals_received`, `slow_down`,
 * `access_denied`, `expired_token`, `invalid_grant` once consumed), the auth_req_id is exchanged
 * once, and the token response carries `authorization_details` and `approvers`.
 */
export class FakeAuthorizationServer implements AuthorizationServerClient {
  readonly requests: FakeCibaRequest[] = [];
  readonly tokenRequests: { grantType: string; parameters: Record<string, string> }[] = [];
  readonly revoked: string[] = [];
  readonly options: FakeAuthorizationServerOptions;

  constructor(options: FakeAuthorizationServerOptions) {
    this.options = options;
  }

  async metadata(): Promise<AuthorizationServerMetadata> {
    return {
      issuer: 'http://127.0.0.1:4000',
      token_endpoint: 'http://127.0.0.1:4000/token',
      backchannel_authentication_endpoint: 'http://127.0.0.1:4000/backchannel',
      backchannel_token_delivery_modes_supported: ['poll'],
    };
  }

  async backchannelAuthentication(parameters: Record<string, string>, options?: { signal?: AbortSignal | undefined }): Promise<BackchannelAuthenticationResponse> {
    options?.signal?.throwIfAborted();
    await Promise.resolve();
    if (!(parameters.scope ?? '').split(' ').includes('openid')) throw oauthError('invalid_request', 'openid scope must be requested');
    if (!parameters.login_hint) throw oauthError('invalid_request', 'missing login_hint');
    if (parameters.login_hint === 'nobody') throw oauthError('unknown_user_id', 'could not identify end-user');
    let authorizationDetails: AuthorizationDetail[];
    try {
      authorizationDetails = JSON.parse(parameters.authorization_details ?? '') as AuthorizationDetail[];
    } catch {
      throw oauthError('invalid_authorization_details', 'authorization_details must be JSON');
    }
    const now = this.options.clock();
    const expiresIn = Number(parameters.requested_expiry ?? this.options.expiresIn ?? 300);
    const request: FakeCibaRequest = {
      authReqId: randomBytes(24).toString('base64url'),
      parameters: { ...parameters },
      authorizationDetails,
      createdAt: now,
      expiresAt: now + expiresIn * 1000,
      required: 1,
      approvals: [],
      consumed: false,
      polls: 0,
    };
    request.required = this.options.requiredApprovals?.(request) ?? 1;
    this.requests.push(request);
    const response: BackchannelAuthenticationResponse = { auth_req_id: request.authReqId, expires_in: expiresIn };
    const interval = this.options.interval === undefined ? 5 : this.options.interval;
    if (interval !== null) response.interval = interval;
    const sent = this.options.backchannelResponse ? this.options.backchannelResponse(response) : response;
    // Through the real response processor, as the real client does: the one validation.
    return processBackchannelAuthenticationResponse({ status: 200, headers: {}, body: JSON.stringify(sent) ?? '' });
  }

  async tokenRequest(grantType: string, parameters: Record<string, string>, options?: { signal?: AbortSignal | undefined }): Promise<TokenResponse> {
    options?.signal?.throwIfAborted();
    // The server's time is when the request arrives; the answer comes a tick later.
    const now = this.options.clock();
    await Promise.resolve();
    this.tokenRequests.push({ grantType, parameters: { ...parameters } });
    if (grantType !== 'urn:openid:params:grant-type:ciba') throw oauthError('unsupported_grant_type', 'unsupported grant_type');
    const request = this.requests.find((candidate) => candidate.authReqId === parameters.auth_req_id);
    if (request === undefined || (this.options.dropExpired && now >= request.expiresAt)) {
      throw oauthError('invalid_grant', 'backchannel authentication request not found');
    }
    request.polls += 1;
    if (now >= request.expiresAt) throw oauthError('expired_token', 'backchannel authentication request is expired');
    const interval = (this.options.interval ?? 5) * 1000;
    const early = request.lastPollAt !== undefined && now - request.lastPollAt < interval;
    request.lastPollAt = now;
    if (request.consumed) throw oauthError('invalid_grant', 'backchannel authentication request already consumed');
    if (request.denial !== undefined) {
      request.consumed = true;
      throw oauthError('access_denied', request.denial.reason ?? 'end-user denied the request');
    }
    if (request.approvals.length >= request.required) {
      request.consumed = true;
      request.issuedToken = `action-${randomBytes(16).toString('base64url')}`;
      const body = {
        access_token: request.issuedToken,
        token_type: 'DPoP',
        expires_in: this.options.tokenTtl ?? 120,
        scope: request.parameters.scope!,
        authorization_details: this.options.grantDetails ? this.options.grantDetails(request.authorizationDetails) : request.authorizationDetails,
        approvers: request.approvals.map(({ sub, approvedAt }) => ({ sub, approved_at: Math.floor(approvedAt / 1000) })),
      };
      return processTokenResponse({ status: 200, headers: {}, body: JSON.stringify(body) });
    }
    if (early && (this.options.enforceInterval ?? true)) throw oauthError('slow_down', 'you are polling too quickly');
    throw oauthError('authorization_pending', 'end-user authorization pending', {
      approvals_required: request.required,
      approvals_received: request.approvals.map(({ sub, approvedAt }) => ({ sub, approved_at: Math.floor(approvedAt / 1000) })),
    });
  }

  async revoke(token: string): Promise<void> {
    this.revoked.push(token);
  }

  /** The newest request, or the newest whose binding message is `bindingMessage`. */
  find(bindingMessage?: string): FakeCibaRequest {
    const found = [...this.requests].reverse().find((request) => bindingMessage === undefined || request.parameters.binding_message === bindingMessage);
    if (found === undefined) throw new Error(`no CIBA request${bindingMessage ? ` with binding message ${bindingMessage}` : ''}`);
    return found;
  }

  /** The human side: `sub` approves (a second approval by the same person does not count). */
  approve(request: FakeCibaRequest, sub: string): void {
    if (!request.approvals.some((approval) => approval.sub === sub)) request.approvals.push({ sub, approvedAt: this.options.clock() });
  }

  /** The human side: `sub` denies. */
  deny(request: FakeCibaRequest, sub: string, reason?: string): void {
    request.denial = { sub, reason };
  }
}

function oauthError(error: string, description: string, parameters?: Record<string, unknown>): OAuthError {
  return new OAuthError(error, description, 400, { parameters: { error, error_description: description, ...parameters } });
}
