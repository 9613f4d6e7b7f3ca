import type { ReplayStore } from './replay-store.js';

/**
 * The OAuth error code of a refusal, as sent in the JSON body and the challenge's `error`: the
 * registered resource access error codes, plus `temporarily_unavailable` / `server_error` when the
 * enforcement point itself cannot decide (it then refuses: fail closed).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-7.1
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-12.2
 */
export type RefusalError =
  | 'invalid_request'
  | 'invalid_token'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'
  | 'insufficient_scope'
  | 'temporarily_unavailable'
  | 'server_error';

/**
 * Why a request was refused, one reason per check, stable so callers and tests can `switch` on it.
 * Each maps to one HTTP status and one {@link RefusalError}.
 */
export type RefusalReason =
  // The request itself (RFC 6750 §3.1, RFC 9449 §7)
  | 'missing_credentials'
  | 'duplicate_authorization'
  | 'malformed_authorization'
  | 'unsupported_scheme'
  | 'bearer_downgrade'
  | 'malformed_request'
  | 'body_too_large'
  | 'unsupported_media_type'
  // The DPoP proof (RFC 9449 §4.3)
  | 'missing_proof'
  | 'duplicate_proof'
  | 'malformed_proof'
  | 'proof_typ'
  | 'proof_alg'
  | 'proof_jwk'
  | 'proof_signature'
  | 'proof_htm'
  | 'proof_htu'
  | 'proof_iat'
  | 'proof_ath'
  | 'proof_replayed'
  | 'nonce_required'
  // The access token (RFC 9068 §4, RFC 7662, RFC 9449 §6)
  | 'malformed_token'
  | 'token_typ'
  | 'token_alg'
  | 'token_unknown_key'
  | 'token_signature'
  | 'token_issuer'
  | 'token_audience'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'token_claims'
  | 'token_inactive'
  | 'token_revoked'
  | 'token_not_bound'
  | 'key_mismatch'
  // What the token allows (RFC 6750 §3.1, RFC 9396)
  | 'insufficient_scope'
  | 'approval_required'
  | 'approval_mismatch'
  | 'approval_location'
  | 'approvers_insufficient'
  | 'action_spent'
  // The enforcement point could not decide, so it refuses
  | 'keys_unavailable'
  | 'introspection_unavailable'
  | 'revocation_unavailable'
  | 'replay_store_unavailable'
  | 'internal_error';

/** One person who approved an action, from the action token's `approvers` claim. */
export interface Approver {
  /** Subject identifier of the approver at the authorization server. */
  sub: string;
  /** Seconds since the epoch. */
  approved_at?: number;
  [member: string]: unknown;
}

/** The claims of a verified access token (JWT claims, or the introspection response members). */
export interface TokenClaims {
  iss: string;
  client_id: string;
  sub?: string;
  jti?: string;
  exp: number;
  iat?: number;
  nbf?: number;
  scope?: string;
  aud?: string | string[];
  cnf: { jkt: string };
  authorization_details?: Array<Record<string, unknown>>;
  approvers?: Approver[];
  [claim: string]: unknown;
}

/** The tool call an action token must approve (RFC 9396 `agent_action`). */
export interface ActionRequirement {
  /** The tool's name: the detail's `tool`. */
  tool: string;
  /** The call's arguments as received (e.g. the parsed JSON body); hashed per RFC 8785 + SHA-256. */
  args: unknown;
  /** Distinct approvers needed (default 1; 2 for dual control). */
  approvers?: number;
}

/** What a request must carry beyond a valid proof and token. */
export interface Requirement {
  /** Scope(s) the token must hold, all of them (space-separated string or list). */
  scope?: string | readonly string[];
  /** Needs an action token approving exactly this call; the token is spent by a successful verify. */
  action?: ActionRequirement;
}

/** Options of one {@link ResourceServer.verify} call. */
export interface VerifyOptions extends Requirement {
  /**
   * The URL the client addressed, when `request.url` is not it (behind a proxy that rewrites the
   * host). Only scheme, host, port and path are used.
   */
  url?: string | URL;
}

/** The agent a request came from. */
export interface VerifiedAgent {
  /** The token's `client_id`. */
  clientId: string;
  /** RFC 7638 thumbprint of the DPoP key the request was signed with (= the token's `cnf.jkt`). */
  jkt: string;
}

/** A request that passed every check. */
export interface Accepted {
  ok: true;
  agent: VerifiedAgent;
  /** The token's claims. */
  token: TokenClaims;
  /** The token's scopes. */
  scopes: readonly string[];
  /** Distinct approvers of the action (empty without an `action` requirement). */
  approvers: readonly Approver[];
  /** The `agent_action` detail that approved this call, when an action was required. */
  action?: Record<string, unknown>;
  /** Headers to send with the answer (`DPoP-Nonce` when nonces are on). */
  headers: Record<string, string>;
}

/** A refused request: everything needed to answer it, ready to send. */
export interface Refused {
  ok: false;
  /** 400, 401, 403, or 500/503 when the enforcement point could not decide. */
  status: number;
  /** OAuth error code. */
  error: RefusalError;
  /** Which check failed. */
  reason: RefusalReason;
  /** Human-readable, never contains a token, proof or key. */
  description: string;
  /** `WWW-Authenticate` (RFC 6750 §3 / RFC 9449 §7.1), `DPoP-Nonce`, `Retry-After` as applicable. */
  headers: Record<string, string>;
  /**
   * The JSON body to send: `error`, `error_description`, and for a missing or mismatched approval
   * the RFC 9396 `authorization_details` the client must ask the authorization server for.
   */
  body: { error: RefusalError; error_description: string; authorization_details?: Array<Record<string, unknown>> };
}

/** The outcome of {@link ResourceServer.verify}. */
export type Verdict = Accepted | Refused;

/** How access tokens are validated. */
export type TokenValidation =
  | {
      /** JWT access tokens (RFC 9068), verified with the issuer's keys (the default). */
      kind: 'jwt';
      /** The issuer's public keys; default: fetched from the discovered `jwks_uri`. */
      jwks?: { keys: ReadonlyArray<Record<string, unknown>> } | URL;
      /** Accepted signature algorithms (default ES256, ES384, EdDSA, PS256, RS256). */
      algorithms?: readonly string[];
      /**
       * Least time between two JWKS fetches caused by an unknown `kid`, or between retries while the
       * JWKS has never loaded (then requests are refused with 503 `keys_unavailable`), seconds (default 30).
       */
      refreshCooldown?: number;
    }
  | {
      /** Opaque (or any) tokens, validated by the issuer's RFC 7662 introspection endpoint. */
      kind: 'introspection';
      /** Default: the discovered `introspection_endpoint`. */
      endpoint?: string | URL;
      /** This resource server's own credentials at the AS (client_secret_basic). */
      clientId: string;
      clientSecret: string;
      /** Longest time an introspection answer is reused, seconds (default 30; never past `exp`). */
      cacheTtl?: number;
    };

/** Options of {@link createResourceServer}. */
export interface ResourceServerOptions {
  /** The authorization server's exact issuer identifier; tokens' `iss` must equal it. */
  issuer: string;
  /** This API's resource identifier (RFC 8707): the tokens' `aud`, the metadata's `resource`. */
  resource: string;
  /** Token validation (default `{ kind: 'jwt' }`, keys from the discovered `jwks_uri`). */
  tokens?: TokenValidation;
  /** Where used proof `jti`s and spent action tokens are recorded (default a bounded memory store). */
  replay?: ReplayStore;
  /**
   * Require a server nonce in every proof (RFC 9449 §9). Nonces are stateless: an HMAC over a time
   * window with `secret`, so every instance sharing the secret accepts the others' nonces.
   */
  nonce?: {
    /** At least 32 bytes (or characters); share it between the instances of this API. */
    secret: string | Uint8Array;
    /** Seconds a nonce stays current (default 300); the previous one is accepted one window more. */
    lifetime?: number;
  };
  /**
   * Revocation hook: called for every request with the verified claims (cached tokens too); true
   * refuses the token (`token_revoked`). Revocation then reaches the API as fast as the hook knows.
   */
  isRevoked?: (claims: TokenClaims) => boolean | Promise<boolean>;
  /** DPoP proof algorithms accepted (default ES256 and EdDSA). */
  dpopAlgorithms?: ReadonlyArray<'ES256' | 'EdDSA' | 'ES384'>;
  /** Oldest acceptable proof `iat`, seconds (default 60). */
  proofMaxAge?: number;
  /** Clock skew tolerated for proof `iat` and token `exp`/`nbf`, seconds (default 5). */
  clockTolerance?: number;
  /** Scopes this API knows, for the metadata's `scopes_supported`. */
  scopes?: readonly string[];
  /** Extra RFC 9728 metadata members (e.g. `resource_name`). */
  metadata?: Record<string, unknown>;
  /** Verified tokens kept, so a token is verified once per life (default 10 000). */
  maxCachedTokens?: number;
  /** `fetch` for discovery, JWKS and introspection (default the global one). */
  fetch?: typeof fetch;
  /** Clock in milliseconds since the epoch (default `Date.now`). */
  now?: () => number;
}

/** A resource server handle: verifies requests, describes itself. */
export interface ResourceServer {
  /** This API's resource identifier. */
  readonly resource: string;
  /** The issuer whose tokens it accepts. */
  readonly issuer: string;
  /** Verifies a request; never throws for anything a client sent. */
  verify(request: Request, options?: VerifyOptions): Promise<Verdict>;
  /** RFC 9728 protected resource metadata, to serve at `/.well-known/oauth-protected-resource`. */
  metadata(): Record<string, unknown>;
  /** A current DPoP nonce (RFC 9449 §9), or undefined when nonces are off. */
  nonce(): string | undefined;
}
