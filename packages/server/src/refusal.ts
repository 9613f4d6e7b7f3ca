import type { RefusalError, RefusalReason, Refused } from './types.js';

const table: Record<RefusalReason, { status: number; error: RefusalError }> = {
  missing_credentials: { status: 401, error: 'invalid_token' },
  duplicate_authorization: { status: 400, error: 'invalid_request' },
  malformed_authorization: { status: 401, error: 'invalid_token' },
  unsupported_scheme: { status: 401, error: 'invalid_token' },
  bearer_downgrade: { status: 401, error: 'invalid_token' },
  malformed_request: { status: 400, error: 'invalid_request' },
  body_too_large: { status: 413, error: 'invalid_request' },
  unsupported_media_type: { status: 415, error: 'invalid_request' },
  missing_proof: { status: 401, error: 'invalid_dpop_proof' },
  duplicate_proof: { status: 401, error: 'invalid_dpop_proof' },
  malformed_proof: { status: 401, error: 'invalid_dpop_proof' },
  proof_typ: { status: 401, error: 'invalid_dpop_proof' },
  proof_alg: { status: 401, error: 'invalid_dpop_proof' },
  proof_jwk: { status: 401, error: 'invalid_dpop_proof' },
  proof_signature: { status: 401, error: 'invalid_dpop_proof' },
  proof_htm: { status: 401, error: 'invalid_dpop_proof' },
  proof_htu: { status: 401, error: 'invalid_dpop_proof' },
  proof_iat: { status: 401, error: 'invalid_dpop_proof' },
  proof_ath: { status: 401, error: 'invalid_dpop_proof' },
  proof_replayed: { status: 401, error: 'invalid_dpop_proof' },
  nonce_required: { status: 401, error: 'use_dpop_nonce' },
  malformed_token: { status: 401, error: 'invalid_token' },
  token_typ: { status: 401, error: 'invalid_token' },
  token_alg: { status: 401, error: 'invalid_token' },
  token_unknown_key: { status: 401, error: 'invalid_token' },
  token_signature: { status: 401, error: 'invalid_token' },
  token_issuer: { status: 401, error: 'invalid_token' },
  token_audience: { status: 401, error: 'invalid_token' },
  token_expired: { status: 401, error: 'invalid_token' },
  token_not_yet_valid: { status: 401, error: 'invalid_token' },
  token_claims: { status: 401, error: 'invalid_token' },
  token_inactive: { status: 401, error: 'invalid_token' },
  token_revoked: { status: 401, error: 'invalid_token' },
  token_not_bound: { status: 401, error: 'invalid_token' },
  key_mismatch: { status: 401, error: 'invalid_token' },
  insufficient_scope: { status: 403, error: 'insufficient_scope' },
  approval_required: { status: 403, error: 'insufficient_scope' },
  approval_mismatch: { status: 403, error: 'insufficient_scope' },
  approval_location: { status: 403, error: 'insufficient_scope' },
  approvers_insufficient: { status: 403, error: 'insufficient_scope' },
  action_spent: { status: 401, error: 'invalid_token' },
  keys_unavailable: { status: 503, error: 'temporarily_unavailable' },
  introspection_unavailable: { status: 503, error: 'temporarily_unavailable' },
  revocation_unavailable: { status: 503, error: 'temporarily_unavailable' },
  replay_store_unavailable: { status: 503, error: 'temporarily_unavailable' },
  internal_error: { status: 500, error: 'server_error' },
};

/**
 * A refusal raised inside the checks; `verify` turns it into a {@link Refused} verdict. Internal:
 * callers see verdicts, never this.
 */
export class RefusalSignal {
  constructor(
    readonly reason: RefusalReason,
    readonly description: string,
    readonly extra: { scope?: string; authorizationDetails?: Array<Record<string, unknown>> } = {},
  ) {}
}

/** Throws a {@link RefusalSignal}. */
export function refuse(reason: RefusalReason, description: string, extra?: RefusalSignal['extra']): never {
  throw new RefusalSignal(reason, description, extra);
}

/** What every challenge of one resource server carries. */
export interface ChallengeContext {
  /** `algs`: accepted proof algorithms. */
  algorithms: readonly string[];
  /** RFC 9728 §5.1 `resource_metadata` URL. */
  resourceMetadata: string;
  /** The current nonce, sent as `DPoP-Nonce` on every answer. */
  nonce: string | undefined;
}

/**
 * Builds the verdict of a refusal: status and OAuth error from the reason, a `WWW-Authenticate: DPoP`
 * challenge (bare for a request without credentials, RFC 6750 §3.1), `DPoP-Nonce`, and the JSON body.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-7.1
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-5.1
 */
export function refusedVerdict(signal: RefusalSignal, context: ChallengeContext): Refused {
  const { status, error } = table[signal.reason];
  const headers: Record<string, string> = {};
  const challengeable = status === 401 || status === 403 || signal.reason === 'duplicate_authorization';
  if (challengeable) {
    const bare = signal.reason === 'missing_credentials';
    headers['www-authenticate'] = dpopChallenge({
      ...(bare ? {} : { error, description: signal.description }),
      scope: signal.extra.scope,
      algorithms: context.algorithms,
      resourceMetadata: context.resourceMetadata,
    });
  }
  if (context.nonce !== undefined) headers['dpop-nonce'] = context.nonce;
  if (status === 503) headers['retry-after'] = '5';
  if (status === 413) headers.connection = 'close';
  const body: Refused['body'] = { error, error_description: signal.description };
  if (signal.extra.authorizationDetails !== undefined) body.authorization_details = signal.extra.authorizationDetails;
  return { ok: false, status, error, reason: signal.reason, description: signal.description, headers, body };
}

/** Parameters of one `WWW-Authenticate: DPoP` challenge. */
export interface DpopChallengeParameters {
  error?: string | undefined;
  description?: string | undefined;
  scope?: string | undefined;
  algorithms: readonly string[];
  resourceMetadata?: string | undefined;
}

/**
 * Formats a `WWW-Authenticate` DPoP challenge: `DPoP error="…", error_description="…", scope="…",
 * algs="ES256 EdDSA", resource_metadata="…"`. Characters a quoted string cannot carry safely are
 * replaced, so no description can break the header.
 *
 * @example
 * ```ts
 * dpopChallenge({ error: 'use_dpop_nonce', description: 'nonce required', algorithms: ['ES256'] });
 * // 'DPoP error="use_dpop_nonce", error_description="nonce required", algs="ES256"'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-7.1
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export function dpopChallenge(parameters: DpopChallengeParameters): string {
  const pairs: string[] = [];
  if (parameters.error !== undefined) pairs.push(`error=${quoted(parameters.error)}`);
  if (parameters.description !== undefined) pairs.push(`error_description=${quoted(parameters.description)}`);
  if (parameters.scope !== undefined) pairs.push(`scope=${quoted(parameters.scope)}`);
  pairs.push(`algs=${quoted(parameters.algorithms.join(' '))}`);
  if (parameters.resourceMetadata !== undefined) pairs.push(`resource_metadata=${quoted(parameters.resourceMetadata)}`);
  return `DPoP ${pairs.join(', ')}`;
}

function quoted(value: string): string {
  // RFC 6750 §3: error, error_description and scope use %x20-21 / %x23-5B / %x5D-7E only.
  return `"${value.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '?')}"`;
}
