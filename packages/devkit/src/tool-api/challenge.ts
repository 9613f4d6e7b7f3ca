/** Parameters of one `WWW-Authenticate: DPoP` challenge. */
export interface DpopChallengeParameters {
  /** `error`, e.g. `invalid_token`; absent when the request carried no credentials (RFC 6750 §3.1). */
  error?: string | undefined;
  /** `error_description`, human-readable. */
  description?: string | undefined;
  /** `scope` the request needs (space-separated). */
  scope?: string | undefined;
  /** `algs`: the proof algorithms the server accepts. */
  algorithms: readonly string[];
}

/**
 * Builds the `WWW-Authenticate` value of a DPoP challenge: `DPoP error="…", error_description="…",
 * scope="…", algs="ES256 EdDSA"`. Values are quoted strings; characters that a quoted string cannot
 * carry safely (quote, backslash, controls, non-ASCII) are replaced, so a description can never
 * break the header.
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
  return `DPoP ${pairs.join(', ')}`;
}

function quoted(value: string): string {
  // RFC 6750 §3: error and error_description use %x20-21 / %x23-5B / %x5D-7E only.
  return `"${value.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '?')}"`;
}
