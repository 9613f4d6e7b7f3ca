import { generateKey, type Signer, type SigningAlgorithm } from '@countersign/core';
import {
  createDpopProver,
  createOriginClocks,
  DpopExchange,
  DpopNonceCache,
  oauthErrorOf,
  type DpopProver,
  type DpopRecovery,
} from '@countersign/core/dpop';

/** The fetch the MCP SDK's transports take (`StreamableHTTPClientTransport({ fetch })`). */
export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

/** Options of the DPoP key every Countersign MCP fetch holds. */
export interface DpopKeyOptions {
  /** The DPoP key; default a fresh non-extractable key for this instance. */
  key?: Signer | undefined;
  /** Algorithm of the fresh key (default `ES256`). */
  alg?: SigningAlgorithm | undefined;
}

/** Sends requests with a fresh DPoP proof each, and recovers from a refusal once, as core's DPoP exchange decides. */
export interface DpopSender {
  /** The proof key's JWK SHA-256 thumbprint (the `jkt` tokens are bound to). */
  thumbprint(): Promise<string>;
  /**
   * Sends `build()` to `url` with a new proof (bound to `accessToken` through `ath` when given, and
   * then presented with the `DPoP` scheme). When core's `DpopExchange` decides a recovery (the
   * server's new nonce, or the clock corrected from its `Date` header; each at most once), the
   * request is built again (new proof, new client assertion) and sent once more. Any other answer,
   * refusals included, is returned as it is.
   */
  send(url: URL, build: () => RequestInit | Promise<RequestInit>, accessToken?: string): Promise<Response>;
}

/**
 * Creates the DPoP sender: core's DPoP exchange engine (proofs, per-origin nonces and clocks, the
 * one recovery decision) over a fetch.
 *
 * @example
 * ```ts
 * const sender = createDpopSender({});
 * const response = await sender.send(new URL('https://mcp.example/mcp'), () => ({ method: 'POST', body }), token);
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4 (proofs)
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-8 (authorization server nonces)
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-9 (resource server nonces)
 */
export function createDpopSender(options: DpopKeyOptions & { fetch?: FetchLike | undefined; nonces?: DpopNonceCache | undefined }): DpopSender {
  const baseFetch: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const nonces = options.nonces ?? new DpopNonceCache();
  const clocks = createOriginClocks();
  let prover: Promise<DpopProver> | undefined;
  const getProver = () => (prover ??= (async () => createDpopProver(options.key ?? (await generateKey({ alg: options.alg ?? 'ES256' }))))());

  async function send(url: URL, build: () => RequestInit | Promise<RequestInit>, accessToken?: string): Promise<Response> {
    const dpop = await getProver();
    let exchange: DpopExchange | undefined;
    for (;;) {
      const init = await build();
      exchange ??= new DpopExchange(
        { dpop, nonces },
        { method: init.method ?? 'GET', htu: url, origin: url.origin, clock: clocks.forOrigin(url.origin) },
      );
      const headers = new Headers(init.headers);
      headers.set('dpop', await exchange.proof(accessToken));
      if (accessToken !== undefined) headers.set('authorization', `DPoP ${accessToken}`);
      const response = await baseFetch(url, { ...init, headers });
      if ((await recoveryFor(exchange, response, accessToken)) === undefined) return response;
      await response.body?.cancel();
    }
  }

  return { send, thumbprint: async () => (await getProver()).thumbprint };
}

/**
 * Asks the exchange how to recover from `response`: a resource server's 401 or 403 challenge, or
 * an authorization server's 400 JSON error (RFC 9449 §8), or `undefined`: hand it on.
 */
async function recoveryFor(exchange: DpopExchange, response: Response, accessToken: string | undefined): Promise<DpopRecovery | undefined> {
  const { status, headers } = response;
  if (status !== 400) return exchange.readResourceResponse(status, headers, accessToken)?.recovery;
  const nonce = headers.get('dpop-nonce');
  exchange.rememberNonce(nonce);
  const refusal = oauthErrorOf(await response.clone().json().catch(() => undefined));
  return refusal === undefined ? undefined : exchange.readAuthorizationServerError(refusal, nonce, headers.get('date'));
}

/** The URL of a fetch input. */
export function urlOf(input: string | URL | Request): URL {
  return new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
}
