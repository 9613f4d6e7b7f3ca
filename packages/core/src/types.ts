import type { Dispatcher } from 'undici';
import type { PublicJwk, Signer, SigningAlgorithm } from './keys/signer.js';
import type { KeyStore } from './keys/key-store.js';
import type { ApprovalRequest, PendingApproval, SerializedApproval } from './approvals/types.js';
import type { AuthorizationDetail } from './oauth/types.js';
import type { AccessToken, TokenRequestOptions } from './tokens/types.js';
import type { ApprovalStore } from './tools/tool-call-ledger.js';

export type { AuthorizationDetail } from './oauth/types.js';
export type { AccessToken, TokenRequestOptions } from './tokens/types.js';
import type { AuditSink, Auditor } from './audit/types.js';
import type { WorkloadTokenSource } from './oauth/jwt-bearer-grant.js';

/** Options of {@link Agent.fetch}: the fetch options plus what the token is for. */
export interface AgentFetchInit extends Omit<RequestInit, 'body'> {
  /** Request body. Streams are buffered so the request can be sent again after a nonce challenge. */
  body?: RequestInit['body'];
  /** RFC 8707 resource indicator of the routine token to use. */
  resource?: string | undefined;
  /** Scope of the routine token to use: space-separated, or one value per item. */
  scope?: string | readonly string[] | undefined;
  /** Use this token (for example an approved action token) instead of a routine one. */
  token?: AccessToken | undefined;
}

/** Options of {@link createAgent}. */
export interface AgentOptions {
  /** The authorization server's issuer identifier, exactly as its metadata states it. */
  issuer: string;
  /** This agent workload's own client_id at the authorization server. */
  clientId: string;
  /**
   * The agent's identity key (private_key_jwt): a {@link Signer}, or a key store such as
   * `fileKeyStore(dir)`, in which case every assertion is signed with the store's current key, so a
   * key made current with `activate()` (after its JWKS is published) signs the next token request
   * without a restart.
   */
  key: Signer | KeyStore;
  /**
   * A workload-identity JWT to get tokens with instead of client credentials (RFC 7523 §2.1 JWT
   * bearer grant): a Kubernetes service-account token, a SPIFFE JWT-SVID, a cloud identity token.
   * The JWT itself, `{ file }` (read again before every token request, so a token the platform
   * rotates is used by the next request) or a callback (called before every token request). Every
   * routine token then comes from this grant, DPoP-bound, and `key` (when given) still
   * authenticates the client with private_key_jwt, for approvals (CIBA) and revocation too. A
   * refused JWT (`invalid_grant`, `invalid_scope`, `unauthorized_client`) ends in
   * `JwtBearerGrantError` and is not sent again; no other grant is tried. Without a `key`, see
   * {@link WorkloadAgentOptions}.
   *
   * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.1
   */
  workloadToken?: WorkloadTokenSource | undefined;
  /** DPoP key settings; a fresh key is generated per agent instance (default ES256). */
  dpop?:
    | {
        alg?: SigningAlgorithm;
        key?: Signer;
        /**
         * Sign the next request's proof while the current request waits for its response (default
         * `true`). Each proof still has its own `jti` and is sent at most once; one signed ahead is
         * used only for the same method, URL without query, access token and nonce, and only while
         * it is at most `maxAgeMs` old (default 1000, at most 10 000), its `iat` being the time it
         * was signed; otherwise it is thrown away and a proof signed on demand. Only a synchronous
         * signer (node:crypto, the pure-JS fallback) signs ahead, never a KMS or HSM whose
         * `sign` returns a promise; retries and requests answered with a challenge do not.
         * `false` signs every proof on demand.
         *
         * @see https://www.rfc-editor.org/rfc/rfc9449#section-4.2
         */
        presign?: boolean | { maxAgeMs?: number | undefined } | undefined;
      }
    | undefined;
  /** Where pending approvals live (default: in memory). */
  approvals?: { store?: ApprovalStore } | undefined;
  /** Audit sink(s) that receive every step. */
  audit?: AuditSink | AuditSink[] | undefined;
  /**
   * Audience of client assertions: `issuer` (default, draft-ietf-oauth-rfc7523bis) or
   * `token_endpoint` for older servers that require the token endpoint URL.
   */
  assertionAudience?: 'issuer' | 'token_endpoint' | undefined;
  /** Refresh routine tokens this many seconds before they expire (default 30). */
  refreshAheadSeconds?: number | undefined;
  /** Per-request timeout in milliseconds (default 10 000). */
  timeoutMs?: number | undefined;
  /** Retries of network errors, 5xx and 429 (default 2). */
  retries?: number | undefined;
  /** undici dispatcher used for every request the agent makes (default: undici's global one). */
  dispatcher?: Dispatcher | undefined;
  /** Clock in milliseconds since the epoch (default `Date.now`); for tests. */
  clock?: (() => number) | undefined;
}

/**
 * Options of {@link createAgent} for an agent whose only credential is a workload-identity JWT (no
 * key file): it names itself with `clientId` (the authorization server must register it as a
 * client that may use the JWT bearer grant without client authentication) and gets every token
 * with the JWT bearer grant. Such an agent cannot ask for approvals (CIBA needs an authenticated
 * client): `requestApproval` throws `ConfigurationError` unless a `key` is given too.
 * `agent.keyId` is `workload:` followed by the JWT's `sub`, and `publicJwks()` is empty.
 *
 * @example
 * ```ts
 * const agent = await createAgent({ issuer, clientId: 'payout-agent', workloadToken: { file: '/var/run/secrets/tokens/countersign' } });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.1
 */
export interface WorkloadAgentOptions extends Omit<AgentOptions, 'key' | 'workloadToken'> {
  /** The workload-identity JWT: itself, `{ file }` or a callback; see {@link AgentOptions.workloadToken}. */
  workloadToken: WorkloadTokenSource;
  /** Optional identity key: when given, it authenticates the client (private_key_jwt) as well. */
  key?: Signer | KeyStore | undefined;
}

/**
 * An AI agent workload with its own identity: it authenticates with private_key_jwt, holds
 * DPoP-bound tokens, and asks humans to approve risky actions.
 */
export interface Agent {
  /** This agent's client_id. */
  readonly clientId: string;
  /** kid (RFC 7638 thumbprint) of the identity key. */
  readonly keyId: string;
  /** RFC 7638 thumbprint of the DPoP key: the `cnf.jkt` of every token this agent holds. */
  readonly dpopThumbprint: string;
  /** Where this agent's pending approvals live. */
  readonly approvalStore: ApprovalStore;
  /** Records audit events with this agent's identity filled in. */
  readonly audit: Auditor;
  /** `{ keys: [identity public JWK] }`, for registration with an authorization server. */
  publicJwks(): Promise<{ keys: PublicJwk[] }>;
  /** A routine token for `resource` and `scope`, from the cache when fresh. */
  getToken(options?: TokenRequestOptions): Promise<AccessToken>;
  /** fetch with `Authorization: DPoP` and a fresh DPoP proof on every request. */
  fetch(url: string | URL, init?: AgentFetchInit): Promise<Response>;
  /** An undici dispatcher that does what {@link Agent.fetch} does for any undici request. */
  dispatcher(options?: TokenRequestOptions): Dispatcher;
  /** Asks a human to approve an action (OpenID CIBA, poll mode). */
  requestApproval(request: ApprovalRequest): Promise<PendingApproval>;
  /** Restores a pending approval from {@link PendingApproval.toJSON} output. */
  resumeApproval(saved: SerializedApproval | string): PendingApproval;
  /** Revokes what it holds, stops timers and refuses further use. */
  close(): Promise<void>;
}
