/**
 * `@countersign/core/dpop`: the DPoP building blocks the agent is made of, for code that sends its
 * own requests (an MCP transport, a resource server's test client). `agent.fetch` and
 * `agent.dispatcher()` already do all of this.
 *
 * @example
 * ```ts
 * import { generateKey } from '@countersign/core';
 * import { createDpopProver, DpopNonceCache } from '@countersign/core/dpop';
 *
 * const prover = createDpopProver(await generateKey({ alg: 'ES256' }));
 * const proof = await prover.proof({ method: 'POST', url: 'https://api.example/payouts', accessToken });
 * ```
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449
 * @packageDocumentation
 */
export { createDpopProver, targetUri, accessTokenHash } from './proof.js';
export type { DpopProver, DpopProofInput, DpopProverOptions } from './proof.js';
export { createPresignedProofs } from './presigned-proofs.js';
export type { PresignedProofs, PresignedProofsOptions } from './presigned-proofs.js';
export { DpopNonceCache } from './nonce-cache.js';
export { DpopProofError } from './dpop-proof-error.js';
export { jwkThumbprint } from '../keys/thumbprint.js';
export { parseWwwAuthenticate } from '../lib/www-authenticate.js';
export type { AuthenticationChallenge } from '../lib/www-authenticate.js';
// The DPoP exchange engine: one request sent with a fresh proof, its refusal read, recovered from once.
export { DpopExchange } from '../dpop-exchange/dpop-exchange.js';
export type { DpopExchangeContext, DpopExchangeRequest, HeaderReader, ResourceRefusal } from '../dpop-exchange/dpop-exchange.js';
export type { DpopRecovery, DpopRefusal } from '../dpop-exchange/recovery.js';
export { classifyChallenge, errorChallenge, oauthErrorOf } from '../dpop-exchange/challenge.js';
export { createOriginClocks } from '../lib/clock-skew.js';
export type { OriginClocks, SkewClock, SkewClockOptions } from '../lib/clock-skew.js';
