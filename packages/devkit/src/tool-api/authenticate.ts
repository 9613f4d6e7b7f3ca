import type { IncomingMessage } from 'node:http';
import type { AccessTokenClaims, AccessTokenVerifier } from './access-token-verifier.js';
import type { DpopProofVerifier } from './dpop-proof-verifier.js';
import { invalidDpopProof, invalidRequest, invalidToken, ToolApiError } from './tool-api-error.js';

/** The verifiers a request passes through. */
export interface RequestAuthenticator {
  proofs: DpopProofVerifier;
  tokens: AccessTokenVerifier;
}

/** An authenticated request: the token's claims, proven by a proof with the bound key. */
export interface AuthenticatedRequest {
  token: AccessTokenClaims;
}

const token68 = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Authenticates a request to a DPoP-protected resource: exactly one `Authorization: DPoP <token>`
 * header (a `Bearer` presentation of a DPoP-bound token is refused), exactly one `DPoP` proof header,
 * the proof checked in full, the token checked in full, and the proof's key equal to the token's
 * `cnf.jkt`. Throws a {@link ToolApiError} that carries the right challenge.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-7.1
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4.3
 */
export async function authenticateRequest(
  request: IncomingMessage,
  target: URL,
  verifiers: RequestAuthenticator,
): Promise<AuthenticatedRequest> {
  const authorization = request.headersDistinct.authorization ?? [];
  if (authorization.length === 0) {
    // RFC 6750 §3.1: a request without credentials gets a challenge without an error code.
    throw new ToolApiError(401, 'invalid_token', 'a DPoP-bound access token is required', { bare: true });
  }
  if (authorization.length > 1) throw invalidRequest('more than one Authorization header', { challenge: true });
  const [scheme, credentials, ...rest] = authorization[0]!.trim().split(/ +/);
  if (scheme?.toLowerCase() === 'bearer') {
    throw invalidToken('this resource requires the DPoP authorization scheme; Bearer tokens are refused');
  }
  if (scheme?.toLowerCase() !== 'dpop') throw invalidToken('unsupported authorization scheme; use DPoP');
  if (credentials === undefined || rest.length > 0 || !token68.test(credentials)) {
    throw invalidToken('the DPoP authorization header is malformed');
  }

  const proofs = request.headersDistinct.dpop ?? [];
  if (proofs.length === 0) throw invalidDpopProof('a DPoP proof header is required');
  if (proofs.length > 1) throw invalidDpopProof('exactly one DPoP proof header is allowed');

  const proof = await verifiers.proofs.verify({ proof: proofs[0]!, method: request.method ?? '', url: target, accessToken: credentials });
  const token = await verifiers.tokens.verify(credentials);
  if (token.jkt !== proof.jkt) throw invalidToken('the DPoP proof key does not match the key the token is bound to (cnf.jkt)');
  proof.spend();
  return { token };
}

