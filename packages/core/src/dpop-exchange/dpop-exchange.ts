import type { DpopNonceCache } from '../dpop/nonce-cache.js';
import type { PresignedProofs } from '../dpop/presigned-proofs.js';
import type { DpopProver } from '../dpop/proof.js';
import type { ResourceChallengeError } from '../errors.js';
import type { SkewClock } from '../lib/clock-skew.js';
import { classifyChallenge } from './challenge.js';
import { decideRecovery, type DpopRecovery, type DpopRefusal, type RecoveriesUsed, type RecoveryContext } from './recovery.js';

/** What every DPoP exchange of one client shares: its prover and the servers' nonces. */
export interface DpopExchangeContext {
  /** Signs the proofs. */
  dpop: DpopProver;
  /**
   * The same prover with proofs signed ahead of time (`dpop.presign`); when given, every proof
   * comes from it, and the next one is signed while a response is awaited.
   */
  presigned?: PresignedProofs | undefined;
  /** The latest nonce of each origin (RFC 9449 §8.1 and §9), shared by all requests. */
  nonces: DpopNonceCache;
}

/** One request, across its attempts. */
export interface DpopExchangeRequest {
  /** The method as it goes on the wire (`htm`). */
  method: string;
  /** The target URI (`htu`): the request URL without query and fragment. */
  htu: string | URL;
  /** The request's origin (`URL.origin`): the key of its nonce. */
  origin: string;
  /** The clock of that server: proofs carry its corrected time, and a refusal for time corrects it. */
  clock: SkewClock;
  /** Whether the request may be sent with a new token after `invalid_token` (default false). */
  tokenRetryAllowed?: boolean | undefined;
  /** Whether the request can be sent again at all (default true; false for a streamed body). */
  replayable?: boolean | undefined;
}

/** Reads a response header by its lower-case name (a fetch `Headers` is one). */
export interface HeaderReader {
  get(name: string): string | null | undefined;
}

/**
 * What to do with a resource server's response: `undefined` to hand it on as it is, otherwise the
 * challenge it states as a typed error and the `recovery` to send again with, or none: throw (or
 * hand the response on).
 */
export interface ResourceRefusal {
  readonly error: ResourceChallengeError;
  readonly recovery: DpopRecovery | undefined;
}

/**
 * The DPoP exchange engine: one request "sent with a fresh proof, its refusal read, recovered from
 * once". It signs each attempt's proof (with the origin's latest nonce and the server's corrected
 * clock, from the proofs signed ahead when there are any), remembers the nonce of every response,
 * reads a refusal (a resource server's `WWW-Authenticate` challenge or an authorization server's
 * OAuth error) and asks `decideRecovery` for the one recovery allowed. The transport (undici
 * `request`, an undici interceptor, a fetch, the authorization server client) only sends, and acts
 * on the answer: send again, get a new token first, or give up.
 *
 * @example
 * ```ts
 * const exchange = new DpopExchange(context, { method: 'GET', htu, origin, clock });
 * for (;;) {
 *   const response = await send({ authorization: `DPoP ${token}`, dpop: await exchange.proof(token) });
 *   const refusal = exchange.readResourceResponse(response.status, response.headers, token);
 *   if (refusal === undefined) return response;
 *   if (refusal.recovery === undefined) throw refusal.error;
 * }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4 (proofs)
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-8 (authorization server nonces)
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-9 (resource server nonces)
 */
export class DpopExchange {
  readonly #context: DpopExchangeContext;
  readonly #request: DpopExchangeRequest;
  readonly #used: RecoveriesUsed = { nonce: false, clock: false, token: false };
  #signedWithOffset = 0;
  #proof: string | undefined;
  #proofSent = false;
  /** Set by a refusal: a proof signed ahead for this request's successor would be wasted. */
  #refused = false;

  constructor(context: DpopExchangeContext, request: DpopExchangeRequest) {
    this.#context = context;
    this.#request = request;
  }

  /** True until a recovery was decided: only a first attempt signs the next request's proof ahead. */
  get firstAttempt(): boolean {
    const used = this.#used;
    return !used.nonce && !used.clock && !used.token;
  }

  /**
   * Starts an attempt without a proof (an authorization server request that carries only a client
   * assertion): records the clock offset it is signed with, and returns the server's time in
   * seconds for its `iat`.
   */
  begin(): number {
    const { clock } = this.#request;
    const offset = (this.#signedWithOffset = clock.offsetMs);
    this.#proofSent = false;
    return (clock.local() + offset) / 1000;
  }

  /**
   * A fresh proof for the next attempt (a new `jti`; `ath` of `accessToken` when given; the
   * origin's latest nonce; `iat` on the server's corrected clock). Synchronous when the signer is.
   *
   * @see https://www.rfc-editor.org/rfc/rfc9449#section-4.2
   */
  proof(accessToken?: string): string | Promise<string> {
    const { clock, method, htu, origin } = this.#request;
    const { presigned, dpop, nonces } = this.#context;
    const offset = (this.#signedWithOffset = clock.offsetMs);
    this.#proofSent = true;
    const proof = (presigned ?? dpop).proof({
      method,
      url: htu,
      nonce: nonces.get(origin),
      accessToken,
      now: clock.local() / 1000,
      clockOffset: offset / 1000,
    });
    if (typeof proof === 'string') return (this.#proof = proof);
    return proof.then((value) => (this.#proof = value));
  }

  /**
   * Signs, after the current turn of the event loop (so after the request was handed on), the
   * proof the next request with the same method, URL and token will need; only on a first attempt,
   * only with proofs signed ahead, and not once this request was refused. See `createPresignedProofs`.
   *
   * @see https://www.rfc-editor.org/rfc/rfc9449#section-11.2 (pre-generated proofs)
   */
  presignNext(accessToken: string | undefined): void {
    const { presigned } = this.#context;
    if (presigned === undefined || !this.firstAttempt) return;
    const { method, htu, origin, clock } = this.#request;
    const nonces = this.#context.nonces;
    // No closure kept per exchange: only a first attempt that is sent ahead allocates one, here.
    setImmediate(() => {
      // The nonce and the offset are read when signing: a response that arrived meanwhile may have changed them.
      if (this.#refused) return;
      presigned.presign({ method, url: htu, nonce: nonces.get(origin), accessToken, clockOffset: clock.offsetMs / 1000 });
    });
  }

  /**
   * Remembers a response's `DPoP-Nonce` for the origin; a new one makes the proofs signed ahead
   * for that origin useless, so they are dropped.
   *
   * @see https://www.rfc-editor.org/rfc/rfc9449#section-8.2
   */
  rememberNonce(nonce: string | null | undefined): void {
    if (!nonce) return;
    const { presigned, nonces } = this.#context;
    const { origin } = this.#request;
    if (presigned !== undefined && nonces.get(origin) !== nonce) presigned.discardOrigin(origin);
    nonces.set(origin, nonce);
  }

  /**
   * Reads a resource server's response: remembers its nonce and, for a 401 or 403 stating a
   * challenge, returns that challenge as a typed error (the access token and proof scrubbed from
   * it) and the recovery allowed, if any. `undefined`: the response is the application's own.
   *
   * @see https://www.rfc-editor.org/rfc/rfc9449#section-7.1
   * @see https://www.rfc-editor.org/rfc/rfc9449#section-9
   */
  readResourceResponse(status: number, headers: HeaderReader, accessToken: string | undefined): ResourceRefusal | undefined {
    const nonce = headers.get('dpop-nonce');
    this.rememberNonce(nonce);
    if (status !== 401 && status !== 403) return undefined;
    const error = classifyChallenge(status, headers.get('www-authenticate'), [accessToken, this.#proof]);
    if (error === undefined) return undefined;
    return { error, recovery: this.#decide('resource_server', error, nonce, headers.get('date')) };
  }

  /**
   * Decides the recovery from an authorization server's OAuth error (its nonce already
   * remembered with {@link DpopExchange.rememberNonce}), or `undefined`: the error stands.
   *
   * @see https://www.rfc-editor.org/rfc/rfc9449#section-8
   */
  readAuthorizationServerError(refusal: DpopRefusal, nonce: string | null | undefined, date: string | null | undefined): DpopRecovery | undefined {
    return this.#decide('authorization_server', refusal, nonce, date);
  }

  #decide(
    server: RecoveryContext['server'],
    refusal: DpopRefusal,
    nonce: string | null | undefined,
    date: string | null | undefined,
  ): DpopRecovery | undefined {
    // Whatever was signed ahead was made for what the server just refused.
    this.#refused = true;
    this.#context.presigned?.clear();
    const request = this.#request;
    if (request.replayable === false) return undefined;
    return decideRecovery(refusal, this.#used, {
      server,
      nonce,
      date,
      clock: request.clock,
      signedWithOffset: this.#signedWithOffset,
      proofSent: this.#proofSent,
      tokenRetryAllowed: request.tokenRetryAllowed === true,
    });
  }
}
